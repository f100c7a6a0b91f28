//! The third-party platform's public routes: WeChat's pushes to the event URL (授权事件接收
//! URL) — every refusal is `400 invalid_request` and changes nothing; a push acted on (or a
//! replay, or an InfoType the service ignores) is answered `success` as WeChat expects — and
//! a merchant's browser coming back from the authorization page.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};

use serde::Deserialize;

use crate::domain::component::events::{self, PushQuery};
use crate::domain::component::portal;
use crate::http::body::{BODY_LIMIT, ReadDeadline};
use crate::http::error::{ApiError, Code};
use crate::state::AppState;

/// `POST /v1/component/events?timestamp&nonce&encrypt_type=aes&msg_signature&signature`.
pub async fn receive(
    state: web::Data<AppState>,
    query: Result<web::Query<PushQuery>, actix_web::Error>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let query = query.map_err(|_| ApiError::invalid("the query string is malformed"))?;
    let deadline = req
        .app_data::<ReadDeadline>()
        .map_or(Duration::from_secs(10), |d| d.0);
    let body = tokio::time::timeout(deadline, payload.to_bytes_limited(BODY_LIMIT))
        .await
        .map_err(|_| ApiError::from(Code::RequestTimeout))?
        .map_err(|_| ApiError::from(Code::PayloadTooLarge))?
        .map_err(|_| ApiError::invalid("the request body could not be read"))?;
    events::receive(&state, &query, &body).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("success"))
}

/// The query of the browser's return (`s` is ours, sealed; WeChat adds the others).
#[derive(Debug, Deserialize)]
pub struct Return {
    s: Option<String>,
    auth_code: Option<String>,
}

/// `GET /v1/component/authorized?s&auth_code&expires_in`: the code exchanged (idempotent with
/// the `authorized` push), `303` to `after_authorize_url?authorizer_appid=…&state=…`.
pub async fn authorized(
    state: web::Data<AppState>,
    query: Result<web::Query<Return>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let query = query.map_err(|_| ApiError::invalid("the query string is malformed"))?;
    let location =
        portal::authorized(&state, query.s.as_deref(), query.auth_code.as_deref()).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("location", location))
        .insert_header(("cache-control", "no-store"))
        .insert_header(("referrer-policy", "no-referrer"))
        .finish())
}

/// Registers the platform's public routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/component/events").post(receive))
        .service(web::resource("/v1/component/authorized").get(authorized));
}
