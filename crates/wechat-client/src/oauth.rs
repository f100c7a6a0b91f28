//! The OAuth side of WeChat (`sns/oauth2/access_token`, `sns/userinfo`): the code a mobile
//! app's WeChat SDK, a website's QR login or an official account's in-WeChat page gives, for
//! the user's ids in that app.

use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use crate::client::Repeat;
use crate::{Client, Code2SessionError, Error};

/// A successful `sns/oauth2/access_token` answer. The user's OAuth token is a secret (redacted
/// in `Debug`); it is only good for [`Client::userinfo`] and is not kept.
#[derive(Debug, Clone)]
pub struct OAuthToken {
    /// The user's id within this app.
    pub openid: String,
    /// The user's id across the apps of one open-platform account, when WeChat gives it here
    /// (a website's or mobile app's login, or `snsapi_userinfo`).
    pub unionid: Option<String>,
    /// The scopes the user granted, comma-separated (`snsapi_login`, `snsapi_base`, …).
    pub scope: String,
    /// The user's OAuth access token.
    pub access_token: SecretString,
    /// `is_snapshotuser: 1`: an official-account page opened in WeChat Moments' snapshot mode.
    /// The openid is a virtual one that stands for nobody; no login may be made of it.
    pub snapshot_user: bool,
}

/// A successful `sns/userinfo` answer: what the login needs of it.
#[derive(Debug, Clone, Deserialize)]
pub struct UserInfo {
    /// The user's id within this app.
    pub openid: String,
    /// The user's id across the team's apps, when the app is bound to an open-platform account.
    #[serde(default)]
    pub unionid: Option<String>,
    /// The nickname.
    #[serde(default)]
    pub nickname: Option<String>,
    /// The avatar's URL.
    #[serde(default)]
    pub headimgurl: Option<String>,
}

#[derive(Deserialize)]
struct RawToken {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
    access_token: Option<String>,
    openid: Option<String>,
    unionid: Option<String>,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    is_snapshotuser: i64,
}

impl Client {
    /// `GET /sns/oauth2/access_token`: exchanges an OAuth code (mobile app, website QR login,
    /// official account page) for the user's ids in the app. `40029`, `40163`, `42003` (the
    /// code expired) are the code's final refusals. Spends the code: never sent twice.
    pub async fn oauth2_access_token(
        &self,
        appid: &str,
        secret: &SecretString,
        code: &str,
    ) -> Result<OAuthToken, Code2SessionError> {
        let query = [
            ("appid", appid),
            ("secret", secret.expose_secret()),
            ("code", code),
            ("grant_type", "authorization_code"),
        ];
        let raw: RawToken = self
            .get_json("/sns/oauth2/access_token", &query, Repeat::Unsent)
            .await?;
        if raw.errcode == 42003 {
            return Err(Code2SessionError::InvalidCode);
        }
        if raw.errcode != 0 {
            return Err(Error::from_errcode(raw.errcode, raw.errmsg).into());
        }
        let snapshot_user = raw.is_snapshotuser == 1;
        match (raw.openid, raw.access_token) {
            // A snapshot-mode page's virtual user: WeChat may leave the token empty.
            (Some(openid), token) if snapshot_user && !openid.is_empty() => Ok(OAuthToken {
                openid,
                unionid: None,
                scope: raw.scope,
                access_token: SecretString::from(token.unwrap_or_default()),
                snapshot_user,
            }),
            (Some(openid), Some(token)) if !openid.is_empty() && !token.is_empty() => {
                Ok(OAuthToken {
                    openid,
                    unionid: raw.unionid.filter(|u| !u.is_empty()),
                    scope: raw.scope,
                    access_token: SecretString::from(token),
                    snapshot_user,
                })
            }
            _ => Err(Error::Decode("openid or access_token missing".to_owned()).into()),
        }
    }

    /// `GET /sns/userinfo`: the user's profile with the user's OAuth token (`snsapi_userinfo`
    /// or `snsapi_login`), for the `unionid` in particular.
    pub async fn userinfo(
        &self,
        access_token: &SecretString,
        openid: &str,
    ) -> Result<UserInfo, Error> {
        let query = [
            ("access_token", access_token.expose_secret()),
            ("openid", openid),
            ("lang", "zh_CN"),
        ];
        let info: UserInfo = self.get_checked("/sns/userinfo", &query).await?;
        Ok(UserInfo {
            unionid: info.unionid.filter(|u| !u.is_empty()),
            ..info
        })
    }
}
