//! Keeping a replica's registry in step with the store: the whole registry at start-up, then
//! the change log every `apps.poll_interval_ms`. The log is read by revision, so a replica
//! that missed a poll (a lost connection, a slow Redis) misses no change: it reads every change
//! since the revision it has, or everything again when the log no longer reaches back that far.
//! A change made on this replica is applied here at once.

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::record::{AppRecord, BadRecord};
use super::{AppEntry, AppMap};
use crate::domain::Error;
use crate::domain::ids::AppId;
use crate::metrics::labels::StoreOp;
use crate::state::AppState;
use crate::store::AppFeed;

/// The entry a record makes on this replica, or why none (logged: the app is not served here).
fn entry_of(state: &AppState, appid: &AppId, bytes: &[u8]) -> Option<Arc<AppEntry>> {
    let made = AppRecord::decode(bytes)
        .and_then(|record| record.entry(appid, &state.keyring, state.apps.max_calls()));
    match made {
        Ok(entry) => Some(Arc::new(entry)),
        Err(err) => {
            // An app this replica cannot serve: say so once per read, never its contents.
            tracing::warn!(
                appid = appid.as_str(),
                reason = %err,
                "an app in the store cannot be served by this replica"
            );
            if err == BadRecord::Sealed {
                state.metrics.apps_unreadable_total.inc();
            }
            None
        }
    }
}

/// Frees what the local validation cache holds of a deleted app's sessions (they are refused
/// from then on whatever answers them: `Apps::admits`).
pub fn forget_sessions(state: &AppState, appid: &AppId) {
    if let Some(cache) = state.store.session_cache() {
        cache.forget_app(appid);
    }
}

/// Reads every app from the store and serves exactly those (besides the config's).
pub async fn load(state: &AppState) -> Result<(), Error> {
    let snapshot = state
        .timed(StoreOp::Apps, state.store.app_snapshot())
        .await?;
    let apps: AppMap = snapshot
        .apps
        .iter()
        .filter(|(appid, _)| !state.apps.is_config(appid.as_str()))
        .filter_map(|(appid, bytes)| Some((appid.clone(), entry_of(state, appid, bytes)?)))
        .collect();
    state.apps.replace(apps, snapshot.rev);
    state.metrics.set_apps(&state.apps);
    Ok(())
}

/// Serves a change this replica just stored at once, then reads the change log again from
/// `since` (the registry's revision before the write): a change another replica stored after
/// this one is applied after it, so this replica never keeps the older state.
pub async fn serve_own_change(
    state: &AppState,
    appid: &AppId,
    entry: Option<Arc<AppEntry>>,
    since: u64,
) {
    state.apps.set(vec![(appid.clone(), entry)]);
    state.apps.rewind(since);
    if let Err(err) = catch_up(state).await {
        tracing::warn!(error = %err, "reading the app registry's changes failed; the next poll reads them");
    }
    state.metrics.set_apps(&state.apps);
}

/// Applies the changes after this replica's revision (or reads everything again).
pub async fn catch_up(state: &AppState) -> Result<(), Error> {
    if !state.apps.is_loaded() {
        return load(state).await;
    }
    let feed = state
        .timed(StoreOp::Apps, state.store.app_changes(state.apps.rev()))
        .await?;
    match feed {
        AppFeed::Reload => load(state).await,
        AppFeed::Changes { rev, changes } => {
            if changes.is_empty() && rev == state.apps.rev() {
                return Ok(());
            }
            let changes: Vec<(AppId, Option<Arc<AppEntry>>)> = changes
                .into_iter()
                .filter(|c| !state.apps.is_config(c.appid.as_str()))
                .map(|c| {
                    let entry = c
                        .record
                        .as_deref()
                        .and_then(|bytes| entry_of(state, &c.appid, bytes));
                    (c.appid, entry)
                })
                .collect();
            for (appid, entry) in &changes {
                if entry.is_none() {
                    forget_sessions(state, appid);
                }
            }
            state.apps.apply(changes, rev);
            state.metrics.set_apps(&state.apps);
            Ok(())
        }
    }
}

/// Follows the store's change log every `interval` for as long as the replica's state lives.
pub async fn follow(state: Weak<AppState>, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let Some(state) = state.upgrade() else {
            return;
        };
        // A failure is counted and logged where it happened (`timed`); the next tick retries
        // from the same revision, so nothing is missed.
        let _ = catch_up(&state).await;
    }
}
