//! The application state shared by every worker: built once in `startup.rs`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::domain::Error;
use crate::domain::clock::Clock;
use crate::domain::ids::AppId;
use crate::metrics::Metrics;
use crate::metrics::labels::StoreOp;
use crate::settings::{AccessTokenMode, App, AppKind};
use crate::store::timed::Timed;
use crate::store::{Store, StoreError};

/// Everything a handler needs.
#[derive(Debug)]
pub struct AppState {
    /// Where sessions live.
    pub store: Arc<dyn Store>,
    /// Where "now" comes from (the store holds the same clock).
    pub clock: Arc<dyn Clock>,
    /// The WeChat API client.
    pub wechat: wechat_client::Client,
    /// appid → the app's secret and its bound on concurrent WeChat calls.
    pub apps: HashMap<AppId, AppEntry>,
    /// The appid used when a login omits it (only with exactly one app).
    pub default_app: Option<AppId>,
    /// The admin bearer token; `None` disables the admin API.
    pub admin_token: Option<SecretString>,
    /// Credentials that may read and invalidate access tokens, each for its apps.
    pub credential_readers: Vec<crate::settings::ReaderCredential>,
    /// `force_refresh`es of one app's access_token per UTC day, across the fleet.
    pub force_refresh_per_day: u64,
    /// Metrics.
    pub metrics: Metrics,
    /// Sliding idle TTL.
    pub idle_ttl_secs: u64,
    /// Absolute cap.
    pub max_lifetime_secs: u64,
    /// Live sessions per user and app.
    pub max_sessions_per_user: u64,
    /// Deadline and metrics of every store operation.
    pub timed: Timed,
    /// How long a code claim lives, and how long a second caller waits for the first.
    pub code_wait: Duration,
    /// Rate limits.
    pub limits: crate::domain::limits::policy::Limits,
    /// The store's eviction policy, as last seen (`domain::store_policy`).
    pub eviction_policy: std::sync::Mutex<Option<String>>,
    /// Encryption of `session_key` at rest.
    pub keyring: crate::domain::keys::KeyRing,
    /// Browser logins.
    pub web: WebConfig,
    /// Remembered phone numbers and the phone-number quota (`domain::phone`).
    pub phone: PhoneConfig,
}

/// What the phone-number features need (`[phone]`).
#[derive(Debug, Clone, Default)]
pub struct PhoneConfig {
    /// How long a verified number is kept (0: not kept).
    pub remember_secs: u64,
    /// Seconds between quota readings (0: not read).
    pub quota_poll_secs: u64,
    /// The `spuId` of the package read.
    pub quota_spu_id: String,
}

/// What the browser logins need (`domain::web`).
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// `server.public_url` without a trailing slash: callbacks go to
    /// `{public_url}/v1/web/{appid}/callback`.
    pub public_url: Option<String>,
    /// Origins that `return_to` may lead to and that may send cookie-authenticated state
    /// changes: `web.allowed_origins` and the service's own.
    pub allowed_origins: Vec<String>,
    /// WeChat's OAuth pages (`wechat.open_base`).
    pub open_base: String,
    /// `Secure` on cookies (off only in `dev`).
    pub secure_cookies: bool,
    /// `GET /` serves the demo page (`dev` only).
    pub demo_page: bool,
    /// The keys that seal a started login into its state cookie.
    pub state_keys: Arc<crate::domain::keys::KeyRing>,
}

/// A configured app.
#[derive(Debug)]
pub struct AppEntry {
    /// Its secret.
    pub secret: SecretString,
    /// How its access_token is fetched.
    pub access_token: AccessTokenMode,
    /// What kind of app.
    pub kind: AppKind,
    /// The OAuth scope of its browser logins.
    pub scope: &'static str,
    /// Permits for the logins' WeChat calls in flight on this replica.
    calls: tokio::sync::Semaphore,
    /// Permits for the other WeChat calls a session makes (phone number, key status): a pool of
    /// their own, so that they never starve logins.
    session_calls: tokio::sync::Semaphore,
}

impl AppEntry {
    /// An app allowing `max_calls` WeChat calls at once.
    pub fn new(app: App, max_calls: usize) -> Self {
        Self {
            secret: app.secret,
            access_token: app.access_token,
            kind: app.kind,
            scope: app.scope,
            calls: tokio::sync::Semaphore::new(max_calls),
            session_calls: tokio::sync::Semaphore::new(max_calls),
        }
    }

    /// A permit for one WeChat call, or `None` when the app's calls are at their bound: a
    /// flood of made-up codes cannot queue unbounded work on WeChat (or on this replica).
    pub fn call_permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.calls.try_acquire().ok()
    }

    /// A permit for one WeChat call on behalf of a logged-in user (phone number, key status),
    /// from a pool apart from the logins'.
    pub fn session_call_permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.session_calls.try_acquire().ok()
    }
}

impl AppState {
    /// Runs one store operation with its deadline, metrics and log line (see [`Timed`]).
    pub async fn timed<T>(
        &self,
        op: StoreOp,
        fut: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        self.timed.run(op, fut).await
    }

    /// Resolves the appid of a login.
    /// The configured appid is the parsed one: an appid that is not configured is unknown,
    /// whatever its form.
    pub fn resolve_app(&self, appid: Option<&str>) -> Result<(&AppId, &AppEntry), Error> {
        let appid = match appid {
            Some(appid) => appid,
            None => self
                .default_app
                .as_ref()
                .map(AppId::as_str)
                .ok_or(Error::UnknownApp)?,
        };
        self.apps.get_key_value(appid).ok_or(Error::UnknownApp)
    }

    /// Refuses what needs a `session_key` (decrypt, phone, key status) on a session of an app
    /// kind that has none.
    pub fn require_session_key(&self, appid: &str) -> Result<(), Error> {
        match self.apps.get(appid) {
            Some(app) if !app.kind.has_session_key() => Err(Error::UnsupportedForApp),
            _ => Ok(()),
        }
    }

    /// Whether `appid`'s sessions live in cookies (browser logins); a cookie holding another
    /// kind's session is not accepted.
    pub fn issues_cookies(&self, appid: &str) -> bool {
        self.apps.get(appid).is_some_and(|app| app.kind.is_web())
    }

    /// Seconds since the epoch, on the service's clock.
    pub fn now_unix(&self) -> i64 {
        self.clock.now_unix()
    }

    /// `expires_in` of a fresh session.
    pub fn first_ttl(&self) -> u64 {
        self.idle_ttl_secs.min(self.max_lifetime_secs)
    }
}
