//! The findings of the outside security review (issue 12), one test or more per finding. Each
//! of these failed on the code before its fix.

use std::io::{Read as _, Write as _};
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::json;

use crate::helpers::{
    ADMIN_TOKEN, APPID, Env, code_for, eventually, expect_error, spawn_app, spawn_app_with,
    spawn_on,
};

/// Finding 1: a gzip body is refused before anything inflates it.
#[tokio::test]
async fn compressed_request_bodies_are_refused_with_415() {
    let app = spawn_app().await;
    let body = serde_json::to_vec(&json!({ "code": code_for("gz") })).expect("json");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&body).expect("gzip");
    let gz = gz.finish().expect("gzip");
    for encoding in ["gzip", "deflate", "br", "zstd", "x-made-up"] {
        let res = app
            .http
            .post(app.url("/v1/sessions"))
            .header("content-type", "application/json")
            .header("content-encoding", encoding)
            .body(gz.clone())
            .send()
            .await
            .expect("sent");
        expect_error(res, 415, "unsupported_media_type").await;
    }
    // A bomb: 64 MiB of zeros in a few kilobytes; refused, never inflated.
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..64 {
        bomb.write_all(&zeros).expect("gzip");
    }
    let bomb = bomb.finish().expect("gzip");
    assert!(bomb.len() < 128 * 1024, "{}", bomb.len());
    let res = app
        .http
        .post(app.url("/v1/sessions"))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(bomb)
        .send()
        .await
        .expect("sent");
    expect_error(res, 415, "unsupported_media_type").await;
    // `identity` is no encoding at all.
    let res = app
        .http
        .post(app.url("/v1/sessions"))
        .header("content-type", "application/json")
        .header("content-encoding", "identity")
        .body(body)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 201);
}

/// Finding 3: made-up HTTP methods do not become label values.
#[tokio::test]
async fn made_up_methods_share_one_label_value() {
    let app = spawn_app().await;
    for i in 0..40 {
        let method = reqwest::Method::from_bytes(format!("FOO{i}").as_bytes()).expect("method");
        let res = app
            .http
            .request(method, app.url("/v1/sessions"))
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status().as_u16(), 405);
    }
    let text = app.metrics_text().await;
    assert!(!text.contains("FOO"), "a client's method became a label");
    assert!(
        text.lines()
            .any(|l| l.starts_with("wxsession_http_requests_total")
                && l.contains(r#"method="other""#)
                && l.ends_with(" 40")),
        "{text}"
    );
}

/// Finding 4: concurrent WeChat calls per app are bounded; the excess gets 503 + Retry-After.
#[tokio::test]
async fn concurrent_wechat_calls_per_app_are_bounded() {
    let app = spawn_app_with(|s| s.wechat.max_concurrent_calls_per_app = 2).await;
    let slow = |i: usize| {
        let app = &app;
        async move {
            app.post_json(
                "/v1/sessions",
                &json!({ "code": format!("slow:700:user:busy{i}:{}", uuid::Uuid::new_v4()) }),
                None,
            )
            .await
        }
    };
    let results = join_all((0..6).map(slow)).await;
    let mut created = 0;
    let mut refused = 0;
    for res in results {
        match res.status().as_u16() {
            201 => created += 1,
            503 => {
                assert_eq!(res.headers()["retry-after"], "1");
                expect_error(res, 503, "wechat_unavailable").await;
                refused += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((created, refused), (2, 4));
    let text = app.metrics_text().await;
    assert!(
        text.contains(&format!(
            r#"wxsession_wechat_calls_refused_total{{appid="{APPID}"}} 4"#
        )),
        "{text}"
    );
    // The bound is released: the next login goes through.
    app.login("after").await;
}

/// Finding 5: why a decrypt failed is not published on the listener clients use.
#[tokio::test]
async fn decrypt_failure_reasons_stay_off_the_public_listener() {
    let app = spawn_app().await;
    let token = app.token("oracle").await;
    let good = app
        .sim_encrypt(APPID, "oracle", json!({"a": 1}), "current")
        .await;
    let bad = json!({"encryptedData": "AAAAAAAAAAAAAAAAAAAAAA==", "iv": good["iv"]});
    let res = app
        .post_json("/v1/sessions/current/decrypt", &bad, Some(&token))
        .await;
    expect_error(res, 422, "decrypt_failed").await;
    let public = app.metrics_text().await;
    assert!(
        !public.contains("decrypt_failures_total"),
        "the failure reason is an oracle"
    );
    assert!(
        public.contains(&format!(
            r#"wxsession_decrypt_total{{appid="{APPID}",result="failed"}} 1"#
        )),
        "{public}"
    );
    // With its own listener, operators see the reasons.
    let app = spawn_app_with(|s| s.server.metrics_bind = Some("127.0.0.1:0".into())).await;
    let text = reqwest::get(format!(
        "http://127.0.0.1:{}/metrics",
        app.metrics_port.expect("metrics port")
    ))
    .await
    .expect("scrape")
    .text()
    .await
    .expect("text");
    assert!(text.contains("wxsession_decrypt_failures_total"), "{text}");
}

/// Finding 5: the per-session failure budget cannot be raced.
#[tokio::test]
async fn decrypt_failure_limit_holds_under_concurrency() {
    let app = spawn_app_with(|s| s.limits.decrypt_failures_per_session_per_minute = 20).await;
    let token = app.token("racer").await;
    let good = app
        .sim_encrypt(APPID, "racer", json!({"a": 1}), "current")
        .await;
    let bad = json!({"encryptedData": "AAAAAAAAAAAAAAAAAAAAAA==", "iv": good["iv"]});
    let attempts = (0..300).map(|_| {
        let app = &app;
        let bad = &bad;
        let token = &token;
        async move {
            app.post_json("/v1/sessions/current/decrypt", bad, Some(token))
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = join_all(attempts).await;
    let failed = statuses.iter().filter(|s| **s == 422).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((failed, limited), (20, 280), "{statuses:?}");
}

/// Finding 6: a body trickled in is cut off at the read deadline with 408.
#[tokio::test]
async fn slow_bodies_get_408_at_the_read_deadline() {
    let app = spawn_app_with(|s| s.server.request_read_timeout_ms = 1000).await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let started = Instant::now();
    let answer = tokio::task::spawn_blocking(move || {
        let mut conn = std::net::TcpStream::connect(addr).expect("connects");
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        write!(
            conn,
            "POST /v1/sessions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{"
        )
        .expect("head");
        // One byte every 300 ms: never done within the deadline.
        for _ in 0..20 {
            std::thread::sleep(Duration::from_millis(300));
            if conn.write_all(b" ").is_err() {
                break;
            }
        }
        let mut out = Vec::new();
        let _ = conn.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    })
    .await
    .expect("joined");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(8));
}

/// Finding 7: identities from WeChat that we could not carry safely are refused.
#[tokio::test]
async fn malformed_identities_from_wechat_are_a_502() {
    let app = spawn_app().await;
    for code in [
        "badid:crlf:1",
        "badid:long:2",
        "badid:quote:3",
        "badid:unicode:4",
    ] {
        let res = app
            .post_json("/v1/sessions", &json!({ "code": code }), None)
            .await;
        expect_error(res, 502, "wechat_error").await;
    }
    assert!(
        app.keys_with_ttl()
            .await
            .iter()
            .all(|(k, _)| !k.contains(":s:"))
    );
}

/// Finding 9: a user's session list is bounded; the oldest are revoked, dead ones pruned first.
#[tokio::test]
async fn sessions_per_user_are_bounded_and_pruned() {
    let app = spawn_app_with(|s| s.session.max_sessions_per_user = 3).await;
    let first = app.login("many").await;
    let openid = first["openid"].as_str().expect("openid").to_owned();
    let mut tokens = vec![first["session"].as_str().expect("token").to_owned()];
    for _ in 0..4 {
        tokens.push(app.token("many").await);
    }
    let statuses = join_all(tokens.iter().map(|t| {
        let app = &app;
        async move { app.get("/v1/auth", Some(t)).await.status().as_u16() }
    }))
    .await;
    assert_eq!(statuses, [401, 401, 200, 200, 200]);
    assert_eq!(session_fields(&app, &openid).await, 3);

    // Sessions that died of idleness are pruned before live ones are evicted.
    let app = spawn_app_with(|s| {
        s.session.max_sessions_per_user = 3;
        s.session.idle_ttl_secs = 1;
    })
    .await;
    let first = app.login("idle").await;
    let openid = first["openid"].as_str().expect("openid").to_owned();
    let dead = [
        first["session"].as_str().expect("token").to_owned(),
        app.token("idle").await,
    ];
    // Wait for Redis to expire them (asking the service would keep them alive).
    assert!(
        eventually(Duration::from_secs(5), || async {
            !app.keys_with_ttl()
                .await
                .iter()
                .any(|(k, _)| k.contains(":s:"))
        })
        .await
    );
    let live = [
        app.token("idle").await,
        app.token("idle").await,
        app.token("idle").await,
    ];
    for t in &live {
        assert_eq!(app.get("/v1/auth", Some(t)).await.status().as_u16(), 200);
    }
    for t in &dead {
        assert_eq!(app.get("/v1/auth", Some(t)).await.status().as_u16(), 401);
    }
    assert_eq!(session_fields(&app, &openid).await, 3);
}

/// How many sessions the user's hash lists.
async fn session_fields(app: &crate::helpers::TestApp, openid: &str) -> usize {
    let mut conn = app.redis().await;
    let key = format!("{}:u:{{{APPID}:{openid}}}", app.env.prefix);
    let fields: Vec<String> = redis::cmd("HKEYS")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .expect("HKEYS");
    fields.iter().filter(|f| f.starts_with("s:")).count()
}

/// Finding 10: log-out-everywhere racing with logins leaves no session a later revoke misses.
#[tokio::test]
async fn revoke_racing_logins_leaves_nothing_unreachable() {
    let env = Env::new();
    let app = spawn_on(env.clone(), |s| s.store.pool_size = 16).await;
    let openid = app.login("raced").await["openid"]
        .as_str()
        .expect("openid")
        .to_owned();
    let revoke_path = format!("/v1/admin/apps/{APPID}/users/{openid}/sessions");
    let mut tokens = Vec::new();
    for _round in 0..6 {
        let logins = join_all((0..40).map(|_| {
            let app = &app;
            async move { app.token("raced").await }
        }));
        let revokes = join_all((0..8).map(|_| {
            let app = &app;
            let path = &revoke_path;
            async move { app.delete(path, Some(ADMIN_TOKEN)).await.status().as_u16() }
        }));
        let (minted, revoked) = tokio::join!(logins, revokes);
        assert!(revoked.iter().all(|s| *s == 200));
        tokens.extend(minted);
    }
    let res = app.delete(&revoke_path, Some(ADMIN_TOKEN)).await;
    assert_eq!(res.status().as_u16(), 200);
    let mut alive = 0;
    for t in &tokens {
        if app.get("/v1/auth", Some(t)).await.status().as_u16() == 200 {
            alive += 1;
        }
    }
    assert_eq!(alive, 0, "sessions survived the final revoke");
}

/// Finding 14: an admin token of the wrong length is refused like any other wrong token.
#[tokio::test]
async fn admin_token_checks_do_not_depend_on_length() {
    let app = spawn_app().await;
    for given in [
        "x",
        &ADMIN_TOKEN[..ADMIN_TOKEN.len() - 1],
        &format!("{ADMIN_TOKEN}x"),
    ] {
        let res = app
            .delete(
                &format!("/v1/admin/apps/{APPID}/users/someone/sessions"),
                Some(given),
            )
            .await;
        expect_error(res, 403, "forbidden").await;
    }
}

/// Finding 12: with `server.admin_bind`, the admin API lives only on its own listener.
#[tokio::test]
async fn admin_routes_move_to_their_own_listener() {
    let app = spawn_app_with(|s| s.server.admin_bind = Some("127.0.0.1:0".into())).await;
    let token = app.token("admin-bind").await;
    let openid = app
        .get("/v1/sessions/current", Some(&token))
        .await
        .json::<serde_json::Value>()
        .await
        .expect("json")["openid"]
        .as_str()
        .expect("openid")
        .to_owned();
    let path = format!("/v1/admin/apps/{APPID}/users/{openid}/sessions");
    expect_error(app.delete(&path, Some(ADMIN_TOKEN)).await, 404, "not_found").await;
    let admin = format!("http://127.0.0.1:{}", app.admin_port.expect("admin port"));
    let res = app
        .http
        .delete(format!("{admin}{path}"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.json::<serde_json::Value>().await.expect("json"),
        json!({"revoked": 1})
    );
    // The admin listener serves nothing else.
    let res = app
        .http
        .post(format!("{admin}/v1/sessions"))
        .json(&json!({"code": code_for("x")}))
        .send()
        .await
        .expect("sent");
    expect_error(res, 404, "not_found").await;
}
