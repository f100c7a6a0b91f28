//! The store conformance suite: every case (`cases/`, one file per store trait) runs, unchanged,
//! on every backend — the memory store, and the Redis store on a standalone server (multiplexed
//! and pooled), on a Cluster and behind Sentinel (`topologies`). Each case gets a fresh store
//! on a fresh `TestClock`; time passes in a case through [`Backend::pass`] (the clock, and
//! Redis' time for the case's keys) or [`Backend::advance_clock`] (the service's clock alone,
//! which decides deadness when the store reads). After each case on Redis, every key it left
//! must have a TTL.

mod backend;
mod buckets;
mod cases;
mod formats;
mod layout;
mod redis;
mod topologies;

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use futures::FutureExt as _;
use futures::future::BoxFuture;
use wxsession::domain::ids::{AppId, OpenId, UnionId};
use wxsession::store::Topology;

pub use self::backend::Backend;
pub use self::redis::{create, now_unix, redis_store};
use crate::helpers::RedisHandle;

/// An appid the suite uses.
pub fn app(id: &str) -> AppId {
    AppId::parse(id).expect("a valid appid")
}

/// An openid the suite uses.
pub fn user(id: &str) -> OpenId {
    OpenId::parse(id).expect("a valid openid")
}

/// A unionid the suite uses.
pub fn person(id: &str) -> UnionId {
    UnionId::parse(id).expect("a valid unionid")
}

/// The absolute lifetime of the suite's sessions and users' entries.
pub const LIFETIME: u64 = 3600;

/// One case of the suite.
type Case = (&'static str, fn(&Backend) -> BoxFuture<'_, ()>);

/// Runs every case on a fresh backend from `make`; reports every case that failed.
pub async fn conform(backend: &str, make: impl Fn() -> Backend) {
    let mut failed = Vec::new();
    for (name, case) in cases::all() {
        let b = make();
        let started = Instant::now();
        let run = async {
            case(&b).await;
            b.every_key_expires().await;
        };
        let passed = AssertUnwindSafe(run).catch_unwind().await.is_ok();
        let verdict = if passed { "ok" } else { "FAILED" };
        println!("{backend} {name}: {verdict} in {:?}", started.elapsed());
        if !passed {
            failed.push(name);
        }
    }
    assert!(failed.is_empty(), "on {backend}, failed: {failed:?}");
}

#[tokio::test]
async fn memory_store_conforms() {
    conform("memory", Backend::memory).await;
}

#[tokio::test]
async fn redis_store_conforms_multiplexed() {
    let redis = RedisHandle::get();
    let url = redis.url();
    conform("standalone", || {
        Backend::redis(Topology::Standalone(&url), vec![url.clone()], None)
    })
    .await;
}

#[tokio::test]
async fn redis_store_conforms_pooled() {
    let redis = RedisHandle::get();
    let url = redis.url();
    conform("standalone pooled", || {
        Backend::redis(Topology::Standalone(&url), vec![url.clone()], Some(4))
    })
    .await;
}
