//! The application state shared by every worker: built once in `startup.rs`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::domain::Error;
pub use crate::domain::apps::AppEntry;
use crate::domain::apps::Apps;
use crate::domain::clock::Clock;
use crate::metrics::Metrics;
use crate::metrics::labels::StoreOp;
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
    /// The apps served, from every source (`domain::apps`).
    pub apps: Apps,
    /// Whether durable records need Redis to say it keeps them (`store.durability`).
    pub durability: crate::settings::Durability,
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
    /// The third-party platform (`[component]`), when the service runs one.
    pub component: Option<crate::settings::Component>,
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
    /// The platform's authorization page (`wechat.mp_base`).
    pub mp_base: String,
    /// `Secure` on cookies (off only in `dev`).
    pub secure_cookies: bool,
    /// `GET /` serves the demo page (`dev` only).
    pub demo_page: bool,
    /// The keys that seal a started login into its state cookie.
    pub state_keys: Arc<crate::domain::keys::KeyRing>,
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

    /// Resolves the appid of a login: an app that serves, or why not.
    pub fn resolve_app(&self, appid: Option<&str>) -> Result<Arc<AppEntry>, Error> {
        self.apps.resolve(appid)
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
