//! Every error a client can see, in one table — code, status, message, extra headers — rendered
//! as `{"error": {"code", "message", "request_id"}}` (meilisearch's `make_error_codes!` shape).
//! OpenAPI reads the same table. No upstream text, Redis text or secret ever reaches a body; the
//! cause goes to the log where the error is made.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};

/// A header some codes carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Extra {
    /// `WWW-Authenticate: Bearer`.
    Bearer,
    /// `Retry-After` (1 s unless the error says otherwise).
    RetryAfter,
    /// `Connection: close`.
    Close,
}

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $status:ident, [$($extra:ident),*], $message:literal;)+) => {
        /// An error code of the contract (SPEC §5, §12).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Code {
            $($(#[$doc])* $variant,)+
        }

        impl Code {
            /// Every code, in the table's order.
            pub const ALL: &[Self] = &[$(Self::$variant,)+];

            /// The snake_case code.
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $code,)+ }
            }

            /// The HTTP status.
            pub const fn status(self) -> StatusCode {
                match self { $(Self::$variant => StatusCode::$status,)+ }
            }

            /// The message, unless the error brings its own.
            pub const fn message(self) -> &'static str {
                match self { $(Self::$variant => $message,)+ }
            }

            const fn extras(self) -> &'static [Extra] {
                match self { $(Self::$variant => &[$(Extra::$extra),*],)+ }
            }
        }
    };
}

error_codes! {
    /// Malformed input; the message says what.
    InvalidRequest = "invalid_request", BAD_REQUEST, [], "the request is malformed";
    /// The appid is not configured, or omitted while several are.
    UnknownApp = "unknown_app", BAD_REQUEST, [], "unknown or missing appid";
    /// Decrypt, phone or key status on a session of an app kind without a `session_key`, or a
    /// login route of another app kind.
    UnsupportedForApp = "unsupported_for_app", BAD_REQUEST, [],
        "this app kind does not support the operation";
    /// A web login callback with a bad, missing, expired or reused `state`.
    InvalidState = "invalid_state", BAD_REQUEST, [],
        "the login state is invalid, expired or used: start the login again";
    /// WeChat 40029.
    InvalidCode = "invalid_code", UNAUTHORIZED, [Bearer],
        "the login code is invalid or expired: call wx.login again";
    /// WeChat 40163.
    CodeUsed = "code_used", UNAUTHORIZED, [Bearer],
        "the login code was already used: call wx.login again";
    /// Missing, malformed, unknown, expired or revoked token.
    InvalidSession = "invalid_session", UNAUTHORIZED, [Bearer],
        "the session is missing, invalid or expired: log in again";
    /// A wrong admin token.
    Forbidden = "forbidden", FORBIDDEN, [], "forbidden";
    /// WeChat 40226.
    UserBlocked = "user_blocked", FORBIDDEN, [], "the user is blocked by WeChat";
    /// The merchant withdrew the third-party platform's authorization, or WeChat says the
    /// platform may not act for it (61003).
    AppUnauthorized = "app_unauthorized", FORBIDDEN, [],
        "the app has not authorized this service: its owner must authorize it again";
    /// No such route (or the admin API is disabled or on its own listener).
    NotFound = "not_found", NOT_FOUND, [], "not found";
    /// A `PUT`/`DELETE` of an app that the config file or the third-party platform manages.
    AppManagedElsewhere = "app_managed_elsewhere", CONFLICT, [],
        "the app is managed by the config file or the third-party platform, not through this API";
    /// No remembered phone number for this user (SPEC §20): show the phone button.
    PhoneUnknown = "phone_unknown", NOT_FOUND, [],
        "no phone number is remembered for this user: show the phone button";
    /// The route exists, the method does not.
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED, [], "method not allowed";
    /// The request did not arrive within the read deadline.
    RequestTimeout = "request_timeout", REQUEST_TIMEOUT, [Close],
        "the request was not received in time";
    /// Body over the limit.
    PayloadTooLarge = "payload_too_large", PAYLOAD_TOO_LARGE, [], "the request body is too large";
    /// Not JSON, or a `Content-Encoding` (bodies are never inflated).
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, [],
        "the request body must be uncompressed application/json";
    /// Any failure after input validation.
    DecryptFailed = "decrypt_failed", UNPROCESSABLE_ENTITY, [],
        "the data could not be decrypted with this session: call wx.login, log in again, then fetch the data again";
    /// `rawData` signature wrong.
    SignatureMismatch = "signature_mismatch", UNPROCESSABLE_ENTITY, [],
        "the rawData signature does not match";
    /// WeChat refused the phone code (40029, 40163).
    InvalidPhoneCode = "invalid_phone_code", UNPROCESSABLE_ENTITY, [],
        "the phone code is invalid, expired or used: ask the user again";
    /// WeChat 45011 or a local limit.
    RateLimited = "rate_limited", TOO_MANY_REQUESTS, [RetryAfter], "too many requests: retry later";
    /// Any other WeChat errcode, or a reply that is not the expected JSON.
    WechatError = "wechat_error", BAD_GATEWAY, [], "WeChat returned an error";
    /// WeChat unreachable, 5xx or `-1` after retries, or the app's calls at their bound.
    WechatUnavailable = "wechat_unavailable", SERVICE_UNAVAILABLE, [RetryAfter],
        "WeChat is unavailable: retry later";
    /// The store is unreachable.
    StoreUnavailable = "store_unavailable", SERVICE_UNAVAILABLE, [RetryAfter],
        "the session store is unavailable: retry later";
    /// Redis refused a write for lack of memory (`maxmemory` under `noeviction`).
    StoreFull = "store_full", SERVICE_UNAVAILABLE, [RetryAfter],
        "the session store is full: retry later";
    /// A record that cannot be rebuilt (a runtime app, a refresh token) would go to a store
    /// that does not keep it across a restart; the message says why.
    StoreNotDurable = "store_not_durable", SERVICE_UNAVAILABLE, [],
        "the store does not keep durable records: nothing was written";
    /// WeChat timed out.
    WechatTimeout = "wechat_timeout", GATEWAY_TIMEOUT, [RetryAfter], "WeChat did not answer in time";
    /// A bug or an impossible state; the cause goes to the log.
    Internal = "internal", INTERNAL_SERVER_ERROR, [], "internal error";
}

/// An error on its way to a client.
#[derive(Debug)]
pub struct ApiError {
    code: Code,
    detail: Option<String>,
    retry_after: Option<u64>,
    cause: Option<anyhow::Error>,
}

impl From<Code> for ApiError {
    fn from(code: Code) -> Self {
        Self {
            code,
            detail: None,
            retry_after: None,
            cause: None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl ApiError {
    /// `invalid_request` with what is wrong (our words, never an echo of the input).
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self {
            detail: Some(detail.into()),
            ..Code::InvalidRequest.into()
        }
    }

    /// The code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The message a client sees.
    pub fn message(&self) -> &str {
        self.detail.as_deref().unwrap_or(self.code.message())
    }

    /// The error a status code stands for, for responses actix made itself.
    pub fn from_status(status: StatusCode) -> Self {
        const MADE_BY_ACTIX: &[Code] = &[
            Code::InvalidSession,
            Code::Forbidden,
            Code::NotFound,
            Code::MethodNotAllowed,
            Code::RequestTimeout,
            Code::PayloadTooLarge,
            Code::UnsupportedMediaType,
        ];
        let code = MADE_BY_ACTIX.iter().copied().find(|c| c.status() == status);
        match code {
            Some(code) => code.into(),
            None if status.is_client_error() => Self::invalid("the request is malformed"),
            None => Self {
                cause: Some(anyhow::anyhow!("unhandled status {status}")),
                ..Code::Internal.into()
            },
        }
    }
}

/// What the error middleware needs to render the final body with the request id.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    /// The snake_case code.
    pub code: &'static str,
    /// The human message.
    pub message: String,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(cause) = &self.cause {
            tracing::error!(error = %crate::telemetry::error_chain(cause.as_ref()), "unexpected error");
        }
        let info = ErrorInfo {
            code: self.code.as_str(),
            message: self.message().to_owned(),
        };
        let mut builder = HttpResponse::build(self.status_code());
        for extra in self.code.extras() {
            match extra {
                Extra::Bearer => {
                    builder.insert_header((WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
                }
                Extra::RetryAfter => {
                    builder.insert_header((RETRY_AFTER, self.retry_after.unwrap_or(1).to_string()));
                }
                // The rest of a body that came too slowly is not worth waiting for.
                Extra::Close => {
                    builder.force_close();
                }
            }
        }
        let mut response = builder.json(render(&info, ""));
        response.extensions_mut().insert(info);
        response
    }
}

/// The final error body.
pub fn render(info: &ErrorInfo, request_id: &str) -> serde_json::Value {
    serde_json::json!({
        "error": { "code": info.code, "message": info.message, "request_id": request_id }
    })
}

mod from_domain;

#[cfg(test)]
mod tests;
