//! `wxsession apps export` / `apps import`: the registry as a backup file. Records are copied
//! as stored, so the secrets stay sealed: a backup opens only with the key-encryption keys that
//! sealed it, and an import checks that every secret opens before it writes anything.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::record::AppRecord;
use crate::domain::Error;
use crate::domain::ids::AppId;
use crate::metrics::labels::StoreOp;
use crate::state::AppState;

/// The file's format tag.
pub const FORMAT: &str = "wxsession-apps/1";

/// A backup of the registry.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    /// [`FORMAT`].
    pub format: String,
    /// When it was written, unix seconds.
    pub exported_at: i64,
    /// Every app, as stored.
    pub apps: Vec<BackedUp>,
}

/// One app in a backup.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackedUp {
    /// The appid.
    pub appid: AppId,
    /// Its stored record, base64 (the secret inside stays sealed).
    pub record: String,
}

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    /// Apps written new.
    pub created: usize,
    /// Apps that replaced one of the same appid.
    pub replaced: usize,
    /// Apps left out because the config file serves that appid.
    pub skipped: usize,
}

/// Every app record in the store.
pub async fn export(state: &AppState) -> Result<Backup, Error> {
    let snapshot = state
        .timed(StoreOp::Apps, state.store.app_snapshot())
        .await?;
    Ok(Backup {
        format: FORMAT.into(),
        exported_at: state.now_unix(),
        apps: snapshot
            .apps
            .into_iter()
            .map(|(appid, record)| BackedUp {
                appid,
                record: STANDARD.encode(record),
            })
            .collect(),
    })
}

/// Writes a backup's apps into the store: every record is checked first (format, and that its
/// secret opens with this configuration's keys), then written, each atomically.
pub async fn import(state: &AppState, backup: Backup) -> Result<Imported, Error> {
    if backup.format != FORMAT {
        return Err(Error::InvalidInput(format!(
            "not a backup of this kind: format must be {FORMAT}"
        )));
    }
    let mut records = Vec::with_capacity(backup.apps.len());
    for app in backup.apps {
        let bytes = STANDARD
            .decode(&app.record)
            .map_err(|_| Error::InvalidInput(format!("{}: the record is not base64", app.appid)))?;
        let record = AppRecord::decode(&bytes)
            .map_err(|err| Error::InvalidInput(format!("{}: {err}", app.appid)))?;
        record
            .opens(&app.appid, &state.keyring)
            .map_err(|err| Error::InvalidInput(format!("{}: {err}", app.appid)))?;
        records.push((app.appid, bytes));
    }
    super::manage::require_durable(state).await?;
    let mut done = Imported::default();
    for (appid, bytes) in records {
        if state.apps.is_config(appid.as_str()) {
            done.skipped += 1;
            continue;
        }
        let created = state
            .timed(StoreOp::Apps, state.store.put_app(&appid, &bytes))
            .await?;
        if created {
            done.created += 1;
        } else {
            done.replaced += 1;
        }
    }
    Ok(done)
}

/// What a re-seal did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Records now sealed under the newest key.
    pub resealed: usize,
    /// Records already under it.
    pub current: usize,
    /// Records changed by someone else meanwhile (run again), or that no configured key opens.
    pub left: usize,
}

/// After a key rotation (a new key first in `store.key_encryption_key_files`, the old ones
/// still listed, on every replica): seals every record's secret and refresh token under the
/// newest key, each record replaced only if nobody changed it meanwhile. Then the old keys may
/// go.
pub async fn reseal(state: &AppState) -> Result<Resealed, Error> {
    super::manage::require_durable(state).await?;
    let snapshot = state
        .timed(StoreOp::Apps, state.store.app_snapshot())
        .await?;
    let mut done = Resealed::default();
    for (appid, bytes) in snapshot.apps {
        let Ok(mut record) = AppRecord::decode(&bytes) else {
            done.left += 1;
            continue;
        };
        if record.sealed_with_newest(&state.keyring) {
            done.current += 1;
            continue;
        }
        // The secret, and a merchant's refresh token (which cannot be rebuilt: without it the
        // merchant authorizes again).
        if record.reseal(&appid, &state.keyring).is_err() {
            done.left += 1;
            continue;
        }
        let replaced = state
            .timed(
                StoreOp::Apps,
                state.store.replace_app(&appid, &bytes, &record.encode()),
            )
            .await?;
        if replaced {
            done.resealed += 1;
        } else {
            done.left += 1;
        }
    }
    Ok(done)
}
