//! The third-party platform (component) API: the platform's own token from the pushed ticket,
//! pre-authorization codes, exchanging a merchant's authorization code, the merchant's
//! (authorizer's) token, what the merchant is, the list of merchants, and logging a merchant's
//! mini-program users in (`sns/component/jscode2session`). Every token is a secret.

mod authorizer;
mod error;
mod event;

pub use authorizer::{AuthorizerInfo, AuthorizerKind, AuthorizerPage, AuthorizerSummary};
pub use error::ComponentError;
pub use event::{AuthorizationEvent, ComponentEvent, ComponentPush};

use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use crate::client::Repeat;
use crate::{AccessToken, Client, Code2Session, Code2SessionError, Error};

/// A pre-authorization code for the authorization page (`componentloginpage`). Single use.
#[derive(Debug, Clone)]
pub struct PreAuthCode {
    /// The code; it authorizes a merchant to this platform, so it is kept secret.
    pub code: SecretString,
    /// Seconds it stays valid.
    pub expires_in: u64,
}

/// What `api_query_auth` answers for a merchant's authorization code.
#[derive(Debug, Clone)]
pub struct Authorization {
    /// The merchant's (authorizer's) appid.
    pub authorizer_appid: String,
    /// The merchant's access token, when the merchant granted API rights.
    pub access_token: Option<AccessToken>,
    /// The refresh token for [`Client::authorizer_token`], when the merchant granted API
    /// rights. Given only here (and by `api_get_authorizer_list`): keep it durably.
    pub refresh_token: Option<SecretString>,
    /// The permission sets (`funcscope_category.id`) the merchant granted.
    pub func_info: Vec<u32>,
}

/// A merchant's fresh access token and the refresh token to use next time.
#[derive(Debug, Clone)]
pub struct AuthorizerToken {
    /// The merchant's (authorizer's) access token.
    pub access_token: AccessToken,
    /// The refresh token WeChat answered with (today the same one that was sent).
    pub refresh_token: Option<SecretString>,
}

#[derive(Deserialize)]
pub(crate) struct FuncScope {
    id: u32,
}

#[derive(Deserialize)]
pub(crate) struct Func {
    funcscope_category: Option<FuncScope>,
}

/// The permission-set ids of a `func_info` list.
pub(crate) fn func_ids(funcs: Vec<Func>) -> Vec<u32> {
    funcs
        .into_iter()
        .filter_map(|f| f.funcscope_category.map(|c| c.id))
        .collect()
}

#[derive(Deserialize)]
struct RawComponentToken {
    component_access_token: String,
    expires_in: u64,
}

#[derive(Deserialize)]
struct RawPreAuth {
    pre_auth_code: String,
    expires_in: u64,
}

#[derive(Deserialize)]
struct RawQueryAuth {
    authorization_info: RawAuthorization,
}

#[derive(Deserialize)]
struct RawAuthorization {
    authorizer_appid: String,
    authorizer_access_token: Option<String>,
    #[serde(default)]
    expires_in: u64,
    authorizer_refresh_token: Option<String>,
    #[serde(default)]
    func_info: Vec<Func>,
}

#[derive(Deserialize)]
struct RawAuthorizerToken {
    authorizer_access_token: String,
    expires_in: u64,
    authorizer_refresh_token: Option<String>,
}

fn secret(text: Option<String>) -> Option<SecretString> {
    text.filter(|t| !t.is_empty()).map(SecretString::from)
}

impl Client {
    /// `POST /cgi-bin/component/api_start_push_ticket`: asks WeChat to push a
    /// `component_verify_ticket` now (when none is stored).
    pub async fn start_push_ticket(
        &self,
        component_appid: &str,
        component_secret: &SecretString,
    ) -> Result<(), Error> {
        let body = serde_json::json!({
            "component_appid": component_appid,
            "component_secret": component_secret.expose_secret(),
        });
        self.post_checked::<serde_json::Value>(
            "/cgi-bin/component/api_start_push_ticket",
            &[],
            &body,
            Repeat::Safe,
        )
        .await
        .map(|_| ())
    }

    /// `POST /cgi-bin/component/api_component_token`: the platform's `component_access_token`
    /// from its secret and the latest pushed ticket.
    pub async fn component_token(
        &self,
        component_appid: &str,
        component_secret: &SecretString,
        ticket: &SecretString,
    ) -> Result<AccessToken, ComponentError> {
        let body = serde_json::json!({
            "component_appid": component_appid,
            "component_appsecret": component_secret.expose_secret(),
            "component_verify_ticket": ticket.expose_secret(),
        });
        let raw: RawComponentToken = self
            .post_checked(
                "/cgi-bin/component/api_component_token",
                &[],
                &body,
                Repeat::Safe,
            )
            .await?;
        Ok(AccessToken {
            token: SecretString::from(raw.component_access_token),
            expires_in: raw.expires_in,
        })
    }

    /// `POST /cgi-bin/component/api_create_preauthcode`: a code for one authorization page.
    pub async fn create_preauthcode(
        &self,
        component_appid: &str,
        component_token: &SecretString,
    ) -> Result<PreAuthCode, ComponentError> {
        let query = [("access_token", component_token.expose_secret())];
        let body = serde_json::json!({ "component_appid": component_appid });
        let raw: RawPreAuth = self
            .post_checked(
                "/cgi-bin/component/api_create_preauthcode",
                &query,
                &body,
                Repeat::Safe,
            )
            .await?;
        Ok(PreAuthCode {
            code: SecretString::from(raw.pre_auth_code),
            expires_in: raw.expires_in,
        })
    }

    /// `POST /cgi-bin/component/api_query_auth`: exchanges a merchant's authorization code
    /// (from the browser's return or the `authorized` push) for its tokens and permissions.
    pub async fn query_auth(
        &self,
        component_appid: &str,
        component_token: &SecretString,
        authorization_code: &SecretString,
    ) -> Result<Authorization, ComponentError> {
        let query = [("access_token", component_token.expose_secret())];
        let body = serde_json::json!({
            "component_appid": component_appid,
            "authorization_code": authorization_code.expose_secret(),
        });
        let raw: RawQueryAuth = self
            .post_checked(
                "/cgi-bin/component/api_query_auth",
                &query,
                &body,
                Repeat::Unsent,
            )
            .await?;
        let info = raw.authorization_info;
        let access_token = secret(info.authorizer_access_token).map(|token| AccessToken {
            token,
            expires_in: info.expires_in,
        });
        Ok(Authorization {
            authorizer_appid: info.authorizer_appid,
            access_token,
            refresh_token: secret(info.authorizer_refresh_token),
            func_info: func_ids(info.func_info),
        })
    }

    /// `POST /cgi-bin/component/api_authorizer_token`: a fresh access token for a merchant,
    /// from its refresh token.
    pub async fn authorizer_token(
        &self,
        component_appid: &str,
        component_token: &SecretString,
        authorizer_appid: &str,
        refresh_token: &SecretString,
    ) -> Result<AuthorizerToken, ComponentError> {
        let query = [("access_token", component_token.expose_secret())];
        let body = serde_json::json!({
            "component_appid": component_appid,
            "authorizer_appid": authorizer_appid,
            "authorizer_refresh_token": refresh_token.expose_secret(),
        });
        let raw: RawAuthorizerToken = self
            .post_checked(
                "/cgi-bin/component/api_authorizer_token",
                &query,
                &body,
                Repeat::Safe,
            )
            .await?;
        Ok(AuthorizerToken {
            access_token: AccessToken {
                token: SecretString::from(raw.authorizer_access_token),
                expires_in: raw.expires_in,
            },
            refresh_token: secret(raw.authorizer_refresh_token),
        })
    }

    /// `GET /sns/component/jscode2session`: logs a merchant's mini-program user in with the
    /// platform's token. `61003` (the merchant has not authorized the platform) is
    /// [`Code2SessionError::NotAuthorized`]. Spends the code: never sent twice.
    pub async fn component_code2session(
        &self,
        appid: &str,
        js_code: &str,
        component_appid: &str,
        component_token: &SecretString,
    ) -> Result<Code2Session, Code2SessionError> {
        let query = [
            ("appid", appid),
            ("js_code", js_code),
            ("grant_type", "authorization_code"),
            ("component_appid", component_appid),
            ("component_access_token", component_token.expose_secret()),
        ];
        self.exchange_code("/sns/component/jscode2session", &query)
            .await
    }
}
