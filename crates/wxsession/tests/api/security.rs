//! Security features: shared rate limits, Redis AUTH/ACL and TLS, session_key encryption at
//! rest with key rotation, and validation staying fast while WeChat is slow.

use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::helpers::{
    APPID, Env, RedisHandle, RedisServer, code_for, eventually, expect_error, spawn_app, spawn_on,
};

#[tokio::test]
async fn login_limit_per_ip_is_shared_by_replicas_and_honours_trusted_proxies() {
    let env = Env::new();
    let limited = |s: &mut wxsession::settings::Settings| {
        s.limits.login_per_ip_per_minute = 3;
        s.limits.trusted_proxies = vec!["127.0.0.0/8".into()];
    };
    let a = spawn_on(env.clone(), limited).await;
    let b = spawn_on(env, limited).await;
    let login = |app: &crate::helpers::TestApp, ip: &'static str| {
        app.http
            .post(app.url("/v1/sessions"))
            .header("x-forwarded-for", format!("203.0.113.9, {ip}"))
            .json(&json!({"code": code_for("rl")}))
            .send()
    };
    // Three logins from 198.51.100.1 across two replicas, the fourth is refused.
    for app in [&a, &b, &a] {
        assert_eq!(
            login(app, "198.51.100.1")
                .await
                .expect("sent")
                .status()
                .as_u16(),
            201
        );
    }
    let res = login(&b, "198.51.100.1").await.expect("sent");
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("secs");
    assert!((1..=60).contains(&retry), "{retry}");
    expect_error(res, 429, "rate_limited").await;
    // Another client behind the same proxy has its own budget.
    assert_eq!(
        login(&a, "198.51.100.2")
            .await
            .expect("sent")
            .status()
            .as_u16(),
        201
    );
}

#[tokio::test]
async fn forwarded_for_is_ignored_from_untrusted_peers() {
    let app = crate::helpers::spawn_app_with(|s| s.limits.login_per_ip_per_minute = 2).await;
    for i in 0..3 {
        let res = app
            .http
            .post(app.url("/v1/sessions"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .json(&json!({"code": code_for("spoof")}))
            .send()
            .await
            .expect("sent");
        let want = if i < 2 { 201 } else { 429 };
        assert_eq!(
            res.status().as_u16(),
            want,
            "attempt {i}: the peer address counts"
        );
    }
}

#[tokio::test]
async fn decrypt_failures_are_limited_per_session() {
    let env = Env::new();
    let limited = |s: &mut wxsession::settings::Settings| {
        s.limits.decrypt_failures_per_session_per_minute = 2;
    };
    let app = spawn_on(env.clone(), limited).await;
    let other = spawn_on(env, limited).await;
    let token = app.token("df").await;
    let good = app
        .sim_encrypt(APPID, "df", json!({"ok": true}), "current")
        .await;
    let bad = json!({"encryptedData": "AAAAAAAAAAAAAAAAAAAAAA==", "iv": good["iv"]});
    for replica in [&app, &other] {
        let res = replica
            .post_json("/v1/sessions/current/decrypt", &bad, Some(&token))
            .await;
        assert_eq!(res.status().as_u16(), 422);
    }
    // The budget is spent on both replicas: even good data waits now.
    let res = other
        .post_json("/v1/sessions/current/decrypt", &good, Some(&token))
        .await;
    assert!(res.headers().contains_key("retry-after"));
    expect_error(res, 429, "rate_limited").await;
    // Another session of the same user is not affected.
    let token2 = app.token("df").await;
    let fresh = app
        .sim_encrypt(APPID, "df", json!({"ok": true}), "current")
        .await;
    let res = app
        .post_json("/v1/sessions/current/decrypt", &fresh, Some(&token2))
        .await;
    assert_eq!(res.status().as_u16(), 200);
}

#[tokio::test]
async fn redis_with_a_password_and_an_acl_user() {
    let server = RedisServer::start_with(&[
        "--requirepass",
        "default-pass-123",
        "--user",
        "wxsession",
        "on",
        ">acl-pass-456",
        "~*",
        "&*",
        "+@all",
    ]);
    let port = server.port;
    let env = Env::with_redis(RedisHandle::Owned(server));
    for url in [
        format!("redis://:default-pass-123@127.0.0.1:{port}/0"),
        format!("redis://wxsession:acl-pass-456@127.0.0.1:{port}/0"),
    ] {
        let app = spawn_on(env.clone(), |s| s.store.url = url.clone()).await;
        assert_eq!(
            app.get("/readyz", None).await.status().as_u16(),
            200,
            "{url}"
        );
        let token = app.token("auth").await;
        assert_eq!(
            app.get("/v1/auth", Some(&token)).await.status().as_u16(),
            200
        );
    }
    let wrong = spawn_on(env.clone(), |s| {
        s.store.url = format!("redis://wxsession:wrong@127.0.0.1:{port}/0");
    })
    .await;
    let err = expect_error(wrong.get("/readyz", None).await, 503, "store_unavailable").await;
    assert!(
        !err.to_string().contains("wrong"),
        "no Redis text in the body"
    );
}

/// A CA and a server certificate for 127.0.0.1, made with the openssl CLI.
fn make_certs(dir: &std::path::Path) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "1",
        "-subj",
        "/CN=wxsession test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .expect("ext");
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "1",
        "-extfile",
        "ext.cnf",
    ]);
}

#[tokio::test]
async fn redis_over_tls_with_a_private_ca() {
    let certs = tempfile::tempdir().expect("dir");
    make_certs(certs.path());
    let path = |f: &str| certs.path().join(f).display().to_string();
    let server = RedisServer::start_with(&[
        "--port",
        "0",
        "--tls-port",
        "{port}",
        "--tls-cert-file",
        &path("server.crt"),
        "--tls-key-file",
        &path("server.key"),
        "--tls-ca-cert-file",
        &path("ca.crt"),
        "--tls-auth-clients",
        "no",
    ]);
    let port = server.port;
    let env = Env::with_redis(RedisHandle::Owned(server));
    let ca = certs.path().join("ca.crt");
    let app = spawn_on(env.clone(), |s| {
        s.store.url = format!("rediss://127.0.0.1:{port}/0");
        s.store.tls_ca_file = Some(ca.clone());
    })
    .await;
    assert_eq!(app.get("/readyz", None).await.status().as_u16(), 200);
    let token = app.token("tls").await;
    let enc = app
        .sim_encrypt(APPID, "tls", json!({"over": "tls"}), "current")
        .await;
    let res = app
        .post_json("/v1/sessions/current/decrypt", &enc, Some(&token))
        .await;
    assert_eq!(res.status().as_u16(), 200);

    // Without the CA the server's certificate is not trusted: not ready, never a 5xx body leak.
    let untrusting = spawn_on(env, |s| {
        s.store.url = format!("rediss://127.0.0.1:{port}/0")
    })
    .await;
    assert_eq!(untrusting.get("/readyz", None).await.status().as_u16(), 503);
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
    let mut conn = old.redis().await;
    let openid = wechat_mock::openid_for(APPID, "rest");
    let fields: Vec<String> = redis::cmd("HMGET")
        .arg(format!("{}:u:{{{APPID}:{openid}}}", env.prefix))
        .arg("k0")
        .query_async(&mut conn)
        .await
        .expect("HMGET");
    let k0 = fields.first().expect("k0");
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

#[tokio::test]
async fn a_slow_wechat_does_not_delay_validation() {
    let app = spawn_app().await;
    let token = app.token("fast").await;
    let slow: Vec<_> = (0..16)
        .map(|_| {
            let http = app.http.clone();
            let url = app.url("/v1/sessions");
            tokio::spawn(async move {
                http.post(url)
                    .json(&json!({"code": format!("slow:800:{}", code_for("slowpoke"))}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    // Wait until the slow logins are at the simulator, then validate meanwhile.
    let app_ref = &app;
    assert!(
        eventually(Duration::from_secs(5), || async move {
            app_ref.env.sim.stats().requests >= 17
        })
        .await
    );
    for _ in 0..20 {
        assert_eq!(
            app.get("/v1/auth", Some(&token)).await.status().as_u16(),
            200
        );
    }
    // All twenty validations were answered while every slow login was still waiting on WeChat.
    assert!(
        slow.iter().all(|t| !t.is_finished()),
        "validations waited behind slow logins"
    );
    for t in slow {
        assert_eq!(t.await.expect("task").expect("answered"), 201);
    }
}
