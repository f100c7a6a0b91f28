//! The app's access_token: `cgi-bin/stable_token` (the stable interface: the same token while
//! it is valid, a new one only with `force_refresh`) and the classic `cgi-bin/token`.

use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use crate::client::Repeat;
use crate::{Client, Error};

/// An access_token and its lifetime. The token is redacted in `Debug`.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The token; it goes into the query string of every call, so it is a secret.
    pub token: SecretString,
    /// Seconds it stays valid.
    pub expires_in: u64,
}

#[derive(Deserialize)]
struct Raw {
    access_token: String,
    expires_in: u64,
}

impl From<Raw> for AccessToken {
    fn from(raw: Raw) -> Self {
        Self {
            token: SecretString::from(raw.access_token),
            expires_in: raw.expires_in,
        }
    }
}

impl Client {
    /// `POST /cgi-bin/stable_token`.
    pub async fn stable_token(
        &self,
        appid: &str,
        secret: &SecretString,
        force_refresh: bool,
    ) -> Result<AccessToken, Error> {
        let body = serde_json::json!({
            "grant_type": "client_credential",
            "appid": appid,
            "secret": secret.expose_secret(),
            "force_refresh": force_refresh,
        });
        let raw: Raw = self
            .post_checked("/cgi-bin/stable_token", &[], &body, Repeat::Safe)
            .await?;
        Ok(raw.into())
    }

    /// `GET /cgi-bin/token` (classic: each call mints a new token).
    pub async fn token(&self, appid: &str, secret: &SecretString) -> Result<AccessToken, Error> {
        let query = [
            ("grant_type", "client_credential"),
            ("appid", appid),
            ("secret", secret.expose_secret()),
        ];
        let raw: Raw = self.get_checked("/cgi-bin/token", &query).await?;
        Ok(raw.into())
    }
}
