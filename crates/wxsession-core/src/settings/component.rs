//! `[component]`: the vendor's WeChat Open Platform third-party platform (第三方平台): its
//! appid and secret, the message-verification Token and EncodingAESKey of its pushes, and
//! where a merchant's browser goes after authorizing it.

use std::path::PathBuf;

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use wechat_crypto::MsgCrypt;

use super::secrets::read_secret_file;
use super::{ConfigError, invalid};
use crate::domain::ids::AppId;

/// `[component]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentSettings {
    /// The platform's appid (`component_appid`).
    pub appid: String,
    /// A file holding the platform's secret (`component_appsecret`).
    pub secret_file: PathBuf,
    /// A file holding the message-verification Token of the pushes.
    pub token_file: PathBuf,
    /// A file holding the 43-character EncodingAESKey of the pushes.
    pub encoding_aes_key_file: PathBuf,
    /// A file holding the previous EncodingAESKey, during a key change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_encoding_aes_key_file: Option<PathBuf>,
    /// Where a merchant's browser is sent after authorizing the platform, with
    /// `authorizer_appid` and the vendor's `state` (a hint, confirmed through the admin API).
    pub after_authorize_url: String,
}

/// The platform as the service runs it: secrets read, the push cipher built.
#[derive(Clone)]
pub struct Component {
    /// The platform's appid.
    pub appid: AppId,
    /// The platform's secret.
    pub secret: SecretString,
    /// The pushes' WXBizMsgCrypt (Token, current and previous key, the platform's appid).
    pub crypt: MsgCrypt,
    /// Where the browser goes after authorizing.
    pub after_authorize_url: String,
}

impl std::fmt::Debug for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Component")
            .field("appid", &self.appid)
            .finish_non_exhaustive()
    }
}

impl ComponentSettings {
    /// Reads the secrets and builds the cipher; each problem names its key.
    pub fn resolve(&self) -> Result<Component, ConfigError> {
        let appid = AppId::parse(&self.appid)
            .ok()
            .filter(|a| a.as_str().starts_with("wx"))
            .ok_or_else(|| invalid("component.appid", "must be the platform's appid (wx…)"))?;
        let secret = read_secret_file("component.secret_file", &self.secret_file)?;
        let token = read_secret_file("component.token_file", &self.token_file)?;
        let key = read_secret_file(
            "component.encoding_aes_key_file",
            &self.encoding_aes_key_file,
        )?;
        let mut crypt = MsgCrypt::new(token.expose_secret(), key.expose_secret(), appid.as_str())
            .map_err(|e| {
                invalid(
                    "component.encoding_aes_key_file",
                    format!("the Token or EncodingAESKey is unusable ({e}): the Token is 3-32 letters or digits, the key 43 characters"),
                )
            })?;
        if let Some(path) = &self.previous_encoding_aes_key_file {
            let key = "component.previous_encoding_aes_key_file";
            let previous = read_secret_file(key, path)?;
            crypt = crypt
                .with_previous_key(previous.expose_secret())
                .map_err(|e| invalid(key, format!("not an EncodingAESKey ({e}): 43 characters")))?;
        }
        let url = self.after_authorize_url.trim();
        let http = url.starts_with("https://") || url.starts_with("http://");
        if !http || url.contains(char::is_whitespace) || url.contains('#') {
            return Err(invalid(
                "component.after_authorize_url",
                "must be an http(s) URL without a fragment",
            ));
        }
        Ok(Component {
            appid,
            secret,
            crypt,
            after_authorize_url: url.to_owned(),
        })
    }

    /// Checks the section against the rest of the settings.
    pub(super) fn validate(
        &self,
        has_key_encryption_keys: bool,
        has_public_url: bool,
    ) -> Result<(), ConfigError> {
        self.resolve()?;
        if !has_key_encryption_keys {
            return Err(invalid(
                "component",
                "needs store.key_encryption_key_files: merchants' refresh tokens and the \
                 verify ticket are stored sealed under them (32 random bytes per file, e.g. \
                 `openssl rand -base64 32 > kek.key`)",
            ));
        }
        if !has_public_url {
            return Err(invalid(
                "component",
                "needs server.public_url: WeChat sends a merchant's browser back to \
                 {server.public_url}/v1/component/authorized",
            ));
        }
        Ok(())
    }
}
