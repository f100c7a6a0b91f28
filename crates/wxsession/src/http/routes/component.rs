//! The third-party platform's public routes: WeChat's pushes to the event URL (授权事件接收
//! URL). Every refusal is `400 invalid_request` and changes nothing; a push acted on (or a
//! replay, or an InfoType the service ignores) is answered `success` as WeChat expects.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::domain::component::events::{self, PushQuery};
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

/// Registers the platform's public routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/component/events").post(receive));
}
