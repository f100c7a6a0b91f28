//! A merchant authorizing the platform from the vendor's site: the `componentloginpage` URL
//! with a fresh `pre_auth_code` (the vendor's `state` carried through WeChat sealed in the
//! return address, nothing stored), and the browser's return: its code exchanged as the
//! `authorized` push does (once for both), the browser sent on to `after_authorize_url`.

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use super::authorize::exchange;
use super::platform;
use super::tokens::{component_error, component_token};
use crate::domain::Error;
use crate::domain::wechat::call;
use crate::metrics::labels::WechatApi;
use crate::state::AppState;

/// What the sealed `s` of the return address authenticates beside the platform's appid.
const PURPOSE: &str = "component-state/v1";
/// The longest vendor `state`.
pub const MAX_STATE: usize = 128;
/// How long after the URL's code expires the browser may still come back (WeChat's
/// authorization codes live 10 minutes).
const RETURN_SLACK_SECS: i64 = 600;

/// The vendor's `state` and when the return stops being accepted.
#[derive(Serialize, Deserialize)]
struct Sealed {
    #[serde(rename = "s")]
    state: String,
    #[serde(rename = "x")]
    expires_at: i64,
}

/// An authorization page's address.
#[derive(Debug)]
pub struct AuthorizeUrl {
    /// `{mp_base}/cgi-bin/componentloginpage?…`.
    pub url: String,
    /// The `pre_auth_code`'s life, in seconds.
    pub expires_in: u64,
}

/// Checks the vendor's input before anything is asked of WeChat.
fn check(auth_type: Option<u8>, vendor_state: Option<&str>) -> Result<(), Error> {
    if !matches!(auth_type, None | Some(1..=3)) {
        return Err(Error::InvalidInput("auth_type must be 1, 2 or 3".into()));
    }
    if vendor_state
        .is_some_and(|s| s.chars().count() > MAX_STATE || s.chars().any(char::is_control))
    {
        return Err(Error::InvalidInput(
            "state must be at most 128 characters, none of them control characters".into(),
        ));
    }
    Ok(())
}

/// `POST /v1/admin/component/authorize-url`: a fresh `pre_auth_code` in the page's address.
pub async fn authorize_url(
    state: &AppState,
    auth_type: Option<u8>,
    vendor_state: Option<&str>,
) -> Result<AuthorizeUrl, Error> {
    check(auth_type, vendor_state)?;
    let c = platform(state)?;
    let public_url = state.web.public_url.as_deref().ok_or_else(|| {
        Error::InvalidInput("this service has no server.public_url to come back to".into())
    })?;
    let component = component_token(state).await?;
    let fut = state
        .wechat
        .create_preauthcode(c.appid.as_str(), &component.token);
    let code = call(&state.metrics, WechatApi::PreAuthCode, fut)
        .await
        .map_err(|err| component_error(c.appid.as_str(), &err))?;
    let plain = serde_json::to_vec(&Sealed {
        state: vendor_state.unwrap_or_default().to_owned(),
        expires_at: state
            .now_unix()
            .saturating_add(i64::try_from(code.expires_in).unwrap_or(i64::MAX / 2))
            .saturating_add(RETURN_SLACK_SECS),
    })
    .map_err(|err| anyhow::anyhow!("sealing the vendor's state: {err}"))?;
    let sealed = state
        .keyring
        .seal_for(PURPOSE, &plain, c.appid.as_str(), "")
        .ok_or_else(|| anyhow::anyhow!("no key to seal the vendor's state with"))?;
    let mut redirect = url::Url::parse(&format!("{public_url}/v1/component/authorized"))
        .map_err(|err| anyhow::anyhow!("server.public_url: {err}"))?;
    redirect.query_pairs_mut().append_pair("s", &sealed);
    let mut url = url::Url::parse(&format!(
        "{}/cgi-bin/componentloginpage",
        state.web.mp_base.trim_end_matches('/')
    ))
    .map_err(|err| anyhow::anyhow!("wechat.mp_base: {err}"))?;
    url.query_pairs_mut()
        .append_pair("component_appid", c.appid.as_str())
        .append_pair("pre_auth_code", code.code.expose_secret())
        .append_pair("redirect_uri", redirect.as_str())
        .append_pair("auth_type", &auth_type.unwrap_or(3).to_string());
    Ok(AuthorizeUrl {
        url: url.into(),
        expires_in: code.expires_in,
    })
}

/// `GET /v1/component/authorized?s&auth_code&expires_in`: the code exchanged (or the push's
/// exchange of it awaited), then where to send the browser:
/// `after_authorize_url?authorizer_appid=…&state=…`.
pub async fn authorized(
    state: &AppState,
    sealed: Option<&str>,
    auth_code: Option<&str>,
) -> Result<String, Error> {
    let c = platform(state)?;
    let code = auth_code
        .filter(|a| !a.is_empty() && a.len() <= 512 && a.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| Error::InvalidInput("auth_code is missing or malformed".into()))?;
    let vendor_state = sealed
        .filter(|s| s.len() <= 2048)
        .and_then(|s| state.keyring.open_for(PURPOSE, s, c.appid.as_str(), ""))
        .and_then(|plain| serde_json::from_slice::<Sealed>(&plain).ok())
        .filter(|s| state.now_unix() < s.expires_at)
        .ok_or(Error::InvalidState)?
        .state;
    let appid = exchange(state, &SecretString::from(code.to_owned())).await?;
    let mut target = url::Url::parse(&c.after_authorize_url)
        .map_err(|err| anyhow::anyhow!("component.after_authorize_url: {err}"))?;
    target
        .query_pairs_mut()
        .append_pair("authorizer_appid", appid.as_str())
        .append_pair("state", &vendor_state);
    Ok(target.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendors_input_is_checked_first() {
        assert!(check(None, None).is_ok());
        assert!(check(Some(2), Some("merchant-42")).is_ok());
        assert!(check(Some(0), None).is_err());
        assert!(check(Some(4), None).is_err());
        assert!(check(None, Some(&"x".repeat(129))).is_err());
        assert!(check(None, Some(&"商".repeat(128))).is_ok());
        assert!(check(None, Some("a\nb")).is_err());
    }
}
