//! The cache's rules, without a store: fills, invalidations racing fills, the feed's state,
//! expiry, the touch interval, eviction.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use super::*;
use crate::domain::ids::{AppId, OpenId};

#[derive(Debug)]
struct At(AtomicI64);

impl Clock for At {
    fn now_millis(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

const NOW: i64 = 1_700_000_000_000;

fn cache(entries: usize) -> (Arc<SessionCache>, Arc<At>) {
    let clock = Arc::new(At(AtomicI64::new(NOW)));
    let cache = SessionCache::new(entries, 100, 10, clock.clone());
    cache.feed_up();
    (cache, clock)
}

fn id(n: u32) -> SessionId {
    SessionId::from_stored(format!("{n:0>22}"))
}

fn record(appid: &str) -> SessionRecord {
    SessionRecord {
        appid: AppId::parse(appid).expect("appid"),
        openid: OpenId::parse("o1").expect("openid"),
        unionid: None,
        created_at: NOW / 1000,
        deadline: NOW / 1000 + 1000,
    }
}

fn fill(cache: &SessionCache, n: u32, ttl_ms: i64) {
    let fill = cache.begin(&id(n)).expect("live");
    fill.finish(record("wx1234567890abcdef"), NOW + ttl_ms);
}

#[test]
fn a_fill_is_answered_until_its_touch_is_due() {
    let (cache, clock) = cache(10);
    assert!(cache.get(&id(1)).is_none());
    fill(&cache, 1, 100_000);
    let hit = cache.get(&id(1)).expect("hit");
    assert_eq!(hit.ttl_secs, 100);
    // 9.9 s later extending would add 9.9 s, under the 10 s interval: still answered.
    clock.0.fetch_add(9_900, Ordering::SeqCst);
    assert_eq!(cache.get(&id(1)).expect("hit").ttl_secs, 91);
    // At 10 s the touch is due: the lookup goes to the store.
    clock.0.fetch_add(100, Ordering::SeqCst);
    assert!(cache.get(&id(1)).is_none());
}

#[test]
fn nothing_is_answered_past_the_keys_expiry_or_the_deadline() {
    let (cache, clock) = cache(10);
    // A key with 5 s left (another replica's touch is older than ours would be).
    let fill = cache.begin(&id(1)).expect("live");
    let mut r = record("wx1234567890abcdef");
    r.deadline = NOW / 1000 + 3;
    fill.finish(r, NOW + 5_000);
    assert_eq!(cache.get(&id(1)).expect("hit").ttl_secs, 3);
    clock.0.fetch_add(3_000, Ordering::SeqCst);
    assert!(cache.get(&id(1)).is_none());
}

#[test]
fn the_plan_extends_at_most_once_per_interval_and_never_past_the_deadline() {
    let (cache, _) = cache(10);
    let r = record("wx1234567890abcdef");
    assert_eq!(cache.plan(&r, 95_000), Plan::Keep(NOW + 95_000));
    assert_eq!(cache.plan(&r, 90_000), Plan::Extend(100_000));
    let mut near = r.clone();
    near.deadline = NOW / 1000 + 50;
    assert_eq!(cache.plan(&near, 50_000), Plan::Keep(NOW + 50_000));
    assert_eq!(cache.plan(&near, 30_000), Plan::Extend(50_000));
}

#[test]
fn an_invalidation_during_a_fill_wins() {
    let (cache, _) = cache(10);
    let fill = cache.begin(&id(1)).expect("live");
    cache.invalidate(id(1).as_str());
    fill.finish(record("wx1234567890abcdef"), NOW + 100_000);
    assert!(cache.get(&id(1)).is_none());
    assert!(cache.is_empty());
}

#[test]
fn a_flush_or_a_lost_feed_refuses_fills_begun_before_it() {
    let (cache, _) = cache(10);
    let begun = cache.begin(&id(1)).expect("live");
    cache.flush();
    begun.finish(record("wx1234567890abcdef"), NOW + 100_000);
    assert!(cache.get(&id(1)).is_none());

    fill_then_lose(&cache);
    // Down: nothing answered, nothing begun.
    assert!(!cache.live());
    assert!(cache.begin(&id(2)).is_none());
    // Back: empty, then filled again.
    cache.feed_up();
    assert!(cache.get(&id(1)).is_none());
    fill(&cache, 1, 100_000);
    assert!(cache.get(&id(1)).is_some());
}

fn fill_then_lose(cache: &SessionCache) {
    fill(cache, 1, 100_000);
    assert!(cache.get(&id(1)).is_some());
    let pending = cache.begin(&id(2)).expect("live");
    cache.feed_down();
    pending.finish(record("wx1234567890abcdef"), NOW + 100_000);
    assert!(cache.get(&id(1)).is_none());
    assert!(cache.is_empty());
}

#[test]
fn a_silent_feed_stops_hits() {
    let (cache, _) = cache(10);
    fill(&cache, 1, 100_000);
    cache
        .heartbeat
        .store(cache.monotonic() - FRESH_MILLIS - 1, Ordering::SeqCst);
    assert!(cache.get(&id(1)).is_none());
    let sent = cache.heartbeat_sent();
    cache.heard(sent);
    assert!(cache.get(&id(1)).is_some());
}

#[test]
fn an_abandoned_fill_leaves_nothing() {
    let (cache, _) = cache(10);
    drop(cache.begin(&id(1)).expect("live"));
    assert!(cache.begin(&id(1)).is_some());
    assert!(cache.is_empty());
}

#[test]
fn a_full_cache_drops_the_entry_filled_longest_ago() {
    // 16 shards of one entry each: two ids of one shard.
    let (cache, _) = cache(16);
    let first = id(0);
    let shard = shard_of(&key_of(first.as_str()).expect("key"));
    let second = (1..)
        .map(id)
        .find(|i| shard_of(&key_of(i.as_str()).expect("key")) == shard)
        .expect("an id of the same shard");
    fill_id(&cache, &first);
    fill_id(&cache, &second);
    assert!(cache.get(&first).is_none(), "the oldest went");
    assert!(cache.get(&second).is_some());
    assert_eq!(cache.len(), 1);
}

fn fill_id(cache: &SessionCache, id: &SessionId) {
    let fill = cache.begin(id).expect("live");
    fill.finish(record("wx1234567890abcdef"), NOW + 100_000);
}

#[test]
fn real_session_ids_fill_every_shard() {
    let (cache, _) = cache(16_000);
    for _ in 0..16_000 {
        cache.heard(cache.heartbeat_sent());
        let token = crate::domain::token::Token::mint().expect("token");
        fill_id(&cache, &token.id());
    }
    // Spread evenly: a shard fills only with its share.
    assert!(cache.len() > 12_000, "{}", cache.len());
}

#[test]
fn the_bound_holds_under_churn() {
    let (cache, _) = cache(1000);
    for n in 0..20_000 {
        // The feed's heartbeat, as its task would send it.
        cache.heard(cache.heartbeat_sent());
        fill(&cache, n, 100_000);
        if n % 3 == 0 {
            cache.invalidate(id(n).as_str());
        }
    }
    cache.heard(cache.heartbeat_sent());
    assert!(cache.len() <= 1008, "{}", cache.len());
    assert!(cache.get(&id(19_999)).is_some());
    for shard in &cache.shards {
        assert!(lock(shard).order.len() <= 2 * cache.per_shard + 17);
    }
}

#[test]
fn an_apps_sessions_are_forgotten() {
    let (cache, _) = cache(10);
    fill(&cache, 1, 100_000);
    let other = cache.begin(&id(2)).expect("live");
    other.finish(record("wxfedcba0987654321"), NOW + 100_000);
    cache.forget_app(&AppId::parse("wx1234567890abcdef").expect("appid"));
    assert!(cache.get(&id(1)).is_none());
    assert!(cache.get(&id(2)).is_some());
    assert_eq!(cache.len(), 1);
}
