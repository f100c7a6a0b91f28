//! Calls made with the access_token: the user's phone number (`getuserphonenumber`),
//! `checkSessionKey` and `resetUserSessionKey`.

use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use crate::client::Repeat;
use crate::{Client, Error};

/// The phone number WeChat confirmed for a phone code.
#[derive(Clone, Deserialize)]
pub struct PhoneInfo {
    /// With the country code when it is not China (`+1 …`).
    #[serde(rename = "phoneNumber")]
    pub phone_number: String,
    /// Without the country code.
    #[serde(rename = "purePhoneNumber")]
    pub pure_phone_number: String,
    /// The country code, as text (`"86"`). WeChat's docs show it as a number (`86`): either
    /// is read.
    #[serde(rename = "countryCode", deserialize_with = "text_or_number")]
    pub country_code: String,
    /// Whose app the number was issued for.
    pub watermark: Watermark,
}

impl std::fmt::Debug for PhoneInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneInfo")
            .field("country_code", &self.country_code)
            .finish_non_exhaustive()
    }
}

/// A string, or a number read as its text.
fn text_or_number<'de, D: serde::Deserializer<'de>>(de: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TextOrNumber {
        Text(String),
        Number(serde_json::Number),
    }
    Ok(match TextOrNumber::deserialize(de)? {
        TextOrNumber::Text(text) => text,
        TextOrNumber::Number(number) => number.to_string(),
    })
}

/// The `watermark` of an answer.
#[derive(Debug, Clone, Deserialize)]
pub struct Watermark {
    /// The app the data was issued for.
    pub appid: String,
}

#[derive(Deserialize)]
struct RawPhone {
    phone_info: PhoneInfo,
}

/// Why `getuserphonenumber` refused: what its errcodes mean for a phone code, then the classes
/// every call shares.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    /// `40029` or `40163`: the phone code is invalid, expired or used. Ask the user again.
    #[error("invalid or used phone code ({0})")]
    InvalidCode(i64),
    /// Anything else.
    #[error(transparent)]
    Wechat(Error),
}

impl From<Error> for PhoneError {
    fn from(err: Error) -> Self {
        match err.errcode() {
            Some(code @ (40029 | 40163)) => Self::InvalidCode(code),
            _ => Self::Wechat(err),
        }
    }
}

#[derive(Deserialize)]
struct RawReset {
    session_key: String,
}

impl Client {
    /// `POST /wxa/business/getuserphonenumber`: the number behind a phone code, which WeChat
    /// binds to `openid`.
    pub async fn get_phone_number(
        &self,
        access_token: &SecretString,
        code: &str,
        openid: &str,
    ) -> Result<PhoneInfo, PhoneError> {
        let query = [("access_token", access_token.expose_secret())];
        let body = serde_json::json!({ "code": code, "openid": openid });
        let raw: RawPhone = self
            .post_checked(
                "/wxa/business/getuserphonenumber",
                &query,
                &body,
                Repeat::Unsent,
            )
            .await?;
        Ok(raw.phone_info)
    }

    /// `GET /wxa/checksession`: whether `signature` (`hmac_sha256` of the empty message under
    /// the user's `session_key`) is the user's current key's. `87009` is `Ok(false)`.
    pub async fn check_session(
        &self,
        access_token: &SecretString,
        openid: &str,
        signature: &str,
    ) -> Result<bool, Error> {
        let query = [
            ("access_token", access_token.expose_secret()),
            ("openid", openid),
            ("signature", signature),
            ("sig_method", "hmac_sha256"),
        ];
        match self
            .get_checked::<serde_json::Value>("/wxa/checksession", &query)
            .await
        {
            Ok(_) => Ok(true),
            Err(err) if err.errcode() == Some(87009) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// `GET /wxa/resetusersessionkey`: a new `session_key` for the user, signed for with the
    /// current one.
    pub async fn reset_user_session_key(
        &self,
        access_token: &SecretString,
        openid: &str,
        signature: &str,
    ) -> Result<SecretString, Error> {
        let query = [
            ("access_token", access_token.expose_secret()),
            ("openid", openid),
            ("signature", signature),
            ("sig_method", "hmac_sha256"),
        ];
        let raw: RawReset = self.get_checked("/wxa/resetusersessionkey", &query).await?;
        Ok(SecretString::from(raw.session_key))
    }
}
