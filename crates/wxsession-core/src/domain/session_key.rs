//! The user's `session_key` at WeChat: is the newest one we hold still WeChat's
//! (`checkSessionKey`), and replacing it (`resetUserSessionKey`, an admin action).

use secrecy::ExposeSecret as _;
use wechat_crypto::SessionKey;

use super::credentials::{self, CallError};
use super::ids::{AppId, OpenId};
use super::limits;
use super::session::Current;
use super::{Error, wechat};
use crate::metrics::labels::{StoreOp, WechatApi};
use crate::state::AppState;

/// The user's newest key, as stored (opened with the key ring).
async fn newest_key(state: &AppState, appid: &AppId, openid: &OpenId) -> Result<SessionKey, Error> {
    let keys = state
        .timed(StoreOp::UserKeys, state.store.user_keys(appid, openid))
        .await?;
    let stored = keys.first().ok_or(Error::NotFound)?;
    let text = state
        .keyring
        .open(stored, appid.as_str(), openid.as_str())
        .ok_or_else(|| anyhow::anyhow!("the user's session_key cannot be opened"))?;
    SessionKey::from_base64(&text)
        .map_err(|_| Error::Unexpected(anyhow::anyhow!("a stored session_key is malformed")))
}

/// What a failed call means for a client.
fn failed(appid: &str, err: CallError<wechat_client::Error>) -> Error {
    match err {
        CallError::Token(err) => err,
        CallError::Call(err) => {
            tracing::warn!(appid, error = %crate::telemetry::error_chain(&err), "a session_key call failed");
            wechat::client_error(appid, &err)
        }
    }
}

/// Whether WeChat still holds the newest key we know of the session's user (`false`: the
/// client should call `wx.login` before fetching encrypted data). Counted against the
/// session's `key-status` budget, and made with a permit of the app's session-call pool.
pub async fn status(state: &AppState, current: &Current) -> Result<bool, Error> {
    let record = &current.touched.record;
    let (appid, openid) = (record.appid.as_str(), record.openid.as_str());
    limits::key_status_check(state, &current.id).await?;
    let app = state.apps.get(appid).ok_or(Error::UnknownApp)?;
    let key = newest_key(state, &record.appid, &record.openid).await?;
    let signature = wechat_crypto::user_state_signature(&key, b"");
    let Some(_permit) = app.session_call_permit() else {
        return Err(super::wechat::refused_call(&state.metrics, appid));
    };
    credentials::call(state, appid, |token| {
        let signature = signature.clone();
        async move {
            let fut = state.wechat.check_session(&token, openid, &signature);
            wechat::call(&state.metrics, WechatApi::CheckSession, fut).await
        }
    })
    .await
    .map_err(|err| failed(appid, err))
}

/// Has WeChat replace the user's key; the new key becomes the newest, the old one the
/// previous (data fetched just before still decrypts).
pub async fn reset(state: &AppState, user_app: &AppId, user: &OpenId) -> Result<(), Error> {
    let (appid, openid) = (user_app.as_str(), user.as_str());
    state.apps.get(appid).ok_or(Error::UnknownApp)?;
    let key = newest_key(state, user_app, user).await?;
    let signature = wechat_crypto::user_state_signature(&key, b"");
    let fresh = credentials::call(state, appid, |token| {
        let signature = signature.clone();
        async move {
            let fut = state
                .wechat
                .reset_user_session_key(&token, openid, &signature);
            wechat::call(&state.metrics, WechatApi::ResetUserSessionKey, fut).await
        }
    })
    .await
    .map_err(|err| failed(appid, err))?;
    let Ok(fresh) = SessionKey::from_base64(fresh.expose_secret()) else {
        tracing::warn!(appid, "WeChat returned a malformed session_key");
        return Err(Error::WechatError);
    };
    let sealed = state
        .keyring
        .seal(fresh.expose_base64(), appid, openid)
        .ok_or_else(|| anyhow::anyhow!("sealing the session_key failed"))?;
    state
        .timed(
            StoreOp::RotateUserKey,
            state
                .store
                .rotate_user_key(user_app, user, &sealed, state.max_lifetime_secs),
        )
        .await?;
    Ok(())
}
