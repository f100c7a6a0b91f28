//! The local validation cache (SPEC §18): sessions this replica found in the store, answered
//! from memory while the store's change feed is live. The feed itself (Redis client tracking)
//! belongs to the store that fills the cache; this module holds the rules that keep an answer
//! from memory no staler than an answer from Redis would be:
//!
//! - **Only while the feed is live.** [`SessionCache::feed_up`] empties the cache and opens it;
//!   [`SessionCache::feed_down`] closes it at once and empties it. Live also means a heartbeat
//!   sent at most [`FRESH_MILLIS`] ago was answered on the feed's connection: a connection that
//!   goes silent without closing stops hits as surely as one that closes.
//! - **No fill over a change.** A lookup that will fill the cache first leaves a placeholder
//!   ([`SessionCache::begin`]); an invalidation that arrives while Redis answers removes it, and
//!   the answer is then not kept. A flush (feed lost or regained) does the same for every fill
//!   begun before it.
//! - **Expiry.** An entry knows when its key expires in Redis (`PTTL` at the fill) and its
//!   absolute deadline; it is not answered past either.
//! - **Sliding expiry.** An entry is answered only while extending the session now would add
//!   less than the touch interval; past that the lookup goes to Redis, which extends it.
//! - **Bounded.** At most `entries` sessions (split over shards); a full shard drops the entry
//!   it filled longest ago.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

pub use self::fill::Fill;
use self::shard::{Entry, Shard, Slot, lock};
use std::time::Instant;

use prometheus::{IntCounter, IntGauge};

use super::{SessionRecord, Touched};
use crate::domain::clock::{Clock, millis};
use crate::domain::ids::AppId;
use crate::domain::token::SessionId;
use crate::metrics::Metrics;
use crate::metrics::labels::CacheResult;

/// A hit needs an answered heartbeat that was sent at most this many milliseconds ago.
pub const FRESH_MILLIS: i64 = 40;
/// How often the feed sends its heartbeat.
pub const HEARTBEAT_MILLIS: u64 = 10;
const SHARDS: usize = 16;

mod feed;
mod fill;
mod shard;

/// A session id as the cache keys it: the 22 characters of every id a token hashes to.
pub(crate) type Key = [u8; 22];

fn key_of(id: &str) -> Option<Key> {
    id.as_bytes().try_into().ok()
}

/// The cache of one replica; see the module's documentation.
pub struct SessionCache {
    shards: [Mutex<Shard>; SHARDS],
    per_shard: usize,
    idle_ms: i64,
    touch_interval_ms: i64,
    clock: Arc<dyn Clock>,
    started: Instant,
    up: AtomicBool,
    generation: AtomicU64,
    /// When the newest answered heartbeat was sent, in milliseconds since `started`.
    heartbeat: AtomicI64,
    tickets: AtomicU64,
    metrics: OnceLock<CacheMetrics>,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache")
            .field("capacity", &(self.per_shard * SHARDS))
            .field("up", &self.up.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

struct CacheMetrics {
    hit: IntCounter,
    miss: IntCounter,
    bypass: IntCounter,
    entries: IntGauge,
    evictions: IntCounter,
    feed_up: IntGauge,
    feed_losses: IntCounter,
}

/// What a lookup that found a session in Redis must do to its idle expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Nothing: the key expires at this time (clock milliseconds).
    Keep(i64),
    /// Extend the key's TTL to this many milliseconds.
    Extend(i64),
}

impl SessionCache {
    /// A cache of at most `entries` sessions, for sessions that idle out after
    /// `idle_ttl_secs` and are extended at most once per `touch_interval_secs`; closed until
    /// [`SessionCache::feed_up`].
    pub fn new(
        entries: usize,
        idle_ttl_secs: u64,
        touch_interval_secs: u64,
        clock: Arc<dyn Clock>,
    ) -> Arc<Self> {
        Arc::new(Self {
            shards: std::array::from_fn(|_| Mutex::default()),
            per_shard: entries.div_ceil(SHARDS).max(1),
            idle_ms: millis(idle_ttl_secs),
            touch_interval_ms: millis(touch_interval_secs),
            clock,
            started: Instant::now(),
            up: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            heartbeat: AtomicI64::new(i64::MIN / 2),
            tickets: AtomicU64::new(0),
            metrics: OnceLock::new(),
        })
    }

    /// Counts into `metrics` from now on.
    pub fn count_into(&self, metrics: &Metrics) {
        let result = |r: CacheResult| {
            metrics
                .session_cache_lookups_total
                .with_label_values(&[r.as_str()])
        };
        let m = CacheMetrics {
            hit: result(CacheResult::Hit),
            miss: result(CacheResult::Miss),
            bypass: result(CacheResult::Bypass),
            entries: metrics.session_cache_entries.clone(),
            evictions: metrics.session_cache_evictions_total.clone(),
            feed_up: metrics.session_cache_feed_up.clone(),
            feed_losses: metrics.session_cache_feed_losses_total.clone(),
        };
        m.feed_up.set(i64::from(self.up.load(Ordering::SeqCst)));
        m.entries.set(i64::try_from(self.len()).unwrap_or(i64::MAX));
        let _ = self.metrics.set(m);
    }

    fn metric(&self, f: impl FnOnce(&CacheMetrics)) {
        if let Some(m) = self.metrics.get() {
            f(m);
        }
    }

    fn monotonic(&self) -> i64 {
        i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    /// The session from memory, when the feed is live and the entry is neither expired nor due
    /// for its touch; `None` sends the caller to the store.
    pub fn get(&self, id: &SessionId) -> Option<Touched> {
        if !self.live() {
            self.metric(|m| m.bypass.inc());
            return None;
        }
        let now = self.clock.now_millis();
        let found = key_of(id.as_str()).and_then(|key| {
            let shard = self.shard(&key);
            match shard.map.get(&key) {
                Some(Slot::Ready(e)) if self.answerable(e, now) => Some(Touched {
                    record: e.record.clone(),
                    ttl_secs: ceil_secs(e.expires_at.min(deadline_ms(&e.record)) - now),
                }),
                _ => None,
            }
        });
        self.metric(|m| match found {
            Some(_) => m.hit.inc(),
            None => m.miss.inc(),
        });
        found
    }

    fn answerable(&self, e: &Entry, now: i64) -> bool {
        let deadline = deadline_ms(&e.record);
        now < e.expires_at
            && now < deadline
            && (now.saturating_add(self.idle_ms)).min(deadline) - e.expires_at
                < self.touch_interval_ms
    }

    /// What a lookup that found the session in Redis with `pttl_ms` left must do: extend it
    /// (at most once per touch interval, never past its deadline) or leave it.
    pub fn plan(&self, record: &SessionRecord, pttl_ms: i64) -> Plan {
        let now = self.clock.now_millis();
        let target = self.idle_ms.min(deadline_ms(record) - now);
        if target - pttl_ms >= self.touch_interval_ms {
            Plan::Extend(target)
        } else {
            Plan::Keep(now.saturating_add(pttl_ms))
        }
    }

    /// When the key of a session just extended to `ttl_ms` expires (clock milliseconds).
    pub fn expiry_in(&self, ttl_ms: i64) -> i64 {
        self.clock.now_millis().saturating_add(ttl_ms)
    }

    /// Whether the cache was built for sessions of this idle TTL (a lookup with another
    /// bypasses it).
    pub fn serves(&self, idle_ttl_secs: u64) -> bool {
        millis(idle_ttl_secs) == self.idle_ms
    }

    /// Removes a session (changed, deleted or expired in Redis), or the fill in flight for it.
    pub fn invalidate(&self, id: &str) {
        let Some(key) = key_of(id) else {
            return;
        };
        let mut shard = self.shard(&key);
        if let Some(Slot::Ready(_)) = shard.map.remove(&key) {
            shard.ready -= 1;
            self.metric(|m| m.entries.dec());
        }
    }

    /// Drops the sessions of `appid`: the hook for an app deleted at runtime (its sessions are
    /// refused from then on; this replica must not answer them from memory).
    pub fn forget_app(&self, appid: &AppId) {
        for shard in &self.shards {
            let mut shard = lock(shard);
            let before = shard.ready;
            shard.map.retain(|_, slot| match slot {
                Slot::Ready(e) => e.record.appid != *appid,
                Slot::Pending(_) => false,
            });
            let ready = shard
                .map
                .values()
                .filter(|s| matches!(s, Slot::Ready(_)))
                .count();
            shard.ready = ready;
            let gone = i64::try_from(before - ready).unwrap_or(0);
            self.metric(|m| m.entries.sub(gone));
        }
    }

    /// Sessions held.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).ready).sum()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // The index is below the shards' count (`shard_of`).
    #[allow(clippy::indexing_slicing)]
    fn shard(&self, key: &Key) -> MutexGuard<'_, Shard> {
        lock(&self.shards[shard_of(key)])
    }
}

/// The shard of a key: its first four characters, mixed (the last character of an id carries
/// only 2 bits of the hash: base64 of 16 bytes ends in padding).
fn shard_of(key: &Key) -> usize {
    let head = u32::from_le_bytes(key.first_chunk().copied().unwrap_or_default());
    usize::try_from(head.wrapping_mul(0x9E37_79B1) >> 28).unwrap_or(0) % SHARDS
}

fn deadline_ms(record: &SessionRecord) -> i64 {
    record.deadline.saturating_mul(1000)
}

/// Whole seconds left, rounded up (a TTL of 7199.9 s is reported as 7200).
fn ceil_secs(ms: i64) -> u64 {
    u64::try_from(ms.max(0)).unwrap_or(0).div_ceil(1000)
}

#[cfg(test)]
mod tests;
