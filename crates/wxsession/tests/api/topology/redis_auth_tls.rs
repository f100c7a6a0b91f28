//! Redis with AUTH and ACL users, and over TLS with a private CA (which needs a redis-server
//! built with TLS: the test fails without, unless `WXSESSION_TEST_SKIP` names `tls`).

use std::process::Command;

use serde_json::json;

use crate::helpers::{APPID, Env, RedisHandle, RedisServer, expect_error, prereq, spawn_on};

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
    let started = RedisServer::try_start_with(&[
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
    let server = match started {
        Ok(server) => server,
        Err(why) => {
            // A redis-server built without TLS refuses the tls-* options.
            prereq::missing("tls", &why);
            return;
        }
    };
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
