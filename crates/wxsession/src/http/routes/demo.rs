//! `GET /` in `dev` only: a small page to try the browser logins — "Log in with WeChat" for the
//! website (QR) and official-account apps, through the simulator's pages, then who is logged in
//! (appid, openid, unionid) and a logout button.

use actix_web::{HttpResponse, web};

use crate::domain::ids::AppId;
use crate::state::AppState;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page, with a button per web app.
pub async fn page(state: web::Data<AppState>) -> HttpResponse {
    let mut apps: Vec<(&AppId, &'static str)> = state
        .apps
        .config_apps()
        .filter(|app| app.kind.is_web())
        .map(|app| (&app.appid, app.kind.as_str()))
        .collect();
    apps.sort();
    let buttons: String = apps
        .iter()
        .map(|(appid, kind)| {
            let appid = escape(appid.as_str());
            format!(
                "<p><a class=\"login\" id=\"login-{kind}\" href=\"/v1/web/{appid}/login?return_to=/\">\
                 Log in with WeChat ({kind}, {appid})</a></p>"
            )
        })
        .collect();
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("cache-control", "no-store"))
        // No other site may frame it (its buttons log in and out).
        .insert_header(("x-frame-options", "DENY"))
        .insert_header(("content-security-policy", "frame-ancestors 'none'"))
        .body(include_str!("demo.html").replace("{{BUTTONS}}", &buttons))
}

/// Registers `GET /`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").get(page));
}
