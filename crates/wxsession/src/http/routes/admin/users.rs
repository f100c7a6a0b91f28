//! A user's sessions, key and remembered phone number: log out everywhere, reset the
//! `session_key`, forget the number.

use actix_web::{HttpResponse, web};

use super::audited;
use crate::domain::audit::Audit;
use crate::domain::ids::{AppId, OpenId};
use crate::domain::{phone, session, session_key};
use crate::http::caller::Caller;
use crate::http::error::ApiError;
use crate::http::extract::Admin;
use crate::metrics::labels::AdminAction;
use crate::state::AppState;

fn audit<'a>(caller: &'a Caller, action: AdminAction, path: &'a (String, String)) -> Audit<'a> {
    Audit {
        openid: Some(&path.1),
        ..caller.audit(action, &path.0)
    }
}

/// `DELETE /v1/admin/apps/{appid}/users/{openid}/sessions`: revokes every session of the user.
pub async fn revoke_all(
    state: web::Data<AppState>,
    admin: Admin,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let path = path.into_inner();
    let audit = audit(&caller, AdminAction::RevokeUserSessions, &path);
    let (appid, openid) = (&path.0, &path.1);
    let revoked = audited(&state, audit, &admin.id, || async {
        let (appid, openid) = (AppId::parse(appid)?, OpenId::parse(openid)?);
        session::revoke_user(&state, &appid, &openid).await
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "revoked": revoked })))
}

/// `POST /v1/admin/apps/{appid}/users/{openid}/session-key/reset`: WeChat's
/// `resetUserSessionKey`; the new key becomes the user's newest.
pub async fn reset_session_key(
    state: web::Data<AppState>,
    admin: Admin,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let path = path.into_inner();
    let audit = audit(&caller, AdminAction::ResetSessionKey, &path);
    let (appid, openid) = (&path.0, &path.1);
    audited(&state, audit, &admin.id, || async {
        let (appid, openid) = (AppId::parse(appid)?, OpenId::parse(openid)?);
        session_key::reset(&state, &appid, &openid).await
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "reset": true })))
}

/// `DELETE /v1/admin/apps/{appid}/users/{openid}/phone`: forgets the user's remembered phone
/// number (an erasure request that reached the team, not the app); `204` whether or not there
/// was one.
pub async fn forget_phone(
    state: web::Data<AppState>,
    admin: Admin,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let path = path.into_inner();
    let audit = audit(&caller, AdminAction::ForgetPhone, &path);
    let (appid, openid) = (&path.0, &path.1);
    audited(&state, audit, &admin.id, || async {
        let (appid, openid) = (AppId::parse(appid)?, OpenId::parse(openid)?);
        phone::remember::forget(&state, &appid, &openid).await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
