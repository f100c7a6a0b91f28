//! The simulator's HTTP routes, one module per WeChat area.

use std::sync::Arc;

mod sim;
mod sns;
mod token;
mod wxa;

pub use self::wxa::phone_for;

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::state::State;

pub(crate) fn configure(cfg: &mut web::ServiceConfig, state: Arc<State>) {
    cfg.app_data(web::Data::from(state))
        .app_data(web::JsonConfig::default().limit(1 << 20))
        .route("/sns/jscode2session", web::get().to(sns::jscode2session))
        .route("/cgi-bin/stable_token", web::post().to(token::stable_token))
        .route("/cgi-bin/token", web::get().to(token::token))
        .route(
            "/wxa/business/getuserphonenumber",
            web::post().to(wxa::phone_number),
        )
        .route("/wxa/checksession", web::get().to(wxa::check_session))
        .route(
            "/wxa/resetusersessionkey",
            web::get().to(wxa::reset_session_key),
        )
        .route("/__sim/encrypt", web::post().to(sim::encrypt))
        .route(
            "/__sim/invalidate-token",
            web::post().to(sim::invalidate_token),
        )
        .route("/__sim/replace-key", web::post().to(sim::replace_key))
        .route("/__sim/stats", web::get().to(sim::stats))
        .route("/healthz", web::get().to(healthz));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}
