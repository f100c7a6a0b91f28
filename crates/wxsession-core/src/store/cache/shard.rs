//! One shard of the cache: its entries, the fills in flight, and the order that eviction
//! follows (the entry filled longest ago goes first).

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use super::Key;
use crate::store::SessionRecord;

#[derive(Default)]
pub(super) struct Shard {
    pub(super) map: HashMap<Key, Slot>,
    /// Ready entries in fill order, with their ticket; stale pairs are skipped (and compacted).
    pub(super) order: VecDeque<(Key, u64)>,
    pub(super) ready: usize,
}

pub(super) enum Slot {
    /// A lookup is asking Redis; its answer is kept only if this is still here.
    Pending(u64),
    Ready(Entry),
}

pub(super) struct Entry {
    pub(super) record: SessionRecord,
    /// When the key expires in Redis, in the clock's milliseconds.
    pub(super) expires_at: i64,
    pub(super) ticket: u64,
}

impl Shard {
    /// Drops the entry filled longest ago; false when there is none (only fills in flight).
    pub(super) fn evict_oldest(&mut self) -> bool {
        while let Some((key, ticket)) = self.order.pop_front() {
            if matches!(self.map.get(&key), Some(Slot::Ready(e)) if e.ticket == ticket) {
                self.map.remove(&key);
                self.ready -= 1;
                return true;
            }
        }
        false
    }

    /// Rebuilds the fill order from the entries alone.
    pub(super) fn compact(&mut self) {
        let mut live: Vec<(Key, u64)> = self
            .map
            .iter()
            .filter_map(|(k, s)| match s {
                Slot::Ready(e) => Some((*k, e.ticket)),
                Slot::Pending(_) => None,
            })
            .collect();
        live.sort_unstable_by_key(|(_, t)| *t);
        self.order = live.into();
    }
}

pub(super) fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
