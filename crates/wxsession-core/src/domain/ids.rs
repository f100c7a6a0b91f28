//! The ids WeChat issues — [`AppId`], [`OpenId`], [`UnionId`] — and ours, [`ReaderName`]:
//! each parsed once where it arrives (configuration, WeChat's answers, admin paths) under one
//! rule, then carried as its type: a function that takes an `OpenId` never checks it again.

use std::fmt;

use bytestring::ByteString;

/// The longest id accepted. WeChat's are 18 (appid) and 28–29 (openid, unionid) characters.
pub const MAX_ID_LEN: usize = 64;

/// Whether `id` is 1–64 characters of `A-Z a-z 0-9 _ -`: what WeChat issues, and what can go
/// into a Redis key, a header value and a log line without escaping.
fn follows_the_rule(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// An id that does not follow the rule. Its text names the kind: `appid is malformed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{kind} is malformed")]
pub struct InvalidId {
    /// `appid`, `openid` or `unionid`.
    pub kind: &'static str,
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        ///
        /// 1–64 characters of `A-Z a-z 0-9 _ -`, so it can go into a Redis key, a header value
        /// and a log line as it is. Cloning it counts a reference; the text is never copied
        /// (not even into a response header: see `into_shared`).
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(ByteString);

        impl $name {
            /// The name of this kind of id, as error messages and logs spell it.
            pub const KIND: &'static str = $kind;

            /// Parses an id that arrived from outside.
            pub fn parse(id: &str) -> Result<Self, InvalidId> {
                if follows_the_rule(id) {
                    Ok(Self(ByteString::from(id)))
                } else {
                    Err(InvalidId { kind: $kind })
                }
            }

            /// Rebuilds an id from what the store wrote, without checking it again: every id
            /// the store holds went in as this type, so it was parsed on its way in. This keeps
            /// the session lookup (`/v1/auth`, every request) at the work it did before ids
            /// were types. Never call it on anything that did not come out of the store (which
            /// is trusted as it was before: a value someone else wrote there is taken as is).
            pub fn from_stored(id: &str) -> Self {
                Self(ByteString::from(id))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id's text, shared rather than copied: a response header made of its bytes
            /// costs no allocation.
            pub fn into_shared(self) -> ByteString {
                self.0
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidId;

            fn try_from(id: &str) -> Result<Self, InvalidId> {
                Self::parse(id)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                &*self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                &*self.0 == *other
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.0, f)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(
    /// An app's id (`wx…`), as configured and as WeChat names the app.
    AppId,
    "appid"
);
id_type!(
    /// A user's id inside one app.
    OpenId,
    "openid"
);
id_type!(
    /// A person's id across the apps of one WeChat Open Platform account.
    UnionId,
    "unionid"
);
id_type!(
    /// The name of an admin credential reader (`reader:<name>` in the audit trail): ours, not
    /// WeChat's, under the same rule since it goes into the same log lines.
    ReaderName,
    "name"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wechat_ids_pass_and_nothing_else() {
        for ok in [
            "wx1234567890abcdef",
            "oGZUI0egBJY1zhBYw2KhdUfwVJJE",
            "o6_bmasdasdsad6_2sgVt7hMZOPfL",
        ] {
            assert!(follows_the_rule(ok), "{ok}");
            assert_eq!(AppId::parse(ok).map(|id| id.to_string()), Ok(ok.to_owned()));
            assert_eq!(
                OpenId::parse(ok).map(|id| id.to_string()),
                Ok(ok.to_owned())
            );
            assert_eq!(
                UnionId::parse(ok).map(|id| id.to_string()),
                Ok(ok.to_owned())
            );
        }
        let long = "o".repeat(MAX_ID_LEN + 1);
        for bad in [
            "",
            "a b",
            "a\r\nb",
            "a;b",
            "a,b",
            "a\"b",
            "a|b",
            "a{b}",
            "用户",
            long.as_str(),
        ] {
            assert!(!follows_the_rule(bad), "{bad:?}");
            assert_eq!(AppId::parse(bad), Err(InvalidId { kind: "appid" }));
            assert_eq!(OpenId::try_from(bad), Err(InvalidId { kind: "openid" }));
            assert_eq!(UnionId::parse(bad), Err(InvalidId { kind: "unionid" }));
        }
        assert!(AppId::parse(&"w".repeat(MAX_ID_LEN)).is_ok());
    }

    #[test]
    fn errors_name_the_kind_as_the_error_bodies_do() {
        assert_eq!(
            OpenId::parse("a b").map_err(|e| e.to_string()),
            Err("openid is malformed".to_owned())
        );
    }

    #[test]
    fn serde_round_trips_and_validates() {
        let id = OpenId::parse("oGZUI0egBJY1zhBYw2KhdUfwVJJE").expect("a valid openid");
        let json = serde_json::to_string(&id).expect("serializes");
        assert_eq!(json, r#""oGZUI0egBJY1zhBYw2KhdUfwVJJE""#);
        assert_eq!(serde_json::from_str::<OpenId>(&json).ok(), Some(id));
        let err = serde_json::from_str::<UnionId>(r#""a|b""#).expect_err("refused");
        assert!(err.to_string().contains("unionid is malformed"), "{err}");
    }

    #[test]
    fn stored_ids_compare_and_clone_as_parsed_ones() {
        let parsed = AppId::parse("wx1234567890abcdef").expect("a valid appid");
        let stored = AppId::from_stored("wx1234567890abcdef");
        assert_eq!(parsed, stored);
        assert_eq!(parsed, "wx1234567890abcdef");
        assert_eq!(stored.clone().as_str(), "wx1234567890abcdef");
        assert_eq!(format!("{stored:?}"), r#""wx1234567890abcdef""#);
    }
}
