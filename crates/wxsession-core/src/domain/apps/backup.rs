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
            .entry(&app.appid, &state.keyring, 1)
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
