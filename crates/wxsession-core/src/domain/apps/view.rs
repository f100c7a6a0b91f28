//! An app as the admin API shows it: never a secret.

use serde::Serialize;

use super::record::AppRecord;
use super::{AppEntry, AppSource, AppStatus};
use crate::domain::ids::AppId;
use crate::settings::{AccessTokenMode, AppKind, OAuthScope};

/// An app as the admin API shows it: never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppView {
    /// The appid.
    pub appid: AppId,
    /// What kind of app.
    pub kind: AppKind,
    /// Where it comes from: `config`, `runtime` or `component`.
    pub source: AppSource,
    /// `active`, `unauthorized` or `reauthorization_required`.
    pub status: AppStatus,
    /// How its access_token is fetched (`stable`, `classic`, `off`).
    pub access_token: AccessTokenMode,
    /// An official account's OAuth scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<OAuthScope>,
    /// Created, unix seconds (0 for an app from the config).
    pub created_at: i64,
    /// Last changed, unix seconds (0 for an app from the config).
    pub updated_at: i64,
}

impl AppView {
    pub(super) fn of_record(appid: AppId, record: &AppRecord) -> Self {
        Self {
            appid,
            kind: record.kind,
            source: record.source,
            status: record.status,
            access_token: record.access_token,
            scope: record.scope,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }

    pub(super) fn of_config(app: &AppEntry) -> Self {
        Self {
            appid: app.appid.clone(),
            kind: app.kind,
            source: AppSource::Config,
            status: AppStatus::Active,
            access_token: app.access_token,
            scope: match app.scope {
                "snsapi_base" => Some(OAuthScope::SnsapiBase),
                "snsapi_userinfo" => Some(OAuthScope::SnsapiUserinfo),
                _ => None,
            },
            created_at: 0,
            updated_at: 0,
        }
    }
}

/// A page of apps and where the next one starts.
#[derive(Debug, Serialize)]
pub struct AppPage {
    /// The apps, in appid order.
    pub apps: Vec<AppView>,
    /// The cursor of the next page, when there may be one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
