//! The app registry: list, read, add or replace, delete (runtime apps only; apps from the
//! config file or the third-party platform are read-only here).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::audited;
use crate::domain::apps::manage::{self, Put, PutApp};
use crate::http::body::Json;
use crate::http::caller::Caller;
use crate::http::error::ApiError;
use crate::http::extract::Admin;
use crate::metrics::labels::AdminAction;
use crate::state::AppState;

/// The query of a listing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// Where the page starts (the previous page's `next_cursor`).
    cursor: Option<String>,
    /// At most this many apps (default 100, at most 1000).
    limit: Option<usize>,
}

/// `GET /v1/admin/apps?cursor=&limit=`: a page of apps in appid order, never a secret.
pub async fn list(
    state: web::Data<AppState>,
    admin: Admin,
    caller: Caller,
    query: Result<web::Query<Page>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let audit = caller.audit(AdminAction::ListApps, "");
    let page = audited(&state, audit, &admin.id, || async {
        let query = query.map_err(|_| {
            crate::domain::Error::InvalidInput(
                "query: cursor must be an appid and limit a number from 1 to 1000".into(),
            )
        })?;
        manage::list(&state, query.cursor.as_deref(), query.limit).await
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// `GET /v1/admin/apps/{appid}`: one app.
pub async fn read(
    state: web::Data<AppState>,
    admin: Admin,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let appid = path.into_inner();
    let audit = caller.audit(AdminAction::ReadApp, &appid);
    let app = audited(&state, audit, &admin.id, || manage::read(&state, &appid)).await?;
    Ok(HttpResponse::Ok().json(app))
}

/// `PUT /v1/admin/apps/{appid}` `{"kind", "secret", "access_token"?, "scope"?}`: `201` with
/// the app when it is new, `200` when it replaced one.
pub async fn put(
    state: web::Data<AppState>,
    admin: Admin,
    caller: Caller,
    path: web::Path<String>,
    body: Json<PutApp>,
) -> Result<HttpResponse, ApiError> {
    let appid = path.into_inner();
    let audit = caller.audit(AdminAction::PutApp, &appid);
    let (put, app) = audited(&state, audit, &admin.id, || {
        manage::put(&state, &appid, body.0)
    })
    .await?;
    Ok(match put {
        Put::Created => HttpResponse::Created().json(app),
        Put::Replaced => HttpResponse::Ok().json(app),
    })
}

/// `DELETE /v1/admin/apps/{appid}`: `204`; its logins are `unknown_app` and its sessions
/// `invalid_session` from then on.
pub async fn delete(
    state: web::Data<AppState>,
    admin: Admin,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let appid = path.into_inner();
    let audit = caller.audit(AdminAction::DeleteApp, &appid);
    audited(&state, audit, &admin.id, || manage::delete(&state, &appid)).await?;
    Ok(HttpResponse::NoContent().finish())
}
