//! Session tokens: minted from the OS CSPRNG, parsed strictly, stored only as a hash.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::Digest as _;

const PREFIX: &str = "wxs_";
const BODY_LEN: usize = 43;

/// A bearer token: `wxs_` + 43 base64url characters (32 random bytes). `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

/// What Redis holds instead of the token: base64url of the first 128 bits of sha256(token).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl Token {
    /// A fresh token from the OS CSPRNG.
    pub fn mint() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Self(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))))
    }

    /// Parses a presented token; anything not shaped like one of ours is rejected without a
    /// store lookup.
    pub fn parse(text: &str) -> Option<Self> {
        let body = text.strip_prefix(PREFIX)?;
        let shaped = body.len() == BODY_LEN
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        // The last character carries 2 padding bits that must be zero in canonical base64url.
        (shaped && URL_SAFE_NO_PAD.decode(body).is_ok()).then(|| Self(text.to_owned()))
    }

    /// The storage id.
    pub fn id(&self) -> SessionId {
        let digest = sha2::Sha256::digest(self.0.as_bytes());
        SessionId(URL_SAFE_NO_PAD.encode(digest.get(..16).unwrap_or_default()))
    }

    /// The token text, for the one response that hands it out.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token([REDACTED])")
    }
}

impl SessionId {
    /// The id as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps a stored id.
    pub fn from_stored(id: String) -> Self {
        Self(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_parse_and_differ() {
        let a = Token::mint().expect("rng");
        let b = Token::mint().expect("rng");
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 47);
        assert_eq!(Token::parse(a.expose()), Some(a.clone()));
        assert_ne!(a.id(), b.id());
        assert_eq!(a.id().as_str().len(), 22);
        assert!(!a.id().as_str().contains(&a.expose()[4..]));
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        let good = Token::mint().expect("rng");
        let body = &good.expose()[4..];
        for bad in [
            String::new(),
            "wxs_".into(),
            format!("wxt_{body}"),
            format!("WXS_{body}"),
            format!("wxs_{body}A"),
            format!("wxs_{}", &body[1..]),
            format!("wxs_{}+", &body[1..]),
            format!("wxs_{}=", &body[1..]),
            format!(" wxs_{body}"),
        ] {
            assert_eq!(Token::parse(&bad), None, "{bad:?}");
        }
    }
}
