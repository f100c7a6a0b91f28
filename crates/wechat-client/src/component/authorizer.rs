//! What a platform learns of its merchants: one merchant's account (`api_get_authorizer_info`)
//! and the paged list of every merchant that authorized it (`api_get_authorizer_list`).

use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use super::{ComponentError, Func, func_ids};
use crate::client::Repeat;
use crate::{Client, Error};

/// What kind of account a merchant authorized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizerKind {
    /// A mini-program (`authorizer_info.MiniProgramInfo` is present).
    MiniProgram,
    /// An official account.
    OfficialAccount,
}

/// A merchant's account, as far as the platform needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizerInfo {
    /// The merchant's appid.
    pub authorizer_appid: String,
    /// Mini-program or official account.
    pub kind: AuthorizerKind,
    /// The account's name (may be empty: WeChat leaves it empty for some accounts).
    pub nick_name: String,
    /// The original id (`gh_…`).
    pub user_name: String,
    /// The permission sets (`funcscope_category.id`) the merchant granted.
    pub func_info: Vec<u32>,
}

/// One merchant in `api_get_authorizer_list`.
#[derive(Debug, Clone)]
pub struct AuthorizerSummary {
    /// The merchant's appid.
    pub authorizer_appid: String,
    /// Its refresh token; WeChat leaves it out when the authorization code was never
    /// exchanged.
    pub refresh_token: Option<SecretString>,
    /// When it authorized (unix seconds).
    pub auth_time: i64,
}

/// One page of `api_get_authorizer_list`.
#[derive(Debug, Clone)]
pub struct AuthorizerPage {
    /// How many merchants authorized the platform in all.
    pub total_count: u64,
    /// This page.
    pub list: Vec<AuthorizerSummary>,
}

#[derive(Deserialize)]
struct RawInfo {
    authorizer_info: RawAccount,
    authorization_info: RawAuthorization,
}

#[derive(Deserialize)]
struct RawAccount {
    #[serde(default)]
    nick_name: String,
    #[serde(default)]
    user_name: String,
    #[serde(rename = "MiniProgramInfo")]
    mini_program_info: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawAuthorization {
    #[serde(default)]
    authorizer_appid: String,
    #[serde(default)]
    func_info: Vec<Func>,
}

#[derive(Deserialize)]
struct RawList {
    #[serde(default)]
    total_count: u64,
    #[serde(default)]
    list: Vec<RawSummary>,
}

#[derive(Deserialize)]
struct RawSummary {
    authorizer_appid: String,
    refresh_token: Option<String>,
    #[serde(default)]
    auth_time: i64,
}

/// The most `api_get_authorizer_list` returns in one page.
pub const MAX_PAGE: u32 = 500;

impl Client {
    /// `POST /cgi-bin/component/api_get_authorizer_info`: what the merchant is (mini-program or
    /// official account), its name and the permissions it granted.
    pub async fn authorizer_info(
        &self,
        component_appid: &str,
        component_token: &SecretString,
        authorizer_appid: &str,
    ) -> Result<AuthorizerInfo, ComponentError> {
        let query = [("access_token", component_token.expose_secret())];
        let body = serde_json::json!({
            "component_appid": component_appid,
            "authorizer_appid": authorizer_appid,
        });
        let raw: RawInfo = self
            .post_checked(
                "/cgi-bin/component/api_get_authorizer_info",
                &query,
                &body,
                Repeat::Safe,
            )
            .await?;
        let kind = match raw.authorizer_info.mini_program_info {
            Some(serde_json::Value::Object(_)) => AuthorizerKind::MiniProgram,
            _ => AuthorizerKind::OfficialAccount,
        };
        let appid = match raw.authorization_info.authorizer_appid {
            appid if appid.is_empty() => authorizer_appid.to_owned(),
            appid => appid,
        };
        Ok(AuthorizerInfo {
            authorizer_appid: appid,
            kind,
            nick_name: raw.authorizer_info.nick_name,
            user_name: raw.authorizer_info.user_name,
            func_info: func_ids(raw.authorization_info.func_info),
        })
    }

    /// `POST /cgi-bin/component/api_get_authorizer_list`: one page (`count` at most 500) of the
    /// merchants that authorized the platform, with their refresh tokens.
    pub async fn authorizer_list(
        &self,
        component_appid: &str,
        component_token: &SecretString,
        offset: u32,
        count: u32,
    ) -> Result<AuthorizerPage, Error> {
        let query = [("access_token", component_token.expose_secret())];
        let body = serde_json::json!({
            "component_appid": component_appid,
            "offset": offset,
            "count": count.clamp(1, MAX_PAGE),
        });
        let raw: RawList = self
            .post_checked(
                "/cgi-bin/component/api_get_authorizer_list",
                &query,
                &body,
                Repeat::Safe,
            )
            .await?;
        Ok(AuthorizerPage {
            total_count: raw.total_count,
            list: raw
                .list
                .into_iter()
                .map(|s| AuthorizerSummary {
                    authorizer_appid: s.authorizer_appid,
                    refresh_token: s
                        .refresh_token
                        .filter(|t| !t.is_empty())
                        .map(SecretString::from),
                    auth_time: s.auth_time,
                })
                .collect(),
        })
    }
}
