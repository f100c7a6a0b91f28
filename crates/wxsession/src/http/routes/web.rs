//! `/v1/web/…`: browser logins for `website` (QR) and `official_account` apps, and the cookie
//! logout. The session then lives in the `__Host-wxs_session` cookie (HttpOnly, `Secure`,
//! `SameSite=Lax`; see [`crate::http::cookies`]), accepted by `/v1/sessions/current`, `/v1/auth`
//! and the logouts.

use std::collections::HashMap;

use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpRequest, HttpResponse, ResponseError as _, web};

use crate::domain::web::{self as browser, Finished, STATE_TTL_SECS};
use crate::domain::{Error, session};
use crate::http::cookies::{self, Duplicate};
use crate::http::error::ApiError;
use crate::http::extract::{Bearer, ClientIp};
use crate::state::AppState;

/// The query string's pairs (the first of a repeated key); never fails.
fn query(req: &HttpRequest) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        out.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    out
}

fn see_other(location: &str) -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::SeeOther();
    res.insert_header((LOCATION, location.to_owned()))
        .insert_header((CACHE_CONTROL, "no-store"));
    res
}

/// `GET /v1/web/{appid}/login?return_to=…`: `302` to WeChat's QR or authorize page, with a
/// fresh state sealed into a cookie that binds it to this browser. Nothing is stored.
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: ClientIp,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let appid = path.into_inner();
    let q = query(&req);
    let return_to = q.get("return_to").map(String::as_str);
    let started = browser::start(&state, &appid, return_to, client.0).await?;
    let ttl = i64::try_from(STATE_TTL_SECS).unwrap_or(600);
    Ok(HttpResponse::Found()
        .insert_header((LOCATION, started.location))
        .insert_header((CACHE_CONTROL, "no-store"))
        .cookie(cookies::STATE.cookie(&state.web, started.cookie, ttl))
        .finish())
}

/// `GET /v1/web/{appid}/callback?code&state`: where WeChat sends the browser back. `303` to
/// `return_to` with the session cookie; the state cookie is cleared whatever happens.
pub async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: ClientIp,
    path: web::Path<String>,
) -> HttpResponse {
    let appid = path.into_inner();
    let q = query(&req);
    let finished = match cookies::STATE.read(&req) {
        Ok(bound) => {
            browser::finish(
                &state,
                &appid,
                q.get("state").map(String::as_str),
                bound.as_deref(),
                q.get("code").map(String::as_str),
                client.0,
            )
            .await
        }
        Err(Duplicate) => Err(Error::InvalidState),
    };
    let [clear, clear_legacy] = cookies::STATE.removals(&state.web);
    match finished {
        Ok(Finished::LoggedIn { answer, return_to }) => {
            let lifetime = i64::try_from(state.max_lifetime_secs).unwrap_or(i64::MAX);
            let session = cookies::SESSION.cookie(&state.web, answer.session, lifetime);
            see_other(&return_to)
                .cookie(clear)
                .cookie(clear_legacy)
                .cookie(session)
                .finish()
        }
        Ok(Finished::NoSession { return_to }) => see_other(&return_to)
            .cookie(clear)
            .cookie(clear_legacy)
            .finish(),
        Err(err) => {
            let mut res = ApiError::from(err).error_response();
            let _ = res.add_cookie(&clear);
            let _ = res.add_cookie(&clear_legacy);
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
    match session::logout(&state, bearer.token).await {
        // Already gone: the browser is logged out all the same.
        Ok(()) | Err(Error::InvalidSession) => {}
        Err(err) => return Err(err.into()),
    }
    let [clear, clear_legacy] = cookies::SESSION.removals(&state.web);
    Ok(see_other(&return_to)
        .cookie(clear)
        .cookie(clear_legacy)
        .finish())
}

/// Registers the web routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/web/logout").post(logout))
        .service(web::resource("/v1/web/{appid}/login").get(login))
        .service(web::resource("/v1/web/{appid}/callback").get(callback));
}
