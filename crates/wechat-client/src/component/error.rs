//! What the component errcodes mean; everything else is the shared [`Error`].

use crate::Error;

/// Why a component call refused: what the component errcodes mean, then the classes every call
/// shares (`40001` — the component token is invalid or expired — is
/// [`Error::TokenRefused`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ComponentError {
    /// `61003`: the merchant has not authorized this platform (or no longer does).
    #[error("the merchant has not authorized this platform (61003)")]
    NotAuthorized,
    /// `61005`: the component_verify_ticket expired; wait for the next push.
    #[error("component_verify_ticket expired (61005)")]
    TicketExpired,
    /// `61006`: the component_verify_ticket is not one WeChat issued to this platform.
    #[error("component_verify_ticket invalid (61006)")]
    TicketInvalid,
    /// `61009` or `61010`: the authorization code is invalid or expired.
    #[error("invalid or expired authorization code ({0})")]
    InvalidAuthCode(i64),
    /// `61023`: the merchant's refresh token is no longer valid (the merchant re-authorized or
    /// revoked): the merchant must authorize again.
    #[error("authorizer refresh token invalid (61023)")]
    RefreshTokenInvalid,
    /// Anything else.
    #[error(transparent)]
    Wechat(Error),
}

impl From<Error> for ComponentError {
    fn from(err: Error) -> Self {
        match err.errcode() {
            Some(61003) => Self::NotAuthorized,
            Some(61005) => Self::TicketExpired,
            Some(61006) => Self::TicketInvalid,
            Some(code @ (61009 | 61010)) => Self::InvalidAuthCode(code),
            Some(61023) => Self::RefreshTokenInvalid,
            _ => Self::Wechat(err),
        }
    }
}
