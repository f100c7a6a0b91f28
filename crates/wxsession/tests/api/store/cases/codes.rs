//! `Codes`: one claim per code, its answer, and single-use values.

use wxsession::store::CodeClaim;

use crate::store::Backend;

pub async fn one_claim_wins_then_pending_then_done(b: &Backend) {
    let claim = |code| async move { b.store.claim_code(code, 30).await.expect("claim") };
    assert_eq!(claim("c1").await, CodeClaim::Acquired);
    assert_eq!(claim("c1").await, CodeClaim::Pending);
    let finish = b.store.finish_code("c1", b"sealed-answer", 30);
    finish.await.expect("finish");
    assert_eq!(
        claim("c1").await,
        CodeClaim::Done(b"sealed-answer".to_vec())
    );
    // Another code is claimed apart; a released claim may be tried again.
    assert_eq!(claim("c2").await, CodeClaim::Acquired);
    b.store.release_code("c2").await.expect("release");
    assert_eq!(claim("c2").await, CodeClaim::Acquired);
}

pub async fn an_abandoned_claim_expires(b: &Backend) {
    let claim = |code| async move { b.store.claim_code(code, 10).await.expect("claim") };
    assert_eq!(claim("c1").await, CodeClaim::Acquired);
    b.pass(9).await;
    assert_eq!(claim("c1").await, CodeClaim::Pending);
    b.pass(1).await;
    assert_eq!(claim("c1").await, CodeClaim::Acquired);
}

pub async fn an_answer_lives_for_its_ttl(b: &Backend) {
    let claim = |code| async move { b.store.claim_code(code, 10).await.expect("claim") };
    assert_eq!(claim("c1").await, CodeClaim::Acquired);
    b.store
        .finish_code("c1", b"answer", 30)
        .await
        .expect("finish");
    b.pass(29).await;
    assert_eq!(claim("c1").await, CodeClaim::Done(b"answer".to_vec()));
    b.pass(1).await;
    assert_eq!(claim("c1").await, CodeClaim::Acquired);
}

pub async fn take_code_takes_a_value_once(b: &Backend) {
    let take = |code| async move { b.store.take_code(code).await.expect("take") };
    b.store
        .finish_code("s1", b"state-1", 30)
        .await
        .expect("finish");
    assert_eq!(take("s1").await, Some(b"state-1".to_vec()));
    assert_eq!(take("s1").await, None);
    assert_eq!(take("unknown").await, None);
    // An expired value is not taken.
    b.store
        .finish_code("s2", b"state-2", 30)
        .await
        .expect("finish");
    b.pass(30).await;
    assert_eq!(take("s2").await, None);
}
