//! The body of `PUT /v1/admin/apps/{appid}`, and its checks: what the config file's `[[apps]]`
//! checks, each error naming its field and never echoing a value.

use serde::Deserialize;

use super::record::expose;
use crate::domain::Error;
use crate::settings::{AccessTokenMode, AppKind, OAuthScope};

/// `PUT /v1/admin/apps/{appid}`'s body. Each field's error names the field and never echoes
/// the value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutApp {
    /// What kind of app.
    #[serde(deserialize_with = "named::kind")]
    pub kind: AppKind,
    /// Its AppSecret (32 hexadecimal characters).
    #[serde(deserialize_with = "named::secret")]
    pub secret: secrecy::SecretString,
    /// How its access_token is fetched (mini-programs and official accounts).
    #[serde(default, deserialize_with = "named::access_token")]
    pub access_token: Option<AccessTokenMode>,
    /// An official account's OAuth scope.
    #[serde(default, deserialize_with = "named::scope")]
    pub scope: Option<OAuthScope>,
}

/// Field deserializers whose errors name the field and its allowed values.
mod named {
    use serde::de::{Error as _, IntoDeserializer as _};
    use serde::{Deserialize, Deserializer};

    use crate::settings::{AccessTokenMode, AppKind, OAuthScope};

    fn one_of<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
        message: &'static str,
    ) -> Result<T, D::Error> {
        let text = String::deserialize(d).map_err(|_| D::Error::custom(message))?;
        T::deserialize(text.into_deserializer())
            .map_err(|_: serde::de::value::Error| D::Error::custom(message))
    }

    pub fn kind<'de, D: Deserializer<'de>>(d: D) -> Result<AppKind, D::Error> {
        one_of(
            d,
            "kind must be one of miniprogram, mobile, website, official_account",
        )
    }

    pub fn access_token<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<AccessTokenMode>, D::Error> {
        one_of(d, "access_token must be one of stable, classic, off").map(Some)
    }

    pub fn scope<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OAuthScope>, D::Error> {
        one_of(d, "scope must be one of snsapi_base, snsapi_userinfo").map(Some)
    }

    pub fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<secrecy::SecretString, D::Error> {
        String::deserialize(d)
            .map(secrecy::SecretString::from)
            .map_err(|_| D::Error::custom("secret must be a string"))
    }
}

/// Validates a `PUT` body against its kind: what the config file's `[[apps]]` checks.
pub(super) fn validate(body: &PutApp) -> Result<AccessTokenMode, Error> {
    let secret = expose(&body.secret);
    if secret.len() != 32 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::InvalidInput(
            "secret must be the app's AppSecret: 32 hexadecimal characters".into(),
        ));
    }
    if body.scope.is_some() && body.kind != AppKind::OfficialAccount {
        return Err(Error::InvalidInput(
            "scope: only an official_account app has a scope".into(),
        ));
    }
    match (body.kind, body.access_token) {
        (AppKind::Miniprogram | AppKind::OfficialAccount, mode) => Ok(mode.unwrap_or_default()),
        (_, None | Some(AccessTokenMode::Off)) => Ok(AccessTokenMode::Off),
        (kind, Some(_)) => Err(Error::InvalidInput(format!(
            "access_token: a {} app has no access_token",
            kind.as_str()
        ))),
    }
}
