//! Sealing a code's answer so that Redis holds nothing usable in the clear.
//!
//! The lookup id and the sealing key are both derived from `(purpose, scope, code)` with
//! different labels: whoever reads Redis learns neither the code nor the answer, and a replica
//! that is presented the same code again derives the same key and can open the sealed answer.
//! Codes of different purposes never share an id or a key.

use aes_gcm::aead::{Aead as _, KeyInit as _};
use aes_gcm::{Aes256Gcm, Nonce};
use sha2::Digest as _;

const NONCE_LEN: usize = 12;

/// What kind of code is sealed; each has its own derivation labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Purpose {
    /// A `wx.login` code (scope: the appid).
    Login,
    /// A phone-number code (scope: the session that presented it).
    Phone,
    /// A web login's `state` as the release before 0.2 stored it (scope: the appid); what is
    /// sealed is where to return. Read only, until those states have expired.
    WebState,
    /// A web login's callback, single-flighted per `state` (scope: the appid).
    WebCallback,
    /// A web login's code, spent once whatever the state presenting it (scope: the appid).
    WebCode,
}

impl Purpose {
    /// The labels of the key and of the id.
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Self::Login => ("wxsession/code-seal/v1", "wxsession/code-id/v1"),
            Self::Phone => ("wxsession/phone-seal/v1", "wxsession/phone-id/v1"),
            Self::WebState => ("wxsession/web-state-seal/v1", "wxsession/web-state-id/v1"),
            Self::WebCallback => (
                "wxsession/web-callback-seal/v1",
                "wxsession/web-callback-id/v1",
            ),
            Self::WebCode => ("wxsession/web-code-seal/v1", "wxsession/web-code-id/v1"),
        }
    }
}

/// The per-code id and key.
pub struct CodeSeal {
    id: String,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for CodeSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeSeal")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

fn derive(label: &str, scope: &str, code: &str) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    for part in [label, scope, code] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().into()
}

impl CodeSeal {
    /// Derives the id and key for `code` of `scope` (an appid, say), for `purpose`.
    pub fn new(purpose: Purpose, scope: &str, code: &str) -> Self {
        let (key_label, id_label) = purpose.labels();
        let key = derive(key_label, scope, code);
        Self {
            id: hex::encode(derive(id_label, scope, code)),
            cipher: Aes256Gcm::new(&key.into()),
        }
    }

    /// The store id of this code.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Encrypts `plain` under a random nonce; `nonce || ciphertext`.
    pub fn seal(&self, plain: &[u8]) -> Option<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).ok()?;
        let mut out = nonce.to_vec();
        out.extend(self.cipher.encrypt(&Nonce::from(nonce), plain).ok()?);
        Some(out)
    }

    /// Opens what [`CodeSeal::seal`] produced; `None` when it does not authenticate.
    pub fn open(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        let (nonce, body) = sealed.split_at_checked(NONCE_LEN)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
        self.cipher.decrypt(&Nonce::from(nonce), body).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_isolation() {
        let a = CodeSeal::new(Purpose::Login, "wxa", "code-1");
        let sealed = a.seal(b"hello").expect("seals");
        assert_eq!(a.open(&sealed).as_deref(), Some(&b"hello"[..]));
        assert!(!sealed.windows(5).any(|w| w == b"hello"));
        assert_eq!(
            CodeSeal::new(Purpose::Login, "wxa", "code-2").open(&sealed),
            None
        );
        assert_eq!(
            CodeSeal::new(Purpose::Login, "wxb", "code-1").open(&sealed),
            None
        );
        assert_eq!(a.id(), CodeSeal::new(Purpose::Login, "wxa", "code-1").id());
        assert_ne!(a.id(), CodeSeal::new(Purpose::Login, "wxb", "code-1").id());
        assert_eq!(a.open(b"short"), None);
        // A phone code never shares an id or a key with a login code.
        let phone = CodeSeal::new(Purpose::Phone, "wxa", "code-1");
        assert_ne!(phone.id(), a.id());
        assert_eq!(phone.open(&sealed), None);
    }

    /// What 0.1.0 derives: its replicas share a Redis with this one, so these never change.
    #[test]
    fn legacy_ids_are_what_0_1_0_derives() {
        let (scope, code) = ("wx1234567890abcdef", "081AbCdEf");
        let pinned = [
            (
                Purpose::Login,
                "65d960e20b2e63fd81377f16f9014c35d12253804c7782b455919b0591a7964a",
            ),
            (
                Purpose::Phone,
                "f4bbee31db8d93ea26ea5c8dd7ce91b9446545dca975f2599be673da0271e0e7",
            ),
            (
                Purpose::WebState,
                "6659fe23fe5861d0d18c0cd1e34b316ec0e9fd69f92a635cc0325b7578c3dee5",
            ),
            (
                Purpose::WebCallback,
                "55311609ae2c5b97bddfda951caf64a96e594d07dfc84c3f1b402e6738b3fc24",
            ),
            (
                Purpose::WebCode,
                "b2b042714747a88a2220e6a560fb50d3ab29873d9142691c7911f04623b4d05e",
            ),
        ];
        for (purpose, id) in pinned {
            assert_eq!(CodeSeal::new(purpose, scope, code).id(), id, "{purpose:?}");
        }
    }

    /// Answers 0.1.0 sealed (AES-256-GCM under its derived key, nonce `00 01 … 0b`) open.
    #[test]
    fn legacy_keys_open_what_0_1_0_sealed() {
        let sealed = |hex_text| hex::decode(hex_text).expect("hex");
        let login = sealed(
            "000102030405060708090a0b8dbc6abf4fecfacb969fdca45d5ebb467595b567b29a0bb0e2a8e56d0deea23f007c77b382b0e1620c",
        );
        let seal = CodeSeal::new(Purpose::Login, "wx1234567890abcdef", "081AbCdEf");
        assert_eq!(
            seal.open(&login).as_deref(),
            Some(&br#"{"Failed":"invalid_code"}"#[..])
        );
        let phone = sealed("000102030405060708090a0bc9471f5da0ec3dfd8bb7c3edb284b54becfcf3");
        let seal = CodeSeal::new(Purpose::Phone, "sessionid", "phonecode");
        assert_eq!(seal.open(&phone).as_deref(), Some(&b"\"x\""[..]));
    }
}
