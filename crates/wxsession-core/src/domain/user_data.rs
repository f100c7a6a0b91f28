//! User data from `wx.getUserInfo`, `getPhoneNumber` and friends: validated once, then tried
//! with the user's keys, newest first; a result counts only when padding, JSON and
//! `watermark.appid` all check out, and the `rawData` signature when one was sent.

use wechat_crypto::{Ciphertext, Error as CryptoError, FailureReason as CryptoReason, SessionKey};

use super::Error;
use super::session::Current;
use crate::metrics::Metrics;
use crate::metrics::labels::{DecryptResult, FailureReason, StoreOp};
use crate::state::AppState;

/// What to decrypt: validated ciphertext and an optional `rawData` + signature.
#[derive(Debug)]
pub struct UserData<'a> {
    ciphertext: Ciphertext,
    signed: Option<(&'a str, &'a str)>,
}

/// Two fields that come together or not at all.
fn pair<'a>(
    a: (Option<&'a str>, &str),
    b: (Option<&'a str>, &str),
) -> Result<Option<(&'a str, &'a str)>, Error> {
    match (a.0, b.0) {
        (None, None) => Ok(None),
        (Some(x), Some(y)) if !x.is_empty() && !y.is_empty() => Ok(Some((x, y))),
        _ => Err(Error::InvalidInput(format!(
            "{} and {} must be sent together and be non-empty",
            a.1, b.1
        ))),
    }
}

impl<'a> UserData<'a> {
    /// Validates the fields; `Ok(None)` when no encrypted data was sent.
    pub fn parse(
        encrypted_data: Option<&'a str>,
        iv: Option<&'a str>,
        raw_data: Option<&'a str>,
        signature: Option<&'a str>,
    ) -> Result<Option<Self>, Error> {
        let signed = pair((raw_data, "rawData"), (signature, "signature"))?;
        let Some((data, iv)) = pair((encrypted_data, "encryptedData"), (iv, "iv"))? else {
            return Ok(None);
        };
        let ciphertext =
            Ciphertext::from_base64(iv, data).map_err(|e| Error::InvalidInput(e.to_string()))?;
        Ok(Some(Self { ciphertext, signed }))
    }

    /// Tries each key, newest first; then the `rawData` signature, when sent, must match the
    /// key that worked. Counts the attempt.
    pub fn decrypt(
        &self,
        metrics: &Metrics,
        appid: &str,
        keys: &[String],
    ) -> Result<serde_json::Value, Error> {
        let mut reason = FailureReason::Padding;
        for key in keys {
            let Ok(key) = SessionKey::from_base64(key) else {
                continue;
            };
            match self.ciphertext.decrypt_checked(&key, appid) {
                Ok(out) => {
                    if let Some((raw, sig)) = self.signed
                        && wechat_crypto::verify_raw_data_signature(raw, sig, &key).is_err()
                    {
                        let reason = Some(FailureReason::Signature);
                        metrics.decrypt(appid, DecryptResult::Failed, reason);
                        return Err(Error::SignatureMismatch);
                    }
                    metrics.decrypt(appid, DecryptResult::Ok, None);
                    return Ok(out.data);
                }
                Err(CryptoError::DecryptFailed(r)) => reason = reason_label(r),
                Err(_) => {}
            }
        }
        metrics.decrypt(appid, DecryptResult::Failed, Some(reason));
        Err(Error::DecryptFailed)
    }
}

fn reason_label(reason: CryptoReason) -> FailureReason {
    match reason {
        CryptoReason::Json => FailureReason::Json,
        CryptoReason::Watermark => FailureReason::Watermark,
        _ => FailureReason::Padding,
    }
}

/// Counts a request refused before decryption.
pub fn count_bad_input(metrics: &Metrics, appid: &str) {
    metrics.decrypt(
        appid,
        DecryptResult::BadInput,
        Some(FailureReason::BadInput),
    );
}

/// Decrypts data for the current session with the user's newest, then previous key, within
/// the session's failure budget.
pub async fn decrypt_for(
    state: &AppState,
    current: &Current,
    data: Result<UserData<'_>, Error>,
) -> Result<serde_json::Value, Error> {
    let record = &current.touched.record;
    let (appid, openid) = (record.appid.as_str(), record.openid.as_str());
    let data = data.inspect_err(|_| count_bad_input(&state.metrics, appid))?;
    // The failure budget and the user's keys: two commands, pipelined on the connection.
    let (budget, keys) = tokio::join!(
        super::limits::decrypt_budget(state, &current.id),
        state.timed(
            StoreOp::UserKeys,
            state.store.user_keys(&record.appid, &record.openid)
        ),
    );
    let budget = budget?;
    let keys: Vec<String> = keys?
        .iter()
        .filter_map(|stored| state.keyring.open(stored, appid, openid))
        .collect();
    let value = match data.decrypt(&state.metrics, appid, &keys) {
        Ok(value) => value,
        Err(err) => return Err(budget.failed(state, err).await),
    };
    Ok(value)
}
