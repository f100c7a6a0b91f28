//! Browser logins (`website`: QR, `official_account`: the page inside WeChat). The login goes to
//! WeChat and comes back with a `code` and the `state` we sent. Starting one writes nothing to
//! the store: the state travels sealed in a cookie bound to the browser that started the login
//! ([`state`]), so that a callback forged for another browser fails; the callback is
//! single-flighted per state and spends the code once whatever the state
//! ([`login::login_for_state`]). Where the user returns is checked before anything happens
//! ([`return_to`]). Starts and callbacks count toward one per-address limit.

pub mod return_to;
pub mod state;

use std::net::IpAddr;

use subtle::ConstantTimeEq as _;

pub use self::return_to::check_return_to;
use self::return_to::with_query;
pub use self::state::STATE_TTL_SECS;
use super::login::{self, LoginAnswer, LoginRequest};
use super::once::{CodeSeal, Derivation, Purpose};
use super::{Error, limits};
use crate::metrics::labels::{StoreOp, WebLoginResult};
use crate::settings::AppKind;
use crate::state::{AppEntry, AppState};
use std::sync::Arc;

/// A started login: the state cookie's value and where to send the browser.
#[derive(Debug)]
pub struct Started {
    /// The sealed state, for the browser's cookie.
    pub cookie: String,
    /// WeChat's authorize or QR page for this app, this state and our callback.
    pub location: String,
}

/// How a callback ended.
#[derive(Debug)]
pub enum Finished {
    /// A session; send the browser to `return_to` with its cookie.
    LoggedIn {
        /// The login.
        answer: LoginAnswer,
        /// Where the browser goes.
        return_to: String,
    },
    /// No session: the user declined at WeChat (`wx_error=access_denied`) or WeChat answered
    /// a snapshot-mode page's virtual user (`wx_error=snapshot_user`); send the browser to
    /// `return_to`, which has the error added.
    NoSession {
        /// Where the browser goes, with the error added.
        return_to: String,
    },
}

/// The app of a web route: configured (`unknown_app`) and of a browser kind
/// (`unsupported_for_app`); with its appid as configured (parsed).
pub fn web_app(state: &AppState, appid: &str) -> Result<Arc<AppEntry>, Error> {
    let app = state.apps.resolve(Some(appid))?;
    if !app.kind.is_web() {
        return Err(Error::UnsupportedForApp);
    }
    Ok(app)
}

/// Starts a login of `appid` from `ip`: a fresh state sealed into a cookie (nothing stored),
/// and the WeChat page to send the browser to.
pub async fn start(
    state: &AppState,
    appid: &str,
    return_to: Option<&str>,
    ip: Option<IpAddr>,
) -> Result<Started, Error> {
    let app = web_app(state, appid)?;
    if let Some(ip) = ip {
        limits::web_login_attempt(state, ip).await?;
    }
    let return_to = check_return_to(&state.web, return_to)?;
    let public_url = state
        .web
        .public_url
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("a web app without server.public_url"))?;
    let sealed = state::seal(&state.web.state_keys, appid, &return_to, state.now_unix())?;
    let (page, scope) = match app.kind {
        AppKind::Website => ("connect/qrconnect", "snsapi_login"),
        _ => ("connect/oauth2/authorize", app.scope),
    };
    let callback = format!("{public_url}/v1/web/{appid}/callback");
    // WeChat wants these parameters in this order, and the fragment.
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("appid", appid)
        .append_pair("redirect_uri", &callback)
        .append_pair("response_type", "code")
        .append_pair("scope", scope)
        .append_pair("state", &sealed.nonce)
        .finish();
    Ok(Started {
        location: format!("{}/{page}?{query}#wechat_redirect", state.web.open_base),
        cookie: sealed.cookie,
    })
}

/// Whether `text` has the shape of a `state` this service issues.
fn is_state(text: &str) -> bool {
    (16..=128).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Where to return for the callback's `given` state and the browser's `cookie`: a sealed state
/// cookie, or (until the states of the release before 0.2 have expired, ten minutes after an
/// upgrade) a bare state the store holds once.
async fn returning_to(
    state: &AppState,
    appid: &str,
    given: &str,
    cookie: &str,
) -> Result<Option<String>, Error> {
    if let Some(return_to) = state::open(
        &state.web.state_keys,
        appid,
        cookie,
        given,
        state.now_unix(),
    ) {
        return Ok(Some(return_to));
    }
    if !bool::from(given.as_bytes().ct_eq(cookie.as_bytes())) {
        return Ok(None);
    }
    // Only 0.1.0 wrote these, under the legacy derivation; nothing writes them any more.
    let seal = CodeSeal::new(Derivation::Legacy, Purpose::WebState, appid, given);
    let taken = state
        .timed(StoreOp::WebState, state.store.take_code(seal.id()))
        .await?;
    Ok(taken
        .and_then(|sealed| seal.open(&sealed))
        .and_then(|plain| String::from_utf8(plain).ok()))
}

/// Finishes a login from `ip`: the `state` must be the browser's (`cookie`) and live; then the
/// code is exchanged (once) and the session created.
pub async fn finish(
    state: &AppState,
    appid: &str,
    query_state: Option<&str>,
    cookie: Option<&str>,
    code: Option<&str>,
    ip: Option<IpAddr>,
) -> Result<Finished, Error> {
    let app = web_app(state, appid)?;
    let (configured, app) = (&app.appid, &*app);
    if let Some(ip) = ip {
        limits::web_login_attempt(state, ip).await?;
    }
    let count = |result: WebLoginResult| {
        state
            .metrics
            .web_logins_total
            .with_label_values(&[state.metrics.app(appid), result.as_str()])
            .inc();
    };
    let (Some(given), Some(cookie)) = (query_state, cookie) else {
        count(WebLoginResult::InvalidState);
        return Err(Error::InvalidState);
    };
    let return_to = if is_state(given) {
        returning_to(state, appid, given, cookie).await?
    } else {
        None
    };
    let Some(return_to) = return_to else {
        count(WebLoginResult::InvalidState);
        return Err(Error::InvalidState);
    };
    let request = match code.filter(|c| !c.is_empty()) {
        Some(code) => Some(LoginRequest {
            appid: configured,
            app,
            code: login::check_code(Some(code))?,
            user_data: Ok(None),
        }),
        None => None,
    };
    let (result, finished) = match login::login_for_state(state, appid, given, request).await {
        Ok(answer) => (
            WebLoginResult::Ok,
            Ok(Finished::LoggedIn { answer, return_to }),
        ),
        Err(Error::AccessDenied) => (
            WebLoginResult::Denied,
            Ok(Finished::NoSession {
                return_to: with_query(&return_to, "wx_error=access_denied"),
            }),
        ),
        Err(Error::SnapshotUser) => (
            WebLoginResult::SnapshotUser,
            Ok(Finished::NoSession {
                return_to: with_query(&return_to, "wx_error=snapshot_user"),
            }),
        ),
        Err(Error::InvalidState) => (WebLoginResult::InvalidState, Err(Error::InvalidState)),
        Err(err) => (WebLoginResult::Failed, Err(err)),
    };
    count(result);
    finished
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_letters_and_digits() {
        assert!(is_state("0123456789abcdef"));
        assert!(!is_state("0123456789abcde"));
        assert!(!is_state("0123456789abcdef!"));
        assert!(!is_state(&"a".repeat(129)));
    }
}
