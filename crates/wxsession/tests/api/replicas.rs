//! Several replicas on one Redis behave as one service.

use serde_json::json;

use crate::helpers::{ADMIN_TOKEN, APPID, code_for, spawn_app};

#[tokio::test]
async fn a_token_minted_on_one_replica_works_on_another() {
    let a = spawn_app().await;
    let b = a.replica().await;
    let login = a.login("ivan").await;
    let token = login["session"].as_str().expect("token");

    assert_eq!(
        b.get("/v1/sessions/current", Some(token))
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(b.get("/v1/auth", Some(token)).await.status().as_u16(), 200);
    let enc = b
        .sim_encrypt(APPID, "ivan", json!({"nickName": "Ivan"}), "current")
        .await;
    let res = b
        .post_json("/v1/sessions/current/decrypt", &enc, Some(token))
        .await;
    assert_eq!(res.status().as_u16(), 200);

    assert_eq!(
        b.delete("/v1/sessions/current", Some(token))
            .await
            .status()
            .as_u16(),
        204
    );
    assert_eq!(a.get("/v1/auth", Some(token)).await.status().as_u16(), 401);
}

#[tokio::test]
async fn the_same_code_on_two_replicas_is_exchanged_once() {
    let a = spawn_app().await;
    let b = a.replica().await;
    // A slow upstream widens the race window.
    let code = format!("slow:300:{}", code_for("judy"));
    let body = json!({ "code": code });
    let (ra, rb) = tokio::join!(
        a.post_json("/v1/sessions", &body, None),
        b.post_json("/v1/sessions", &body, None)
    );
    assert_eq!((ra.status().as_u16(), rb.status().as_u16()), (201, 201));
    let ja: serde_json::Value = ra.json().await.expect("json");
    let jb: serde_json::Value = rb.json().await.expect("json");
    assert_eq!(ja, jb, "one code, one answer");
    // Sent again later, sequentially, to either replica: still the same.
    let jc: serde_json::Value = a
        .post_json("/v1/sessions", &body, None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(ja, jc);
    assert_eq!(a.env.sim.stats().exchanges, 1, "WeChat saw one exchange");
    assert_eq!(a.env.sim.stats().requests, 1);
}

#[tokio::test]
async fn a_final_error_is_remembered_and_a_transient_one_is_not() {
    let app = spawn_app().await;
    let body = json!({ "code": "err:40029:once" });
    for _ in 0..3 {
        let res = app.post_json("/v1/sessions", &body, None).await;
        assert_eq!(res.status().as_u16(), 401);
    }
    assert_eq!(
        app.env.sim.stats().requests,
        1,
        "40029 is answered from the store"
    );

    let before = app.env.sim.stats().requests;
    let body = json!({ "code": "http:502:transient" });
    for _ in 0..2 {
        let res = app.post_json("/v1/sessions", &body, None).await;
        assert_eq!(res.status().as_u16(), 503);
    }
    assert_eq!(
        app.env.sim.stats().requests - before,
        6,
        "retried each time (1 + 2 retries)"
    );
}

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
