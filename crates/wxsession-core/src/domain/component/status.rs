//! A merchant's app changing state on this replica and in the store: served at once after a
//! write (the other replicas follow the change log), its token dropped, `unauthorized` (the
//! merchant revoked the platform) and `reauthorization_required` (WeChat refused its refresh
//! token, `61023`).

use std::sync::Arc;

use crate::domain::Error;
use crate::domain::apps::follow;
use crate::domain::apps::record::AppRecord;
use crate::domain::apps::{AppSource, AppStatus};
use crate::domain::ids::AppId;
use crate::metrics::labels::StoreOp;
use crate::state::AppState;

/// Serves the record on this replica at once, then reads the change log again from `since`
/// (the registry's revision before the write): a change another replica stored after this one
/// is applied after it, so this replica never keeps the older state. The others follow the log.
pub(super) async fn apply(
    state: &AppState,
    appid: &AppId,
    record: &AppRecord,
    since: u64,
) -> Result<(), Error> {
    let entry = record
        .entry(appid, &state.keyring, state.apps.max_calls())
        .map_err(|err| anyhow::anyhow!("opening a fresh record: {err}"))?;
    follow::serve_own_change(state, appid, Some(Arc::new(entry)), since).await;
    Ok(())
}

/// Deletes the merchant's token, whatever it is.
pub(super) async fn drop_token(state: &AppState, appid: &AppId) -> Result<(), Error> {
    if let Some((token, _)) = state
        .timed(StoreOp::AccessToken, state.store.access_token(appid))
        .await?
    {
        state
            .timed(
                StoreOp::AccessToken,
                state.store.drop_access_token(appid, &token, 1),
            )
            .await?;
    }
    Ok(())
}

/// WeChat refused the merchant's refresh token (`61023`, read as `stored`): status
/// `reauthorization_required` on every replica — its logins, WeChat calls and token route
/// `403 app_unauthorized`, its live sessions kept —, its token deleted, counted once. Written
/// only over the record read (compare-and-set): a re-authorization stored meanwhile wins, and
/// the caller is told to retry.
pub(super) async fn require_reauthorization(
    state: &AppState,
    appid: &AppId,
    stored: &[u8],
    mut record: AppRecord,
) -> Result<(), Error> {
    let since = state.apps.rev();
    record.status = AppStatus::ReauthorizationRequired;
    record.updated_at = state.now_unix();
    let replaced = state
        .timed(
            StoreOp::Apps,
            state.store.replace_app(appid, stored, &record.encode()),
        )
        .await?;
    if !replaced {
        return Err(Error::WechatUnavailable);
    }
    state.metrics.component_refresh_token_failures_total.inc();
    tracing::warn!(appid = %appid, "WeChat refused the merchant's refresh token (61023): the merchant must authorize again");
    drop_token(state, appid).await?;
    apply(state, appid, &record, since).await
}

/// The merchant revoked the platform: status `unauthorized` (its logins `403`, its sessions
/// invalid), its token and refresh token deleted. Unknown merchants are ignored.
pub async fn revoke(state: &AppState, appid: &str) -> Result<(), Error> {
    let Ok(appid) = AppId::parse(appid) else {
        return Err(Error::InvalidInput("AuthorizerAppid is malformed".into()));
    };
    let Some(bytes) = state
        .timed(StoreOp::Apps, state.store.app_record(&appid))
        .await?
    else {
        return Ok(());
    };
    let mut record = AppRecord::decode(&bytes)
        .map_err(|err| anyhow::anyhow!("the stored record of {appid}: {err}"))?;
    if record.source != AppSource::Component {
        return Ok(());
    }
    let since = state.apps.rev();
    record.status = AppStatus::Unauthorized;
    record.refresh_token = None;
    record.updated_at = state.now_unix();
    state
        .timed(StoreOp::Apps, state.store.put_app(&appid, &record.encode()))
        .await?;
    drop_token(state, &appid).await?;
    apply(state, &appid, &record, since).await?;
    tracing::info!(appid = %appid, "a merchant revoked the platform's authorization");
    Ok(())
}
