//! The admin API: log-out-everywhere on every replica, race-free; its credential; its listener.

use futures::future::join_all;
use serde_json::json;

use crate::helpers::{
    ADMIN_TOKEN, APPID, Env, OTHER_APPID, OTHER_SECRET, code_for, expect_error, read_log,
    serve_with, sigterm, spawn_app, spawn_app_with, spawn_on,
};

#[tokio::test]
async fn admin_revokes_every_session_of_a_user_on_every_replica() {
    let a = spawn_app().await;
    let b = a.replica().await;
    let t1 = a.token("mallory").await;
    let t2 = b.token("mallory").await;
    let other = a.token("oscar").await;
    let openid = wechat_mock::openid_for(APPID, "mallory");
    let path = format!("/v1/admin/apps/{APPID}/users/{openid}/sessions");

    assert_eq!(b.delete(&path, None).await.status().as_u16(), 401);
    assert_eq!(
        b.delete(&path, Some("wrong-admin-token-0000"))
            .await
            .status()
            .as_u16(),
        403
    );
    let res = b.delete(&path, Some(ADMIN_TOKEN)).await;
    assert_eq!(res.status().as_u16(), 200);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body, json!({ "revoked": 2 }));

    for t in [&t1, &t2] {
        assert_eq!(a.get("/v1/auth", Some(t)).await.status().as_u16(), 401);
        assert_eq!(b.get("/v1/auth", Some(t)).await.status().as_u16(), 401);
    }
    assert_eq!(a.get("/v1/auth", Some(&other)).await.status().as_u16(), 200);
    let body: serde_json::Value = a
        .delete(&path, Some(ADMIN_TOKEN))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body, json!({ "revoked": 0 }));
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

const BILLING: &str = "billing-reader-token-0123456789";
const WRONG: &str = "not-a-reader-token-at-all-42";

/// L2: every attempt on the admin listener is an audit line, refused ones too, written before
/// the body is read; it names the request id, the socket peer as the client (the listener
/// believes no `X-Forwarded-For`, even from a trusted proxy) and a refused credential by its
/// fingerprint, never by itself.
#[tokio::test]
async fn refused_admin_attempts_are_audited_before_the_body_is_read() {
    let env = Env::new();
    let tables = format!(
        r#"
[[apps]]
appid = "{OTHER_APPID}"
secret = "{OTHER_SECRET}"

[limits]
trusted_proxies = ["127.0.0.1"]

[[admin.credential_readers]]
name = "billing"
token = "{BILLING}"
apps = ["{OTHER_APPID}"]
"#
    );
    let mut server = serve_with(&env, 2, true, &tables);
    let admin = server.admin_address.clone().expect("admin listener");
    let http = reqwest::Client::new();
    let openid = wechat_mock::openid_for(APPID, "audited");
    let invalidate = format!("{admin}/v1/admin/apps/{APPID}/access-token/invalidate");
    let attempts = [
        (
            "audit-ok-1",
            http.delete(format!(
                "{admin}/v1/admin/apps/{APPID}/users/{openid}/sessions"
            ))
            .bearer_auth(ADMIN_TOKEN),
            200,
        ),
        // A wrong credential and a body that is not JSON: refused for the credential.
        (
            "audit-wrong-2",
            http.post(&invalidate).bearer_auth(WRONG),
            403,
        ),
        ("audit-none-3", http.post(&invalidate), 401),
        // A reader outside its apps.
        (
            "audit-scope-4",
            http.get(format!("{admin}/v1/admin/apps/{APPID}/access-token"))
                .bearer_auth(BILLING),
            403,
        ),
    ];
    // Each attempt's id as the listener made it (it ignores the caller's).
    let mut ids = std::collections::HashMap::new();
    for (label, request, status) in attempts {
        let res = request
            .header("x-request-id", label)
            .header("x-forwarded-for", "198.51.100.77")
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status().as_u16(), status, "{label}");
        let id = res.headers()["x-request-id"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert_ne!(id, label);
        ids.insert(label, id);
    }
    sigterm(&server.child);
    server.child.wait().expect("exit");
    let log = read_log(&server.log);
    let audit = |label: &str| -> serde_json::Value {
        let id = ids[label].as_str();
        let lines: Vec<serde_json::Value> = log
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["kind"] == "audit" && v["request_id"] == id)
            .collect();
        assert_eq!(lines.len(), 1, "one audit line for {id}: {log}");
        lines[0].clone()
    };
    let ok = audit("audit-ok-1");
    assert_eq!(ok["outcome"], "ok");
    assert_eq!(ok["action"], "revoke_user_sessions");
    let wrong = audit("audit-wrong-2");
    assert_eq!(wrong["action"], "invalidate_access_token");
    assert_eq!(wrong["outcome"], "denied");
    assert_eq!(wrong["appid"], APPID);
    assert_eq!(
        wrong["credential"],
        wxsession::http::extract::credential_id("refused", WRONG).as_str()
    );
    let none = audit("audit-none-3");
    assert_eq!(none["outcome"], "denied");
    assert!(none["credential"].is_null(), "{none}");
    let scope = audit("audit-scope-4");
    assert_eq!(scope["action"], "read_access_token");
    assert_eq!(scope["outcome"], "denied");
    assert_eq!(scope["credential"], "reader:billing");
    for line in [&ok, &wrong, &none, &scope] {
        assert_eq!(line["client"], "127.0.0.1", "{line}");
    }
    for secret in [ADMIN_TOKEN, BILLING, WRONG] {
        assert!(!log.contains(secret), "a token in the log");
    }
}

#[tokio::test]
async fn the_admin_listener_makes_its_own_request_ids() {
    let app = spawn_app_with(|s| s.server.admin_bind = Some("127.0.0.1:0".into())).await;
    let admin = format!("http://127.0.0.1:{}", app.admin_port.expect("admin port"));
    let id_of = |res: &reqwest::Response| {
        res.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    // Audit lines carry the id: a caller cannot name its request after another.
    let res = app
        .http
        .get(format!("{admin}/v1/admin/unions/some-union"))
        .bearer_auth(ADMIN_TOKEN)
        .header("x-request-id", "an-earlier-request")
        .send()
        .await
        .expect("sent");
    let id = id_of(&res);
    assert_ne!(id, "an-earlier-request");
    assert_eq!(id.len(), 32, "{id}");
    // The public listener still takes a proxy's id.
    let res = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "from-the-proxy")
        .send()
        .await
        .expect("sent");
    assert_eq!(id_of(&res), "from-the-proxy");
}
