//! Fetching an app's token from WeChat: one refresher per app across the fleet (a store lock),
//! `force_refresh` only for a token WeChat just refused, at most once per app per 30 s and
//! `wechat.force_refresh_per_app_per_day` times per app per UTC day (a fleet-wide counter).

use std::sync::Arc;

use secrecy::{ExposeSecret as _, SecretString};

use super::AccessToken;
use crate::domain::clock::Clock;
use crate::domain::ids::AppId;
use crate::domain::{Error, wechat};
use crate::metrics::Metrics;
use crate::metrics::labels::{FetchResult, StoreOp, WechatApi};
use crate::settings::AccessTokenMode;
use crate::state::{AppEntry, AppState};
use crate::store::Store;
use crate::store::timed::Timed;

/// The store keeps a token this much shorter than WeChat does (SPEC: at least 300 s).
const REFRESH_MARGIN_SECS: u64 = 300;
/// `force_refresh` at most once per app in this many seconds (WeChat allows 20 a day).
const FORCE_BUDGET_SECS: u64 = 30;
/// One UTC day.
const DAY_SECS: u64 = 86_400;

/// What a refresh needs, owned, so that it can run in the background.
pub(super) struct Refresher {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    timed: Timed,
    wechat: wechat_client::Client,
    metrics: Metrics,
    appid: AppId,
    secret: SecretString,
    mode: AccessTokenMode,
    lock_ttl_secs: u64,
    force_per_day: u64,
}

/// How long the store keeps a token WeChat gave for `expires_in` seconds.
fn store_ttl(expires_in: u64) -> u64 {
    if expires_in > 2 * REFRESH_MARGIN_SECS {
        expires_in - REFRESH_MARGIN_SECS
    } else {
        // Near its end (a stable token answered again): keep it half of what is left.
        (expires_in / 2).max(1)
    }
}

impl Refresher {
    pub(super) fn new(state: &AppState, appid: &AppId, app: &AppEntry) -> Self {
        Self {
            store: state.store.clone(),
            clock: state.clock.clone(),
            timed: state.timed.clone(),
            wechat: state.wechat.clone(),
            metrics: state.metrics.clone(),
            appid: appid.clone(),
            secret: app.secret.clone(),
            mode: app.access_token,
            lock_ttl_secs: state.code_wait.as_secs() + 1,
            force_per_day: state.force_refresh_per_day,
        }
    }

    fn lock_name(&self) -> String {
        format!("at-refresh:{}", self.appid)
    }

    /// Fetches and stores a token if no other replica is doing so (`None` if one is), unless
    /// the store holds one with at least `enough_secs` left by the time the lock is taken (the
    /// replica that held the lock before may just have stored it).
    pub(super) async fn fetch_if_free(
        &self,
        enough_secs: u64,
    ) -> Result<Option<AccessToken>, Error> {
        let lock = self.lock_name();
        let Some(owner) = self
            .timed
            .run(
                StoreOp::AccessToken,
                self.store.try_lock(&lock, self.lock_ttl_secs),
            )
            .await?
        else {
            return Ok(None);
        };
        let result = match self.stored(enough_secs).await {
            Ok(Some(token)) => Ok(token),
            Ok(None) => self.fetch_and_store().await,
            Err(err) => Err(err),
        };
        let _ = self
            .timed
            .run(StoreOp::AccessToken, self.store.unlock(&lock, &owner))
            .await;
        result.map(Some)
    }

    /// The stored token, if it has at least `enough_secs` left.
    async fn stored(&self, enough_secs: u64) -> Result<Option<AccessToken>, Error> {
        let stored = self
            .timed
            .run(StoreOp::AccessToken, self.store.access_token(&self.appid))
            .await?;
        Ok(stored
            .filter(|(_, ttl)| *ttl >= enough_secs)
            .map(|(token, expires_in)| AccessToken {
                token: SecretString::from(token),
                expires_in,
            }))
    }

    /// The background refresh ahead of expiry (unless another replica did it meanwhile);
    /// failures are logged and counted, and the next request tries again.
    pub(super) async fn refresh_if_free(self, ahead_secs: u64) {
        if let Err(err) = self.fetch_if_free(ahead_secs).await {
            tracing::warn!(appid = %self.appid, error = %err, "refreshing the access_token ahead of expiry failed");
        }
    }

    async fn fetch_and_store(&self) -> Result<AccessToken, Error> {
        let dead = self
            .timed
            .run(
                StoreOp::AccessToken,
                self.store.dead_access_token(&self.appid),
            )
            .await?;
        let mut fetched = self.fetch(false).await?;
        if dead.as_deref() == Some(fetched.token.expose_secret()) {
            // WeChat answered the token it just refused: only `force_refresh` replaces it.
            let budget = format!("at-force:{}", self.appid);
            let allowed = self
                .timed
                .run(
                    StoreOp::AccessToken,
                    self.store.try_lock(&budget, FORCE_BUDGET_SECS),
                )
                .await?
                .is_some();
            if !allowed {
                tracing::warn!(appid = %self.appid, "the access_token is refused and force_refresh was used less than 30 s ago");
                return Err(Error::WechatUnavailable);
            }
            self.spend_force_budget().await?;
            fetched = self.fetch(true).await?;
        }
        let ttl = store_ttl(fetched.expires_in);
        self.timed
            .run(
                StoreOp::AccessToken,
                self.store
                    .put_access_token(&self.appid, fetched.token.expose_secret(), ttl),
            )
            .await?;
        Ok(AccessToken {
            token: fetched.token,
            expires_in: ttl,
        })
    }

    /// Counts one `force_refresh` against the app's budget for the UTC day, shared by the
    /// fleet; past it, refused until the next day. Each UTC day holds at most the budget, so any
    /// day of WeChat's (whatever its time zone) holds at most twice the budget.
    async fn spend_force_budget(&self) -> Result<(), Error> {
        let now = self.clock.now_unix().unsigned_abs();
        let (day, left) = (now / DAY_SECS, DAY_SECS - now % DAY_SECS);
        let key = format!("at-force:{}:{day}", self.appid);
        let used = self
            .timed
            .run(StoreOp::AccessToken, self.store.hit(&key, DAY_SECS))
            .await?;
        if used > self.force_per_day {
            tracing::warn!(
                appid = %self.appid,
                budget = self.force_per_day,
                "the access_token is refused and today's force_refresh budget is spent"
            );
            return Err(Error::ForceRefreshSpent { retry_after: left });
        }
        Ok(())
    }

    async fn fetch(&self, force: bool) -> Result<wechat_client::AccessToken, Error> {
        let appid = self.appid.as_str();
        let result = match self.mode {
            AccessTokenMode::Classic => {
                let fut = self.wechat.token(appid, &self.secret);
                wechat::call(&self.metrics, WechatApi::Token, fut).await
            }
            _ => {
                let fut = self.wechat.stable_token(appid, &self.secret, force);
                wechat::call(&self.metrics, WechatApi::StableToken, fut).await
            }
        };
        let label = match (&result, force) {
            (Ok(_), false) => FetchResult::Ok,
            (Ok(_), true) => FetchResult::Forced,
            (Err(_), _) => FetchResult::Failed,
        };
        self.metrics
            .access_token_fetches_total
            .with_label_values(&[self.metrics.app(appid), label.as_str()])
            .inc();
        result.map_err(|err| {
            tracing::warn!(appid, error = %crate::telemetry::error_chain(&err), "fetching the access_token failed");
            wechat::client_error(appid, &err)
        })
    }
}

impl std::fmt::Debug for Refresher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refresher")
            .field("appid", &self.appid)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_kept_shorter_than_wechat_keeps_them() {
        assert_eq!(store_ttl(7200), 6900);
        assert_eq!(store_ttl(601), 301);
        assert_eq!(store_ttl(600), 300);
        assert_eq!(store_ttl(250), 125);
        assert_eq!(store_ttl(1), 1);
    }
}
