//! `/healthz` and `/readyz`.

use actix_web::{HttpResponse, web};

use crate::http::error::ApiError;
use crate::metrics::labels::StoreOp;
use crate::state::AppState;

/// 200 while the process serves.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// 200 when the store answers a ping, else 503 `store_unavailable`.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .timed(StoreOp::Ping, state.store.ping())
        .await
        .map_err(crate::domain::Error::from)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ok" })))
}

/// Registers the health routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").get(healthz))
        .service(web::resource("/readyz").get(readyz));
}
