//! `sns/oauth2/access_token` and `sns/userinfo`: the OAuth codes of mobile apps, website QR
//! logins and official-account pages. Codes follow the grammar of `codes.rs` (`user:NAME:…`),
//! are single-use, and give each user a per-app openid and the same unionid in every app.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::sns::errcode;
use crate::codes::Plan;
use crate::state::{Counter, Grant, State, openid_for, unionid_for};

#[derive(Deserialize)]
pub(super) struct TokenQuery {
    appid: Option<String>,
    secret: Option<String>,
    code: Option<String>,
    grant_type: Option<String>,
}

/// `GET /sns/oauth2/access_token`
pub(super) async fn access_token(
    state: web::Data<State>,
    query: web::Query<TokenQuery>,
) -> HttpResponse {
    state.count(Counter::OAuth);
    let q = query.into_inner();
    if let Some(errcode_) = state.check_app(q.appid.as_deref(), q.secret.as_deref()) {
        return errcode(errcode_, "invalid appid or appsecret");
    }
    let appid = q.appid.unwrap_or_default();
    if q.grant_type.as_deref() != Some("authorization_code") {
        return errcode(40002, "invalid grant_type");
    }
    let Some(code) = q.code.filter(|c| !c.is_empty()) else {
        return errcode(41008, "missing code");
    };
    let user = match super::follow(&state, &code).await {
        Ok(Plan::User(user)) => user,
        Ok(_) => return errcode(40029, "invalid code"),
        Err(answer) => return answer,
    };
    if !state.use_code(&code) {
        return errcode(40163, "code been used");
    }
    state.count(Counter::OAuthExchange);
    let scope = state.code_scope(&code);
    let openid = openid_for(&appid, &user);
    // A page opened in Moments' snapshot mode (users named `snapshot…` here): WeChat answers a
    // virtual openid, marked `is_snapshotuser: 1`, and no unionid.
    let snapshot = user.starts_with("snapshot");
    // WeChat gives the unionid here unless the user only granted snsapi_base.
    let unionid = unionid_for(&user).filter(|_| scope != "snsapi_base" && !snapshot);
    let token = state.grant(Grant {
        openid: openid.clone(),
        user,
        scope: scope.clone(),
    });
    let mut body = json!({
        "access_token": token,
        "expires_in": 7200,
        "refresh_token": format!("r{}", token.get(..8).unwrap_or_default()),
        "openid": openid,
        "scope": scope,
    });
    if let (Some(unionid), Some(map)) = (unionid, body.as_object_mut()) {
        map.insert("unionid".into(), unionid.into());
    }
    if let (true, Some(map)) = (snapshot, body.as_object_mut()) {
        map.insert("is_snapshotuser".into(), 1.into());
    }
    HttpResponse::Ok().json(body)
}

#[derive(Deserialize)]
pub(super) struct UserInfoQuery {
    access_token: Option<String>,
    openid: Option<String>,
}

/// `GET /sns/userinfo`
pub(super) async fn userinfo(
    state: web::Data<State>,
    query: web::Query<UserInfoQuery>,
) -> HttpResponse {
    state.count(Counter::UserInfo);
    let q = query.into_inner();
    let Some(grant) = q.access_token.as_deref().and_then(|t| state.granted(t)) else {
        return errcode(40001, "invalid credential, access_token is invalid");
    };
    if q.openid.as_deref() != Some(grant.openid.as_str()) {
        return errcode(40003, "invalid openid");
    }
    if grant.scope == "snsapi_base" {
        return errcode(48001, "api unauthorized");
    }
    let mut body = json!({
        "openid": grant.openid,
        "nickname": format!("Simulated {}", grant.user),
        "sex": 0,
        "province": "",
        "city": "",
        "country": "CN",
        "headimgurl": "https://thirdwx.qlogo.cn/simulated/0",
        "privilege": [],
    });
    if let (Some(unionid), Some(map)) = (unionid_for(&grant.user), body.as_object_mut()) {
        map.insert("unionid".into(), unionid.into());
    }
    HttpResponse::Ok().json(body)
}
