//! The app's access_token, shared by every replica (and, through the admin API, by the team's
//! other backends): one token per app in the store, one refresher at a time across the fleet,
//! refreshed ahead of expiry, and replaced exactly once when WeChat refuses it.
//!
//! A call made with token T that WeChat answers with `40001`/`40014`/`42001` drops T from the
//! store only if it is still T (compare-and-delete), fetches again — one fetch for the whole
//! fleet, however many requests saw the refusal — and is retried once. `force_refresh` is used
//! only when a normal fetch returns T again, at most once per app per 30 s.

mod refresh;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret as _, SecretString};

use self::refresh::Refresher;
use super::Error;
use super::apps::{AppSource, AppStatus};

use crate::metrics::labels::StoreOp;
use crate::settings::AccessTokenMode;
use crate::state::{AppEntry, AppState};

/// A stored token is refreshed in the background once it has less than this left.
const AHEAD_SECS: u64 = 60;
/// A refused token is remembered this long, so that a fetch returning it again is recognised.
const DEAD_TTL_SECS: u64 = 300;

/// An app's access_token and its seconds left in the store.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The token (a secret: never logged, never in an error body).
    pub token: SecretString,
    /// Seconds until the store drops it (its life minus the refresh margin).
    pub expires_in: u64,
}

/// A WeChat error that says the access_token used was refused.
pub trait TokenRefusal {
    /// Whether the call failed because of the token (`40001`, `40014`, `42001`).
    fn token_refused(&self) -> bool;
}

impl TokenRefusal for wechat_client::Error {
    fn token_refused(&self) -> bool {
        matches!(self, Self::TokenRefused(_))
    }
}

impl TokenRefusal for wechat_client::PhoneError {
    fn token_refused(&self) -> bool {
        matches!(self, Self::Wechat(wechat_client::Error::TokenRefused(_)))
    }
}

/// Why a call made with the access_token failed: getting a token, or the call itself.
#[derive(Debug)]
pub enum CallError<E> {
    /// No token could be had.
    Token(Error),
    /// The call failed (after one retry with a fresh token, if the first was refused).
    Call(E),
}

/// The configured app with an access_token, or why there is none.
fn app(state: &AppState, appid: &str) -> Result<Arc<AppEntry>, Error> {
    let app = state.apps.get(appid).ok_or(Error::UnknownApp)?;
    if app.status != AppStatus::Active {
        // `unauthorized`, or `reauthorization_required` (WeChat refused its refresh token).
        return Err(Error::AppUnauthorized);
    }
    if app.access_token == AccessTokenMode::Off {
        return Err(Error::InvalidInput(
            "this app has no access_token (apps[].access_token = \"off\")".into(),
        ));
    }
    Ok(app)
}

/// The app's token: from the store, or fetched by this replica if it wins the refresh lock,
/// or by another one while this one waits (bounded by the WeChat timeouts).
pub async fn get(state: &AppState, appid: &str) -> Result<AccessToken, Error> {
    let app = app(state, appid)?;
    if app.source == AppSource::Component {
        // A platform's merchant: its authorizer token, from its refresh token.
        let token = crate::domain::component::tokens::authorizer_token(state, &app.appid).await?;
        return Ok(AccessToken {
            token: token.token,
            expires_in: token.expires_in,
        });
    }
    let (configured, app) = (&app.appid, &*app);
    let deadline = Instant::now() + state.code_wait;
    let mut pause = Duration::from_millis(5);
    loop {
        let stored = state
            .timed(StoreOp::AccessToken, state.store.access_token(configured))
            .await?;
        if let Some((token, ttl)) = stored {
            if ttl < AHEAD_SECS {
                // Ahead of expiry: this request goes on with the current token.
                tokio::spawn(Refresher::new(state, configured, app).refresh_if_free(AHEAD_SECS));
            }
            return Ok(AccessToken {
                token: SecretString::from(token),
                expires_in: ttl,
            });
        }
        if let Some(fetched) = Refresher::new(state, configured, app)
            .fetch_if_free(1)
            .await?
        {
            return Ok(fetched);
        }
        if Instant::now() >= deadline {
            return Err(Error::WechatUnavailable);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Drops `token` if it is still the app's (compare-and-delete) and remembers it as refused;
/// true when it was dropped. Counted and logged (never the token).
pub async fn invalidate(state: &AppState, appid: &str, token: &str) -> Result<bool, Error> {
    let app = app(state, appid)?;
    let configured = &app.appid;
    let dropped = state
        .timed(
            StoreOp::AccessToken,
            state
                .store
                .drop_access_token(configured, token, DEAD_TTL_SECS),
        )
        .await?;
    if dropped {
        state
            .metrics
            .access_token_invalidations_total
            .with_label_values(&[state.metrics.app(appid)])
            .inc();
        tracing::info!(
            appid,
            "WeChat refused the access_token: dropped for the fleet"
        );
    }
    Ok(dropped)
}

/// Runs `call` with the app's token; if WeChat refuses the token, replaces it (once for the
/// fleet) and runs `call` once more.
pub async fn call<T, E, F, Fut>(state: &AppState, appid: &str, call: F) -> Result<T, CallError<E>>
where
    E: TokenRefusal,
    F: Fn(SecretString) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let first = get(state, appid).await.map_err(CallError::Token)?;
    match call(first.token.clone()).await {
        Err(err) if err.token_refused() => {
            invalidate(state, appid, first.token.expose_secret())
                .await
                .map_err(CallError::Token)?;
            let fresh = get(state, appid).await.map_err(CallError::Token)?;
            call(fresh.token).await.map_err(CallError::Call)
        }
        other => other.map_err(CallError::Call),
    }
}
