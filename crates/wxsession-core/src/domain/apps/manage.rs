//! The admin API's view of the registry: list, read, add or replace, delete. Only runtime
//! apps change here: apps from the config file or the third-party platform are
//! `app_managed_elsewhere`. Writes go only to a store that keeps them (durable or refused).

use std::sync::Arc;

pub use super::body::PutApp;
use super::body::validate;
use super::record::{AppRecord, BadRecord, expose};
pub use super::view::{AppPage, AppView};
use super::{AppSource, AppStatus};
use crate::domain::Error;
use crate::domain::ids::AppId;
use crate::metrics::labels::StoreOp;
use crate::settings::{AppKind, Durability as Policy};
use crate::state::AppState;
use crate::store::Durability;

/// The default page of `GET /v1/admin/apps`, and its largest.
pub const DEFAULT_LIMIT: usize = 100;
/// The largest page.
pub const MAX_LIMIT: usize = 1000;

/// Whether the app was added or replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// It is new.
    Created,
    /// It existed and was replaced whole.
    Replaced,
}

/// An appid as WeChat issues them: `wx` and 16 hexadecimal digits.
pub fn parse_appid(text: &str) -> Result<AppId, Error> {
    let shaped = text.len() == 18
        && text.starts_with("wx")
        && text
            .bytes()
            .skip(2)
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !shaped {
        return Err(Error::InvalidInput(
            "appid must be \"wx\" followed by 16 lowercase hexadecimal digits".into(),
        ));
    }
    Ok(AppId::parse(text)?)
}

/// An appid presented to a read or a delete: any well-formed id (an app from the config may
/// have a shorter one), else `invalid_request` naming it.
fn any_appid(text: &str) -> Result<AppId, Error> {
    AppId::parse(text)
        .map_err(|_| Error::InvalidInput("appid must be 1-64 characters of A-Z a-z 0-9 _ -".into()))
}

fn stored_record(appid: &AppId, bytes: &[u8]) -> Result<AppRecord, Error> {
    AppRecord::decode(bytes).map_err(|err: BadRecord| {
        Error::Unexpected(anyhow::anyhow!("the stored record of {appid}: {err}"))
    })
}

/// One app, from any source.
pub async fn read(state: &AppState, appid: &str) -> Result<AppView, Error> {
    let appid = any_appid(appid)?;
    if let Some(app) = state
        .apps
        .get(appid.as_str())
        .filter(|a| a.source == AppSource::Config)
    {
        return Ok(AppView::of_config(&app));
    }
    let bytes = state
        .timed(StoreOp::Apps, state.store.app_record(&appid))
        .await?
        .ok_or(Error::NotFound)?;
    let record = stored_record(&appid, &bytes)?;
    Ok(AppView::of_record(appid, &record))
}

/// A page of apps in appid order, after `cursor`: the config's and the store's together.
pub async fn list(
    state: &AppState,
    cursor: Option<&str>,
    limit: Option<usize>,
) -> Result<AppPage, Error> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::InvalidInput(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let after = cursor
        .filter(|c| !c.is_empty())
        .map(|c| AppId::parse(c).map_err(|_| Error::InvalidInput("cursor is malformed".into())))
        .transpose()?;
    let stored = state
        .timed(StoreOp::Apps, state.store.list_apps(after.as_ref(), limit))
        .await?;
    let mut apps: Vec<AppView> = state
        .apps
        .config_apps()
        .filter(|app| after.as_ref().is_none_or(|a| app.appid > *a))
        .map(|app| AppView::of_config(app))
        .collect();
    for (appid, bytes) in stored {
        if state.apps.is_config(appid.as_str()) {
            continue;
        }
        let record = stored_record(&appid, &bytes)?;
        apps.push(AppView::of_record(appid, &record));
    }
    apps.sort_by(|a, b| a.appid.cmp(&b.appid));
    let more = apps.len() > limit;
    apps.truncate(limit);
    let full = apps.len() == limit;
    let next_cursor = (more || full)
        .then(|| apps.last().map(|a| a.appid.to_string()))
        .flatten();
    Ok(AppPage { apps, next_cursor })
}

/// Refuses a write of a record that cannot be rebuilt to a store that would not keep it.
pub async fn require_durable(state: &AppState) -> Result<(), Error> {
    let policy = crate::domain::store_policy::check(state).await?;
    if let Some(policy) = policy.filter(|p| p.starts_with("allkeys-")) {
        return Err(Error::StoreNotDurable(format!(
            "Redis evicts any key when full (maxmemory-policy {policy}): set noeviction or a volatile-* policy"
        )));
    }
    if state.durability == Policy::Trusted {
        return Ok(());
    }
    match state.timed(StoreOp::Apps, state.store.durability()).await? {
        Durability::Durable => Ok(()),
        Durability::NotDurable(why) => Err(Error::StoreNotDurable(format!(
            "{why}: turn on appendonly, or set store.durability = \"trusted\" if the store is kept otherwise"
        ))),
    }
}

/// Whether the store keeps durable records, and why not (for `/readyz`).
pub async fn durability(state: &AppState) -> Result<Durability, Error> {
    match require_durable(state).await {
        Ok(()) => Ok(Durability::Durable),
        Err(Error::StoreNotDurable(why)) => Ok(Durability::NotDurable(why)),
        Err(err) => Err(err),
    }
}

/// Adds or replaces a runtime app; the replica that made the change serves it at once, the
/// others within `store.apps_poll_interval_ms`.
pub async fn put(state: &AppState, appid: &str, body: PutApp) -> Result<(Put, AppView), Error> {
    let appid = parse_appid(appid)?;
    if state.apps.is_config(appid.as_str()) {
        return Err(Error::AppManagedElsewhere);
    }
    let access_token = validate(&body)?;
    if body.kind.is_web() && state.web.public_url.is_none() {
        return Err(Error::InvalidInput(format!(
            "kind: a {} app needs server.public_url (its logins come back there)",
            body.kind.as_str()
        )));
    }
    if body.kind.is_web() && !state.web.state_keys.is_enabled() {
        return Err(Error::InvalidInput(format!(
            "kind: a {} app needs web.state_key_files",
            body.kind.as_str()
        )));
    }
    if !state.keyring.is_enabled() {
        return Err(Error::StoreNotDurable(
            "runtime apps need store.key_encryption_key_files: their secrets are stored sealed"
                .into(),
        ));
    }
    require_durable(state).await?;
    let existing = state
        .timed(StoreOp::Apps, state.store.app_record(&appid))
        .await?
        .map(|bytes| stored_record(&appid, &bytes))
        .transpose()?;
    if existing
        .as_ref()
        .is_some_and(|r| r.source != AppSource::Runtime)
    {
        return Err(Error::AppManagedElsewhere);
    }
    let now = state.now_unix();
    let secret = AppRecord::seal_secret(&state.keyring, &appid, expose(&body.secret))
        .ok_or_else(|| Error::Unexpected(anyhow::anyhow!("sealing an app secret failed")))?;
    let record = AppRecord {
        kind: body.kind,
        source: AppSource::Runtime,
        status: AppStatus::Active,
        access_token,
        scope: match body.kind {
            AppKind::OfficialAccount => Some(body.scope.unwrap_or_default()),
            _ => None,
        },
        secret: Some(secret),
        refresh_token: None,
        func_info: Vec::new(),
        created_at: existing.as_ref().map_or(now, |r| r.created_at),
        updated_at: now,
    };
    let since = state.apps.rev();
    let created = state
        .timed(StoreOp::Apps, state.store.put_app(&appid, &record.encode()))
        .await?;
    let entry = record
        .entry(&appid, &state.keyring, state.apps.max_calls())
        .map_err(|err| Error::Unexpected(anyhow::anyhow!("opening a fresh record: {err}")))?;
    super::follow::serve_own_change(state, &appid, Some(Arc::new(entry)), since).await;
    let put = if created { Put::Created } else { Put::Replaced };
    Ok((put, AppView::of_record(appid, &record)))
}

/// Deletes a runtime app: from then on its logins are `unknown_app` and its sessions
/// `invalid_session`, here at once and on every replica within the poll interval.
pub async fn delete(state: &AppState, appid: &str) -> Result<(), Error> {
    let appid = any_appid(appid)?;
    if state.apps.is_config(appid.as_str()) {
        return Err(Error::AppManagedElsewhere);
    }
    let existing = state
        .timed(StoreOp::Apps, state.store.app_record(&appid))
        .await?
        .ok_or(Error::NotFound)?;
    if stored_record(&appid, &existing)?.source != AppSource::Runtime {
        return Err(Error::AppManagedElsewhere);
    }
    let since = state.apps.rev();
    let existed = state
        .timed(StoreOp::Apps, state.store.delete_app(&appid))
        .await?;
    super::follow::forget_sessions(state, &appid);
    super::follow::serve_own_change(state, &appid, None, since).await;
    if existed {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}
