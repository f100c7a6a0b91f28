//! WXBizMsgCrypt: how WeChat signs and encrypts what it pushes to a third-party platform (and
//! the replies it accepts). `msg_signature` is the hex SHA-1 of the lexicographically sorted
//! token, timestamp, nonce and `Encrypt` joined; the key is the 43-character EncodingAESKey
//! decoded as base64 (with a trailing `=`) to 32 bytes; AES-256-CBC with the key's first 16
//! bytes as the IV; PKCS#7 padding to a 32-byte block; and the plaintext is
//! `random(16) ‖ len(msg) as u32 big-endian ‖ msg ‖ appid`.

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockModeDecrypt as _, BlockModeEncrypt as _, KeyIvInit as _};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq as _;

use crate::{EncodingAesKey, Error, FailureReason, InputError, msg_signature};

type Decryptor = cbc::Decryptor<aes::Aes256>;
type Encryptor = cbc::Encryptor<aes::Aes256>;

/// The largest `Encrypt` text accepted, and the largest message encrypted (64 KiB).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// The padding block: 32 bytes, not AES's 16.
const PAD_BLOCK: usize = 32;

/// A decrypted message, and whether it took the previous key to open it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plaintext {
    /// The message (the inner XML of a push, or an `echostr`).
    pub message: String,
    /// It was encrypted with the previous EncodingAESKey (during a key change).
    pub previous_key: bool,
}

/// An encrypted, signed message: what goes into a push's envelope and query string, or into a
/// reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The base64 ciphertext (`Encrypt`).
    pub encrypt: String,
    /// `msg_signature` over token, timestamp, nonce and `encrypt`.
    pub msg_signature: String,
    /// The timestamp that was signed.
    pub timestamp: String,
    /// The nonce that was signed.
    pub nonce: String,
}

/// One platform's WXBizMsgCrypt: its Token, its EncodingAESKey (and the previous one during a
/// key change) and its appid. `Debug` shows the appid only.
#[derive(Clone)]
pub struct MsgCrypt {
    token: String,
    key: EncodingAesKey,
    previous: Option<EncodingAesKey>,
    appid: String,
}

impl std::fmt::Debug for MsgCrypt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MsgCrypt")
            .field("appid", &self.appid)
            .finish_non_exhaustive()
    }
}

fn valid_token(token: &str) -> bool {
    (3..=32).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn valid_appid(appid: &str) -> bool {
    (1..=64).contains(&appid.len())
        && appid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl MsgCrypt {
    /// A platform's crypt from the Token, the 43-character EncodingAESKey and the appid (the
    /// platform's, or WeCom's receive id) that every message carries at its end.
    pub fn new(token: &str, encoding_aes_key: &str, appid: &str) -> Result<Self, InputError> {
        if !valid_token(token) {
            return Err(InputError::Token);
        }
        if !valid_appid(appid) {
            return Err(InputError::AppId);
        }
        Ok(Self {
            token: token.to_owned(),
            key: EncodingAesKey::from_text(encoding_aes_key)?,
            previous: None,
            appid: appid.to_owned(),
        })
    }

    /// Also accepts messages encrypted with `encoding_aes_key`, the key before the current one.
    pub fn with_previous_key(mut self, encoding_aes_key: &str) -> Result<Self, InputError> {
        self.previous = Some(EncodingAesKey::from_text(encoding_aes_key)?);
        Ok(self)
    }

    /// The appid every message must end with.
    pub fn appid(&self) -> &str {
        &self.appid
    }

    /// `msg_signature` for `encrypt` under this platform's token.
    pub fn sign(&self, timestamp: &str, nonce: &str, encrypt: &str) -> String {
        msg_signature(&self.token, timestamp, nonce, encrypt)
    }

    /// Checks `msg_signature` in constant time (hex case is ignored).
    pub fn verify(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypt: &str,
    ) -> Result<(), Error> {
        let expected = self.sign(timestamp, nonce, encrypt);
        let given = msg_signature.to_ascii_lowercase();
        if bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
            Ok(())
        } else {
            Err(Error::MessageRejected(FailureReason::Signature))
        }
    }

    /// Verifies `msg_signature`, then decrypts: what a push handler calls. `Encrypt` is
    /// validated first (distinct [`InputError`]s), so a malformed one is refused before any
    /// cryptography.
    pub fn open(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypt: &str,
    ) -> Result<Plaintext, Error> {
        let cipher = decode_encrypt(encrypt)?;
        self.verify(msg_signature, timestamp, nonce, encrypt)?;
        self.decrypt_bytes(&cipher)
    }

    /// Decrypts `Encrypt` with the current key, then the previous one, and checks the trailing
    /// appid. The signature is not checked: use [`MsgCrypt::open`] on anything received.
    pub fn decrypt(&self, encrypt: &str) -> Result<Plaintext, Error> {
        self.decrypt_bytes(&decode_encrypt(encrypt)?)
    }

    fn decrypt_bytes(&self, cipher: &[u8]) -> Result<Plaintext, Error> {
        let first = self.open_with(&self.key, cipher);
        match (first, &self.previous) {
            (Ok(message), _) => Ok(Plaintext {
                message,
                previous_key: false,
            }),
            (Err(reason), None) => Err(Error::MessageRejected(reason)),
            (Err(reason), Some(previous)) => match self.open_with(previous, cipher) {
                Ok(message) => Ok(Plaintext {
                    message,
                    previous_key: true,
                }),
                Err(_) => Err(Error::MessageRejected(reason)),
            },
        }
    }

    fn open_with(&self, key: &EncodingAesKey, cipher: &[u8]) -> Result<String, FailureReason> {
        let mut buf = cipher.to_vec();
        let plain = Decryptor::new(key.as_bytes().into(), (&key.iv()).into())
            .decrypt_padded::<NoPadding>(&mut buf)
            .map_err(|_| FailureReason::Padding)?;
        let plain = unpad(plain).ok_or(FailureReason::Padding)?;
        let (message, appid) = unframe(plain).ok_or(FailureReason::Framing)?;
        if !bool::from(appid.ct_eq(self.appid.as_bytes())) {
            return Err(FailureReason::AppId);
        }
        String::from_utf8(message.to_vec()).map_err(|_| FailureReason::Utf8)
    }

    /// Encrypts `message` with the current key and 16 fresh random bytes.
    pub fn encrypt(&self, message: &str) -> Result<String, Error> {
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).map_err(|_| Error::Random)?;
        self.encrypt_with_random(message, random)
    }

    /// Encrypts `message` with the given 16 "random" bytes: deterministic, for known-answer
    /// tests.
    pub fn encrypt_with_random(&self, message: &str, random: [u8; 16]) -> Result<String, Error> {
        if message.len() > MAX_MESSAGE_BYTES {
            return Err(InputError::MessageTooLarge.into());
        }
        let len = u32::try_from(message.len()).map_err(|_| InputError::MessageTooLarge)?;
        let mut plain = Vec::with_capacity(20 + message.len() + self.appid.len() + PAD_BLOCK);
        plain.extend_from_slice(&random);
        plain.extend_from_slice(&len.to_be_bytes());
        plain.extend_from_slice(message.as_bytes());
        plain.extend_from_slice(self.appid.as_bytes());
        let pad = PAD_BLOCK - plain.len() % PAD_BLOCK;
        // `pad` is 1..=32, so it fits a byte.
        plain.resize(plain.len() + pad, pad as u8);
        let len = plain.len();
        let cipher = Encryptor::new(self.key.as_bytes().into(), (&self.key.iv()).into())
            .encrypt_padded::<NoPadding>(&mut plain, len)
            .map_err(|_| Error::MessageRejected(FailureReason::Padding))?;
        Ok(STANDARD.encode(cipher))
    }

    /// Encrypts and signs `message`: what WeChat pushes, and what a reply carries.
    pub fn seal(&self, message: &str, timestamp: &str, nonce: &str) -> Result<Sealed, Error> {
        let encrypt = self.encrypt(message)?;
        Ok(self.sealed(encrypt, timestamp, nonce))
    }

    /// [`MsgCrypt::seal`] with fixed random bytes, for known-answer tests.
    pub fn seal_with_random(
        &self,
        message: &str,
        timestamp: &str,
        nonce: &str,
        random: [u8; 16],
    ) -> Result<Sealed, Error> {
        let encrypt = self.encrypt_with_random(message, random)?;
        Ok(self.sealed(encrypt, timestamp, nonce))
    }

    fn sealed(&self, encrypt: String, timestamp: &str, nonce: &str) -> Sealed {
        Sealed {
            msg_signature: self.sign(timestamp, nonce, &encrypt),
            encrypt,
            timestamp: timestamp.to_owned(),
            nonce: nonce.to_owned(),
        }
    }
}

/// Validates `Encrypt`: at most 64 KiB of canonical base64 decoding to a non-zero multiple of
/// the 16-byte AES block.
fn decode_encrypt(encrypt: &str) -> Result<Vec<u8>, InputError> {
    if encrypt.len() > MAX_MESSAGE_BYTES {
        return Err(InputError::EncryptLength);
    }
    let cipher = STANDARD
        .decode(encrypt)
        .map_err(|_| InputError::Base64("Encrypt"))?;
    if cipher.is_empty() || !cipher.len().is_multiple_of(16) {
        return Err(InputError::EncryptLength);
    }
    Ok(cipher)
}

/// Strips PKCS#7 padding with a 32-byte block: the last byte `n` is 1..=32 and the last `n`
/// bytes all equal it.
fn unpad(plain: &[u8]) -> Option<&[u8]> {
    let n = usize::from(*plain.last()?);
    if !(1..=PAD_BLOCK).contains(&n) || n > plain.len() {
        return None;
    }
    let (body, pad) = plain.split_at(plain.len() - n);
    pad.iter().all(|&b| usize::from(b) == n).then_some(body)
}

/// Splits `random(16) ‖ len ‖ msg ‖ appid` into the message and the appid.
fn unframe(plain: &[u8]) -> Option<(&[u8], &[u8])> {
    let len_bytes: [u8; 4] = plain.get(16..20)?.try_into().ok()?;
    let len = usize::try_from(u32::from_be_bytes(len_bytes)).ok()?;
    let end = 20usize.checked_add(len)?;
    Some((plain.get(20..end)?, plain.get(end..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpad_and_unframe_refuse_what_does_not_fit() {
        assert_eq!(unpad(&[]), None);
        assert_eq!(unpad(&[0]), None);
        assert_eq!(unpad(&[33; 33]), None);
        assert_eq!(unpad(&[1, 2, 2]), Some(&[1][..]));
        assert_eq!(unpad(&[1, 3, 2]), None);
        assert_eq!(unframe(&[0; 19]), None);
        let mut plain = vec![0u8; 16];
        plain.extend_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(unframe(&plain), None);
        let mut plain = vec![0u8; 16];
        plain.extend_from_slice(&2u32.to_be_bytes());
        plain.extend_from_slice(b"hiwx");
        assert_eq!(unframe(&plain), Some((&b"hi"[..], &b"wx"[..])));
    }
}
