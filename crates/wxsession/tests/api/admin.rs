//! The admin API: log-out-everywhere on every replica, race-free; its credential; its listener.

use futures::future::join_all;
use serde_json::json;

use crate::helpers::{
    ADMIN_TOKEN, APPID, Env, code_for, expect_error, spawn_app, spawn_app_with, spawn_on,
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
