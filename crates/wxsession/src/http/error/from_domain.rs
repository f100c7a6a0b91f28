//! What a client sees for each domain error.

use super::{ApiError, Code};
use crate::domain::Error;

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        match err {
            Error::InvalidInput(detail) => Self::invalid(detail),
            Error::UnknownApp => Code::UnknownApp.into(),
            Error::AppManagedElsewhere => Code::AppManagedElsewhere.into(),
            Error::AppUnauthorized => Code::AppUnauthorized.into(),
            Error::StoreNotDurable(why) => Self {
                detail: Some(why),
                ..Code::StoreNotDurable.into()
            },
            Error::InvalidCode => Code::InvalidCode.into(),
            Error::CodeUsed => Code::CodeUsed.into(),
            Error::InvalidSession => Code::InvalidSession.into(),
            Error::UserBlocked => Code::UserBlocked.into(),
            // The web callback turns it into a redirect; no other route meets one.
            Error::SnapshotUser | Error::AccessDenied => Code::Forbidden.into(),
            Error::InvalidPhoneCode => Code::InvalidPhoneCode.into(),
            Error::NotFound => Code::NotFound.into(),
            Error::UnsupportedForApp => Code::UnsupportedForApp.into(),
            Error::InvalidState => Code::InvalidState.into(),
            Error::DecryptFailed => Code::DecryptFailed.into(),
            Error::SignatureMismatch => Code::SignatureMismatch.into(),
            Error::RateLimited { retry_after } => Self {
                retry_after: Some(retry_after),
                ..Code::RateLimited.into()
            },
            Error::WechatError => Code::WechatError.into(),
            Error::WechatUnavailable => Code::WechatUnavailable.into(),
            Error::ForceRefreshSpent { retry_after } => Self {
                retry_after: Some(retry_after),
                ..Code::WechatUnavailable.into()
            },
            Error::WechatTimeout => Code::WechatTimeout.into(),
            Error::StoreUnavailable => Code::StoreUnavailable.into(),
            Error::StoreFull => Code::StoreFull.into(),
            Error::Unexpected(cause) => Self {
                cause: Some(cause),
                ..Code::Internal.into()
            },
            // The enum is non-exhaustive for other crates only; a new variant lands here until
            // it gets its own code.
            #[allow(unreachable_patterns)]
            other => Self {
                cause: Some(anyhow::anyhow!("unmapped domain error: {other}")),
                ..Code::Internal.into()
            },
        }
    }
}
