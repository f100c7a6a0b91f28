//! `/healthz` and `/readyz`.

use actix_web::{HttpResponse, web};

use crate::domain::{apps, store_policy};
use crate::http::error::ApiError;
use crate::metrics::labels::StoreOp;
use crate::state::AppState;
use crate::store::Durability;

/// 200 while the process serves.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// 200 when the store answers a ping, is new enough (Redis 7.0) and the app registry has been
/// read, else 503 `store_unavailable`; with the store's eviction policy (anything but
/// `noeviction` is also a warning in the log and a metric), its server version, and whether it
/// keeps durable records (`durable`, and `durable_reason` when it does not).
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
    // Not ready before the apps added at runtime are read (their logins would be refused).
    if !state.apps.is_loaded() {
        apps::follow::load(&state).await?;
    }
    // Readiness does not depend on the policy or on durability: a store that answers serves
    // (validation works); durable writes are refused with the reason given here.
    let policy = store_policy::check(&state).await.ok().flatten();
    let (durable, reason) = match apps::manage::durability(&state).await {
        Ok(Durability::Durable) => (Some(true), None),
        Ok(Durability::NotDurable(why)) => (Some(false), Some(why)),
        Err(_) => (None, None),
    };
    let mut store = serde_json::json!({
        "eviction_policy": policy,
        "redis_version": version,
        "durable": durable,
    });
    if let (Some(reason), Some(fields)) = (reason, store.as_object_mut()) {
        fields.insert("durable_reason".into(), reason.into());
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ok", "store": store })))
}

/// Registers the health routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").get(healthz))
        .service(web::resource("/readyz").get(readyz));
}
