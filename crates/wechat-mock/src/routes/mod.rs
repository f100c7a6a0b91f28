//! The simulator's HTTP routes, one module per WeChat area.

use std::sync::Arc;

mod charge;
mod component;
mod connect;
mod loginpage;
mod oauth;
mod sim;
mod sim_component;
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
        .route("/wxa/charge/usage/get", web::get().to(charge::usage))
        .route("/__sim/phone-button", web::post().to(charge::button))
        .route("/__sim/phone-quota", web::post().to(charge::set_quota))
        .route("/wxa/checksession", web::get().to(wxa::check_session))
        .route(
            "/wxa/resetusersessionkey",
            web::get().to(wxa::reset_session_key),
        )
        .route(
            "/sns/oauth2/access_token",
            web::get().to(oauth::access_token),
        )
        .route("/sns/userinfo", web::get().to(oauth::userinfo))
        .route(
            "/connect/qrconnect",
            web::get().to(|s, q| connect::page(s, connect::Page::Qr, q)),
        )
        .route(
            "/connect/oauth2/authorize",
            web::get().to(|s, q| connect::page(s, connect::Page::Authorize, q)),
        )
        .route("/connect/confirm", web::get().to(connect::confirm))
        .route(
            "/sns/component/jscode2session",
            web::get().to(sns::component_jscode2session),
        )
        .service(
            web::scope("/cgi-bin/component")
                .route(
                    "/api_start_push_ticket",
                    web::post().to(component::start_push_ticket),
                )
                .route(
                    "/api_component_token",
                    web::post().to(component::component_token),
                )
                .route(
                    "/api_create_preauthcode",
                    web::post().to(component::create_preauthcode),
                )
                .route("/api_query_auth", web::post().to(component::query_auth))
                .route(
                    "/api_authorizer_token",
                    web::post().to(component::authorizer_token),
                )
                .route(
                    "/api_get_authorizer_info",
                    web::post().to(component::authorizer_info),
                )
                .route(
                    "/api_get_authorizer_list",
                    web::post().to(component::authorizer_list),
                ),
        )
        .route(
            "/cgi-bin/componentloginpage",
            web::get().to(loginpage::page),
        )
        .route(
            "/cgi-bin/componentloginpage/confirm",
            web::get().to(loginpage::confirm),
        )
        .service(
            web::scope("/__sim/component")
                .route("/push-ticket", web::post().to(sim_component::push_now))
                .route("/pushes", web::post().to(sim_component::pause))
                .route("/pushes", web::get().to(sim_component::pushes))
                .route("/stats", web::get().to(sim_component::stats))
                .route("/expire-token", web::post().to(sim_component::expire_token))
                .route("/authorize", web::post().to(sim_component::authorize))
                .route("/unauthorize", web::post().to(sim_component::unauthorize))
                .route("/slow-refresh", web::post().to(sim_component::slow_refresh))
                .route(
                    "/rotate-refresh",
                    web::post().to(sim_component::rotate_refresh),
                ),
        )
        .route("/__sim/encrypt", web::post().to(sim::encrypt))
        .route(
            "/__sim/invalidate-token",
            web::post().to(sim::invalidate_token),
        )
        .route("/__sim/replace-key", web::post().to(sim::replace_key))
        .route("/__sim/session-key", web::post().to(sim::session_key))
        .route("/__sim/stats", web::get().to(sim::stats))
        .route("/healthz", web::get().to(healthz));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Follows a code's plan through its delays, busy answers and failures; `Ok` is where it ends
/// (a user, a phone, an identity WeChat would never issue, nothing), `Err` the answer to give.
pub(super) async fn follow(
    state: &crate::state::State,
    code: &str,
) -> Result<crate::codes::Plan, HttpResponse> {
    use crate::codes::Plan;
    let mut plan = crate::codes::parse(code);
    loop {
        plan = match plan {
            Plan::Slow(delay, rest) => {
                tokio::time::sleep(delay).await;
                *rest
            }
            Plan::Busy(n, rest) => {
                if state.previous_attempts(code) < n {
                    return Err(sns::errcode(-1, "system error"));
                }
                *rest
            }
            Plan::Errcode(errcode) => return Err(sns::errcode(errcode, "simulated error")),
            Plan::Http(status) => return Err(sns::http_failure(status)),
            Plan::Garbage(body) => return Err(sns::garbage(body)),
            end => return Ok(end),
        };
    }
}
