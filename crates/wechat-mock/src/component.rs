//! The simulator's third-party platform (WeChat's side of it): the platform's credentials, the
//! merchants' apps that may authorize it, the tickets it pushed, its tokens, pre-authorization
//! and authorization codes, and each merchant's grant (authorized or not, its refresh token and
//! permissions). A merchant authorizing again gets a new refresh token; the old one answers
//! `61023`, and its access tokens die at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use wechat_crypto::MsgCrypt;

use crate::callbacks::Callbacks;

/// How long a pre-authorization code lives.
pub(crate) const PRE_AUTH_CODE_TTL: Duration = Duration::from_secs(1800);
/// How long an authorization code lives (WeChat's example answers `expires_in=600`).
pub(crate) const AUTH_CODE_TTL: Duration = Duration::from_secs(600);
/// How many pushes the log keeps.
const PUSH_LOG: usize = 200;

/// A mini-program or an official account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MerchantKind {
    /// A mini-program: it has `MiniProgramInfo` and can log users in.
    MiniProgram,
    /// An official account.
    OfficialAccount,
}

/// A merchant's app that may authorize the platform.
#[derive(Debug, Clone)]
pub struct MockMerchant {
    /// Its appid.
    pub appid: String,
    /// Mini-program or official account.
    pub kind: MerchantKind,
    /// Its name, as `api_get_authorizer_info` and the authorization page show it.
    pub nickname: String,
}

/// The third-party platform the simulator plays WeChat for.
#[derive(Debug, Clone, Default)]
pub struct MockComponent {
    /// The platform's appid.
    pub appid: String,
    /// The platform's secret (`component_appsecret`).
    pub secret: String,
    /// The message-verification Token (3 to 32 letters or digits).
    pub token: String,
    /// The 43-character EncodingAESKey.
    pub encoding_aes_key: String,
    /// The merchants' apps that may authorize it.
    pub merchants: Vec<MockMerchant>,
    /// The platform's authorization-event URL: where tickets and authorization events are
    /// pushed. None: nothing is pushed (tickets are still minted and can be fetched).
    pub push_url: Option<String>,
    /// How often a ticket is pushed; zero means WeChat's ten minutes.
    pub ticket_period: Duration,
    /// How long a ticket stays valid; zero means WeChat's twelve hours.
    pub ticket_ttl: Duration,
    /// Start with the periodic pushes paused.
    pub pushes_paused: bool,
    /// The URLs under which the authorization page may send the browser back (WeChat checks
    /// the platform's registered domain); none: no redirect.
    pub callbacks: Vec<String>,
}

impl MockComponent {
    /// Whether the Token, EncodingAESKey and appid are usable, with the reason if not.
    pub fn check(&self) -> Result<(), String> {
        MsgCrypt::new(&self.token, &self.encoding_aes_key, &self.appid)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// A merchant's authorization as WeChat keeps it.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub(crate) refresh_token: String,
    pub(crate) authorized: bool,
    pub(crate) auth_time: i64,
    pub(crate) func_info: Vec<u32>,
}

/// One push the simulator made, for tests and people to inspect.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PushRecord {
    /// The `InfoType` pushed.
    pub info_type: String,
    /// The HTTP status the platform answered (none when it could not be reached).
    pub status: Option<u16>,
    /// Whether it answered `success`.
    pub delivered: bool,
}

/// Counters of the platform's side, for tests that prove how often WeChat was asked.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ComponentStats {
    /// `api_component_token` requests.
    pub component_token_fetches: u64,
    /// `api_authorizer_token` requests, by merchant appid.
    pub authorizer_token_fetches: HashMap<String, u64>,
    /// `api_query_auth` requests.
    pub query_auth_requests: u64,
    /// `sns/component/jscode2session` requests.
    pub logins: u64,
    /// Pushes made (delivered or not).
    pub pushes: u64,
    /// Pushes the platform did not answer `success` to.
    pub failed_pushes: u64,
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
    pub(crate) paused: bool,
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
    pub(crate) fn new(config: MockComponent, token_ttl: Duration) -> Option<Self> {
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

    /// The merchant authorizes (again): a new refresh token (the old one is dead), a new
    /// authorization code, the permissions given or the kind's defaults. Returns the code and
    /// whether it was `updateauthorized` (the merchant had authorized already).
    pub(crate) fn authorize(
        &self,
        merchant: &MockMerchant,
        func_info: Option<Vec<u32>>,
    ) -> (String, bool) {
        let code = mint("queryauthcode@@@");
        let now = Instant::now();
        let mut inner = self.lock();
        inner.auth_codes.retain(|_, (_, until)| *until > now);
        inner
            .auth_codes
            .insert(code.clone(), (merchant.appid.clone(), now + AUTH_CODE_TTL));
        let defaults = match merchant.kind {
            MerchantKind::MiniProgram => vec![17, 18, 19, 25, 30, 31],
            MerchantKind::OfficialAccount => vec![1, 2, 3, 4, 7, 11, 15],
        };
        let previous = inner.grants.get(&merchant.appid).cloned();
        let update = previous.as_ref().is_some_and(|g| g.authorized);
        let func_info = func_info
            .or_else(|| previous.filter(|g| g.authorized).map(|g| g.func_info))
            .unwrap_or(defaults);
        inner.grants.insert(
            merchant.appid.clone(),
            Grant {
                refresh_token: mint("refreshtoken@@@"),
                authorized: true,
                auth_time: unix_now(),
                func_info,
            },
        );
        (code, update)
    }

    /// The merchant revokes: its refresh token dies. False when it was not authorized.
    pub(crate) fn unauthorize(&self, appid: &str) -> bool {
        let mut inner = self.lock();
        match inner.grants.get_mut(appid) {
            Some(grant) if grant.authorized => {
                grant.authorized = false;
                true
            }
            _ => false,
        }
    }

    /// What an authorization code stands for: `61009` unknown, `61010` expired, `61003` the
    /// merchant revoked since.
    pub(crate) fn redeem(&self, code: &str) -> Result<(String, Grant), Errcode> {
        let mut inner = self.lock();
        inner.stats.query_auth_requests += 1;
        let (appid, until) = inner.auth_codes.get(code).cloned().ok_or(61009)?;
        if until <= Instant::now() {
            return Err(61010);
        }
        match inner.grants.get(&appid) {
            Some(grant) if grant.authorized => Ok((appid, grant.clone())),
            _ => Err(61003),
        }
    }

    /// Counts a refresh and checks the refresh token: `61023` unless it is the merchant's
    /// current one and the merchant is authorized.
    pub(crate) fn refresh(&self, appid: &str, refresh_token: &str) -> Result<(), Errcode> {
        let mut inner = self.lock();
        *inner
            .stats
            .authorizer_token_fetches
            .entry(appid.to_owned())
            .or_insert(0) += 1;
        match inner.grants.get(appid) {
            Some(g) if g.authorized && g.refresh_token == refresh_token => Ok(()),
            _ => Err(61023),
        }
    }

    /// The merchant's grant, when it is authorized now.
    pub(crate) fn grant(&self, appid: &str) -> Option<Grant> {
        self.lock()
            .grants
            .get(appid)
            .filter(|g| g.authorized)
            .cloned()
    }

    /// Every authorized merchant's (appid, grant), by authorization time then appid.
    pub(crate) fn authorized(&self) -> Vec<(String, Grant)> {
        let mut list: Vec<_> = self
            .lock()
            .grants
            .iter()
            .filter(|(_, g)| g.authorized)
            .map(|(a, g)| (a.clone(), g.clone()))
            .collect();
        list.sort_by(|a, b| (a.1.auth_time, &a.0).cmp(&(b.1.auth_time, &b.0)));
        list
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
