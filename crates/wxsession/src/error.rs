//! The one error type at the service edge, rendered as
//! `{"error": {"code", "message", "request_id"}}`. No upstream text, Redis text or secret ever
//! reaches the body; the cause goes to the log where the error is made.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};

/// Every error a client can see.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// Malformed input; the message says what (our words, never an echo of the input).
    #[error("{0}")]
    InvalidRequest(String),
    /// The appid is not configured, or omitted while several are.
    #[error("unknown or missing appid")]
    UnknownApp,
    /// WeChat 40029.
    #[error("the login code is invalid or expired: call wx.login again")]
    InvalidCode,
    /// WeChat 40163.
    #[error("the login code was already used: call wx.login again")]
    CodeUsed,
    /// Missing, malformed, unknown, expired or revoked token.
    #[error("the session is missing, invalid or expired: log in again")]
    InvalidSession,
    /// Bad admin token.
    #[error("forbidden")]
    Forbidden,
    /// WeChat 40226.
    #[error("the user is blocked by WeChat")]
    UserBlocked,
    /// No such route.
    #[error("not found")]
    NotFound,
    /// The route exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Body over the limit.
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// Not JSON, or a body with a `Content-Encoding` (bodies are never inflated).
    #[error("the request body must be uncompressed application/json")]
    UnsupportedMediaType,
    /// The request was not received within the read deadline.
    #[error("the request was not received in time")]
    RequestTimeout,
    /// Any failure after input validation.
    #[error(
        "the data could not be decrypted with this session: call wx.login, log in again, then fetch the data again"
    )]
    DecryptFailed,
    /// `rawData` signature wrong.
    #[error("the rawData signature does not match")]
    SignatureMismatch,
    /// WeChat 45011 or a local limit.
    #[error("too many requests: retry later")]
    RateLimited {
        /// Seconds for `Retry-After`.
        retry_after: u64,
    },
    /// Any other WeChat errcode, or a reply that is not the expected JSON.
    #[error("WeChat returned an error")]
    WechatError,
    /// WeChat unreachable, 5xx or `-1` after retries.
    #[error("WeChat is unavailable: retry later")]
    WechatUnavailable,
    /// The store is unreachable.
    #[error("the session store is unavailable: retry later")]
    StoreUnavailable,
    /// WeChat timed out.
    #[error("WeChat did not answer in time")]
    WechatTimeout,
    /// A bug or an impossible state; the chain goes to the log.
    #[error("internal error")]
    Unexpected(#[from] anyhow::Error),
}

/// What the error middleware needs to render the final body with the request id.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    /// The snake_case code.
    pub code: &'static str,
    /// The human message.
    pub message: String,
}

impl ApiError {
    /// The snake_case code of the SPEC's error table.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::UnknownApp => "unknown_app",
            Self::InvalidCode => "invalid_code",
            Self::CodeUsed => "code_used",
            Self::InvalidSession => "invalid_session",
            Self::Forbidden => "forbidden",
            Self::UserBlocked => "user_blocked",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RequestTimeout => "request_timeout",
            Self::DecryptFailed => "decrypt_failed",
            Self::SignatureMismatch => "signature_mismatch",
            Self::RateLimited { .. } => "rate_limited",
            Self::WechatError => "wechat_error",
            Self::WechatUnavailable => "wechat_unavailable",
            Self::StoreUnavailable => "store_unavailable",
            Self::WechatTimeout => "wechat_timeout",
            Self::Unexpected(_) => "internal",
        }
    }

    /// Builds the error a status code stands for, for responses actix made itself.
    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            401 => Self::InvalidSession,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            408 => Self::RequestTimeout,
            413 => Self::PayloadTooLarge,
            415 => Self::UnsupportedMediaType,
            400..=499 => Self::InvalidRequest("the request is malformed".into()),
            _ => Self::Unexpected(anyhow::anyhow!("unhandled status {status}")),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::InvalidRequest(_) | Self::UnknownApp => StatusCode::BAD_REQUEST,
            Self::InvalidCode | Self::CodeUsed | Self::InvalidSession => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::UserBlocked => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::DecryptFailed | Self::SignatureMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::WechatError => StatusCode::BAD_GATEWAY,
            Self::WechatUnavailable | Self::StoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::WechatTimeout => StatusCode::GATEWAY_TIMEOUT,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Unexpected(err) = self {
            tracing::error!(error = %error_chain(err.as_ref()), "unexpected error");
        }
        let info = ErrorInfo {
            code: self.code(),
            message: self.to_string(),
        };
        let mut builder = HttpResponse::build(self.status_code());
        match self {
            Self::InvalidSession => {
                builder.insert_header((WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            Self::RateLimited { retry_after } => {
                builder.insert_header((RETRY_AFTER, retry_after.to_string()));
            }
            Self::WechatUnavailable | Self::StoreUnavailable => {
                builder.insert_header((RETRY_AFTER, HeaderValue::from_static("1")));
            }
            // The rest of a body that came too slowly is not worth waiting for.
            Self::RequestTimeout => {
                builder.force_close();
            }
            _ => {}
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

/// `err: cause: cause …`, for logs only.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
