//! `Counters`: fixed windows that start at their first hit.

use crate::store::Backend;

pub async fn hits_count_up_in_a_window_that_the_first_hit_starts(b: &Backend) {
    let hit = || async { b.store.hit("k", 60).await.expect("hit") };
    let count = || async { b.store.count("k").await.expect("count") };
    assert_eq!(count().await, 0);
    assert_eq!((hit().await, hit().await, hit().await), (1, 2, 3));
    assert_eq!(count().await, 3);
    // A hit late in the window does not extend it.
    b.pass(59).await;
    assert_eq!(hit().await, 4);
    b.pass(1).await;
    assert_eq!(count().await, 0);
    assert_eq!(hit().await, 1);
}

pub async fn counters_are_independent(b: &Backend) {
    assert_eq!(b.store.hit("a", 60).await.expect("hit"), 1);
    assert_eq!(b.store.hit("a", 60).await.expect("hit"), 2);
    assert_eq!(b.store.hit("b", 60).await.expect("hit"), 1);
    assert_eq!(b.store.count("a").await.expect("count"), 2);
    assert_eq!(b.store.count("c").await.expect("count"), 0);
}
