//! A merchant's refresh token that WeChat rotated on a refresh: stored so that it is never
//! lost, over a record that changed meanwhile when that change kept the old token.

use secrecy::{ExposeSecret as _, SecretString};

use crate::domain::Error;
use crate::domain::apps::record::AppRecord;
use crate::domain::apps::{AppSource, AppStatus};
use crate::domain::ids::AppId;
use crate::metrics::labels::StoreOp;
use crate::state::AppState;

/// Stores a refresh token WeChat rotated (the one the refresh `used` is dead now), over the
/// record read before the refresh (`bytes`). When that record changed meanwhile — a re-seal, a
/// status write — and still holds the `used` token, over the changed one, so the new token is
/// never lost. If that change was `reauthorization_required` — another replica presented the
/// `used` token after WeChat replaced it and got `61023` — the merchant is active again with the
/// new token (WeChat accepted `used` for this refresh, so the merchant never revoked anything).
/// When the record holds another token (a re-authorization stored it) or the merchant revoked
/// the platform, that write wins.
pub(super) async fn keep(
    state: &AppState,
    appid: &AppId,
    used: &SecretString,
    rotated: &SecretString,
    mut bytes: Vec<u8>,
    mut record: AppRecord,
) -> Result<(), Error> {
    let since = state.apps.rev();
    let mut restored = false;
    for _ in 0..4 {
        record.refresh_token = Some(
            AppRecord::seal_refresh_token(&state.keyring, appid, rotated.expose_secret())
                .ok_or_else(|| anyhow::anyhow!("sealing a refresh token failed"))?,
        );
        record.updated_at = state.now_unix();
        let replaced = state
            .timed(
                StoreOp::Apps,
                state.store.replace_app(appid, &bytes, &record.encode()),
            )
            .await?;
        if replaced {
            if restored {
                tracing::warn!(appid = %appid, "a merchant marked for re-authorization by a refresh with its replaced token is active again with the new one");
                super::status::apply(state, appid, &record, since).await?;
            }
            return Ok(());
        }
        let Some(stored) = state
            .timed(StoreOp::Apps, state.store.app_record(appid))
            .await?
        else {
            return Ok(());
        };
        let Ok(current) = AppRecord::decode(&stored) else {
            tracing::error!(appid = %appid, "a rotated refresh token was not stored: the merchant's record changed into one this release cannot read");
            return Ok(());
        };
        let still_used = current.source == AppSource::Component
            && current
                .refresh_token(&state.keyring, appid)
                .is_some_and(|t| t.expose_secret() == used.expose_secret());
        match current.status {
            AppStatus::Active if still_used => {}
            AppStatus::ReauthorizationRequired if still_used => restored = true,
            _ => return Ok(()),
        }
        (bytes, record) = (stored, current);
        record.status = AppStatus::Active;
    }
    Err(anyhow::anyhow!(
        "the record of {appid} kept changing: a rotated refresh token was not stored"
    )
    .into())
}
