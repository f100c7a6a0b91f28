//! The simulator's configuration, its users and their session keys.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::Digest as _;

/// One mini-program the simulator knows.
#[derive(Debug, Clone)]
pub struct MockApp {
    /// The app's id, e.g. `wx1234567890abcdef`.
    pub appid: String,
    /// The app's secret.
    pub secret: String,
}

/// What the simulator serves.
#[derive(Debug, Clone, Default)]
pub struct MockConfig {
    /// The apps it accepts.
    pub apps: Vec<MockApp>,
    /// Added to every `jscode2session` answer.
    pub base_latency: Duration,
    /// The lifetime of access tokens (`expires_in`); zero means WeChat's 7200 s.
    pub token_ttl: Duration,
    /// Where a consent page may send the browser back, e.g. `{public_url}/v1/web/` (none: no redirect).
    pub callbacks: Vec<String>,
    /// A third-party platform to play WeChat's side for; its tokens live `token_ttl`.
    pub component: Option<crate::MockComponent>,
}

/// Counters, for tests that must prove how often WeChat was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// `jscode2session` requests received.
    pub requests: u64,
    /// Successful code exchanges.
    pub exchanges: u64,
    /// Access-token requests (`stable_token` and `token`).
    pub token_fetches: u64,
    /// `stable_token` requests with `force_refresh`.
    pub forced_refreshes: u64,
    /// `getuserphonenumber` requests.
    pub phone_requests: u64,
    /// `checksession` and `resetusersessionkey` requests.
    pub key_requests: u64,
    /// `sns/oauth2/access_token` requests.
    pub oauth_requests: u64,
    /// Successful `sns/oauth2/access_token` exchanges.
    pub oauth_exchanges: u64,
    /// `sns/userinfo` requests.
    pub userinfo_requests: u64,
}

/// What the simulator counts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Counter {
    TokenFetch,
    ForcedRefresh,
    Phone,
    Key,
    OAuth,
    OAuthExchange,
    UserInfo,
}

/// What an OAuth access token the simulator issued stands for.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub(crate) openid: String,
    pub(crate) user: String,
    pub(crate) scope: String,
}

#[derive(Debug)]
pub(crate) struct State {
    pub(crate) secrets: HashMap<String, String>,
    pub(crate) base_latency: Duration,
    /// Random per simulator: the session key a code yields is derived from it.
    seed: [u8; 32],
    pub(crate) token_ttl: Duration,
    pub(crate) callbacks: crate::callbacks::Callbacks,
    /// The simulated third-party platform, when one is configured (and valid).
    pub(crate) component: Option<crate::component::Platform>,
    pub(crate) charges: crate::charge::Charges,
    requests: AtomicU64,
    exchanges: AtomicU64,
    counters: [AtomicU64; 7],
    inner: Mutex<Inner>,
}

/// A user's (current key, previous key), by (appid, openid).
type UserKeys = ([u8; 16], Option<[u8; 16]>);

#[derive(Debug, Default)]
struct Inner {
    used_codes: HashSet<String>,
    attempts: HashMap<String, u32>,
    keys: HashMap<(String, String), UserKeys>,
    pub(crate) tokens: crate::tokens::Tokens,
    /// The scope an authorize or QR page granted with each code it issued.
    code_scopes: HashMap<String, String>,
    /// The users' OAuth access tokens.
    grants: HashMap<String, Grant>,
}

/// The stable openid of `user` in `appid` (28 characters, like WeChat's).
pub fn openid_for(appid: &str, user: &str) -> String {
    format!("o{}", digest_id(&["openid", appid, user]))
}

/// The stable unionid of `user`, or `None` for users whose name starts with `solo`.
pub fn unionid_for(user: &str) -> Option<String> {
    (!user.starts_with("solo")).then(|| format!("u{}", digest_id(&["unionid", user])))
}

fn digest_id(parts: &[&str]) -> String {
    let mut hasher = sha2::Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let mut id = URL_SAFE_NO_PAD.encode(hasher.finalize());
    id.truncate(27);
    id
}

impl State {
    pub(crate) fn new(config: MockConfig) -> Self {
        let token_ttl = Some(config.token_ttl).filter(|t| !t.is_zero());
        let token_ttl = token_ttl.unwrap_or(Duration::from_secs(7200));
        Self {
            component: crate::component::Platform::new(config.component, token_ttl),
            callbacks: crate::callbacks::Callbacks::new(&config.callbacks),
            charges: crate::charge::Charges::default(),
            secrets: config
                .apps
                .into_iter()
                .map(|a| (a.appid, a.secret))
                .collect(),
            base_latency: config.base_latency,
            seed: {
                let mut seed = [0u8; 32];
                // The OS CSPRNG does not fail on supported platforms; a zero seed still works.
                let _ = getrandom::fill(&mut seed);
                seed
            },
            token_ttl,
            requests: AtomicU64::new(0),
            exchanges: AtomicU64::new(0),
            counters: Default::default(),
            inner: Mutex::new(Inner::default()),
        }
    }

    pub(crate) fn stats(&self) -> Stats {
        Stats {
            requests: self.requests.load(Ordering::Relaxed),
            exchanges: self.exchanges.load(Ordering::Relaxed),
            token_fetches: self.counted(Counter::TokenFetch),
            forced_refreshes: self.counted(Counter::ForcedRefresh),
            phone_requests: self.counted(Counter::Phone),
            key_requests: self.counted(Counter::Key),
            oauth_requests: self.counted(Counter::OAuth),
            oauth_exchanges: self.counted(Counter::OAuthExchange),
            userinfo_requests: self.counted(Counter::UserInfo),
        }
    }

    fn counted(&self, counter: Counter) -> u64 {
        self.counters
            .get(counter as usize)
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    pub(crate) fn count(&self, counter: Counter) {
        if let Some(c) = self.counters.get(counter as usize) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Runs `f` on the access tokens.
    pub(crate) fn tokens<T>(&self, f: impl FnOnce(&mut crate::tokens::Tokens) -> T) -> T {
        f(&mut self.lock().tokens)
    }

    /// Whether `secret` is `appid`'s: `None` when both are right, else WeChat's errcode.
    pub(crate) fn check_app(&self, appid: Option<&str>, secret: Option<&str>) -> Option<i64> {
        let Some(expected) = appid.and_then(|a| self.secrets.get(a)) else {
            return Some(40013);
        };
        (secret != Some(expected.as_str())).then_some(40125)
    }

    pub(crate) fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts one more attempt of `code` and returns how many came before it.
    pub(crate) fn previous_attempts(&self, code: &str) -> u32 {
        let mut inner = self.lock();
        let n = inner.attempts.entry(code.to_owned()).or_insert(0);
        let before = *n;
        *n += 1;
        before
    }

    /// Marks `code` used; false when it was used before. Login and phone codes share the set
    /// (their grammars differ).
    pub(crate) fn use_code(&self, code: &str) -> bool {
        self.lock().used_codes.insert(code.to_owned())
    }

    /// The session key that exchanging `code` yields. Like WeChat, where `wx.login` already
    /// switches the user to a new key, data fetched after `wx.login` and before the exchange
    /// is encrypted with it.
    pub(crate) fn key_for_code(&self, appid: &str, code: &str) -> [u8; 16] {
        let mut hasher = sha2::Sha256::new();
        hasher.update(self.seed);
        for part in [appid, code] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        let digest = hasher.finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
        key
    }

    /// Makes the key of `code` the user's current key, keeping the previous one.
    pub(crate) fn rotate_key(&self, appid: &str, openid: &str, code: &str) -> [u8; 16] {
        let key = self.key_for_code(appid, code);
        let mut inner = self.lock();
        let slot = inner
            .keys
            .entry((appid.to_owned(), openid.to_owned()))
            .or_insert((key, None));
        *slot = (key, Some(slot.0).filter(|old| *old != key));
        self.exchanges.fetch_add(1, Ordering::Relaxed);
        key
    }

    /// Replaces the user's current key with a fresh one (as a `wx.login` elsewhere, or WeChat's
    /// `resetUserSessionKey`), keeping the old one as the previous; `None` for unknown users.
    pub(crate) fn replace_key(&self, appid: &str, openid: &str) -> Option<[u8; 16]> {
        let mut fresh = [0u8; 16];
        let _ = getrandom::fill(&mut fresh);
        let mut inner = self.lock();
        let slot = inner.keys.get_mut(&(appid.to_owned(), openid.to_owned()))?;
        *slot = (fresh, Some(slot.0));
        Some(fresh)
    }

    /// The user's current or previous key.
    pub(crate) fn key(&self, appid: &str, openid: &str, previous: bool) -> Option<[u8; 16]> {
        let inner = self.lock();
        let (current, prev) = inner.keys.get(&(appid.to_owned(), openid.to_owned()))?;
        if previous { *prev } else { Some(*current) }
    }

    /// Remembers the scope a page granted with `code`.
    pub(crate) fn issue_code(&self, code: &str, scope: &str) {
        self.lock()
            .code_scopes
            .insert(code.to_owned(), scope.to_owned());
    }

    /// The scope of `code`: what its page granted, else a mobile app's (`snsapi_userinfo`).
    pub(crate) fn code_scope(&self, code: &str) -> String {
        self.lock()
            .code_scopes
            .get(code)
            .cloned()
            .unwrap_or_else(|| "snsapi_userinfo".to_owned())
    }

    /// Issues a user's OAuth access token for `grant`.
    pub(crate) fn grant(&self, grant: Grant) -> String {
        let mut raw = [0u8; 24];
        let _ = getrandom::fill(&mut raw);
        let token = URL_SAFE_NO_PAD.encode(raw);
        self.lock().grants.insert(token.clone(), grant);
        token
    }

    /// What a user's OAuth access token stands for.
    pub(crate) fn granted(&self, token: &str) -> Option<Grant> {
        self.lock().grants.get(token).cloned()
    }
}
