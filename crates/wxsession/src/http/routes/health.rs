//! `/healthz` and `/readyz`.

use actix_web::{HttpResponse, web};

use crate::domain::store_policy;
use crate::http::error::ApiError;
use crate::metrics::labels::StoreOp;
use crate::state::AppState;

/// 200 while the process serves.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// 200 when the store answers a ping and is new enough (Redis 7.0), else 503
/// `store_unavailable`; with the store's eviction policy (anything but `noeviction` is also a
/// warning in the log and a metric) and its server version in the details.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .timed(StoreOp::Ping, state.store.ping())
        .await
        .map_err(crate::domain::Error::from)?;
    // A Redis older than the store needs is not ready (the reason is in the log).
    let version = state
        .timed(StoreOp::Ping, state.store.server_version())
        .await
        .map_err(crate::domain::Error::from)?;
    // Readiness does not depend on the policy: a store that answers serves.
    let policy = store_policy::check(&state).await.ok().flatten();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "status": "ok",
        "store": { "eviction_policy": policy, "redis_version": version },
    })))
}

/// Registers the health routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").get(healthz))
        .service(web::resource("/readyz").get(readyz));
}
