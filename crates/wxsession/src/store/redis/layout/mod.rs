//! Where the Redis store keeps a user's keys and sessions and a person's accounts, and the
//! binary form of those entries (`scripts/entry.lua` reads and writes the same form).
//!
//! A key with a TTL costs Redis ~200 bytes before its value, more than the entries themselves,
//! so users and persons are not keys of their own: each is a field of one of `store.buckets`
//! bucket hashes (4096 by default; `{prefix}:ub:{<bucket>}` for users, `{prefix}:ux:{<bucket>}`
//! for persons), which Redis keeps as compact listpacks while they stay small. The first 32 bits
//! of sha256 of the user (`appid:openid`) or person (`unionid`), scaled to the bucket count, pick
//! the bucket (for 4096 buckets: the first 12 bits), the 80 bits after the first 16 are the
//! field: an entry's field is the same under every bucket count. A bucket lives `max_lifetime`
//! from its last write; an entry is dead `max_lifetime` after its own last write (reads ignore
//! it, a write replaces it, and every write that creates an entry drops the dead among two
//! random others of its bucket).
//!
//! Entries (integers big-endian):
//! - user: `u32 last write (unix s)`, newest `session_key`, previous one (each a [`Blob`]), then
//!   per session of the user, oldest first, its 16-byte id and `u32` creation time;
//! - person: `u32 last write`, then per account its appid and openid ([`Blob`]s) and `u32` last
//!   login;
//! - either behind a format header ([`format`]).
//!
//! Public for the tests and for operators' tools that inspect a deployment.

mod blob;
pub mod format;

use crate::domain::ids::{AppId, OpenId};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::Digest as _;

pub use self::blob::Blob;

use crate::store::UnionAccount;

/// How many bucket hashes each kind of entry is spread over unless `store.buckets` says
/// otherwise (what every release before the setting used).
pub const BUCKETS: u32 = 4096;

/// The most buckets `store.buckets` accepts (enough for ~1.6 billion users at 100 a bucket).
pub const MAX_BUCKETS: u32 = crate::settings::MAX_BUCKETS;

/// The bucket key and field of a user's entry under the default bucket count.
pub fn user_location(prefix: &str, appid: &str, openid: &str) -> (String, Vec<u8>) {
    user_location_in(prefix, BUCKETS, appid, openid)
}

/// The bucket key and field of a person's entry under the default bucket count.
pub fn union_location(prefix: &str, unionid: &str) -> (String, Vec<u8>) {
    union_location_in(prefix, BUCKETS, unionid)
}

/// The bucket key and field of a user's entry among `buckets` buckets.
pub fn user_location_in(
    prefix: &str,
    buckets: u32,
    appid: &str,
    openid: &str,
) -> (String, Vec<u8>) {
    locate(
        prefix,
        "ub",
        buckets,
        &[appid.as_bytes(), b":", openid.as_bytes()],
    )
}

/// The bucket key and field of a person's entry among `buckets` buckets.
pub fn union_location_in(prefix: &str, buckets: u32, unionid: &str) -> (String, Vec<u8>) {
    locate(prefix, "ux", buckets, &[unionid.as_bytes()])
}

fn locate(prefix: &str, kind: &str, buckets: u32, parts: &[&[u8]]) -> (String, Vec<u8>) {
    let mut hasher = sha2::Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let head = digest
        .first_chunk::<4>()
        .map_or(0, |h| u64::from(u32::from_be_bytes(*h)));
    // head / 2^32 scaled to the count: for a power of two, the first log2(count) bits.
    let bucket = (head * u64::from(buckets.max(1))) >> 32;
    let field = digest.get(2..12).unwrap_or_default().to_vec();
    (format!("{prefix}:{kind}:{{{bucket}}}"), field)
}

fn take_u32(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let (head, rest) = bytes.split_first_chunk::<4>()?;
    Some((u32::from_be_bytes(*head), rest))
}

/// A user's entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserEntry {
    /// Its last write, unix seconds.
    pub written_at: u32,
    /// The user's `session_key`s as stored, newest first (at most two).
    pub keys: Vec<String>,
    /// The user's sessions, oldest first: 16-byte id (the session key's id, base64url) and
    /// creation time.
    pub sessions: Vec<([u8; 16], u32)>,
}

impl UserEntry {
    /// Parses an entry; `None` when it is malformed.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let (_, bytes) = format::split(bytes)?;
        let (written_at, rest) = take_u32(bytes)?;
        let (k0, rest) = Blob::decode(rest)?;
        let (k1, mut rest) = Blob::decode(rest)?;
        let keys = [k0, k1].into_iter().filter(|k| !k.is_empty()).collect();
        let mut sessions = Vec::with_capacity(rest.len() / 20);
        while !rest.is_empty() {
            let (id, after) = rest.split_first_chunk::<16>()?;
            let (born, after) = take_u32(after)?;
            sessions.push((*id, born));
            rest = after;
        }
        Some(Self {
            written_at,
            keys,
            sessions,
        })
    }

    /// The stored ids of the user's sessions.
    pub fn session_ids(&self) -> impl Iterator<Item = String> + '_ {
        self.sessions.iter().map(|(id, _)| session_id_text(id))
    }
}

/// The stored id (base64url) of a session whose 16 bytes an entry holds.
pub fn session_id_text(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

/// A session id as an entry stores it: the 16 bytes its base64url text stands for.
pub fn raw_session_id(id: &str) -> Option<[u8; 16]> {
    let bytes = URL_SAFE_NO_PAD.decode(id).ok()?;
    bytes.try_into().ok()
}

/// A person's entry in the unionid index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnionEntry {
    /// Its last write, unix seconds.
    pub written_at: u32,
    /// The person's accounts, in the order of their last login, oldest first.
    pub accounts: Vec<UnionAccount>,
}

impl UnionEntry {
    /// Parses an entry; `None` when it is malformed.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let (_, bytes) = format::split(bytes)?;
        let (written_at, mut rest) = take_u32(bytes)?;
        let mut accounts = Vec::new();
        while !rest.is_empty() {
            let (appid, after) = Blob::decode(rest)?;
            let (openid, after) = Blob::decode(after)?;
            let (last_login, after) = take_u32(after)?;
            accounts.push(UnionAccount {
                appid: AppId::from_stored(&appid),
                openid: OpenId::from_stored(&openid),
                last_login: i64::from(last_login),
            });
            rest = after;
        }
        Some(Self {
            written_at,
            accounts,
        })
    }
}

/// The Lua script that edits entries (`scripts/entry.lua`), behind a prelude of the constants
/// it shares with this module: the blob tags and the entry formats are written once, here.
pub fn entry_script() -> String {
    use std::fmt::Write as _;
    let mut prelude = String::from("local PACKED = {");
    for (tag, len) in blob::PACKED {
        let _ = write!(prelude, "[{tag}] = {len}, ");
    }
    let _ = writeln!(
        prelude,
        "}}\nlocal MAX_TEXT, MARKER, WRITES, NEWEST = {}, {}, {}, {}",
        blob::MAX_TEXT,
        format::MARKER,
        format::WRITES,
        format::NEWEST
    );
    prelude + include_str!("../scripts/entry.lua")
}

/// Unix seconds as an entry stores them (0 before 1970, saturating in 2106).
pub fn stored_secs(unix: i64) -> u32 {
    u32::try_from(unix.max(0)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_spread_over_the_buckets_and_tag_one_slot() {
        let (key, field) = user_location("wxs", "wx1234567890abcdef", "o1");
        assert!(key.starts_with("wxs:ub:{") && key.ends_with('}'), "{key}");
        assert_eq!(field.len(), 10);
        assert_ne!(user_location("wxs", "wx1234567890abcdef", "o2").1, field);
        let buckets: std::collections::HashSet<String> = (0..2000)
            .map(|i| union_location("p", &format!("u{i}")).0)
            .collect();
        assert!(buckets.len() > 1500, "{}", buckets.len());
    }

    #[test]
    fn the_default_count_keeps_the_first_12_bits_and_other_counts_keep_the_field() {
        // What every release before `store.buckets` computed: the first 12 bits of sha256.
        let digest = sha2::Sha256::digest(b"wx1234567890abcdef:o1");
        let d = |i: usize| u16::from(digest.get(i).copied().unwrap_or_default());
        let old = (d(0) << 4) | (d(1) >> 4);
        let (key, field) = user_location("wxs", "wx1234567890abcdef", "o1");
        assert_eq!(key, format!("wxs:ub:{{{old}}}"));
        let (other, same) = user_location_in("wxs", 100_000, "wx1234567890abcdef", "o1");
        assert_eq!(same, field);
        let n: u32 = other
            .trim_start_matches("wxs:ub:{")
            .trim_end_matches('}')
            .parse()
            .expect("bucket");
        assert!(n < 100_000);
        let used: std::collections::HashSet<String> = (0..5000)
            .map(|i| union_location_in("p", 100, &format!("u{i}")).0)
            .collect();
        assert_eq!(used.len(), 100);
        assert_eq!(union_location_in("p", 1, "u").0, "p:ux:{0}");
    }

    #[test]
    fn the_generator_places_entries_as_the_store_does() {
        // The same answers as `KNOWN` in scripts/layout-memory.py.
        let (appid, openid) = ("wx1234567890abcdef", "oGZUI0egBJY1zhBYw2KhdUfwVJJE");
        assert_eq!(
            user_location_in("wxs", 100_000, appid, openid).0,
            "wxs:ub:{56983}"
        );
        assert_eq!(user_location("wxs", appid, openid).0, "wxs:ub:{2334}");
        assert_eq!(
            union_location_in("wxs", 100_000, openid).0,
            "wxs:ux:{51200}"
        );
    }

    #[test]
    fn entries_decode_and_refuse_truncation() {
        let mut bytes = 1_700_000_000u32.to_be_bytes().to_vec();
        bytes.extend(Blob::encode("tiihtNczf5v6AKRyjwEUhQ==").expect("key"));
        bytes.push(0);
        bytes.extend([9u8; 16]);
        bytes.extend(1_700_000_001u32.to_be_bytes());
        let entry = UserEntry::decode(&bytes).expect("entry");
        assert_eq!(entry.keys, vec!["tiihtNczf5v6AKRyjwEUhQ=="]);
        assert_eq!(entry.sessions, vec![([9u8; 16], 1_700_000_001)]);
        assert_eq!(
            raw_session_id(&entry.session_ids().next().expect("id")),
            Some([9u8; 16])
        );
        assert_eq!(
            UserEntry::decode(bytes.get(..bytes.len() - 1).expect("cut")),
            None
        );
        let mut person = 5u32.to_be_bytes().to_vec();
        person.extend(Blob::encode("wxapp").expect("appid"));
        person.extend(Blob::encode("o1").expect("openid"));
        person.extend(4u32.to_be_bytes());
        let entry = UnionEntry::decode(&person).expect("entry");
        assert_eq!(entry.accounts.len(), 1);
        assert_eq!(
            entry.accounts.first().map(|a| a.openid.as_str()),
            Some("o1")
        );
    }
}
