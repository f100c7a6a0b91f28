//! No secret of the platform reaches a log, and none is kept in Redis in the clear: the real
//! binary at debug level runs the whole component flow — ticket push, a forged push, a merchant
//! authorizing from the vendor's site (the browser's return) and another by push, token reads,
//! a forced refresh of a merchant's token and a new platform token after WeChat killed the old
//! one, both merchants' users logging in, decrypt, phone, key status and reset, `unauthorized`
//! — then `wxsession component recover`; the log, recover's output and every Redis value are
//! searched for every secret that passed.

use serde_json::{Value, json};

use crate::component::{authorized_xml, crypt, now, push, ticket_xml};
use crate::component_merchants::unauthorized_xml;
use crate::component_process::{recover, redis_dump, serve_platform};
use crate::helpers::{
    ADMIN_TOKEN, Env, MERCHANTS, PLATFORM_AES_KEY, PLATFORM_APPID, PLATFORM_SECRET, PLATFORM_TOKEN,
    PUBLIC_URL, SECRET, code_for, phone_code_for, read_log, sigterm,
};

/// Prefixes of everything the simulator mints: a value that starts so is a ticket, a code or
/// a token, whoever it was for.
const MINTED: [(&str, &str); 5] = [
    ("a verify ticket", "ticket@@@"),
    ("a pre_auth_code", "preauthcode@@@"),
    ("an auth_code", "queryauthcode@@@"),
    ("a refresh token", "refreshtoken@@@"),
    ("a component token", "COMPONENT_"),
];

struct Flow {
    http: reqwest::Client,
    base: String,
    sim: String,
}

impl Flow {
    async fn sim(&self, path: &str, body: Value) -> Value {
        let res = self
            .http
            .post(format!("{}{path}", self.sim))
            .json(&body)
            .send()
            .await
            .expect("sim");
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.unwrap_or(Value::Null)
    }

    async fn event(&self, query: &str, body: &str) -> u16 {
        self.http
            .post(format!("{}{query}", self.base))
            .header("content-type", "text/xml")
            .body(body.to_owned())
            .send()
            .await
            .expect("push")
            .status()
            .as_u16()
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn login(&self, appid: &str, code: &str) -> (u16, Value) {
        let res = self
            .http
            .post(format!("{}/v1/sessions", self.base))
            .json(&json!({ "appid": appid, "code": code }))
            .send()
            .await
            .expect("login");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn access_token(&self, merchant: &str) -> String {
        let path = format!("/v1/admin/apps/{merchant}/access-token");
        let (status, body) = self
            .call(reqwest::Method::GET, &path, ADMIN_TOKEN, None)
            .await;
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().expect("token").to_owned()
    }
}

fn param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("{name} in {url}"))
}

/// The administrator at WeChat's page picks `merchant` and allows: where the browser goes back.
async fn allow(flow: &Flow, page: &str, merchant: &str) -> String {
    let res = flow.http.get(page).send().await.expect("page");
    assert_eq!(res.status().as_u16(), 200);
    let mut confirm = url::Url::parse(page)
        .expect("page")
        .join("/cgi-bin/componentloginpage/confirm")
        .expect("confirm");
    confirm
        .query_pairs_mut()
        .extend_pairs(url::Url::parse(page).expect("page").query_pairs())
        .append_pair("merchant", merchant);
    let back = flow.http.get(confirm).send().await.expect("confirm");
    assert_eq!(back.status().as_u16(), 302);
    let back = back.headers()["location"].to_str().expect("location");
    back.replacen(PUBLIC_URL, &flow.base, 1)
}

#[tokio::test]
async fn the_platforms_secrets_never_reach_a_log_or_redis_in_the_clear() {
    let env = Env::new();
    let mut server = serve_platform(&env);
    let flow = Flow {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        base: server.address.clone(),
        sim: env.sim.url.clone(),
    };
    let (m0, m1) = (MERCHANTS[0], MERCHANTS[1]);
    let mut secrets: Vec<(&str, String)> = vec![
        ("the component secret", PLATFORM_SECRET.into()),
        ("the EncodingAESKey", PLATFORM_AES_KEY.into()),
        ("the Token", PLATFORM_TOKEN.into()),
        ("the app secret", SECRET.into()),
    ];
    // Tokens a replica shares through Redis by design (`{prefix}:at:{appid}`): never logged.
    let mut access_tokens: Vec<(&str, String)> = Vec::new();

    // The ticket, and a forged push (another body's signature).
    let ticket = flow.sim("/__sim/component/push-ticket", json!({})).await["ticket"]
        .as_str()
        .expect("ticket")
        .to_owned();
    let (query, body) = push(
        &ticket_xml(PLATFORM_APPID, &ticket),
        now(),
        &crypt(PLATFORM_APPID),
    );
    assert_eq!(flow.event(&query, &body).await, 200);
    let (_, forged) = push(
        &ticket_xml(PLATFORM_APPID, "ticket@@@forged"),
        now(),
        &crypt(PLATFORM_APPID),
    );
    assert_eq!(flow.event(&query, &forged).await, 400);
    secrets.push(("the verify ticket", ticket));

    // m0 from the vendor's site; m1 by push.
    let (status, body) = flow
        .call(
            reqwest::Method::POST,
            "/v1/admin/component/authorize-url",
            ADMIN_TOKEN,
            Some(json!({"auth_type": 2, "state": "m-1"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let page = body["url"].as_str().expect("url").to_owned();
    secrets.push(("the pre_auth_code", param(&page, "pre_auth_code")));
    let back = allow(&flow, &page, m0).await;
    secrets.push(("the browser's auth_code", param(&back, "auth_code")));
    let res = flow.http.get(&back).send().await.expect("return");
    assert_eq!(res.status().as_u16(), 303);
    let code = flow
        .sim("/__sim/component/authorize", json!({"appid": m1}))
        .await["auth_code"]
        .as_str()
        .expect("auth_code")
        .to_owned();
    let (query, body) = push(&authorized_xml(m1, &code), now(), &crypt(PLATFORM_APPID));
    assert_eq!(flow.event(&query, &body).await, 200);
    secrets.push(("the pushed auth_code", code));

    // The merchants' tokens; one reported refused and replaced (a forced refresh).
    let first = flow.access_token(m0).await;
    let path = format!("/v1/admin/apps/{m0}/access-token/invalidate");
    let (status, _) = flow
        .call(
            reqwest::Method::POST,
            &path,
            ADMIN_TOKEN,
            Some(json!({"access_token": first})),
        )
        .await;
    assert_eq!(status, 204);
    let second = flow.access_token(m0).await;
    assert_ne!(first, second, "a new authorizer token");
    access_tokens.push(("an authorizer token", first));
    access_tokens.push(("the refreshed authorizer token", second));
    access_tokens.push(("the other merchant's token", flow.access_token(m1).await));

    // Users of both merchants log in; decrypt, phone, key status and a reset on m0.
    let mut sessions = Vec::new();
    for merchant in [m0, m1] {
        let code = code_for("lia");
        let (status, body) = flow.login(merchant, &code).await;
        assert_eq!(status, 201, "{body}");
        let token = body["session"].as_str().expect("session").to_owned();
        secrets.push(("a login code", code));
        secrets.push(("a session token", token[4..].to_owned()));
        sessions.push(token);
    }
    let enc = flow
        .sim(
            "/__sim/encrypt",
            json!({"appid": m0, "user": "lia", "data": {"nickName": "Lia"}}),
        )
        .await;
    let (status, _) = flow
        .call(
            reqwest::Method::POST,
            "/v1/sessions/current/decrypt",
            &sessions[0],
            Some(enc),
        )
        .await;
    assert_eq!(status, 200);
    let phone_code = phone_code_for("lia");
    let (status, _) = flow
        .call(
            reqwest::Method::POST,
            "/v1/sessions/current/phone",
            &sessions[0],
            Some(json!({"code": phone_code})),
        )
        .await;
    assert_eq!(status, 200);
    secrets.push(("a phone code", phone_code));
    secrets.push(("the phone number", wechat_mock::phone_for("lia")));
    let (status, _) = flow
        .call(
            reqwest::Method::GET,
            "/v1/sessions/current/key-status",
            &sessions[0],
            None,
        )
        .await;
    assert_eq!(status, 200);
    let openid = wechat_mock::openid_for(m0, "lia");
    let path = format!("/v1/admin/apps/{m0}/users/{openid}/session-key/reset");
    let (status, _) = flow
        .call(reqwest::Method::POST, &path, ADMIN_TOKEN, Some(json!({})))
        .await;
    assert_eq!(status, 200);

    // WeChat kills the platform's token: the next login is refused (40001), and retried once
    // with a new one.
    flow.sim("/__sim/component/expire-token", json!({})).await;
    let before = env.sim.component_stats().expect("platform");
    let code = code_for("max");
    let (status, body) = flow.login(m1, &code).await;
    assert_eq!(status, 201, "{body}");
    secrets.push(("a login code", code));
    let after = env.sim.component_stats().expect("platform");
    assert_eq!(
        after.component_token_fetches - before.component_token_fetches,
        1
    );
    assert_eq!(
        after.logins - before.logins,
        2,
        "refused once, then retried"
    );

    // m1 leaves; then recover on the same store.
    flow.sim("/__sim/component/unauthorize", json!({"appid": m1}))
        .await;
    let (query, body) = push(&unauthorized_xml(m1), now(), &crypt(PLATFORM_APPID));
    assert_eq!(flow.event(&query, &body).await, 200);
    let (recovered, recover_out) = recover(&server);
    assert!(recovered, "{recover_out}");
    assert!(
        recover_out.contains(m0),
        "recover names what it stored: {recover_out}"
    );

    // The users' session keys, as WeChat holds them (m0's: the one issued at the reset and
    // the one before).
    for merchant in [m0, m1] {
        let keys = flow
            .sim(
                "/__sim/session-key",
                json!({"appid": merchant, "user": "lia"}),
            )
            .await;
        for which in ["current", "previous"] {
            if let Some(key) = keys[which].as_str() {
                secrets.push(("a session_key", key.to_owned()));
            }
        }
    }

    sigterm(&server.child);
    assert!(server.child.wait().expect("exit").success());
    let log = read_log(&server.log);
    // The flow is in the log (at debug level), so its absence of secrets means something.
    for line in [
        "a merchant authorized the platform",
        "a merchant revoked the platform's authorization",
        "\"route\"",
    ] {
        assert!(log.contains(line), "{line} is logged:\n{log}");
    }
    let stored = redis_dump(&env.redis.url(), &env.prefix).await;
    assert!(
        stored.iter().any(|(k, _)| k.contains(":at:")),
        "tokens were stored"
    );
    let every = secrets
        .iter()
        .map(|(what, needle)| (*what, needle.as_str()))
        .chain(MINTED);
    for (what, needle) in every {
        assert!(!log.contains(needle), "{what} leaked into the log:\n{log}");
        assert!(
            !recover_out.contains(needle),
            "{what} in recover's output:\n{recover_out}"
        );
        for (key, value) in &stored {
            assert!(!key.contains(needle), "{what} in a key name: {key}");
            // The platform's and the merchants' tokens are shared through `…:at:…` (by design);
            // nothing else of this list is kept in the clear anywhere.
            let shared = key.contains(":at:") && needle == "COMPONENT_";
            assert!(
                shared || !value.contains(needle),
                "{what} in the clear in {key}"
            );
        }
    }
    for (what, token) in &access_tokens {
        assert!(!log.contains(token.as_str()), "{what} leaked into the log");
        assert!(
            !recover_out.contains(token.as_str()),
            "{what} in recover's output"
        );
        for (key, value) in &stored {
            assert!(
                key.contains(":at:") || !value.contains(token.as_str()),
                "{what} in {key}"
            );
        }
    }
}
