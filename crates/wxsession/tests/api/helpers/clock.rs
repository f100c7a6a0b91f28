//! Time the tests move: a [`TestClock`] that the service and its store read instead of the
//! system clock (handed to `startup::build_state`, never a setting), and [`age_keys`], which
//! stands in for Redis' own time passing by shortening the TTLs of a test's keys.
//!
//! The clock drives everything the service decides with "now": session deadlines, the life of
//! users' entries and of the unionid index, rate-limit windows, the day of the `force_refresh`
//! budget, and every expiry of the memory store. It cannot move Redis' clock: a key's TTL runs
//! on Redis' time, so a test that lets time pass on Redis ages the keys as well ([`pass`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use wxsession::domain::clock::{Clock, SystemClock};

/// A clock that stands still until a test moves it. It starts at the system time, so that what
/// a test writes to Redis with absolute deadlines stays sensible, on a whole second, so that
/// seconds and milliseconds agree in assertions.
#[derive(Debug)]
pub struct TestClock {
    millis: AtomicI64,
}

impl TestClock {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            millis: AtomicI64::new(SystemClock.now_unix() * 1000),
        })
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).expect("a short advance");
        self.millis.fetch_add(by, Ordering::SeqCst);
    }

    /// Moves the clock forward to `offset` seconds into the next calendar minute: a test of
    /// fixed one-minute windows then knows where in its window it is.
    pub fn to_next_minute(&self, offset: u64) {
        let now = self.now_unix();
        let next = (now.div_euclid(60) + 1) * 60 + i64::try_from(offset).expect("offset");
        self.millis.store(next * 1000, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now_millis(&self) -> i64 {
        self.millis.load(Ordering::SeqCst)
    }
}

/// The masters among the Redis servers at `urls`: where a test's keys can be read and aged. A
/// server that is down (a failover test stopped it) is none.
pub async fn masters(urls: &[String]) -> Vec<String> {
    let mut masters = Vec::new();
    for url in urls {
        let Ok(client) = redis::Client::open(url.as_str()) else {
            continue;
        };
        let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
            continue;
        };
        let info: String = redis::cmd("INFO")
            .arg("replication")
            .query_async(&mut conn)
            .await
            .expect("INFO replication");
        if info.contains("role:master") {
            masters.push(url.clone());
        }
    }
    masters
}

/// Lets `by` pass for every key under `prefix` on the Redis masters among `urls`: a key with
/// less TTL left is deleted, the others' TTLs shrink by `by`. Keys without a TTL are left
/// alone (the conformance suite checks there are none).
pub async fn age_keys(urls: &[String], prefix: &str, by: Duration) {
    let by = i64::try_from(by.as_millis()).expect("a short advance");
    for url in masters(urls).await {
        let mut conn = super::connect(&url).await;
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}:*"))
            .query_async(&mut conn)
            .await
            .expect("KEYS");
        for key in keys {
            let left: i64 = redis::cmd("PTTL")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .expect("PTTL");
            if left < 0 {
                continue;
            }
            let cmd = if left <= by {
                redis::cmd("DEL").arg(&key).clone()
            } else {
                redis::cmd("PEXPIRE").arg(&key).arg(left - by).clone()
            };
            let () = cmd.query_async(&mut conn).await.expect("aging a key");
        }
    }
}

/// Lets `by` pass: the clock moves, and so does Redis' time for the keys under `prefix` (when
/// there is a Redis: `urls` empty for the memory store).
pub async fn pass(clock: &TestClock, urls: &[String], prefix: &str, by: Duration) {
    clock.advance(by);
    age_keys(urls, prefix, by).await;
}
