//! A code's two ids while the derivation moves to HKDF (`domain/once/claim.rs`): what a 0.1.0
//! replica (the legacy id only) and a replica of the next release (the HKDF id only) see of this
//! release's claims and answers, and what this release sees of theirs. The neighbours are
//! played here by writing to Redis exactly what they write: `p` while exchanging, then the
//! answer sealed under their id's key.

use std::time::Duration;

use redis::AsyncCommands as _;
use serde_json::{Value, json};
use wxsession::domain::once::{CodeSeal, Derivation, Purpose};

use crate::helpers::{APPID, TestApp, code_for, eventually, spawn_app};

/// The code's seal under `derivation`, and its Redis key.
fn seal(app: &TestApp, derivation: Derivation, code: &str) -> (CodeSeal, String) {
    let seal = CodeSeal::new(derivation, Purpose::Login, APPID, code);
    let key = format!("{}:c:{}", app.env.prefix, seal.id());
    (seal, key)
}

/// What Redis holds under `derivation`'s id of `code`.
async fn held(app: &TestApp, derivation: Derivation, code: &str) -> Option<Vec<u8>> {
    let (_, key) = seal(app, derivation, code);
    app.redis().await.get(key).await.expect("GET")
}

/// The sealed answer under `derivation`'s id of `code`, opened with that id's key.
async fn answer(app: &TestApp, derivation: Derivation, code: &str) -> Value {
    let (seal, _) = seal(app, derivation, code);
    let sealed = held(app, derivation, code).await.expect("an answer");
    let plain = seal.open(&sealed).expect("opens with the key of its id");
    serde_json::from_slice(&plain).expect("json")
}

/// How many code claims the replica has made.
async fn claims(app: &TestApp) -> u64 {
    let text = app.operator_metrics_text().await;
    let line = r#"wxsession_store_duration_seconds_count{op="claim_code"} "#;
    text.lines()
        .find_map(|l| l.strip_prefix(line))
        .map_or(0, |n| n.trim().parse().expect("a count"))
}

/// A login of `code` that a neighbour (`derivation`) is exchanging: the replica waits, never
/// calls WeChat, and answers with what the neighbour seals. `claims_per_try`: what each of its
/// tries costs (1 when the legacy id is held; 2 when the legacy one is free and the HKDF one is
/// held, and the legacy one released again).
async fn waits_for_a_neighbour(derivation: Derivation, claims_per_try: u64) {
    let app = spawn_app().await;
    // A real session, whose answer the neighbour will seal as its own.
    let earlier = code_for("nina");
    let first = app.login_code(&earlier).await;
    let outcome = serde_json::to_vec(&answer(&app, Derivation::Legacy, &earlier).await);
    let outcome = outcome.expect("json");

    let code = code_for("nina");
    let (neighbour, key) = seal(&app, derivation, &code);
    let mut redis = app.redis().await;
    let _: () = redis.set_ex(&key, "p", 30).await.expect("SET");
    let before = claims(&app).await;
    let body = json!({ "code": code });
    let login = app.post_json("/v1/sessions", &body, None);
    let neighbour_finishes = async {
        let waiting = eventually(Duration::from_secs(3), || async {
            claims(&app).await >= before + 2 * claims_per_try
        });
        assert!(waiting.await, "the replica waits for the neighbour's claim");
        assert_eq!(app.env.sim.stats().requests, 1, "and never calls WeChat");
        let sealed = neighbour.seal(&outcome).expect("seals");
        let _: () = redis.set_ex(&key, sealed, 300).await.expect("SET");
    };
    let (res, ()) = tokio::join!(login, neighbour_finishes);
    assert_eq!(res.status().as_u16(), 201);
    let replayed: Value = res.json().await.expect("json");
    assert_eq!(
        replayed["session"], first["session"],
        "the neighbour's answer"
    );
    assert_eq!(app.env.sim.stats().requests, 1);
    if derivation == Derivation::Hkdf {
        // The legacy id, taken and given back at each try, is not left claimed.
        assert_eq!(held(&app, Derivation::Legacy, &code).await, None);
    }
}

#[tokio::test]
async fn a_code_a_0_1_0_replica_is_exchanging_is_its_answer() {
    waits_for_a_neighbour(Derivation::Legacy, 1).await;
}

#[tokio::test]
async fn a_code_the_next_release_is_exchanging_is_its_answer() {
    waits_for_a_neighbour(Derivation::Hkdf, 2).await;
}

#[tokio::test]
async fn a_claim_and_its_answer_are_seen_under_both_ids() {
    let app = spawn_app().await;
    let code = format!("slow:400:{}", code_for("omar"));
    let body = json!({ "code": code });
    let login = app.post_json("/v1/sessions", &body, None);
    let while_exchanging = async {
        // While WeChat answers, both neighbours' `SET NX GET` would find the claim.
        let both = eventually(Duration::from_secs(3), || async {
            held(&app, Derivation::Legacy, &code).await.as_deref() == Some(b"p")
                && held(&app, Derivation::Hkdf, &code).await.as_deref() == Some(b"p")
        });
        assert!(both.await, "both ids are claimed before WeChat is called");
    };
    let (res, ()) = tokio::join!(login, while_exchanging);
    assert_eq!(res.status().as_u16(), 201);
    let login: Value = res.json().await.expect("json");
    // Then each id holds the answer under its own key: 0.1.0 and the next release replay it.
    for derivation in [Derivation::Legacy, Derivation::Hkdf] {
        let sealed = answer(&app, derivation, &code).await;
        assert_eq!(sealed["Session"]["t"], login["session"], "{derivation:?}");
    }
    let ttls = app.keys_with_ttl().await;
    let code_keys: Vec<_> = ttls.iter().filter(|(k, _)| k.contains(":c:")).collect();
    assert_eq!(code_keys.len(), 2, "{code_keys:?}");
    assert!(code_keys.iter().all(|(_, ttl)| (290..=300).contains(ttl)));
}

#[tokio::test]
async fn a_transient_failure_releases_both_ids() {
    let app = spawn_app().await;
    let code = "http:502:transient-both-ids";
    let res = app
        .post_json("/v1/sessions", &json!({ "code": code }), None)
        .await;
    assert_eq!(res.status().as_u16(), 503);
    for derivation in [Derivation::Legacy, Derivation::Hkdf] {
        assert_eq!(held(&app, derivation, code).await, None, "{derivation:?}");
    }
}
