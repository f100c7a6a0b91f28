//! Decrypt: newest key wins, previous key still tried; signature, iv and watermark checks; keys at rest.

use serde_json::json;

use crate::helpers::{APPID, Env, OTHER_APPID, expect_error, spawn_app, spawn_on};

#[tokio::test]
async fn signature_mismatch_is_422() {
    let app = spawn_app().await;
    let login = app.login("dave").await;
    let token = login["session"].as_str().expect("token");
    let mut enc = app
        .sim_encrypt(APPID, "dave", json!({"nickName": "Dave"}), "current")
        .await;
    enc["rawData"] = r#"{"nickName":"Mallory"}"#.into();
    expect_error(
        app.post_json("/v1/sessions/current/decrypt", &enc, Some(token))
            .await,
        422,
        "signature_mismatch",
    )
    .await;
}

#[tokio::test]
async fn tampered_iv_is_decrypt_failed() {
    let app = spawn_app().await;
    let login = app.login("erin").await;
    let token = login["session"].as_str().expect("token");
    let enc = app
        .sim_encrypt(APPID, "erin", json!({"x": 1}), "current")
        .await;
    // A wrong iv garbles the first block: the JSON no longer parses.
    let tampered = json!({"encryptedData": enc["encryptedData"], "iv": "AAAAAAAAAAAAAAAAAAAAAA=="});
    let err = expect_error(
        app.post_json("/v1/sessions/current/decrypt", &tampered, Some(token))
            .await,
        422,
        "decrypt_failed",
    )
    .await;
    assert!(
        err["message"]
            .as_str()
            .expect("message")
            .contains("wx.login")
    );
}

#[tokio::test]
async fn watermark_of_another_app_is_decrypt_failed() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.server.metrics_bind = Some("127.0.0.1:0".into());
    })
    .await;
    let login = app.login("frank").await;
    let token = login["session"].as_str().expect("token");
    // The user's real key, but a watermark naming another app.
    let enc = app
        .sim_encrypt_raw(json!({"appid": APPID, "user": "frank", "data": {"x": 1}, "watermark_appid": OTHER_APPID}))
        .await;
    expect_error(
        app.post_json("/v1/sessions/current/decrypt", &enc, Some(token))
            .await,
        422,
        "decrypt_failed",
    )
    .await;
    let metrics = app.operator_metrics_text().await;
    assert!(
        metrics.contains(&format!(
            "wxsession_decrypt_failures_total{{appid=\"{APPID}\",reason=\"watermark\"}} 1"
        )),
        "{metrics}"
    );
}

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
async fn session_keys_are_encrypted_at_rest_and_keys_rotate() {
    let dir = tempfile::tempdir().expect("dir");
    let old_key = dir.path().join("kek-old");
    let new_key = dir.path().join("kek-new");
    std::fs::write(&old_key, "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n").expect("key");
    std::fs::write(&new_key, hex::encode([7u8; 32])).expect("key");
    let env = Env::new();

    // Before encryption is turned on: a plain session.
    let plain = spawn_on(env.clone(), |_| {}).await;
    let t0 = plain.token("rest").await;
    let d0 = plain
        .sim_encrypt(APPID, "rest", json!({"n": 0}), "current")
        .await;

    // Encryption on with the old key: the plain value is still read; new values are sealed.
    let old = spawn_on(env.clone(), |s| {
        s.store.key_encryption_key_files = vec![old_key.clone()]
    })
    .await;
    assert_eq!(
        old.post_json("/v1/sessions/current/decrypt", &d0, Some(&t0))
            .await
            .status()
            .as_u16(),
        200
    );
    let t1 = old.token("rest").await;
    let d1 = old
        .sim_encrypt(APPID, "rest", json!({"n": 1}), "current")
        .await;
    assert_eq!(
        old.post_json("/v1/sessions/current/decrypt", &d1, Some(&t1))
            .await
            .status()
            .as_u16(),
        200
    );

    // Redis holds no usable session_key: every key field is sealed.
    let openid = wechat_mock::openid_for(APPID, "rest");
    let entry = old.user_entry(APPID, &openid).await.expect("entry");
    let k0 = entry.keys.first().expect("k0");
    assert!(k0.starts_with("e1."), "{k0}");
    assert!(wechat_crypto::SessionKey::from_base64(k0).is_err());

    // Rotation: new key first, old key kept → old sessions keep working.
    let rotated = spawn_on(env.clone(), |s| {
        s.store.key_encryption_key_files = vec![new_key.clone(), old_key.clone()];
    })
    .await;
    assert_eq!(
        rotated
            .post_json("/v1/sessions/current/decrypt", &d1, Some(&t1))
            .await
            .status()
            .as_u16(),
        200
    );
    // Without the old key, what it sealed can no longer be opened.
    let dropped = spawn_on(env, |s| {
        s.store.key_encryption_key_files = vec![new_key.clone()]
    })
    .await;
    assert_eq!(
        dropped
            .post_json("/v1/sessions/current/decrypt", &d1, Some(&t1))
            .await
            .status()
            .as_u16(),
        422
    );
}
