//! Where the users' and the persons' entries are, and how a new one is created.
//!
//! Entries are written among `store.buckets` buckets. While that count changes, the buckets of
//! the other count (`store.also_read_buckets`) are read too: a user's keys, sessions and a
//! person's accounts are the union of both places, so a replica reading both misses nothing a
//! replica writing either one wrote (the steps are in `docs/src/redis-layout.md`).
//!
//! A new entry is created without Lua: `HSETNX` + `EXPIRE` in one pipeline, then `HRANDFIELD`
//! to sample two others for dead entries (a script costs Redis several times these commands).
//! Only when the field exists (a returning user, a dead entry to replace) does the entry script
//! run; only when the sample holds a dead entry does its `prune` run.

use redis::AsyncCommands as _;

use super::layout::{self, UserEntry, format, stored_secs};
use super::{Conn, RedisStore, failed};
use crate::store::StoreError;

/// Where entries are written, and the other bucket count read during a change of it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Buckets {
    pub(super) count: u32,
    pub(super) also_read: Option<u32>,
}

impl Default for Buckets {
    fn default() -> Self {
        Self {
            count: layout::BUCKETS,
            also_read: None,
        }
    }
}

impl Buckets {
    /// Every bucket count read: the written one first.
    fn read(self) -> impl Iterator<Item = u32> {
        std::iter::once(self.count).chain(self.also_read.filter(|&n| n != self.count))
    }
}

impl RedisStore {
    /// The same store with its entries among `count` buckets, and those among `also_read` read
    /// too (`store.buckets`, `store.also_read_buckets`; both validated by the settings).
    #[must_use]
    pub fn with_buckets(self, count: u32, also_read: Option<u32>) -> Self {
        let count = count.clamp(1, layout::MAX_BUCKETS);
        let also_read = also_read.map(|n| n.clamp(1, layout::MAX_BUCKETS));
        Self {
            buckets: Buckets { count, also_read },
            ..self
        }
    }

    /// The bucket key and field of a user's entry, where it is written.
    pub(super) fn user(&self, appid: &str, openid: &str) -> (String, Vec<u8>) {
        layout::user_location_in(self.keys.prefix(), self.buckets.count, appid, openid)
    }

    /// Every place a user's entry is read, the written one first.
    pub(super) fn user_everywhere(&self, appid: &str, openid: &str) -> Vec<(String, Vec<u8>)> {
        let prefix = self.keys.prefix();
        let read = self.buckets.read();
        read.map(|n| layout::user_location_in(prefix, n, appid, openid))
            .collect()
    }

    /// The bucket key and field of a person's entry, where it is written.
    pub(super) fn union(&self, unionid: &str) -> (String, Vec<u8>) {
        layout::union_location_in(self.keys.prefix(), self.buckets.count, unionid)
    }

    /// Every place a person's entry is read, the written one first.
    pub(super) fn union_everywhere(&self, unionid: &str) -> Vec<(String, Vec<u8>)> {
        let prefix = self.keys.prefix();
        let read = self.buckets.read();
        read.map(|n| layout::union_location_in(prefix, n, unionid))
            .collect()
    }

    /// The user's live entries, the most recently written first.
    pub(super) async fn user_entries(
        &self,
        conn: &mut Conn,
        appid: &str,
        openid: &str,
    ) -> Result<Vec<UserEntry>, StoreError> {
        let oldest = stored_secs(self.now().saturating_sub(self.lifetime()));
        let mut entries = Vec::new();
        for (bucket, field) in self.user_everywhere(appid, openid) {
            let value: Option<Vec<u8>> = conn.hget(bucket, field).await.map_err(failed)?;
            entries.extend(
                value
                    .as_deref()
                    .and_then(UserEntry::decode)
                    .filter(|e| e.written_at > oldest),
            );
        }
        entries.sort_by_key(|e| std::cmp::Reverse(e.written_at));
        Ok(entries)
    }

    /// Creates the entry `body` (after its last write, now) at `field` unless the field holds
    /// one, live or dead: whether it did. A creation drops the dead among two random others of
    /// the bucket, as the entry script's creations do.
    pub(super) async fn create_entry(
        &self,
        conn: &mut Conn,
        (bucket, field): (&str, &[u8]),
        body: &[u8],
        life_secs: u64,
    ) -> Result<bool, StoreError> {
        let life = life_secs.max(1);
        let now = stored_secs(self.now());
        let mut entry = format::header(format::WRITES);
        entry.extend(now.to_be_bytes());
        entry.extend_from_slice(body);
        let (created, ()): (bool, ()) = redis::pipe()
            .hset_nx(bucket, field, entry)
            .expire(bucket, i64::try_from(life).unwrap_or(i64::MAX))
            .query_async(conn)
            .await
            .map_err(failed)?;
        if !created {
            return Ok(false);
        }
        // Housekeeping: the entry is written, so a failure here costs only dead entries kept a
        // little longer (the next creation in the bucket looks again), never the login.
        if let Err(err) = self.prune_around(conn, bucket, field, now, life).await {
            tracing::warn!(error = %err, "dropping dead entries after a creation failed; left for a later one");
        }
        Ok(true)
    }

    /// Drops the dead among two random entries of the bucket other than `field`. Sampled only
    /// after a creation: a returning user's login pays HSETNX + EXPIRE and then the script, not a
    /// third command.
    async fn prune_around(
        &self,
        conn: &mut Conn,
        bucket: &str,
        field: &[u8],
        now: u32,
        life: u64,
    ) -> Result<(), StoreError> {
        let sample: Vec<Vec<u8>> = redis::cmd("HRANDFIELD")
            .arg(bucket)
            .arg(2)
            .arg("WITHVALUES")
            .query_async(conn)
            .await
            .map_err(failed)?;
        let dead: Vec<&Vec<u8>> = sample
            .chunks_exact(2)
            .filter_map(|pair| match pair {
                [f, v] if f != field && dead(v, u64::from(now), life) => Some(f),
                _ => None,
            })
            .collect();
        if !dead.is_empty() {
            // The script checks again: a login may have replaced the entry meanwhile.
            self.entry_living("prune", bucket, field, life)
                .arg(dead)
                .invoke_async::<i64>(conn)
                .await
                .map_err(failed)?;
        }
        Ok(())
    }
}

/// Whether an entry (of a format this release reads) was last written `life` or more ago.
fn dead(entry: &[u8], now: u64, life: u64) -> bool {
    let written = format::split(entry).and_then(|(_, body)| body.first_chunk::<4>());
    written.is_some_and(|w| u64::from(u32::from_be_bytes(*w)).saturating_add(life) <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sampled_entry_is_dead_only_when_readable_and_past_its_life() {
        let entry = |header: Vec<u8>, written: u32| {
            let mut e = header;
            e.extend(written.to_be_bytes());
            e.extend([0x82; 17]);
            e
        };
        assert!(dead(&entry(format::header(0), 100), 200, 100));
        assert!(!dead(&entry(format::header(0), 101), 200, 100));
        assert!(dead(&entry(format::header(1), 100), 200, 100));
        // A newer format than this release reads, or a malformed entry: left alone.
        let newer = entry(vec![format::MARKER, format::NEWEST + 1], 0);
        assert!(!dead(&newer, 200, 100));
        assert!(!dead(&[1, 2], 200, 100));
        assert!(!dead(
            &entry(format::header(0), u32::MAX),
            u64::MAX,
            u64::MAX
        ));
    }

    #[test]
    fn the_written_count_is_read_first_and_an_equal_other_count_once() {
        let b = Buckets {
            count: 64,
            also_read: Some(4096),
        };
        assert_eq!(b.read().collect::<Vec<_>>(), [64, 4096]);
        let same = Buckets {
            count: 64,
            also_read: Some(64),
        };
        assert_eq!(same.read().collect::<Vec<_>>(), [64]);
        assert_eq!(Buckets::default().read().collect::<Vec<_>>(), [4096]);
    }
}
