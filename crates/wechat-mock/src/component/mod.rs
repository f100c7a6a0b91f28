//! The simulator's third-party platform (WeChat's side of it): the platform's credentials, the
//! merchants' apps that may authorize it, the tickets it pushed, its tokens, pre-authorization
//! and authorization codes, and each merchant's grant (authorized or not, its refresh token and
//! permissions). A merchant authorizing again gets a new refresh token; the old one answers
//! `61023`, and its access tokens die at once.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use wechat_crypto::MsgCrypt;

use crate::callbacks::Callbacks;

mod config;
mod grants;

pub use config::{ComponentStats, MerchantKind, MockComponent, MockMerchant, PushRecord};

/// How long a pre-authorization code lives.
pub(crate) const PRE_AUTH_CODE_TTL: Duration = Duration::from_secs(1800);
/// How long an authorization code lives (WeChat's example answers `expires_in=600`).
pub(crate) const AUTH_CODE_TTL: Duration = Duration::from_secs(600);
/// How many pushes the log keeps.
const PUSH_LOG: usize = 200;

/// A merchant's authorization as WeChat keeps it.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub(crate) refresh_token: String,
    pub(crate) authorized: bool,
    pub(crate) auth_time: i64,
    pub(crate) func_info: Vec<u32>,
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    /// ticket → expiry.
    tickets: HashMap<String, Instant>,
    /// component token → expiry.
    tokens: HashMap<String, Instant>,
    /// pre-authorization code → expiry.
    pre_auth_codes: HashMap<String, Instant>,
    /// authorization code → (merchant appid, expiry).
    auth_codes: HashMap<String, (String, Instant)>,
    /// merchant appid → its grant.
    pub(crate) grants: HashMap<String, Grant>,
    /// Every `authorizer_access_token` minted (`api_query_auth`, `api_authorizer_token`), so
    /// that a call made with one is told from a call made with any other token.
    authorizer_tokens: HashSet<String>,
    pub(crate) paused: bool,
    /// How long `api_authorizer_token` waits before it answers (`/__sim/component/slow-refresh`).
    pub(crate) refresh_delay: Duration,
    /// Whether `api_authorizer_token` hands out a new refresh token each time, the old one dead
    /// (`/__sim/component/rotate-refresh`): WeChat may change it, and a platform that does not
    /// keep the one it was given loses the merchant.
    pub(crate) rotate_refresh: bool,
    pub(crate) stats: ComponentStats,
    pub(crate) log: Vec<PushRecord>,
}

/// The platform's state inside the simulator.
#[derive(Debug)]
pub(crate) struct Platform {
    pub(crate) config: MockComponent,
    pub(crate) crypt: MsgCrypt,
    pub(crate) callbacks: Callbacks,
    pub(crate) token_ttl: Duration,
    /// Where pushes are sent from.
    pub(crate) http: reqwest::Client,
    inner: Mutex<Inner>,
}

pub(crate) fn mint(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    let _ = getrandom::fill(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// Why a code or token was refused: WeChat's errcode.
pub(crate) type Errcode = i64;

impl Platform {
    /// `None` (and an error in the log) when the Token, key or appid is unusable.
    pub(crate) fn new(config: Option<MockComponent>, token_ttl: Duration) -> Option<Self> {
        let config = config?;
        let crypt = match MsgCrypt::new(&config.token, &config.encoding_aes_key, &config.appid) {
            Ok(crypt) => crypt,
            Err(err) => {
                tracing::error!(error = %err, "the simulated platform is disabled");
                return None;
            }
        };
        let inner = Inner {
            paused: config.pushes_paused,
            ..Inner::default()
        };
        Some(Self {
            callbacks: Callbacks::new(&config.callbacks),
            crypt,
            token_ttl,
            http: crate::push::http_client(),
            config,
            inner: Mutex::new(inner),
        })
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn ticket_period(&self) -> Duration {
        match self.config.ticket_period {
            d if d.is_zero() => Duration::from_secs(600),
            d => d,
        }
    }

    fn ticket_ttl(&self) -> Duration {
        match self.config.ticket_ttl {
            d if d.is_zero() => Duration::from_secs(12 * 3600),
            d => d,
        }
    }

    pub(crate) fn merchant(&self, appid: &str) -> Option<&MockMerchant> {
        self.config.merchants.iter().find(|m| m.appid == appid)
    }

    /// A new ticket, valid for the ticket lifetime.
    pub(crate) fn issue_ticket(&self) -> String {
        let ticket = mint("ticket@@@");
        let now = Instant::now();
        let mut inner = self.lock();
        // Expired tickets are kept an hour, so they answer `61005` rather than `61006`.
        inner
            .tickets
            .retain(|_, until| *until + Duration::from_secs(3600) > now);
        inner
            .tickets
            .insert(ticket.clone(), now + self.ticket_ttl());
        ticket
    }

    /// `61006` for a ticket never issued, `61005` for an expired one.
    pub(crate) fn check_ticket(&self, ticket: &str) -> Result<(), Errcode> {
        match self.lock().tickets.get(ticket) {
            None => Err(61006),
            Some(until) if *until <= Instant::now() => Err(61005),
            Some(_) => Ok(()),
        }
    }

    /// A new component token; earlier ones stay valid until they expire.
    pub(crate) fn mint_token(&self) -> (String, u64) {
        let token = mint("COMPONENT_");
        let now = Instant::now();
        let mut inner = self.lock();
        inner.tokens.retain(|_, until| *until > now);
        inner.tokens.insert(token.clone(), now + self.token_ttl);
        (token, self.token_ttl.as_secs())
    }

    /// Counts one `api_component_token` request, whatever its answer.
    pub(crate) fn count_token_fetch(&self) {
        self.lock().stats.component_token_fetches += 1;
    }

    /// `40001` unless `token` is a live component token.
    pub(crate) fn check_token(&self, token: Option<&str>) -> Result<(), Errcode> {
        let inner = self.lock();
        match token.and_then(|t| inner.tokens.get(t)) {
            Some(until) if *until > Instant::now() => Ok(()),
            _ => Err(40001),
        }
    }

    /// Expires every component token now (as if their two hours had passed).
    pub(crate) fn expire_tokens(&self) {
        self.lock().tokens.clear();
    }

    pub(crate) fn issue_pre_auth_code(&self) -> (String, u64) {
        let code = mint("preauthcode@@@");
        let now = Instant::now();
        let mut inner = self.lock();
        inner.pre_auth_codes.retain(|_, until| *until > now);
        inner
            .pre_auth_codes
            .insert(code.clone(), now + PRE_AUTH_CODE_TTL);
        (code, PRE_AUTH_CODE_TTL.as_secs())
    }

    /// Whether a pre-authorization code is live; `spend` uses it up.
    pub(crate) fn pre_auth_code(&self, code: &str, spend: bool) -> bool {
        let mut inner = self.lock();
        let live = inner
            .pre_auth_codes
            .get(code)
            .is_some_and(|until| *until > Instant::now());
        if live && spend {
            inner.pre_auth_codes.remove(code);
        }
        live
    }

    /// Remembers `token` as an `authorizer_access_token` the platform minted.
    pub(crate) fn minted_for_merchant(&self, token: &str) {
        self.lock().authorizer_tokens.insert(token.to_owned());
    }

    /// Counts a `wxa/*` call made for `appid`, when its token is an authorizer token.
    pub(crate) fn note_call(&self, api: &str, token: &str, appid: &str) {
        let mut inner = self.lock();
        if inner.authorizer_tokens.contains(token) {
            *inner
                .stats
                .authorizer_calls
                .entry(format!("{api} {appid}"))
                .or_insert(0) += 1;
        }
    }

    pub(crate) fn record(&self, record: PushRecord) {
        let mut inner = self.lock();
        inner.stats.pushes += 1;
        if !record.delivered {
            inner.stats.failed_pushes += 1;
        }
        if inner.log.len() >= PUSH_LOG {
            inner.log.remove(0);
        }
        inner.log.push(record);
    }
}
