//! What the change feed tells the cache: up (open, empty), down (closed, emptied), a flush, a
//! heartbeat answered.

use std::sync::atomic::Ordering;

use super::shard::{Shard, lock};
use super::{FRESH_MILLIS, SessionCache};

impl SessionCache {
    /// Whether answers may come from memory: the feed is up and was heard from lately.
    pub fn live(&self) -> bool {
        self.up.load(Ordering::Acquire)
            && self.monotonic() - self.heartbeat.load(Ordering::Acquire) <= FRESH_MILLIS
    }

    /// Empties the cache, and refuses every fill begun before (a flush from Redis, or the feed
    /// lost or regained).
    pub fn flush(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        for shard in &self.shards {
            let mut shard = lock(shard);
            let gone = i64::try_from(shard.ready).unwrap_or(0);
            *shard = Shard::default();
            self.metric(|m| m.entries.sub(gone));
        }
    }

    /// The feed is (back) up: start empty, answer from memory from now on.
    pub fn feed_up(&self) {
        self.flush();
        self.heartbeat.store(self.monotonic(), Ordering::Release);
        self.up.store(true, Ordering::Release);
        self.metric(|m| m.feed_up.set(1));
    }

    /// The feed is lost: no answer from memory from now on, and nothing kept.
    pub fn feed_down(&self) {
        if self.up.swap(false, Ordering::AcqRel) {
            self.metric(|m| {
                m.feed_up.set(0);
                m.feed_losses.inc();
            });
        }
        self.flush();
    }

    /// The time to stamp a heartbeat with when it is sent ([`SessionCache::heard`]).
    pub fn heartbeat_sent(&self) -> i64 {
        self.monotonic()
    }

    /// A heartbeat sent at `sent` was answered: every change before it has been seen.
    pub fn heard(&self, sent: i64) {
        self.heartbeat.fetch_max(sent, Ordering::AcqRel);
    }
}
