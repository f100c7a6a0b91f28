//! A code's id and key, derived from `(purpose, scope, code)`: apart for each purpose, and in
//! two ways while a rolling deploy may mix releases ([`Derivation`]).

use sha2::Digest as _;

/// The HKDF salt: fixed, it only separates this service's derivations from any other use of
/// the same code.
const HKDF_SALT: &[u8] = b"wxsession/code-seal/v2";

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
    /// The legacy labels of the key and of the id.
    fn legacy_labels(self) -> (&'static str, &'static str) {
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

    /// The purpose's name in the HKDF `info`.
    fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Phone => "phone",
            Self::WebState => "web-state",
            Self::WebCallback => "web-callback",
            Self::WebCode => "web-code",
        }
    }
}

/// How a code's id and key are derived. Each part below is prefixed with its length (8 bytes,
/// big-endian), so that no two different inputs run together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Derivation {
    /// `sha256(label, scope, code)`, one label for the id and one for the key: what 0.1.0
    /// derives, byte for byte, and what its replicas claim and open.
    Legacy,
    /// HKDF-SHA256 (RFC 5869, the `hkdf` crate): extract from the code under a fixed salt, then
    /// expand 32 bytes for the id with `info = (purpose, scope, "id")` and 32 for the key with
    /// `info = (purpose, scope, "key")`.
    Hkdf,
}

/// `(id, key)` of `code` of `scope` for `purpose`.
pub(super) fn derive(
    derivation: Derivation,
    purpose: Purpose,
    scope: &str,
    code: &str,
) -> ([u8; 32], [u8; 32]) {
    match derivation {
        Derivation::Legacy => {
            let (key_label, id_label) = purpose.legacy_labels();
            (
                legacy(id_label, scope, code),
                legacy(key_label, scope, code),
            )
        }
        Derivation::Hkdf => hkdf(purpose, scope, code),
    }
}

/// The length of `part` as the 8 big-endian bytes both derivations prefix it with.
fn len(part: &str) -> [u8; 8] {
    (part.len() as u64).to_be_bytes()
}

fn legacy(label: &str, scope: &str, code: &str) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    for part in [label, scope, code] {
        h.update(len(part));
        h.update(part.as_bytes());
    }
    h.finalize().into()
}

fn hkdf(purpose: Purpose, scope: &str, code: &str) -> ([u8; 32], [u8; 32]) {
    let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(HKDF_SALT), code.as_bytes());
    let name = purpose.name();
    let expand = |what: &str| {
        let mut out = [0u8; 32];
        let info = [
            &len(name)[..],
            name.as_bytes(),
            &len(scope),
            scope.as_bytes(),
            &len(what),
            what.as_bytes(),
        ];
        // HKDF-SHA256 expands to at most 8160 bytes, so 32 cannot fail; were that to change,
        // every code would get the same zero id, which the pinned ids below would catch.
        let _ = hk.expand_multi_info(&info, &mut out);
        out
    };
    (expand("id"), expand("key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Purpose; 5] = [
        Purpose::Login,
        Purpose::Phone,
        Purpose::WebState,
        Purpose::WebCallback,
        Purpose::WebCode,
    ];

    fn id(derivation: Derivation, purpose: Purpose, scope: &str, code: &str) -> String {
        hex::encode(derive(derivation, purpose, scope, code).0)
    }

    /// What 0.1.0 derives: its replicas share a Redis with this one, so these never change.
    #[test]
    fn legacy_ids_are_what_0_1_0_derives() {
        let pinned = [
            "65d960e20b2e63fd81377f16f9014c35d12253804c7782b455919b0591a7964a",
            "f4bbee31db8d93ea26ea5c8dd7ce91b9446545dca975f2599be673da0271e0e7",
            "6659fe23fe5861d0d18c0cd1e34b316ec0e9fd69f92a635cc0325b7578c3dee5",
            "55311609ae2c5b97bddfda951caf64a96e594d07dfc84c3f1b402e6738b3fc24",
            "b2b042714747a88a2220e6a560fb50d3ab29873d9142691c7911f04623b4d05e",
        ];
        for (purpose, want) in ALL.into_iter().zip(pinned) {
            let got = id(
                Derivation::Legacy,
                purpose,
                "wx1234567890abcdef",
                "081AbCdEf",
            );
            assert_eq!(got, want, "{purpose:?}");
        }
    }

    /// The HKDF ids as an independent implementation (Python's `hmac`) computes them: the next
    /// release claims exactly these.
    #[test]
    fn hkdf_ids_are_pinned() {
        let pinned = [
            "f3d34ea88d4305d6ef370350691f64deb992af8c79cca782c1671366e5145dc8",
            "7b632de0ef737ab796444484b744f54c910dd9a3ccf444996c422666d31d8fa6",
            "e68f1bb5ae5307a41e0e316d9381e7a0d2f69b78e834a3aa83414607b08ed38b",
            "99987704800276f6d345bd9c01a94a81e2108cf28e288073a33a7a1a24aa8364",
            "841478e571402577d6ae26a0fdd3b6052aa86b8b57bda9b582d09cb178507681",
        ];
        for (purpose, want) in ALL.into_iter().zip(pinned) {
            let got = id(Derivation::Hkdf, purpose, "wx1234567890abcdef", "081AbCdEf");
            assert_eq!(got, want, "{purpose:?}");
        }
    }

    /// Ids and keys never meet: not across derivations, purposes, scopes or codes, not between
    /// a code's id and its key, and length prefixes keep ("ab", "c") apart from ("a", "bc").
    #[test]
    fn every_input_has_its_own_id_and_key() {
        let mut seen = std::collections::HashSet::new();
        for d in [Derivation::Legacy, Derivation::Hkdf] {
            for purpose in ALL {
                for (scope, code) in [("wxa", "code-1"), ("wxb", "code-1"), ("wxa", "code-2")] {
                    let (id, key) = derive(d, purpose, scope, code);
                    assert!(seen.insert(id) && seen.insert(key), "{d:?} {purpose:?}");
                }
                let (ab_c, _) = derive(d, purpose, "ab", "c");
                assert_ne!(ab_c, derive(d, purpose, "a", "bc").0);
            }
        }
    }
}
