//! An app's stored record: a format header, then JSON. The secret inside is sealed
//! (AES-256-GCM under `store.key_encryption_key_files`, bound to the appid), so neither Redis
//! nor a backup file holds it in the clear.

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use super::{AppEntry, AppSource, AppStatus};
use crate::domain::ids::AppId;
use crate::domain::keys::KeyRing;
use crate::settings::{AccessTokenMode, App, AppKind, OAuthScope};

/// The first byte of every record (as for entries: a versioned blob).
const MARKER: u8 = 0xff;
/// The format this release writes and reads; a newer one is refused, never rewritten.
pub const FORMAT: u8 = 1;

/// What is stored of an app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppRecord {
    /// What kind of app.
    pub kind: AppKind,
    /// Who manages it.
    pub source: AppSource,
    /// Whether it serves.
    #[serde(default)]
    pub status: AppStatus,
    /// How its access_token is fetched.
    pub access_token: AccessTokenMode,
    /// An official account's OAuth scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<OAuthScope>,
    /// The sealed secret (`e1.<key id>.<nonce ‖ ciphertext>`); none for a platform's merchant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// A platform's merchant: its `authorizer_refresh_token`, sealed like the secret (bound to
    /// the appid, under its own purpose). Added in 0.4; earlier releases ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// A platform's merchant: the permission sets (`func_info`) it granted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub func_info: Vec<u32>,
    /// Created, unix seconds.
    pub created_at: i64,
    /// Last changed, unix seconds.
    pub updated_at: i64,
}

/// Why a record cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BadRecord {
    /// Written by a newer release in a format this one does not read.
    #[error("the record's format is newer than this release reads")]
    Newer,
    /// Not a record.
    #[error("the record is malformed")]
    Malformed,
    /// No configured key-encryption key opens its secret.
    #[error("no key in store.key_encryption_key_files opens the app's secret")]
    Sealed,
    /// No configured key-encryption key opens a merchant's refresh token.
    #[error("no key in store.key_encryption_key_files opens the merchant's refresh token")]
    RefreshSealed,
}

/// The purpose a sealed secret is bound to, with its appid.
const PURPOSE: &str = "wxsession/app-secret/v1";
/// The purpose a merchant's sealed refresh token is bound to, with its appid.
const REFRESH_PURPOSE: &str = "wxsession/authorizer-refresh-token/v1";

impl AppRecord {
    /// The stored bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![MARKER, FORMAT];
        // Serializing these plain fields cannot fail.
        out.extend(serde_json::to_vec(self).unwrap_or_default());
        out
    }

    /// A record from its stored bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, BadRecord> {
        match bytes {
            [MARKER, FORMAT, json @ ..] => {
                serde_json::from_slice(json).map_err(|_| BadRecord::Malformed)
            }
            [MARKER, version, ..] if *version > FORMAT => Err(BadRecord::Newer),
            _ => Err(BadRecord::Malformed),
        }
    }

    /// Seals `secret` for `appid`; `None` when the ring has no key.
    pub fn seal_secret(keys: &KeyRing, appid: &AppId, secret: &str) -> Option<String> {
        keys.seal_for(PURPOSE, secret.as_bytes(), appid.as_str(), "")
    }

    /// A third-party platform's merchant, active, its refresh token sealed (`sealed`), written
    /// `now`. A merchant's sessions survive its re-authorization (the `existing` record's
    /// creation time is kept); those of one that revoked the platform do not.
    pub fn merchant(
        kind: AppKind,
        sealed: String,
        func_info: Vec<u32>,
        existing: Option<&Self>,
        now: i64,
    ) -> Self {
        Self {
            kind,
            source: AppSource::Component,
            status: AppStatus::Active,
            access_token: AccessTokenMode::Stable,
            scope: None,
            secret: None,
            refresh_token: Some(sealed),
            func_info,
            created_at: existing
                .filter(|r| r.status != AppStatus::Unauthorized)
                .map_or(now, |r| r.created_at),
            updated_at: now,
        }
    }

    /// Seals a merchant's refresh token for `appid`; `None` when the ring has no key.
    pub fn seal_refresh_token(keys: &KeyRing, appid: &AppId, token: &str) -> Option<String> {
        keys.seal_for(REFRESH_PURPOSE, token.as_bytes(), appid.as_str(), "")
    }

    /// The merchant's refresh token, opened; `None` when there is none or no key opens it.
    pub fn refresh_token(&self, keys: &KeyRing, appid: &AppId) -> Option<SecretString> {
        let sealed = self.refresh_token.as_deref()?;
        keys.open_for(REFRESH_PURPOSE, sealed, appid.as_str(), "")
            .and_then(|plain| String::from_utf8(plain).ok())
            .map(SecretString::from)
    }

    /// Whether the secret and a merchant's refresh token are sealed under the ring's newest key
    /// (else a rotation re-seals them).
    pub fn sealed_with_newest(&self, keys: &KeyRing) -> bool {
        [self.secret.as_deref(), self.refresh_token.as_deref()]
            .into_iter()
            .flatten()
            .all(|sealed| keys.is_newest(sealed))
    }

    /// Seals the secret and a merchant's refresh token under the ring's newest key (after a
    /// rotation, so that the old key may go); changes nothing when no key opens one of them.
    pub fn reseal(&mut self, appid: &AppId, keys: &KeyRing) -> Result<(), BadRecord> {
        let again = |purpose: &str, sealed: Option<&String>, bad: BadRecord| match sealed {
            None => Ok(None),
            Some(sealed) => keys
                .open_for(purpose, sealed, appid.as_str(), "")
                .and_then(|plain| keys.seal_for(purpose, &plain, appid.as_str(), ""))
                .map(Some)
                .ok_or(bad),
        };
        let secret = again(PURPOSE, self.secret.as_ref(), BadRecord::Sealed)?;
        let refresh = again(
            REFRESH_PURPOSE,
            self.refresh_token.as_ref(),
            BadRecord::RefreshSealed,
        )?;
        self.secret = secret;
        self.refresh_token = refresh;
        Ok(())
    }

    /// Whether everything sealed in the record opens with `keys` (what an import checks).
    pub fn opens(&self, appid: &AppId, keys: &KeyRing) -> Result<(), BadRecord> {
        self.entry(appid, keys, 1)?;
        match &self.refresh_token {
            Some(_) if self.refresh_token(keys, appid).is_none() => Err(BadRecord::RefreshSealed),
            _ => Ok(()),
        }
    }

    /// The app a replica serves from this record.
    pub fn entry(
        &self,
        appid: &AppId,
        keys: &KeyRing,
        max_calls: usize,
    ) -> Result<AppEntry, BadRecord> {
        let secret = match &self.secret {
            Some(sealed) => keys
                .open_for(PURPOSE, sealed, appid.as_str(), "")
                .and_then(|plain| String::from_utf8(plain).ok())
                .ok_or(BadRecord::Sealed)?,
            None => String::new(),
        };
        let scope = match (self.kind, self.scope) {
            (AppKind::OfficialAccount, scope) => scope.unwrap_or_default().as_str(),
            (AppKind::Website, _) => "snsapi_login",
            _ => "",
        };
        let app = App {
            appid: appid.clone(),
            secret: SecretString::from(secret),
            access_token: self.access_token,
            kind: self.kind,
            scope,
        };
        Ok(AppEntry::new(app, max_calls).with_origin(self.source, self.status, self.created_at))
    }
}

/// The secret's text, for sealing a new record (never logged).
pub fn expose(secret: &SecretString) -> &str {
    secret.expose_secret()
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "0000000000000000000000000000000000000000000000000000000000000001";

    fn record(keys: &KeyRing, appid: &AppId) -> AppRecord {
        AppRecord {
            kind: AppKind::Miniprogram,
            source: AppSource::Runtime,
            status: AppStatus::Active,
            access_token: AccessTokenMode::Stable,
            scope: None,
            secret: AppRecord::seal_secret(keys, appid, "0123456789abcdef0123456789abcdef"),
            refresh_token: None,
            func_info: Vec::new(),
            created_at: 1_700_000_000,
            updated_at: 1_700_000_001,
        }
    }

    #[test]
    fn a_record_round_trips_and_its_secret_stays_sealed_and_bound() {
        let keys = KeyRing::new([K1]).expect("key");
        let appid = AppId::parse("wx00000000000000a1").expect("appid");
        let r = record(&keys, &appid);
        let bytes = r.encode();
        assert_eq!(bytes.get(..2), Some(&[0xff, 1][..]));
        assert!(
            !String::from_utf8_lossy(&bytes).contains("0123456789abcdef0123456789abcdef"),
            "the secret is sealed"
        );
        assert_eq!(AppRecord::decode(&bytes), Ok(r.clone()));
        let entry = r.entry(&appid, &keys, 4).expect("opens");
        assert_eq!(
            entry.secret.expose_secret(),
            "0123456789abcdef0123456789abcdef"
        );
        // Moved to another appid, it does not open.
        let other = AppId::parse("wx00000000000000b2").expect("appid");
        assert_eq!(r.entry(&other, &keys, 4).err(), Some(BadRecord::Sealed));
        // Without the key, it does not open.
        let k2 = KeyRing::new(["AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="]).expect("key");
        assert_eq!(r.entry(&appid, &k2, 4).err(), Some(BadRecord::Sealed));
        assert!(!r.sealed_with_newest(
            &KeyRing::new(["AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=", K1]).expect("keys")
        ));
        assert!(r.sealed_with_newest(&keys));
    }

    #[test]
    fn a_merchants_refresh_token_is_resealed_with_the_secret() {
        let old = KeyRing::new([K1]).expect("key");
        let appid = AppId::parse("wx00000000000000a1").expect("appid");
        let sealed =
            AppRecord::seal_refresh_token(&old, &appid, "refreshtoken@@@x").expect("sealed");
        let mut r = AppRecord::merchant(AppKind::Miniprogram, sealed, vec![17], None, 1);
        let new_first =
            KeyRing::new(["AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=", K1]).expect("keys");
        // A merchant has no secret, but a token.
        assert!(r.sealed_with_newest(&old) && !r.sealed_with_newest(&new_first));
        r.reseal(&appid, &new_first).expect("resealed");
        assert!(r.sealed_with_newest(&new_first));
        let only_new = KeyRing::new(["AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="]).expect("key");
        let opened = r.refresh_token(&only_new, &appid).expect("opens");
        assert_eq!(opened.expose_secret(), "refreshtoken@@@x");
        assert_eq!(r.opens(&appid, &only_new), Ok(()));
        // Under keys that open nothing, nothing changes and the import check names the token.
        let before = r.clone();
        assert_eq!(r.reseal(&appid, &old), Err(BadRecord::RefreshSealed));
        assert_eq!(r, before);
        assert_eq!(r.opens(&appid, &old), Err(BadRecord::RefreshSealed));
    }

    #[test]
    fn newer_and_malformed_records_are_refused() {
        assert_eq!(
            AppRecord::decode(&[0xff, 2, b'{', b'}']),
            Err(BadRecord::Newer)
        );
        assert_eq!(AppRecord::decode(b"{}"), Err(BadRecord::Malformed));
        assert_eq!(
            AppRecord::decode(&[0xff, 1, b'x']),
            Err(BadRecord::Malformed)
        );
        assert_eq!(AppRecord::decode(&[]), Err(BadRecord::Malformed));
        assert!(
            AppRecord::seal_secret(&KeyRing::default(), &AppId::from_stored("wxa"), "s").is_none()
        );
    }
}
