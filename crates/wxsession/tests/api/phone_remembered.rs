//! Remembered phone numbers (SPEC §17, `phone.remember_days`): a verified number is kept per
//! (appid, openid), sealed under the key-encryption keys, for that many days; the user and an
//! admin can erase it; log-out-everywhere does not; it never appears in Redis in the clear.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use wxsession::domain::clock::Clock as _;

use crate::helpers::{
    ADMIN_TOKEN, APPID, Env, TestApp, expect_error, phone_code_for, spawn_app, spawn_app_with,
    spawn_on,
};

const PHONE: &str = "/v1/sessions/current/phone";
const DAYS: u64 = 30;

/// Two key-encryption keys in a directory that lives as long as the returned guard.
fn key_files() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("dir");
    let (old, new) = (dir.path().join("kek-old"), dir.path().join("kek-new"));
    std::fs::write(&old, hex::encode([3u8; 32])).expect("key");
    std::fs::write(&new, hex::encode([4u8; 32])).expect("key");
    (dir, old, new)
}

fn remembering(keys: Vec<PathBuf>) -> impl FnOnce(&mut wxsession::settings::Settings) {
    move |s| {
        s.phone.remember_days = DAYS;
        s.store.key_encryption_key_files = keys;
        s.limits.phone_lookups_per_session_per_minute = 0;
    }
}

async fn verify(app: &TestApp, token: &str, user: &str) {
    let res = app.phone(token, &phone_code_for(user)).await;
    assert_eq!(res.status().as_u16(), 200);
}

async fn known(app: &TestApp, token: &str) -> reqwest::Response {
    app.get(PHONE, Some(token)).await
}

/// `needle` appears in no value under the test's prefix: strings and hash fields alike.
pub async fn nowhere_in_redis(app: &TestApp, needle: &str) {
    let mut conn = app.redis().await;
    for (key, _) in app.keys_with_ttl().await {
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .expect("TYPE");
        let values: Vec<Vec<u8>> = match kind.as_str() {
            "string" => vec![
                redis::cmd("GET")
                    .arg(&key)
                    .query_async(&mut conn)
                    .await
                    .expect("GET"),
            ],
            "hash" => redis::cmd("HGETALL")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .expect("HGETALL"),
            other => panic!("{key} is a {other}"),
        };
        for value in values {
            let text = String::from_utf8_lossy(&value);
            assert!(!text.contains(needle), "{key} holds it in the clear");
        }
        assert!(!key.contains(needle), "{key}");
    }
}

#[tokio::test]
async fn a_verified_number_is_remembered_sealed_per_user_and_erasable() {
    let (_dir, old, _) = key_files();
    let app = spawn_app_with(remembering(vec![old])).await;
    let login = app.login("rita").await;
    let token = login["session"].as_str().expect("token").to_owned();
    let openid = login["openid"].as_str().expect("openid").to_owned();
    // Nothing yet: the page shows the button.
    expect_error(known(&app, &token).await, 404, "phone_unknown").await;
    verify(&app, &token, "rita").await;
    let number = wechat_mock::phone_for("rita");
    let res = known(&app, &token).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let expected = json!({
        "phoneNumber": number, "purePhoneNumber": number, "countryCode": "86",
        "verified_at": app.env.clock.now_unix(),
    });
    assert_eq!(res.json::<Value>().await.expect("json"), expected);
    // It is the user's, not the session's: another login sees it, without a WeChat call.
    let other = app.token("rita").await;
    assert_eq!(known(&app, &other).await.status().as_u16(), 200);
    assert_eq!(app.env.sim.stats().phone_requests, 1);
    // Someone else has none.
    let stranger = app.token("sam").await;
    expect_error(known(&app, &stranger).await, 404, "phone_unknown").await;
    // Sealed in Redis, for `remember_days`; the number nowhere in the clear.
    let key = format!("{}:ph:{{{APPID}:{openid}}}", app.env.prefix);
    let ttl = app
        .keys_with_ttl()
        .await
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, ttl)| ttl)
        .expect("the remembered number's key");
    let life = i64::try_from(DAYS * 86_400).expect("secs");
    assert!((life - 5..=life).contains(&ttl), "{ttl}");
    nowhere_in_redis(&app, &number).await;
    // Log-out-everywhere ends the sessions, not the number.
    let revoke = format!("/v1/admin/apps/{APPID}/users/{openid}/sessions");
    assert_eq!(
        app.delete(&revoke, Some(ADMIN_TOKEN))
            .await
            .status()
            .as_u16(),
        200
    );
    expect_error(known(&app, &token).await, 401, "invalid_session").await;
    let token = app.token("rita").await;
    assert_eq!(known(&app, &token).await.status().as_u16(), 200);
    // The user erases it; erasing twice is fine.
    for _ in 0..2 {
        assert_eq!(app.delete(PHONE, Some(&token)).await.status().as_u16(), 204);
        expect_error(known(&app, &token).await, 404, "phone_unknown").await;
    }
    // An admin erases it for the user, audited.
    verify(&app, &token, "rita").await;
    let forget = format!("/v1/admin/apps/{APPID}/users/{openid}/phone");
    expect_error(app.delete(&forget, Some(&token)).await, 403, "forbidden").await;
    assert_eq!(
        app.delete(&forget, Some(ADMIN_TOKEN))
            .await
            .status()
            .as_u16(),
        204
    );
    expect_error(known(&app, &token).await, 404, "phone_unknown").await;
    let bad = format!("/v1/admin/apps/not-an-appid!/users/{openid}/phone");
    expect_error(
        app.delete(&bad, Some(ADMIN_TOKEN)).await,
        400,
        "invalid_request",
    )
    .await;
    let metrics = app.metrics_text().await;
    for line in [
        r#"wxsession_admin_actions_total{action="forget_phone",outcome="ok"} 1"#,
        r#"wxsession_admin_actions_total{action="forget_phone",outcome="denied"} 1"#,
        r#"wxsession_admin_actions_total{action="forget_phone",outcome="invalid"} 1"#,
        &format!(r#"wxsession_phone_known_total{{appid="{APPID}",result="known"}} 3"#),
    ] {
        assert!(metrics.contains(line), "{line}");
    }
    // And it goes by itself `remember_days` after its verification.
    verify(&app, &token, "rita").await;
    app.env.pass(Duration::from_secs(DAYS * 86_400 - 60)).await;
    // (The session died meanwhile; a new one.)
    let token = app.token("rita").await;
    assert_eq!(known(&app, &token).await.status().as_u16(), 200);
    app.env.pass(Duration::from_secs(61)).await;
    expect_error(known(&app, &token).await, 404, "phone_unknown").await;
    // Without a bearer, nothing.
    expect_error(app.get(PHONE, None).await, 401, "invalid_session").await;
    expect_error(app.delete(PHONE, None).await, 401, "invalid_session").await;
}

#[tokio::test]
async fn keys_rotate_without_forgetting_and_a_replica_without_the_key_asks_again() {
    let (_dir, old, new) = key_files();
    let env = Env::new();
    let first = spawn_on(env.clone(), remembering(vec![old.clone()])).await;
    let token = first.token("kai").await;
    verify(&first, &token, "kai").await;
    // The new key first, the old one kept: still read.
    let rotated = spawn_on(env.clone(), remembering(vec![new.clone(), old])).await;
    assert_eq!(known(&rotated, &token).await.status().as_u16(), 200);
    // The old key dropped too early: the number cannot be opened, so the user is asked again
    // (never a 5xx).
    let dropped = spawn_on(env.clone(), remembering(vec![new])).await;
    expect_error(known(&dropped, &token).await, 404, "phone_unknown").await;
}

#[tokio::test]
async fn remembering_is_off_by_default() {
    let app = spawn_app().await;
    let token = app.token("nora").await;
    verify(&app, &token, "nora").await;
    expect_error(known(&app, &token).await, 404, "phone_unknown").await;
    assert_eq!(app.delete(PHONE, Some(&token)).await.status().as_u16(), 204);
    let kept = app.keys_with_ttl().await;
    let remembered = format!("{}:ph:", app.env.prefix);
    assert!(
        !kept.iter().any(|(k, _)| k.starts_with(&remembered)),
        "{kept:?}"
    );
    nowhere_in_redis(&app, &wechat_mock::phone_for("nora")).await;
}

#[tokio::test]
async fn the_memory_store_remembers_too() {
    let (_dir, old, _) = key_files();
    let keys = vec![old];
    let app = spawn_app_with(move |s| {
        remembering(keys)(s);
        s.store.backend = wxsession::settings::Backend::Memory;
    })
    .await;
    let token = app.token("mo").await;
    verify(&app, &token, "mo").await;
    let res = known(&app, &token).await;
    assert_eq!(res.status().as_u16(), 200);
    let body = res.json::<Value>().await.expect("json");
    assert_eq!(body["purePhoneNumber"], wechat_mock::phone_for("mo"));
    assert_eq!(app.delete(PHONE, Some(&token)).await.status().as_u16(), 204);
    expect_error(known(&app, &token).await, 404, "phone_unknown").await;
}

#[tokio::test]
async fn remembering_without_key_encryption_keys_is_refused() {
    let env = Env::new();
    let mut s = env.settings();
    s.phone.remember_days = 7;
    let err = s.validate().expect_err("refused").to_string();
    assert!(
        err.starts_with("phone.remember_days: needs store.key_encryption_key_files"),
        "{err}"
    );
    s.phone.remember_days = 0;
    s.validate().expect("off needs no keys");
}
