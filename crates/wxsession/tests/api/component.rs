//! Third-party platform mode over real Redis and the simulator: WeChat's pushes verified or
//! refused (signature, appid, stale timestamp), replays acted on once, merchants authorized by
//! the push and logged in through `sns/component/jscode2session`, revoked by `unauthorized`,
//! and one token fetch for the fleet.

use std::sync::Arc;

use serde_json::{Value, json};
use wechat_crypto::MsgCrypt;

use crate::helpers::{
    ADMIN_TOKEN, Env, MERCHANTS, PLATFORM_AES_KEY, PLATFORM_APPID, PLATFORM_SECRET, PLATFORM_TOKEN,
    PUBLIC_URL, TestApp, code_for, expect_error, kek_file, spawn_on, with_runtime_apps,
};

fn file(text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "wxsession-test-component-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&path, text).expect("file written");
    path
}

/// `[component]` on, with what it needs (key-encryption keys, a public URL).
pub fn with_platform(s: &mut wxsession::settings::Settings) {
    with_runtime_apps(s);
    s.store.key_encryption_key_files = vec![kek_file()];
    s.server.public_url = Some(PUBLIC_URL.into());
    s.wechat.mp_base = s.wechat.api_base.clone();
    s.component = Some(wxsession::settings::ComponentSettings {
        appid: PLATFORM_APPID.into(),
        secret_file: file(PLATFORM_SECRET),
        token_file: file(PLATFORM_TOKEN),
        encoding_aes_key_file: file(PLATFORM_AES_KEY),
        previous_encoding_aes_key_file: None,
        after_authorize_url: "https://vendor.test/welcome".into(),
    });
}

pub(crate) fn crypt(appid: &str) -> MsgCrypt {
    MsgCrypt::new(PLATFORM_TOKEN, PLATFORM_AES_KEY, appid).expect("crypt")
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// A push as WeChat makes it: the inner XML sealed, the envelope, the signed query.
pub(crate) fn push(inner: &str, timestamp: i64, crypt: &MsgCrypt) -> (String, String) {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let sealed = crypt
        .seal(inner, &timestamp.to_string(), &nonce)
        .expect("sealed");
    let query = format!(
        "/v1/component/events?timestamp={}&nonce={}&encrypt_type=aes&msg_signature={}&signature=x",
        sealed.timestamp, sealed.nonce, sealed.msg_signature
    );
    let body = wechat_crypto::xml::envelope_xml(PLATFORM_APPID, &sealed.encrypt);
    (query, body)
}

pub(crate) async fn send(app: &TestApp, query: &str, body: &str) -> reqwest::Response {
    app.http
        .post(app.url(query))
        .header("content-type", "text/xml")
        .body(body.to_owned())
        .send()
        .await
        .expect("push sent")
}

pub(crate) fn ticket_xml(appid: &str, ticket: &str) -> String {
    format!(
        "<xml><AppId><![CDATA[{appid}]]></AppId><CreateTime>{}</CreateTime>\
         <InfoType><![CDATA[component_verify_ticket]]></InfoType>\
         <ComponentVerifyTicket><![CDATA[{ticket}]]></ComponentVerifyTicket></xml>",
        now()
    )
}

pub(crate) fn authorized_xml(merchant: &str, code: &str) -> String {
    format!(
        "<xml><AppId><![CDATA[{PLATFORM_APPID}]]></AppId><CreateTime>{}</CreateTime>\
         <InfoType><![CDATA[authorized]]></InfoType>\
         <AuthorizerAppid><![CDATA[{merchant}]]></AuthorizerAppid>\
         <AuthorizationCode><![CDATA[{code}]]></AuthorizationCode>\
         <AuthorizationCodeExpiredTime>{}</AuthorizationCodeExpiredTime></xml>",
        now(),
        now() + 600
    )
}

pub(crate) async fn sim(env: &Env, path: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{}/__sim/component/{path}", env.sim.url))
        .json(&body)
        .send()
        .await
        .expect("sim")
        .json()
        .await
        .expect("sim json")
}

/// A simulator switch (`/__sim/component/{path}` with `body`, answered 204).
pub(crate) async fn sim_switch(env: &Env, path: &str, body: Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/__sim/component/{path}", env.sim.url))
        .json(&body)
        .send()
        .await
        .expect("sim");
    assert_eq!(res.status().as_u16(), 204, "{path}");
}

/// A fresh ticket from the simulator, pushed to `app`.
pub(crate) async fn deliver_ticket(env: &Env, app: &TestApp) {
    let ticket = sim(env, "push-ticket", json!({})).await["ticket"]
        .as_str()
        .expect("ticket")
        .to_owned();
    let (query, body) = push(
        &ticket_xml(PLATFORM_APPID, &ticket),
        now(),
        &crypt(PLATFORM_APPID),
    );
    let res = send(app, &query, &body).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.text().await.expect("text"), "success");
}

/// The merchant authorizes (the simulator's Allow) and the `authorized` push reaches `app`.
pub(crate) async fn authorize(env: &Env, app: &TestApp, merchant: &str) {
    let code = sim(env, "authorize", json!({ "appid": merchant })).await["auth_code"]
        .as_str()
        .expect("auth_code")
        .to_owned();
    let (query, body) = push(
        &authorized_xml(merchant, &code),
        now(),
        &crypt(PLATFORM_APPID),
    );
    let res = send(app, &query, &body).await;
    assert_eq!(res.status().as_u16(), 200, "{:?}", res.text().await);
}

pub(crate) async fn login(app: &TestApp, appid: &str, user: &str) -> (u16, Value) {
    let res = app
        .post_json(
            "/v1/sessions",
            &json!({ "appid": appid, "code": code_for(user) }),
            None,
        )
        .await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn pushes_are_verified_and_a_replay_or_forgery_changes_nothing() {
    let env = Env::new();
    let app = spawn_on(env.clone(), with_platform).await;
    let ticket = sim(&env, "push-ticket", json!({})).await["ticket"]
        .as_str()
        .expect("ticket")
        .to_owned();
    let inner = ticket_xml(PLATFORM_APPID, &ticket);
    let (query, body) = push(&inner, now(), &crypt(PLATFORM_APPID));

    // Forged: the signature of another body.
    let (_, other_body) = push(&inner, now(), &crypt(PLATFORM_APPID));
    expect_error(
        send(&app, &query, &other_body).await,
        400,
        "invalid_request",
    )
    .await;
    // Another platform's push (the trailing appid), and a stale one.
    let (q, b) = push(
        &ticket_xml("wxotherplatform001", &ticket),
        now(),
        &crypt("wxotherplatform001"),
    );
    expect_error(send(&app, &q, &b).await, 400, "invalid_request").await;
    let (q, b) = push(&inner, now() - 11 * 60, &crypt(PLATFORM_APPID));
    expect_error(send(&app, &q, &b).await, 400, "invalid_request").await;
    expect_error(
        send(&app, &query, "<xml><Encrypt>").await,
        400,
        "invalid_request",
    )
    .await;
    let mut conn = app.redis().await;
    let key = format!("{}:{{apps}}:ticket", env.prefix);
    let stored: Option<Vec<u8>> = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .expect("get");
    assert!(stored.is_none(), "nothing stored by a refused push");

    // The real one, then its replay.
    for _ in 0..2 {
        let res = send(&app, &query, &body).await;
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.text().await.expect("text"), "success");
    }
    let stored: Vec<u8> = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .expect("get");
    let text = String::from_utf8_lossy(&stored);
    assert!(!text.contains(&ticket), "the ticket is sealed: {text}");
    let ttl: i64 = redis::cmd("TTL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .expect("ttl");
    assert_eq!(ttl, -1, "kept without a TTL");
    let metrics = app.operator_metrics_text().await;
    assert!(metrics.contains(
        "wxsession_component_events_total{info_type=\"component_verify_ticket\",result=\"ok\"} 1"
    ), "{metrics}");
    assert!(metrics.contains(
        "wxsession_component_events_total{info_type=\"component_verify_ticket\",result=\"replay\"} 1"
    ));
    assert!(metrics.contains("result=\"stale\"} 1"));
    assert!(metrics.contains("result=\"bad_signature\"} 1"));
}

#[tokio::test]
async fn merchants_authorized_by_push_log_users_in_on_every_replica_until_they_revoke() {
    let env = Env::new();
    let a = spawn_on(env.clone(), with_platform).await;
    let b = spawn_on(env.clone(), with_platform).await;
    let c = spawn_on(env.clone(), with_platform).await;
    deliver_ticket(&env, &a).await;
    let merchant = MERCHANTS[0];
    let (status, body) = login(&b, merchant, "ann").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("unknown_app"))
    );

    authorize(&env, &a, merchant).await;
    let res = a
        .get(&format!("/v1/admin/apps/{merchant}"), Some(ADMIN_TOKEN))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let view: Value = res.json().await.expect("json");
    assert_eq!(
        (view["source"].as_str(), view["status"].as_str()),
        (Some("component"), Some("active"))
    );
    assert_eq!(view["kind"], "miniprogram");
    // The refresh token is sealed in Redis.
    let mut conn = a.redis().await;
    let records: std::collections::HashMap<String, Vec<u8>> = redis::cmd("HGETALL")
        .arg(format!("{}:{{apps}}:rec", env.prefix))
        .query_async(&mut conn)
        .await
        .expect("records");
    let record = String::from_utf8_lossy(records.get(merchant).expect("record"));
    assert!(
        record.contains("\"refresh_token\":\"e1."),
        "sealed: {record}"
    );
    assert!(!record.contains("refreshtoken@@@"), "never in the clear");

    // Every replica serves it within the registry's bound.
    let replicas = Arc::new([a, b, c]);
    for app in replicas.iter() {
        let served = crate::helpers::eventually(std::time::Duration::from_secs(2), || async {
            login(app, merchant, "warm").await.0 == 201
        })
        .await;
        assert!(served, "every replica serves the merchant");
    }
    let before = env.sim.component_stats().expect("platform").logins;
    // Concurrent logins on every replica: one component-token fetch for the fleet.
    let mut tasks = Vec::new();
    for i in 0..30 {
        let replicas = replicas.clone();
        tasks.push(tokio::spawn(async move {
            let app = &replicas[i % 3];
            login(app, MERCHANTS[0], &format!("user{i}")).await.0
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task"), 201);
    }
    let stats = env.sim.component_stats().expect("platform");
    assert_eq!(stats.component_token_fetches, 1, "{stats:?}");
    assert_eq!(stats.logins - before, 30);

    // The merchant's token for the vendor's other backends: one fetch for the fleet.
    let mut tokens = Vec::new();
    for app in replicas.iter() {
        let res = app
            .get(
                &format!("/v1/admin/apps/{merchant}/access-token"),
                Some(ADMIN_TOKEN),
            )
            .await;
        assert_eq!(res.status().as_u16(), 200);
        let body: Value = res.json().await.expect("json");
        tokens.push(body["access_token"].as_str().expect("token").to_owned());
    }
    assert!(tokens.windows(2).all(|w| w[0] == w[1]));

    // Revoked: logins 403 on every replica within the poll bound.
    let (_, session) = login(&replicas[0], merchant, "bob").await;
    let token = session["session"]
        .as_str()
        .or(session["token"].as_str())
        .unwrap_or_default()
        .to_owned();
    sim(&env, "unauthorize", json!({ "appid": merchant })).await;
    let unauthorized = format!(
        "<xml><AppId><![CDATA[{PLATFORM_APPID}]]></AppId><CreateTime>{}</CreateTime>\
         <InfoType><![CDATA[unauthorized]]></InfoType>\
         <AuthorizerAppid><![CDATA[{merchant}]]></AuthorizerAppid></xml>",
        now()
    );
    let (query, body) = push(&unauthorized, now(), &crypt(PLATFORM_APPID));
    assert_eq!(
        send(&replicas[1], &query, &body).await.status().as_u16(),
        200
    );
    for app in replicas.iter() {
        let ok = crate::helpers::eventually(std::time::Duration::from_secs(2), || async {
            login(app, merchant, "carl").await.0 == 403
        })
        .await;
        assert!(ok, "403 app_unauthorized on every replica");
        if !token.is_empty() {
            assert!(
                app.auth_becomes(&token, 401, std::time::Duration::from_secs(2))
                    .await
            );
        }
    }
    let records: std::collections::HashMap<String, Vec<u8>> = redis::cmd("HGETALL")
        .arg(format!("{}:{{apps}}:rec", env.prefix))
        .query_async(&mut conn)
        .await
        .expect("records");
    let record = String::from_utf8_lossy(records.get(merchant).expect("record"));
    assert!(!record.contains("refresh_token"), "deleted: {record}");
    let at: Option<String> = redis::cmd("GET")
        .arg(format!("{}:at:{{{merchant}}}", env.prefix))
        .query_async(&mut conn)
        .await
        .expect("get");
    assert!(at.is_none(), "the merchant's token is deleted");
}
