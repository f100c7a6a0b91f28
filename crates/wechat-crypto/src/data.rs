//! Decrypting and encrypting `encryptedData` (AES-128-CBC with PKCS#7 padding).

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeDecrypt as _, BlockModeEncrypt as _, KeyIvInit as _};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq as _;

use crate::key::decode_b64;
use crate::{Error, FailureReason, InputError, Iv, SessionKey};

type Decryptor = cbc::Decryptor<aes::Aes128>;
type Encryptor = cbc::Encryptor<aes::Aes128>;

/// The `watermark` WeChat adds to every encrypted payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watermark {
    /// The appid the data was encrypted for.
    pub appid: String,
    /// When WeChat encrypted it (unix seconds).
    pub timestamp: i64,
}

/// A decrypted payload whose watermark named the expected app.
#[derive(Debug, Clone, PartialEq)]
pub struct Decrypted {
    /// The whole decrypted JSON object, watermark included.
    pub data: Value,
    /// The watermark, parsed.
    pub watermark: Watermark,
}

/// What [`encrypt`] returns: the two fields a mini-program receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encrypted {
    /// Standard base64 ciphertext.
    pub encrypted_data: String,
    /// Standard base64 iv.
    pub iv: String,
}

/// Validated `iv` + `encryptedData`: parse once, then try several keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ciphertext {
    iv: Iv,
    data: Vec<u8>,
}

impl Ciphertext {
    /// Validates base64, a 16-byte iv and a non-zero multiple of 16 bytes of ciphertext.
    pub fn from_base64(iv_b64: &str, data_b64: &str) -> Result<Self, InputError> {
        let iv = Iv::from_base64(iv_b64)?;
        let data = decode_b64(data_b64, "encryptedData")?;
        if data.is_empty() || !data.len().is_multiple_of(16) {
            return Err(InputError::CiphertextLength);
        }
        Ok(Self { iv, data })
    }

    /// Decrypts with `key` (padding checked, nothing else).
    pub fn decrypt_bytes(&self, key: &SessionKey) -> Result<Vec<u8>, Error> {
        Decryptor::new(key.as_bytes().into(), self.iv.as_bytes().into())
            .decrypt_padded_vec::<Pkcs7>(&self.data)
            .map_err(|_| Error::DecryptFailed(FailureReason::Padding))
    }

    /// Decrypts with `key` to a JSON object and checks `watermark.appid`.
    pub fn decrypt_checked(&self, key: &SessionKey, appid: &str) -> Result<Decrypted, Error> {
        let data = to_object(&self.decrypt_bytes(key)?)?;
        check_watermark(data, appid)
    }
}

/// Decrypts `encryptedData` to raw bytes (padding checked, nothing else).
pub fn decrypt_bytes(key: &SessionKey, iv_b64: &str, data_b64: &str) -> Result<Vec<u8>, Error> {
    Ciphertext::from_base64(iv_b64, data_b64)?.decrypt_bytes(key)
}

fn to_object(plain: &[u8]) -> Result<Value, Error> {
    match serde_json::from_slice::<Value>(plain) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(Error::DecryptFailed(FailureReason::Json)),
    }
}

fn check_watermark(data: Value, appid: &str) -> Result<Decrypted, Error> {
    let watermark = parse_watermark(&data).ok_or(Error::DecryptFailed(FailureReason::Watermark))?;
    if !bool::from(watermark.appid.as_bytes().ct_eq(appid.as_bytes())) {
        return Err(Error::DecryptFailed(FailureReason::Watermark));
    }
    Ok(Decrypted { data, watermark })
}

/// Decrypts `encryptedData` to a JSON object. The watermark is not checked.
pub fn decrypt(key: &SessionKey, iv_b64: &str, data_b64: &str) -> Result<Value, Error> {
    to_object(&decrypt_bytes(key, iv_b64, data_b64)?)
}

/// Decrypts `encryptedData` and checks that `watermark.appid` equals `appid`.
pub fn decrypt_checked(
    key: &SessionKey,
    iv_b64: &str,
    data_b64: &str,
    appid: &str,
) -> Result<Decrypted, Error> {
    check_watermark(decrypt(key, iv_b64, data_b64)?, appid)
}

fn parse_watermark(data: &Value) -> Option<Watermark> {
    let mark = data.get("watermark")?;
    Some(Watermark {
        appid: mark.get("appid")?.as_str()?.to_owned(),
        timestamp: mark.get("timestamp")?.as_i64()?,
    })
}

/// Encrypts `fields` the way WeChat does: a `watermark {timestamp, appid}` is appended, the JSON
/// is PKCS#7-padded and AES-128-CBC encrypted with the session key and `iv`.
pub fn encrypt(
    key: &SessionKey,
    iv: &Iv,
    fields: &Map<String, Value>,
    appid: &str,
    timestamp: i64,
) -> Encrypted {
    let mut object = fields.clone();
    object.insert(
        "watermark".to_owned(),
        serde_json::json!({ "timestamp": timestamp, "appid": appid }),
    );
    let plain = Value::Object(object).to_string();
    let cipher = Encryptor::new(key.as_bytes().into(), iv.as_bytes().into())
        .encrypt_padded_vec::<Pkcs7>(plain.as_bytes());
    Encrypted {
        encrypted_data: STANDARD.encode(cipher),
        iv: iv.to_base64(),
    }
}
