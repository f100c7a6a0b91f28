//! `jscode2session`: a `wx.login` code for the user's ids and `session_key`.

use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use crate::client::Repeat;
use crate::{Client, Error};

/// A successful `jscode2session` answer.
#[derive(Debug, Clone)]
pub struct Code2Session {
    /// The user's id within this app.
    pub openid: String,
    /// The user's current session key (base64). Redacted in `Debug`.
    pub session_key: SecretString,
    /// The user's id across the apps of one open-platform account, when bound.
    pub unionid: Option<String>,
}

/// Why `jscode2session` refused: the errcodes that mean something for a login code, then the
/// classes every call shares.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Code2SessionError {
    /// `40029`: the code is invalid or expired. Final: ask the user to log in again.
    #[error("invalid code (40029)")]
    InvalidCode,
    /// `40163`: the code was already exchanged. Final.
    #[error("code already used (40163)")]
    CodeUsed,
    /// `40226`: the user is blocked by WeChat's risk control. Final.
    #[error("user blocked by WeChat (40226)")]
    UserBlocked,
    /// `61003` (`sns/component/jscode2session` only): the merchant has not authorized the
    /// platform, or no longer does.
    #[error("the merchant has not authorized this platform (61003)")]
    NotAuthorized,
    /// Anything else.
    #[error(transparent)]
    Wechat(Error),
}

impl From<Error> for Code2SessionError {
    fn from(err: Error) -> Self {
        match err.errcode() {
            Some(40029) => Self::InvalidCode,
            Some(40163) => Self::CodeUsed,
            Some(40226) => Self::UserBlocked,
            Some(61003) => Self::NotAuthorized,
            _ => Self::Wechat(err),
        }
    }
}

/// The raw answer: success fields and error fields are all optional, `errcode` is read first.
#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
    openid: Option<String>,
    session_key: Option<String>,
    unionid: Option<String>,
}

impl Client {
    /// `GET /sns/jscode2session`: exchanges a `wx.login` code for the user's ids and session key.
    pub async fn code2session(
        &self,
        appid: &str,
        secret: &SecretString,
        js_code: &str,
    ) -> Result<Code2Session, Code2SessionError> {
        let query = [
            ("appid", appid),
            ("secret", secret.expose_secret()),
            ("js_code", js_code),
            ("grant_type", "authorization_code"),
        ];
        self.exchange_code("/sns/jscode2session", &query).await
    }

    /// One login code for the user's ids and session key, at `path` (the app's own
    /// `jscode2session` or a platform's `sns/component/jscode2session`): `errcode` first, then
    /// both ids must be there. Spends the code: never sent twice.
    pub(crate) async fn exchange_code(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Code2Session, Code2SessionError> {
        let raw: Raw = self.get_json(path, query, Repeat::Unsent).await?;
        if raw.errcode != 0 {
            return Err(Error::from_errcode(raw.errcode, raw.errmsg).into());
        }
        match (raw.openid, raw.session_key) {
            (Some(openid), Some(key)) if !openid.is_empty() && !key.is_empty() => {
                Ok(Code2Session {
                    openid,
                    session_key: SecretString::from(key),
                    unionid: raw.unionid.filter(|u| !u.is_empty()),
                })
            }
            _ => Err(Error::Decode("openid or session_key missing".to_owned()).into()),
        }
    }
}
