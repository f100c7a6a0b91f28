//! The apps a replica serves, whatever their source: `[[apps]]` in the config (fixed for the
//! process), apps added at runtime through the admin API, and merchants' apps of the
//! third-party platform. The registry is in memory on every replica, so resolving an app costs
//! no store call; [`follow`] keeps it in step with the store's change log.

pub mod backup;
mod body;
pub mod follow;
pub mod manage;
pub mod record;
mod view;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use arc_swap::ArcSwap;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::Error;
use super::ids::AppId;
use crate::settings::{AccessTokenMode, App, AppKind};
use crate::store::SessionRecord;

/// Where an app comes from: who may change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppSource {
    /// `[[apps]]` in the config file: read-only through the API.
    Config,
    /// The admin API (`PUT /v1/admin/apps/{appid}`).
    Runtime,
    /// A merchant who authorized the third-party platform.
    Component,
}

impl AppSource {
    /// The API spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Config => "config",
            Self::Runtime => "runtime",
            Self::Component => "component",
        }
    }
}

/// Whether an app logs users in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AppStatus {
    /// Serving.
    #[default]
    Active,
    /// The merchant withdrew the platform's authorization: no logins, no sessions.
    Unauthorized,
    /// WeChat refused the merchant's refresh token: logins work, calls with its token do not
    /// until the merchant authorizes again.
    ReauthorizationRequired,
}

impl AppStatus {
    /// The API spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Unauthorized => "unauthorized",
            Self::ReauthorizationRequired => "reauthorization_required",
        }
    }
}

/// An app as a replica serves it.
#[derive(Debug)]
pub struct AppEntry {
    /// The appid.
    pub appid: AppId,
    /// Its secret.
    pub secret: SecretString,
    /// How its access_token is fetched.
    pub access_token: AccessTokenMode,
    /// What kind of app.
    pub kind: AppKind,
    /// The OAuth scope of its browser logins.
    pub scope: &'static str,
    /// Where it comes from.
    pub source: AppSource,
    /// Whether it serves.
    pub status: AppStatus,
    /// When it was (last) created, unix seconds: a session older than its app's creation
    /// belongs to an app of the same appid that was deleted, and is not valid. 0 for config
    /// apps.
    pub created_at: i64,
    /// Permits for the logins' WeChat calls in flight on this replica.
    calls: tokio::sync::Semaphore,
    /// Permits for the other WeChat calls a session makes (phone number, key status): a pool of
    /// their own, so that they never starve logins.
    session_calls: tokio::sync::Semaphore,
}

impl AppEntry {
    /// A config app allowing `max_calls` WeChat calls at once.
    pub fn new(app: App, max_calls: usize) -> Self {
        Self {
            appid: app.appid,
            secret: app.secret,
            access_token: app.access_token,
            kind: app.kind,
            scope: app.scope,
            source: AppSource::Config,
            status: AppStatus::Active,
            created_at: 0,
            calls: tokio::sync::Semaphore::new(max_calls),
            session_calls: tokio::sync::Semaphore::new(max_calls),
        }
    }

    /// The same app from another source, created at `created_at`, with `status`.
    #[must_use]
    pub fn with_origin(self, source: AppSource, status: AppStatus, created_at: i64) -> Self {
        Self {
            source,
            status,
            created_at,
            ..self
        }
    }

    /// A permit for one WeChat call, or `None` when the app's calls are at their bound: a
    /// flood of made-up codes cannot queue unbounded work on WeChat (or on this replica).
    pub fn call_permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.calls.try_acquire().ok()
    }

    /// A permit for one WeChat call on behalf of a logged-in user (phone number, key status),
    /// from a pool apart from the logins'.
    pub fn session_call_permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.session_calls.try_acquire().ok()
    }

    /// Whether a session of this app, made at `created_at`, is still valid.
    fn admits(&self, created_at: i64) -> bool {
        self.status != AppStatus::Unauthorized && created_at >= self.created_at
    }
}

/// appid → app.
pub type AppMap = HashMap<AppId, Arc<AppEntry>>;

/// The registry of one replica: the config's apps (fixed) and the others (swapped whole on
/// each change, so a reader never sees half of one).
#[derive(Debug)]
pub struct Apps {
    config: AppMap,
    others: ArcSwap<AppMap>,
    /// The appid used when a login omits it (only with exactly one config app).
    default_app: Option<AppId>,
    /// Whether the store's apps were read at least once (until then, an appid this replica
    /// does not know may be one it has not read yet).
    loaded: AtomicBool,
    /// The store revision the registry reflects.
    rev: AtomicU64,
    /// WeChat calls in flight per app on this replica.
    max_calls: usize,
}

impl Apps {
    /// The registry of the config's `apps`, each allowing `max_calls` WeChat calls at once.
    pub fn new(apps: Vec<App>, max_calls: usize) -> Self {
        let default_app = match apps.as_slice() {
            [only] => Some(only.appid.clone()),
            _ => None,
        };
        Self {
            config: apps
                .into_iter()
                .map(|a| (a.appid.clone(), Arc::new(AppEntry::new(a, max_calls))))
                .collect(),
            others: ArcSwap::default(),
            default_app,
            loaded: AtomicBool::new(false),
            rev: AtomicU64::new(0),
            max_calls,
        }
    }

    /// The bound on one app's WeChat calls in flight on this replica.
    pub fn max_calls(&self) -> usize {
        self.max_calls
    }

    /// An app, from any source.
    pub fn get(&self, appid: &str) -> Option<Arc<AppEntry>> {
        self.config
            .get(appid)
            .cloned()
            .or_else(|| self.others.load().get(appid).cloned())
    }

    /// Whether `appid` comes from the config file.
    pub fn is_config(&self, appid: &str) -> bool {
        self.config.contains_key(appid)
    }

    /// The config's apps.
    pub fn config_apps(&self) -> impl Iterator<Item = &Arc<AppEntry>> {
        self.config.values()
    }

    /// How many apps not from the config this replica serves.
    pub fn others_len(&self) -> usize {
        self.others.load().len()
    }

    /// Resolves the appid of a login: an active app, or why not.
    pub fn resolve(&self, appid: Option<&str>) -> Result<Arc<AppEntry>, Error> {
        let appid = match appid {
            Some(appid) => appid,
            None => self
                .default_app
                .as_ref()
                .map(AppId::as_str)
                .ok_or(Error::UnknownApp)?,
        };
        match self.get(appid) {
            // Revoked, or its refresh token refused (`61023`): no login until it authorizes again.
            Some(app) if app.status != AppStatus::Active => Err(Error::AppUnauthorized),
            Some(app) => Ok(app),
            // Not read from the store yet: it may be there.
            None if !self.is_loaded() => Err(Error::StoreUnavailable),
            None => Err(Error::UnknownApp),
        }
    }

    /// Whether a stored session is still valid for its app: the app exists, serves, and is
    /// not a later app of the same appid. No store call: on every validation.
    pub fn admits(&self, record: &SessionRecord) -> bool {
        if self.config.contains_key(record.appid.as_str()) {
            return true;
        }
        self.others
            .load()
            .get(record.appid.as_str())
            .is_some_and(|app| app.admits(record.created_at))
    }

    /// Whether the store's apps have been read.
    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    /// The store revision the registry reflects.
    pub fn rev(&self) -> u64 {
        self.rev.load(Ordering::Acquire)
    }

    /// Makes the next read of the change log start at `rev` if the registry is past it.
    pub fn rewind(&self, rev: u64) {
        self.rev.fetch_min(rev, Ordering::AcqRel);
    }

    /// Every app not from the config.
    pub fn others(&self) -> Arc<AppMap> {
        self.others.load_full()
    }

    /// Replaces every app not from the config (a snapshot of the store at `rev`).
    pub fn replace(&self, apps: AppMap, rev: u64) {
        self.others.store(Arc::new(apps));
        self.rev.store(rev, Ordering::Release);
        self.loaded.store(true, Ordering::Release);
    }

    /// Applies the store's changes up to `rev`: each appid gets its new entry, or is removed
    /// (`None`).
    pub fn apply(&self, changes: Vec<(AppId, Option<Arc<AppEntry>>)>, rev: u64) {
        self.set(changes);
        self.rev.store(rev, Ordering::Release);
    }

    /// Applies a change this replica made, at once (the revision moves with the next read of
    /// the log, which brings the same change again).
    pub fn set(&self, changes: Vec<(AppId, Option<Arc<AppEntry>>)>) {
        if changes.is_empty() {
            return;
        }
        self.others.rcu(|current| {
            let mut next = AppMap::clone(current);
            for (appid, entry) in &changes {
                match entry {
                    Some(entry) => next.insert(appid.clone(), entry.clone()),
                    None => next.remove(appid),
                };
            }
            next
        });
    }
}
