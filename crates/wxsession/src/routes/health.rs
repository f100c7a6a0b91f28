//! `/healthz`, `/readyz` and `/metrics`.

use actix_web::{HttpResponse, web};

use crate::error::ApiError;
use crate::metrics::Audience;
use crate::state::AppState;

/// 200 while the process serves.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// 200 when the store answers a ping, else 503 `store_unavailable`.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.store_op("ping", state.store.ping()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ok" })))
}

/// Prometheus text format 0.0.4.
pub async fn metrics(state: web::Data<AppState>, audience: web::Data<Audience>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(**audience))
}
