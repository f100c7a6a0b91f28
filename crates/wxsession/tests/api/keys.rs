//! "Newest key wins, previous key still tried."

use serde_json::json;

use crate::helpers::{APPID, spawn_app};

#[tokio::test]
async fn decrypt_works_with_the_new_and_the_previous_key_after_relogin() {
    let app = spawn_app().await;
    let first = app.login("grace").await;
    let old_token = first["session"].as_str().expect("token").to_owned();
    // Data fetched before the re-login, encrypted with the first key.
    let before = app
        .sim_encrypt(APPID, "grace", json!({"step": "before"}), "current")
        .await;

    let second = app.login("grace").await;
    let new_token = second["session"].as_str().expect("token").to_owned();
    let after = app
        .sim_encrypt(APPID, "grace", json!({"step": "after"}), "current")
        .await;

    for token in [&old_token, &new_token] {
        for (enc, step) in [(&before, "before"), (&after, "after")] {
            let res = app
                .post_json("/v1/sessions/current/decrypt", enc, Some(token))
                .await;
            assert_eq!(res.status().as_u16(), 200, "{step}");
            let body: serde_json::Value = res.json().await.expect("json");
            assert_eq!(body["data"]["step"], step);
        }
    }

    // A third login pushes the first key out: only two keys are kept.
    app.login("grace").await;
    let res = app
        .post_json("/v1/sessions/current/decrypt", &before, Some(&new_token))
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let res = app
        .post_json("/v1/sessions/current/decrypt", &after, Some(&new_token))
        .await;
    assert_eq!(res.status().as_u16(), 200);
}

#[tokio::test]
async fn session_key_never_leaves_the_service_and_token_is_not_stored_raw() {
    let app = spawn_app().await;
    let login = app.login("heidi").await;
    let token = login["session"].as_str().expect("token");
    let text = login.to_string();
    assert!(!text.contains("session_key"));

    let mut conn = app.redis().await;
    let keys = app.keys_with_ttl().await;
    assert!(!keys.is_empty());
    for (key, ttl) in &keys {
        assert!(*ttl > 0, "{key} has no TTL");
        assert!(!key.contains(&token[4..]), "raw token in a key name");
        let kind: String = redis::cmd("TYPE")
            .arg(key)
            .query_async(&mut conn)
            .await
            .expect("TYPE");
        let dump: String = match kind.as_str() {
            "string" => redis::cmd("GET")
                .arg(key)
                .query_async::<Vec<u8>>(&mut conn)
                .await
                .map(|v| String::from_utf8_lossy(&v).into_owned())
                .expect("GET"),
            "hash" => format!(
                "{:?}",
                redis::cmd("HGETALL")
                    .arg(key)
                    .query_async::<Vec<String>>(&mut conn)
                    .await
                    .expect("HGETALL")
            ),
            "set" => format!(
                "{:?}",
                redis::cmd("SMEMBERS")
                    .arg(key)
                    .query_async::<Vec<String>>(&mut conn)
                    .await
                    .expect("SMEMBERS")
            ),
            other => panic!("unexpected type {other} for {key}"),
        };
        assert!(!dump.contains(&token[4..]), "raw token stored under {key}");
    }
}
