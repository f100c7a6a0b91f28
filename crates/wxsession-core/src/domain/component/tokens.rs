//! The platform's `component_access_token` (from the pushed ticket) and one
//! `authorizer_access_token` per merchant (from its sealed refresh token), with §9's
//! guarantees: stored once for the fleet (`{prefix}:at:{appid}`, the platform's appid for its
//! own), one refresher at a time (a store lock; the others wait for its token), refreshed
//! ahead of expiry, compare-and-invalidate. A refresh token WeChat rotates is stored; one it
//! refuses (`61023`) marks the app `reauthorization_required`.

use std::future::Future;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret as _, SecretString};
use wechat_client::ComponentError;

use super::{platform, ticket};
use crate::domain::Error;
use crate::domain::apps::record::AppRecord;
use crate::domain::apps::{AppSource, AppStatus};
use crate::domain::ids::AppId;
use crate::domain::wechat::{call, client_error};
use crate::metrics::labels::{StoreOp, WechatApi};
use crate::state::AppState;

/// A token and its seconds left in the store (a secret: never logged).
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The token.
    pub token: SecretString,
    /// Seconds until the store drops it.
    pub expires_in: u64,
}

/// A stored token is refreshed once it has less than this left.
const AHEAD_SECS: u64 = 60;
/// The store keeps a token this much shorter than WeChat does.
const MARGIN_SECS: u64 = 300;
/// A refused token is remembered this long.
const DEAD_TTL_SECS: u64 = 300;

fn store_ttl(expires_in: u64) -> u64 {
    if expires_in > 2 * MARGIN_SECS {
        expires_in - MARGIN_SECS
    } else {
        (expires_in / 2).max(1)
    }
}

/// The stored token of `key`, or one fetched by `fetch` under the fleet's lock (by this
/// replica, or by another while this one waits), `fetch` taking at most `budget` (its WeChat
/// calls, every retry): the lock outlives it, so that no second replica refreshes meanwhile
/// (with a refresh token WeChat rotates, a second refresh would present a dead one), and only
/// its taker releases it. With less than [`AHEAD_SECS`] left, the request that takes the lock
/// refreshes it; the others go on with the current token.
async fn get_or_fetch<F, Fut>(
    state: &AppState,
    key: &AppId,
    budget: Duration,
    fetch: F,
) -> Result<AccessToken, Error>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<AccessToken, Error>>,
{
    let lock = format!("at-refresh:{key}");
    let lock_ttl = budget.as_secs() + 1;
    let deadline = Instant::now() + budget;
    let mut pause = Duration::from_millis(5);
    loop {
        let stored = state
            .timed(StoreOp::AccessToken, state.store.access_token(key))
            .await?;
        let needed = match &stored {
            Some((_, ttl)) => *ttl < AHEAD_SECS,
            None => true,
        };
        let owner = if needed {
            state
                .timed(StoreOp::AccessToken, state.store.try_lock(&lock, lock_ttl))
                .await?
        } else {
            None
        };
        if let Some(owner) = owner {
            // Another replica may have stored a fresh one just before the lock was free.
            let again = state
                .timed(StoreOp::AccessToken, state.store.access_token(key))
                .await;
            let result = match again {
                Ok(Some((token, ttl))) if ttl >= AHEAD_SECS => Ok(AccessToken {
                    token: SecretString::from(token),
                    expires_in: ttl,
                }),
                Ok(_) => fetch().await,
                Err(err) => Err(err.into()),
            };
            let _ = state
                .timed(StoreOp::AccessToken, state.store.unlock(&lock, &owner))
                .await;
            match (result, stored) {
                (Ok(token), _) => return Ok(token),
                // Ahead of expiry: a failed refresh leaves the current token in use.
                (Err(err), Some((token, ttl))) => {
                    tracing::warn!(appid = %key, error = %err, "refreshing a token ahead of expiry failed");
                    return Ok(AccessToken {
                        token: SecretString::from(token),
                        expires_in: ttl,
                    });
                }
                (Err(err), None) => return Err(err),
            }
        }
        if let Some((token, ttl)) = stored {
            return Ok(AccessToken {
                token: SecretString::from(token),
                expires_in: ttl,
            });
        }
        if Instant::now() >= deadline {
            return Err(Error::WechatUnavailable);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

fn count_fetch(state: &AppState, kind: &str, ok: bool) {
    state
        .metrics
        .component_token_fetches_total
        .with_label_values(&[kind, if ok { "ok" } else { "failed" }])
        .inc();
}

/// The platform's `component_access_token`.
pub async fn component_token(state: &AppState) -> Result<AccessToken, Error> {
    let c = platform(state)?;
    get_or_fetch(state, &c.appid, state.code_wait, || fetch_component(state)).await
}

async fn fetch_component(state: &AppState) -> Result<AccessToken, Error> {
    let c = platform(state)?;
    let Some(ticket) = ticket::current(state).await? else {
        tracing::warn!("no component_verify_ticket yet: the platform's token cannot be fetched");
        let _ = ticket::ask_if_none(state).await;
        return Err(Error::WechatUnavailable);
    };
    let fut = state
        .wechat
        .component_token(c.appid.as_str(), &c.secret, &ticket.ticket);
    let result = call(&state.metrics, WechatApi::ComponentToken, fut).await;
    count_fetch(state, "component", result.is_ok());
    let fetched = result.map_err(|err| component_error(c.appid.as_str(), &err))?;
    let ttl = store_ttl(fetched.expires_in);
    state
        .timed(
            StoreOp::AccessToken,
            state
                .store
                .put_access_token(&c.appid, fetched.token.expose_secret(), ttl),
        )
        .await?;
    Ok(AccessToken {
        token: fetched.token,
        expires_in: ttl,
    })
}

/// What a refused component call means for a client; logged (never a token).
pub(super) fn component_error(appid: &str, err: &ComponentError) -> Error {
    tracing::warn!(appid, error = %crate::telemetry::error_chain(err), "a third-party platform call failed");
    match err {
        ComponentError::NotAuthorized => Error::AppUnauthorized,
        ComponentError::Wechat(err) => client_error(appid, err),
        ComponentError::TicketExpired | ComponentError::TicketInvalid => Error::WechatUnavailable,
        _ => Error::WechatError,
    }
}

/// Drops the platform's token if it is still `token` (WeChat refused it).
pub async fn invalidate_component(state: &AppState, token: &str) -> Result<bool, Error> {
    let c = platform(state)?;
    Ok(state
        .timed(
            StoreOp::AccessToken,
            state
                .store
                .drop_access_token(&c.appid, token, DEAD_TTL_SECS),
        )
        .await?)
}

/// A merchant's `authorizer_access_token` (what `/v1/admin/apps/{appid}/access-token` serves
/// and the phone and key calls use).
pub async fn authorizer_token(state: &AppState, appid: &AppId) -> Result<AccessToken, Error> {
    // The platform's token first (waiting for another replica's fetch, then fetching it), then
    // the merchant's: each at most `code_wait`.
    let budget = state.code_wait * 3;
    get_or_fetch(state, appid, budget, || fetch_authorizer(state, appid)).await
}

async fn fetch_authorizer(state: &AppState, appid: &AppId) -> Result<AccessToken, Error> {
    let c = platform(state)?;
    let bytes = state
        .timed(StoreOp::Apps, state.store.app_record(appid))
        .await?
        .ok_or(Error::UnknownApp)?;
    let record = AppRecord::decode(&bytes)
        .map_err(|err| anyhow::anyhow!("the stored record of {appid}: {err}"))?;
    if record.source != AppSource::Component || record.status != AppStatus::Active {
        return Err(Error::AppUnauthorized);
    }
    let Some(refresh) = record.refresh_token(&state.keyring, appid) else {
        return Err(Error::AppUnauthorized);
    };
    let component = component_token(state).await?;
    let fut =
        state
            .wechat
            .authorizer_token(c.appid.as_str(), &component.token, appid.as_str(), &refresh);
    let result = call(&state.metrics, WechatApi::AuthorizerToken, fut).await;
    count_fetch(state, "authorizer", result.is_ok());
    let fetched = match result {
        Ok(fetched) => fetched,
        Err(ComponentError::RefreshTokenInvalid) => {
            super::status::require_reauthorization(state, appid, &bytes, record).await?;
            return Err(Error::AppUnauthorized);
        }
        Err(ComponentError::Wechat(wechat_client::Error::TokenRefused(_))) => {
            let _ = invalidate_component(state, component.token.expose_secret()).await;
            return Err(Error::WechatUnavailable);
        }
        Err(err) => return Err(component_error(appid.as_str(), &err)),
    };
    if let Some(rotated) = fetched
        .refresh_token
        .as_ref()
        .filter(|r| r.expose_secret() != refresh.expose_secret())
    {
        super::rotated::keep(state, appid, &refresh, rotated, bytes, record).await?;
    }
    let ttl = store_ttl(fetched.access_token.expires_in);
    let token = fetched.access_token.token;
    state
        .timed(
            StoreOp::AccessToken,
            state
                .store
                .put_access_token(appid, token.expose_secret(), ttl),
        )
        .await?;
    Ok(AccessToken {
        token,
        expires_in: ttl,
    })
}
