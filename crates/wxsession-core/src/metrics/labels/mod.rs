//! Every label value the service publishes, declared once as an enum whose `ALL` pre-creates the
//! series. Nothing a client sends becomes a label value: methods outside the standard set are
//! `other`, routes are patterns, appids come from the configuration.

/// Declares a label enum: its variants, their label text, and `ALL`.
macro_rules! labels {
    // An open set: outside values map to `Other`, through a generated `of`.
    (open $(#[$meta:meta])* $name:ident { $($body:tt)+ }) => {
        labels! { $(#[$meta])* $name { $($body)+ } }

        impl $name {
            /// The label of an outside value: a known one, else `Other`.
            pub fn of(text: &str) -> Self {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| *v != Self::Other && v.as_str() == text)
                    .unwrap_or(Self::Other)
            }
        }
    };
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, to pre-create the series.
            pub const ALL: &[Self] = &[$(Self::$variant,)+];

            /// The label text.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }
    };
}

mod admin;
mod http;

pub use self::admin::{AdminAction, AdminOutcome};
pub use self::http::{Method, WebLoginResult};

labels! {
    /// A store operation (`op`).
    StoreOp {
        /// `/readyz`.
        Ping = "ping",
        /// Claiming a code's exchange.
        ClaimCode = "claim_code",
        /// Sealing a code's answer.
        FinishCode = "finish_code",
        /// Releasing a claim after a transient failure.
        ReleaseCode = "release_code",
        /// Storing a new session.
        CreateSession = "create_session",
        /// Validating a token.
        TouchSession = "touch_session",
        /// Logging out.
        DeleteSession = "delete_session",
        /// Reading a user's session keys.
        UserKeys = "user_keys",
        /// Log-out-everywhere.
        RevokeUser = "revoke_user",
        /// A rate-limit counter.
        RateLimit = "rate_limit",
        /// The access_token, its locks and its refused marker.
        AccessToken = "access_token",
        /// A user's key set outside a login.
        RotateUserKey = "rotate_user_key",
        /// The unionid index: a login recorded, an admin listing, live sessions counted.
        Union = "union",
        /// A web login's `state`: stored, then taken once.
        WebState = "web_state",
        /// The app registry: its records, its change log, its durability.
        Apps = "apps",
        /// A remembered phone number (kept, read, forgotten) or a phone-quota reading.
        Phone = "phone",
    }
}

labels! {
    /// How a code exchange ended (`result` of `code_exchanges_total`).
    ExchangeResult {
        /// A session was created.
        Ok = "ok",
        /// WeChat 40029.
        InvalidCode = "invalid_code",
        /// WeChat 40163.
        CodeUsed = "code_used",
        /// WeChat 45011.
        RateLimited = "rate_limited",
        /// WeChat 40226.
        UserBlocked = "user_blocked",
        /// Any other answer.
        WechatError = "wechat_error",
        /// No answer in time.
        Timeout = "timeout",
        /// Unreachable, 5xx or busy.
        Unavailable = "unavailable",
    }
}

labels! {
    open
    /// Redis' `maxmemory-policy` (`policy` of `store_eviction_policy`).
    EvictionPolicy {
        /// Writes fail at `maxmemory`; nothing is evicted. The one policy that logs no one out.
        NoEviction = "noeviction",
        /// `allkeys-lru`.
        AllkeysLru = "allkeys-lru",
        /// `allkeys-lfu`.
        AllkeysLfu = "allkeys-lfu",
        /// `allkeys-random`.
        AllkeysRandom = "allkeys-random",
        /// `volatile-lru`.
        VolatileLru = "volatile-lru",
        /// `volatile-lfu`.
        VolatileLfu = "volatile-lfu",
        /// `volatile-random`.
        VolatileRandom = "volatile-random",
        /// `volatile-ttl`.
        VolatileTtl = "volatile-ttl",
        /// Anything else Redis may report.
        Other = "other",
    }
}

labels! {
    /// How a decrypt ended (`result` of `decrypt_total`).
    DecryptResult {
        /// Decrypted and checked.
        Ok = "ok",
        /// Failed after input validation.
        Failed = "failed",
        /// Refused before decryption.
        BadInput = "bad_input",
    }
}

labels! {
    /// Why a decrypt failed (`reason` of `decrypt_failures_total`; operator listener only).
    FailureReason {
        /// Refused before decryption.
        BadInput = "bad_input",
        /// PKCS#7 padding.
        Padding = "padding",
        /// Not JSON.
        Json = "json",
        /// `watermark.appid` mismatch.
        Watermark = "watermark",
        /// `rawData` signature mismatch.
        Signature = "signature",
    }
}

labels! {
    /// A token lookup (`result` of `session_lookups_total`).
    LookupResult {
        /// Found.
        Hit = "hit",
        /// Missing, malformed, unknown or expired.
        Miss = "miss",
    }
}

labels! {
    /// A WeChat server API (`api` of `wechat_requests_total`).
    WechatApi {
        /// `sns/jscode2session`.
        Code2Session = "code2session",
        /// `cgi-bin/stable_token`.
        StableToken = "stable_token",
        /// `cgi-bin/token`.
        Token = "token",
        /// `wxa/business/getuserphonenumber`.
        Phone = "phone",
        /// `wxa/checksession`.
        CheckSession = "checksession",
        /// `wxa/resetusersessionkey`.
        ResetUserSessionKey = "resetusersessionkey",
        /// `sns/oauth2/access_token`.
        OAuth2 = "oauth2",
        /// `sns/userinfo`.
        UserInfo = "userinfo",
        /// `wxa/charge/usage/get` (the phone-number quota).
        ChargeUsage = "charge_usage",
        #[doc = "`cgi-bin/component/api_component_token`."] ComponentToken = "component_token",
        #[doc = "`cgi-bin/component/api_authorizer_token`."] AuthorizerToken = "authorizer_token",
        #[doc = "`cgi-bin/component/api_query_auth`."] QueryAuth = "query_auth",
        #[doc = "`cgi-bin/component/api_get_authorizer_info`."] AuthorizerInfo = "authorizer_info",
        #[doc = "`cgi-bin/component/api_start_push_ticket`."] StartPushTicket = "start_push_ticket",
        #[doc = "`cgi-bin/component/api_create_preauthcode`."] PreAuthCode = "create_preauthcode",
        /// `sns/component/jscode2session`.
        ComponentCode2Session = "component_code2session",
    }
}

labels! {
    /// How a WeChat call ended (`result` of `wechat_requests_total`).
    WechatResult {
        /// The expected answer.
        Ok = "ok",
        /// An errcode that means something for this call (a bad code, an invalid signature).
        Refused = "refused",
        /// `45011`.
        RateLimited = "rate_limited",
        /// `40001`, `40014`, `42001`.
        TokenRefused = "token_refused",
        /// `40013`, `40125`.
        BadCredentials = "bad_credentials",
        /// `-1`, 5xx, unreachable.
        Unavailable = "unavailable",
        /// No answer in time.
        Timeout = "timeout",
        /// Anything else.
        Error = "error",
    }
}

labels! {
    /// How an access_token fetch ended (`result` of `access_token_fetches_total`).
    FetchResult {
        /// A token.
        Ok = "ok",
        /// A token, with `force_refresh` (a normal fetch returned the refused token again).
        Forced = "forced",
        /// No token.
        Failed = "failed",
    }
}

labels! {
    /// How a phone lookup ended (`result` of `phone_lookups_total`).
    PhoneResult {
        /// The number, from WeChat.
        Ok = "ok",
        /// The number, sealed from an earlier presentation of the same code.
        Replayed = "replayed",
        /// WeChat refused the phone code.
        InvalidCode = "invalid_code",
        /// Anything else WeChat or the access_token service answered.
        Failed = "failed",
    }
}

labels! {
    /// What `GET /v1/sessions/current/phone` found (`result` of `phone_known_total`).
    PhoneKnown {
        /// A remembered number: the button need not be shown (a paid verification saved).
        Known = "known",
        /// None: the page shows the button.
        Unknown = "unknown",
    }
}

labels! {
    /// How the local validation cache answered a lookup (`result`).
    CacheResult {
        /// From memory.
        Hit = "hit",
        /// Not in memory (or due for its touch): Redis was asked, and the answer kept.
        Miss = "miss",
        /// The change feed is down (or the cache is off): Redis was asked, nothing kept.
        Bypass = "bypass",
    }
}
