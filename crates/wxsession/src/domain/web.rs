//! Browser logins (`website`: QR, `official_account`: the page inside WeChat). The login goes to
//! WeChat and comes back with a `code` and the `state` we sent; the `state` is random,
//! single-use, lives 10 minutes in the store (sealed, under an id derived from it) and is bound
//! to the browser that started the login by a cookie, so that a callback forged for another
//! browser or replayed fails. Where the user returns is checked before anything happens: a
//! relative path or an allowed origin, never an open redirect.

use subtle::ConstantTimeEq as _;

use super::Error;
use super::login::{self, LoginAnswer, LoginRequest};
use super::once::{CodeSeal, Purpose};
use crate::metrics::labels::{StoreOp, WebLoginResult};
use crate::settings::AppKind;
use crate::state::{AppEntry, AppState, WebConfig};

/// How long a started login may take (WeChat's own codes live 5 minutes).
pub const STATE_TTL_SECS: u64 = 600;

/// A started login: the `state` (for the browser's cookie) and where to send the browser.
#[derive(Debug)]
pub struct Started {
    /// The random `state`, 32 hex characters.
    pub state: String,
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
    /// The user declined at WeChat; send the browser to `return_to` with
    /// `wx_error=access_denied`.
    Declined {
        /// Where the browser goes, with the error added.
        return_to: String,
    },
}

/// The app of a web route: configured (`unknown_app`) and of a browser kind
/// (`unsupported_for_app`).
pub fn web_app<'a>(state: &'a AppState, appid: &str) -> Result<&'a AppEntry, Error> {
    let app = state.apps.get(appid).ok_or(Error::UnknownApp)?;
    if !app.kind.is_web() {
        return Err(Error::UnsupportedForApp);
    }
    Ok(app)
}

/// Where a login or logout may send the browser: a path on this service (`/…`, never `//…`
/// or anything a browser would read as another host) or a URL on an allowed origin.
pub fn check_return_to(web: &WebConfig, return_to: Option<&str>) -> Result<String, Error> {
    let Some(target) = return_to.filter(|t| !t.is_empty()) else {
        return Ok("/".to_owned());
    };
    let refuse =
        || Error::InvalidInput("return_to must be a path or a URL on an allowed origin".into());
    // Browsers drop tabs and newlines inside URLs and read `\` as `/`: `/\evil` and `/\t/evil`
    // would leave the site. No whitespace, controls or backslashes at all.
    if target.len() > 2048
        || target
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return Err(refuse());
    }
    if target.starts_with('/') {
        return if target.starts_with("//") {
            Err(refuse())
        } else {
            Ok(target.to_owned())
        };
    }
    let url = url::Url::parse(target).map_err(|_| refuse())?;
    let origin = url.origin().ascii_serialization();
    let allowed = matches!(url.scheme(), "http" | "https")
        && url.username().is_empty()
        && url.password().is_none()
        && web.allowed_origins.contains(&origin);
    if allowed {
        Ok(url.into())
    } else {
        Err(refuse())
    }
}

fn seal(appid: &str, state: &str) -> CodeSeal {
    CodeSeal::new(Purpose::WebState, appid, state)
}

/// Starts a login of `appid`: a fresh `state`, stored with `return_to` for 10 minutes, and
/// the WeChat page to send the browser to.
pub async fn start(state: &AppState, appid: &str, return_to: &str) -> Result<Started, Error> {
    let app = web_app(state, appid)?;
    let public_url = state
        .web
        .public_url
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("a web app without server.public_url"))?;
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).map_err(|e| anyhow::anyhow!("OS random source failed: {e}"))?;
    let nonce = hex::encode(raw);
    let seal = seal(appid, &nonce);
    let sealed = seal
        .seal(return_to.as_bytes())
        .ok_or_else(|| anyhow::anyhow!("sealing a web state failed"))?;
    state
        .timed(
            StoreOp::WebState,
            state.store.finish_code(seal.id(), &sealed, STATE_TTL_SECS),
        )
        .await?;
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
        .append_pair("state", &nonce)
        .finish();
    Ok(Started {
        location: format!("{}/{page}?{query}#wechat_redirect", state.web.open_base),
        state: nonce,
    })
}

/// Whether `text` has the shape of a `state` this service issues.
fn is_state(text: &str) -> bool {
    (16..=128).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Finishes a login: the `state` must be the browser's (`cookie`), known and unused; then the
/// code is exchanged (once) and the session created.
pub async fn finish(
    state: &AppState,
    appid: &str,
    query_state: Option<&str>,
    cookie: Option<&str>,
    code: Option<&str>,
) -> Result<Finished, Error> {
    let app = web_app(state, appid)?;
    let count = |result: WebLoginResult| {
        state
            .metrics
            .web_logins_total
            .with_label_values(&[appid, result.as_str()])
            .inc();
    };
    let (Some(given), Some(cookie)) = (query_state, cookie) else {
        count(WebLoginResult::InvalidState);
        return Err(Error::InvalidState);
    };
    if !is_state(given) || !bool::from(given.as_bytes().ct_eq(cookie.as_bytes())) {
        count(WebLoginResult::InvalidState);
        return Err(Error::InvalidState);
    }
    let seal = seal(appid, given);
    let taken = state
        .timed(StoreOp::WebState, state.store.take_code(seal.id()))
        .await?;
    let Some(return_to) = taken
        .and_then(|sealed| seal.open(&sealed))
        .and_then(|plain| String::from_utf8(plain).ok())
    else {
        count(WebLoginResult::InvalidState);
        return Err(Error::InvalidState);
    };
    let Some(code) = code.filter(|c| !c.is_empty()) else {
        count(WebLoginResult::Denied);
        return Ok(Finished::Declined {
            return_to: with_query(&return_to, "wx_error=access_denied"),
        });
    };
    let request = LoginRequest {
        appid,
        app,
        code: login::check_code(Some(code))?,
        user_data: Ok(None),
    };
    match login::login(state, request).await {
        Ok(answer) => {
            count(WebLoginResult::Ok);
            Ok(Finished::LoggedIn { answer, return_to })
        }
        Err(err) => {
            count(WebLoginResult::Failed);
            Err(err)
        }
    }
}

/// `target` with `pair` added to its query (before any fragment).
fn with_query(target: &str, pair: &str) -> String {
    let (base, fragment) = match target.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (target, None),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut out = format!("{base}{sep}{pair}");
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web() -> WebConfig {
        WebConfig {
            public_url: Some("https://login.example.com".into()),
            allowed_origins: vec![
                "https://login.example.com".into(),
                "https://app.example.com".into(),
            ],
            open_base: "https://open.weixin.qq.com".into(),
            secure_cookies: true,
            demo_page: false,
        }
    }

    #[test]
    fn return_to_is_a_path_or_an_allowed_origin() {
        let web = web();
        for ok in [
            "/",
            "/me?x=1#top",
            "/a/%2F%2Fevil",
            "https://app.example.com/welcome",
            "https://APP.example.com:443/x",
        ] {
            assert!(check_return_to(&web, Some(ok)).is_ok(), "{ok}");
        }
        assert_eq!(check_return_to(&web, None).ok().as_deref(), Some("/"));
        for bad in [
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "https://evil.example/",
            "https://app.example.com.evil.example/",
            "https://user@app.example.com/",
            "http://app.example.com/",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>",
            "evil.example",
            "https:evil.example",
            " /x",
        ] {
            assert!(check_return_to(&web, Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn declined_logins_keep_the_query_and_fragment() {
        assert_eq!(with_query("/", "e=1"), "/?e=1");
        assert_eq!(with_query("/p?x=1#f", "e=1"), "/p?x=1&e=1#f");
    }

    #[test]
    fn states_are_letters_and_digits() {
        assert!(is_state("0123456789abcdef"));
        assert!(!is_state("0123456789abcde"));
        assert!(!is_state("0123456789abcdef!"));
        assert!(!is_state(&"a".repeat(129)));
    }
}
