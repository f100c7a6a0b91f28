//! A fill: the placeholder a lookup leaves before it asks Redis, and what it keeps after.

use std::sync::atomic::Ordering;

use super::shard::{Entry, Slot};
use super::{Key, SessionCache, key_of};
use crate::domain::token::SessionId;
use crate::store::SessionRecord;

/// A fill in progress (see [`SessionCache::begin`]); dropped unfinished, it leaves nothing.
#[must_use]
#[derive(Debug)]
pub struct Fill<'a> {
    pub(super) cache: &'a SessionCache,
    pub(super) key: Key,
    pub(super) ticket: u64,
    pub(super) generation: u64,
    pub(super) done: bool,
}

impl Fill<'_> {
    /// Keeps `record`, whose key expires at `expires_at` (clock milliseconds), unless the
    /// session changed, or the feed was lost or regained, since [`SessionCache::begin`].
    pub fn finish(mut self, record: SessionRecord, expires_at: i64) {
        self.done = true;
        let cache = self.cache;
        let mut shard = cache.shard(&self.key);
        let ours = matches!(shard.map.get(&self.key), Some(Slot::Pending(t)) if *t == self.ticket);
        if !ours {
            return;
        }
        if cache.generation.load(Ordering::Acquire) != self.generation
            || !cache.up.load(Ordering::Acquire)
        {
            shard.map.remove(&self.key);
            return;
        }
        shard.map.insert(
            self.key,
            Slot::Ready(Entry {
                record,
                expires_at,
                ticket: self.ticket,
            }),
        );
        shard.ready += 1;
        shard.order.push_back((self.key, self.ticket));
        if shard.order.len() > 2 * cache.per_shard + 16 {
            shard.compact();
        }
        cache.metric(|m| m.entries.inc());
    }
}

impl Drop for Fill<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut shard = self.cache.shard(&self.key);
        if matches!(shard.map.get(&self.key), Some(Slot::Pending(t)) if *t == self.ticket) {
            shard.map.remove(&self.key);
        }
    }
}

impl SessionCache {
    /// Starts a fill: leaves a placeholder that an invalidation removes. `None` when the feed
    /// is not live or the shard is full of lookups in flight.
    pub fn begin(&self, id: &SessionId) -> Option<Fill<'_>> {
        if !self.live() {
            return None;
        }
        let key = key_of(id.as_str())?;
        let ticket = self.tickets.fetch_add(1, Ordering::Relaxed);
        let generation = self.generation.load(Ordering::Acquire);
        let mut shard = self.shard(&key);
        if !shard.map.contains_key(&key) && shard.map.len() >= self.per_shard {
            if !shard.evict_oldest() {
                return None;
            }
            self.metric(|m| {
                m.evictions.inc();
                m.entries.dec();
            });
        }
        if let Some(Slot::Ready(_)) = shard.map.insert(key, Slot::Pending(ticket)) {
            shard.ready -= 1;
            self.metric(|m| m.entries.dec());
        }
        Some(Fill {
            cache: self,
            key,
            ticket,
            generation,
            done: false,
        })
    }
}
