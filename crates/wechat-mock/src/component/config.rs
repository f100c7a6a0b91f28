//! What a test or person configures of the simulated platform, and what it reports.

use std::collections::HashMap;
use std::time::Duration;

use wechat_crypto::MsgCrypt;

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
    /// `wxa/*` calls WeChat accepted the token of that was an `authorizer_access_token`, by
    /// `"{api} {merchant appid}"` (`api`: `getuserphonenumber`, `checksession`,
    /// `resetusersessionkey`): a call made with any other token is not counted here.
    pub authorizer_calls: HashMap<String, u64>,
    /// Pushes made (delivered or not).
    pub pushes: u64,
    /// Pushes the platform did not answer `success` to.
    pub failed_pushes: u64,
}
