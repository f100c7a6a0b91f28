//! One person across apps: list the accounts a unionid links, log the person out everywhere.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::audited;
use crate::domain::audit::Audit;
use crate::domain::ids::{AppId, OpenId, UnionId};
use crate::domain::unions;
use crate::http::caller::Caller;
use crate::http::error::ApiError;
use crate::http::extract::Admin;
use crate::metrics::labels::AdminAction;
use crate::state::AppState;

fn audit<'a>(caller: &'a Caller, action: AdminAction, unionid: &'a str) -> Audit<'a> {
    Audit {
        unionid: Some(unionid),
        ..caller.audit(action, "")
    }
}

#[derive(Serialize)]
struct Account {
    appid: AppId,
    kind: Option<&'static str>,
    openid: OpenId,
    last_login: i64,
}

/// `GET /v1/admin/unions/{unionid}`: the person's accounts and live sessions.
pub async fn read(
    state: web::Data<AppState>,
    admin: Admin,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let unionid = path.into_inner();
    let audit = audit(&caller, AdminAction::ReadUnion, &unionid);
    let person = audited(&state, audit, &admin.id, || async {
        unions::person(&state, &UnionId::parse(&unionid)?).await
    })
    .await?;
    let accounts: Vec<Account> = person
        .accounts
        .into_iter()
        .map(|(a, kind)| Account {
            appid: a.appid,
            kind: kind.map(|k| k.as_str()),
            openid: a.openid,
            last_login: a.last_login,
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "unionid": unionid,
        "accounts": accounts,
        "sessions": person.sessions,
    })))
}

/// `DELETE /v1/admin/unions/{unionid}/sessions`: logs the person out of every app.
pub async fn revoke_all(
    state: web::Data<AppState>,
    admin: Admin,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let unionid = path.into_inner();
    let audit = audit(&caller, AdminAction::RevokeUnionSessions, &unionid);
    let revoked = audited(&state, audit, &admin.id, || async {
        unions::revoke(&state, &UnionId::parse(&unionid)?).await
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "revoked": revoked })))
}
