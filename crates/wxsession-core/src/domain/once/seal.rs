//! Sealing a code's answer so that Redis holds nothing usable in the clear.
//!
//! The lookup id and the sealing key are both derived from `(purpose, scope, code)`
//! (`super::derive`): whoever reads Redis learns neither the code nor the answer, and a replica
//! that is presented the same code again derives the same key and can open the sealed answer.
//! Codes of different purposes never share an id or a key.

use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

use super::derive::{Derivation, Purpose, derive};

const NONCE_LEN: usize = 12;

/// The first byte of an answer sealed under an HKDF key, its format; it is also the AEAD's
/// associated data. An answer under a legacy key is format 0: no header, as 0.1.0 writes it.
const HKDF_FORMAT: u8 = 1;

/// The per-code id and key.
pub struct CodeSeal {
    derivation: Derivation,
    id: String,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for CodeSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeSeal")
            .field("derivation", &self.derivation)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl CodeSeal {
    /// Derives the id and key for `code` of `scope` (an appid, say), for `purpose`.
    pub fn new(derivation: Derivation, purpose: Purpose, scope: &str, code: &str) -> Self {
        let (id, key) = derive(derivation, purpose, scope, code);
        Self {
            derivation,
            id: hex::encode(id),
            cipher: Aes256Gcm::new(&key.into()),
        }
    }

    /// The store id of this code.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The format header of this derivation's sealed answers: none for the legacy one.
    fn header(&self) -> &'static [u8] {
        match self.derivation {
            Derivation::Legacy => &[],
            Derivation::Hkdf => &[HKDF_FORMAT],
        }
    }

    /// Encrypts `plain` under a random nonce: `header ‖ nonce ‖ ciphertext`.
    pub fn seal(&self, plain: &[u8]) -> Option<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).ok()?;
        let header = self.header();
        let mut out = [header, &nonce].concat();
        let payload = Payload {
            msg: plain,
            aad: header,
        };
        out.extend(self.cipher.encrypt(&Nonce::from(nonce), payload).ok()?);
        Some(out)
    }

    /// Opens what [`CodeSeal::seal`] produced; `None` when it does not authenticate (another
    /// code's, another derivation's, or altered).
    pub fn open(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        let header = self.header();
        let (nonce, body) = sealed.strip_prefix(header)?.split_at_checked(NONCE_LEN)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
        let payload = Payload {
            msg: body,
            aad: header,
        };
        self.cipher.decrypt(&Nonce::from(nonce), payload).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DERIVATIONS: [Derivation; 2] = [Derivation::Legacy, Derivation::Hkdf];

    #[test]
    fn round_trip_and_isolation() {
        for d in DERIVATIONS {
            let a = CodeSeal::new(d, Purpose::Login, "wxa", "code-1");
            let sealed = a.seal(b"hello").expect("seals");
            assert_eq!(a.open(&sealed).as_deref(), Some(&b"hello"[..]));
            assert!(!sealed.windows(5).any(|w| w == b"hello"));
            let other = |scope, code| CodeSeal::new(d, Purpose::Login, scope, code);
            assert_eq!(other("wxa", "code-2").open(&sealed), None);
            assert_eq!(other("wxb", "code-1").open(&sealed), None);
            assert_eq!(a.id(), other("wxa", "code-1").id());
            assert_ne!(a.id(), other("wxb", "code-1").id());
            assert_eq!(a.open(b"short"), None);
            // A phone code never shares an id or a key with a login code.
            let phone = CodeSeal::new(d, Purpose::Phone, "wxa", "code-1");
            assert_ne!(phone.id(), a.id());
            assert_eq!(phone.open(&sealed), None);
        }
    }

    /// Neither derivation opens the other's answer; the HKDF one carries its format.
    #[test]
    fn derivations_do_not_open_each_other() {
        let legacy = CodeSeal::new(Derivation::Legacy, Purpose::Login, "wxa", "code-1");
        let hkdf = CodeSeal::new(Derivation::Hkdf, Purpose::Login, "wxa", "code-1");
        let by_legacy = legacy.seal(b"answer").expect("seals");
        let by_hkdf = hkdf.seal(b"answer").expect("seals");
        assert_eq!(by_hkdf.first(), Some(&HKDF_FORMAT));
        assert_eq!(by_hkdf.len(), by_legacy.len() + 1);
        assert_eq!(legacy.open(&by_hkdf), None);
        assert_eq!(hkdf.open(&by_legacy), None);
    }

    /// Answers 0.1.0 sealed (AES-256-GCM under its derived key, nonce `00 01 … 0b`) open.
    #[test]
    fn legacy_keys_open_what_0_1_0_sealed() {
        let sealed = |hex_text| hex::decode(hex_text).expect("hex");
        let login = sealed(
            "000102030405060708090a0b8dbc6abf4fecfacb969fdca45d5ebb467595b567b29a0bb0e2a8e56d0deea23f007c77b382b0e1620c",
        );
        let seal = CodeSeal::new(
            Derivation::Legacy,
            Purpose::Login,
            "wx1234567890abcdef",
            "081AbCdEf",
        );
        assert_eq!(
            seal.open(&login).as_deref(),
            Some(&br#"{"Failed":"invalid_code"}"#[..])
        );
        let phone = sealed("000102030405060708090a0bc9471f5da0ec3dfd8bb7c3edb284b54becfcf3");
        let seal = CodeSeal::new(Derivation::Legacy, Purpose::Phone, "sessionid", "phonecode");
        assert_eq!(seal.open(&phone).as_deref(), Some(&b"\"x\""[..]));
    }

    /// An answer sealed under the HKDF key by an independent implementation (Python's
    /// `cryptography`: header `01`, nonce `00 01 … 0b`, the header as associated data) opens;
    /// with another format byte it does not.
    #[test]
    fn hkdf_keys_open_what_the_next_release_seals() {
        let mut sealed = hex::decode(
            "01000102030405060708090a0b9c0e4eda990ea2907eb2ccc1b7e744d53a0fb0c454ac593eb771357746fe9cb35ef0e511317c32cf30",
        )
        .expect("hex");
        let seal = CodeSeal::new(
            Derivation::Hkdf,
            Purpose::Login,
            "wx1234567890abcdef",
            "081AbCdEf",
        );
        assert_eq!(
            seal.open(&sealed).as_deref(),
            Some(&br#"{"Failed":"invalid_code"}"#[..])
        );
        if let Some(format) = sealed.first_mut() {
            *format = 2;
        }
        assert_eq!(seal.open(&sealed), None);
    }
}
