//! The simulator's HTTP routes, one module per WeChat area.

use std::sync::Arc;

mod sim;
mod sns;

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::state::State;

pub(crate) fn configure(cfg: &mut web::ServiceConfig, state: Arc<State>) {
    cfg.app_data(web::Data::from(state))
        .app_data(web::JsonConfig::default().limit(1 << 20))
        .route("/sns/jscode2session", web::get().to(sns::jscode2session))
        .route("/__sim/encrypt", web::post().to(sim::encrypt))
        .route("/__sim/stats", web::get().to(sim::stats))
        .route("/healthz", web::get().to(healthz));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}
