//! `/v1/web/…`: browser logins for `website` (QR) and `official_account` apps, and the cookie
//! logout. The session then lives in the `wxs_session` cookie (HttpOnly, `Secure` except in
//! `dev`, `SameSite=Lax`), accepted by `/v1/sessions/current`, `/v1/auth` and the logouts.

use std::collections::HashMap;

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpRequest, HttpResponse, ResponseError as _, web};

use crate::domain::web::{self as browser, Finished, STATE_TTL_SECS};
use crate::domain::{Error, session};
use crate::http::error::ApiError;
use crate::http::extract::{Bearer, SESSION_COOKIE};
use crate::state::AppState;

/// The cookie binding a started login to its browser, sent only to the callback.
const STATE_COOKIE: &str = "wxs_state";

/// The query string's pairs (the first of a repeated key); never fails.
fn query(req: &HttpRequest) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        out.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    out
}

fn cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    path: String,
    max_age: i64,
) -> Cookie<'static> {
    let mut cookie = Cookie::build(name, value)
        .path(path)
        .http_only(true)
        .secure(state.web.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(Duration::seconds(max_age))
        .finish();
    if max_age == 0 {
        cookie.make_removal();
    }
    cookie
}

fn callback_path(appid: &str) -> String {
    format!("/v1/web/{appid}/callback")
}

fn see_other(location: &str) -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::SeeOther();
    res.insert_header((LOCATION, location.to_owned()))
        .insert_header((CACHE_CONTROL, "no-store"));
    res
}

/// `GET /v1/web/{appid}/login?return_to=…`: `302` to WeChat's QR or authorize page, with a
/// fresh `state` bound to this browser by a cookie.
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let appid = path.into_inner();
    browser::web_app(&state, &appid)?;
    let q = query(&req);
    let return_to = browser::check_return_to(&state.web, q.get("return_to").map(String::as_str))?;
    let started = browser::start(&state, &appid, &return_to).await?;
    let ttl = i64::try_from(STATE_TTL_SECS).unwrap_or(600);
    Ok(HttpResponse::Found()
        .insert_header((LOCATION, started.location))
        .insert_header((CACHE_CONTROL, "no-store"))
        .cookie(cookie(
            &state,
            STATE_COOKIE,
            started.state,
            callback_path(&appid),
            ttl,
        ))
        .finish())
}

/// `GET /v1/web/{appid}/callback?code&state`: where WeChat sends the browser back. `303` to
/// `return_to` with the session cookie; the state cookie is cleared whatever happens.
pub async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let appid = path.into_inner();
    let q = query(&req);
    let bound = req.cookie(STATE_COOKIE);
    let finished = browser::finish(
        &state,
        &appid,
        q.get("state").map(String::as_str),
        bound.as_ref().map(Cookie::value),
        q.get("code").map(String::as_str),
    )
    .await;
    let clear = cookie(
        &state,
        STATE_COOKIE,
        String::new(),
        callback_path(&appid),
        0,
    );
    match finished {
        Ok(Finished::LoggedIn { answer, return_to }) => {
            let lifetime = i64::try_from(state.max_lifetime_secs).unwrap_or(i64::MAX);
            let session = cookie(&state, SESSION_COOKIE, answer.session, "/".into(), lifetime);
            see_other(&return_to).cookie(clear).cookie(session).finish()
        }
        Ok(Finished::Declined { return_to }) => see_other(&return_to).cookie(clear).finish(),
        Err(err) => {
            let mut res = ApiError::from(err).error_response();
            let _ = res.add_cookie(&clear);
            res
        }
    }
}

/// `POST /v1/web/logout?return_to=…`: revokes the cookie's session (an allowed `Origin` is
/// required, as for every cookie-authenticated state change), clears the cookie, `303`.
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    bearer: Bearer,
) -> Result<HttpResponse, ApiError> {
    let q = query(&req);
    let return_to = browser::check_return_to(&state.web, q.get("return_to").map(String::as_str))?;
    match session::logout(&state, bearer.0).await {
        // Already gone: the browser is logged out all the same.
        Ok(()) | Err(Error::InvalidSession) => {}
        Err(err) => return Err(err.into()),
    }
    let clear = cookie(&state, SESSION_COOKIE, String::new(), "/".into(), 0);
    Ok(see_other(&return_to).cookie(clear).finish())
}

/// Registers the web routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/web/logout").post(logout))
        .service(web::resource("/v1/web/{appid}/login").get(login))
        .service(web::resource("/v1/web/{appid}/callback").get(callback));
}
