//! The third-party platform API and pushes against the simulator over real HTTP; the
//! platform's authorization-event URL is a wiremock server that records what WeChat pushed.

#![allow(clippy::indexing_slicing)]

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret as _, SecretString};
use wechat_client::{
    AuthorizerKind, Client, ClientConfig, Code2SessionError, ComponentError, ComponentEvent,
    ComponentPush, Error,
};
use wechat_crypto::xml::parse_envelope;
use wechat_crypto::{MsgCrypt, url_signature};
use wechat_mock::{
    MerchantKind, MockComponent, MockConfig, MockMerchant, MockWechat, RunningMock, openid_for,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PLATFORM: &str = "wxcomponent0000001";
const SECRET: &str = "c0mp0nent-secret";
const TOKEN: &str = "pushT0ken";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const SHOP: &str = "wxmerchantshop0001";
const CAFE: &str = "wxmerchantcafe0002";
const NEWS: &str = "wxmerchantnews0003";
const RETURN: &str = "https://vendor.example/v1/component/authorized";

struct Setup {
    sim: RunningMock,
    receiver: MockServer,
    client: Client,
    http: reqwest::Client,
}

fn secret() -> SecretString {
    SecretString::from(SECRET)
}

async fn setup(ticket_period: Duration) -> Setup {
    setup_with(ticket_period, Duration::ZERO).await
}

async fn setup_with(ticket_period: Duration, ticket_ttl: Duration) -> Setup {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/component/events"))
        .respond_with(ResponseTemplate::new(200).set_body_string("success"))
        .mount(&receiver)
        .await;
    let merchant = |appid: &str, kind, nickname: &str| MockMerchant {
        appid: appid.into(),
        kind,
        nickname: nickname.into(),
    };
    let sim = MockWechat::new(MockConfig {
        component: Some(MockComponent {
            appid: PLATFORM.into(),
            secret: SECRET.into(),
            token: TOKEN.into(),
            encoding_aes_key: AES_KEY.into(),
            merchants: vec![
                merchant(SHOP, MerchantKind::MiniProgram, "Shop"),
                merchant(CAFE, MerchantKind::MiniProgram, "Café"),
                merchant(NEWS, MerchantKind::OfficialAccount, "News"),
            ],
            push_url: Some(format!("{}/v1/component/events", receiver.uri())),
            ticket_period,
            ticket_ttl,
            callbacks: vec!["https://vendor.example/v1/component/".into()],
            ..MockComponent::default()
        }),
        ..MockConfig::default()
    })
    .start(([127, 0, 0, 1], 0).into())
    .expect("simulator starts");
    let client = Client::new(ClientConfig {
        base_url: sim.url.clone(),
        request_timeout: Duration::from_millis(2000),
        backoff: Duration::from_millis(5),
        allow_http: true,
        ..ClientConfig::default()
    })
    .expect("client");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http");
    Setup {
        sim,
        receiver,
        client,
        http,
    }
}

impl Setup {
    async fn sim_post(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let res = self
            .http
            .post(format!("{}{path}", self.sim.url))
            .json(&body)
            .send()
            .await
            .expect("simulator");
        if res.status() == 204 {
            return serde_json::Value::Null;
        }
        res.json().await.expect("json")
    }

    /// Every push received so far, checked (both signatures) and decrypted as a service would.
    async fn pushes(&self) -> Vec<ComponentPush> {
        let crypt = MsgCrypt::new(TOKEN, AES_KEY, PLATFORM).expect("crypt");
        let requests = self.receiver.received_requests().await.unwrap_or_default();
        requests
            .iter()
            .map(|r| {
                let q: std::collections::HashMap<_, _> = r.url.query_pairs().collect();
                assert_eq!(q["encrypt_type"], "aes");
                assert_eq!(
                    q["signature"],
                    url_signature(TOKEN, &q["timestamp"], &q["nonce"])
                );
                let envelope = parse_envelope(&r.body).expect("envelope");
                assert_eq!(envelope.to.as_deref(), Some(PLATFORM));
                let plain = crypt
                    .open(
                        &q["msg_signature"],
                        &q["timestamp"],
                        &q["nonce"],
                        &envelope.encrypt,
                    )
                    .expect("push opens");
                let push = ComponentPush::parse(&plain.message).expect("push parses");
                assert_eq!(push.app_id, PLATFORM);
                push
            })
            .collect()
    }

    /// Waits (bounded) until at least `n` pushes arrived.
    async fn wait_for_pushes(&self, n: usize) -> Vec<ComponentPush> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let pushes = self.pushes().await;
            if pushes.len() >= n || Instant::now() > deadline {
                return pushes;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn ticket(&self) -> SecretString {
        let answer = self
            .sim_post("/__sim/component/push-ticket", serde_json::json!({}))
            .await;
        assert_eq!(answer["push"]["delivered"], true, "{answer}");
        SecretString::from(answer["ticket"].as_str().expect("ticket").to_owned())
    }

    async fn component_token(&self) -> SecretString {
        let ticket = self.ticket().await;
        self.client
            .component_token(PLATFORM, &secret(), &ticket)
            .await
            .expect("component token")
            .token
    }
}

fn ticket_of(push: &ComponentPush) -> Option<String> {
    match &push.event {
        ComponentEvent::VerifyTicket { ticket } => Some(ticket.expose_secret().to_owned()),
        _ => None,
    }
}

#[tokio::test]
async fn pushed_ticket_buys_a_component_token_and_bad_ones_get_wechat_errcodes() {
    let s = setup(Duration::from_secs(600)).await;
    let ticket = s.ticket().await;
    let pushes = s.pushes().await;
    assert_eq!(pushes.len(), 1);
    assert_eq!(
        ticket_of(&pushes[0]).as_deref(),
        Some(ticket.expose_secret())
    );

    let token = s
        .client
        .component_token(PLATFORM, &secret(), &ticket)
        .await
        .expect("token");
    assert_eq!(token.expires_in, 7200);
    assert!(!format!("{token:?}").contains(token.token.expose_secret()));

    let unknown = SecretString::from("ticket@@@made-up");
    let err = s
        .client
        .component_token(PLATFORM, &secret(), &unknown)
        .await
        .expect_err("unknown ticket");
    assert!(matches!(err, ComponentError::TicketInvalid), "{err:?}");
    let err = s
        .client
        .component_token(PLATFORM, &SecretString::from("wrong"), &ticket)
        .await
        .expect_err("bad secret");
    assert!(
        matches!(err, ComponentError::Wechat(Error::BadCredentials(40125))),
        "{err:?}"
    );
    let err = s
        .client
        .component_token("wxnotaplatform", &secret(), &ticket)
        .await
        .expect_err("bad appid");
    assert!(
        matches!(err, ComponentError::Wechat(Error::BadCredentials(40013))),
        "{err:?}"
    );
    assert_eq!(
        s.sim
            .component_stats()
            .expect("stats")
            .component_token_fetches,
        4
    );

    // An expired component token is WeChat's 40001 for every call made with it.
    s.sim_post("/__sim/component/expire-token", serde_json::json!({}))
        .await;
    let err = s
        .client
        .create_preauthcode(PLATFORM, &token.token)
        .await
        .expect_err("expired");
    assert!(
        matches!(err, ComponentError::Wechat(Error::TokenRefused(40001))),
        "{err:?}"
    );
}

#[tokio::test]
async fn tickets_are_pushed_on_a_period_paused_resumed_and_on_request() {
    let s = setup(Duration::from_millis(150)).await;
    assert!(s.wait_for_pushes(2).await.len() >= 2);
    s.sim_post(
        "/__sim/component/pushes",
        serde_json::json!({"paused": true}),
    )
    .await;
    // A push already under way may still land; after that, nothing.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let paused_at = s.pushes().await.len();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(s.pushes().await.len(), paused_at, "no pushes while paused");

    // api_start_push_ticket pushes at once, paused or not.
    s.client
        .start_push_ticket(PLATFORM, &secret())
        .await
        .expect("start push");
    assert_eq!(s.wait_for_pushes(paused_at + 1).await.len(), paused_at + 1);
    let err = s
        .client
        .start_push_ticket(PLATFORM, &SecretString::from("wrong"))
        .await
        .expect_err("bad secret");
    assert!(matches!(err, Error::BadCredentials(40125)), "{err:?}");

    s.sim_post(
        "/__sim/component/pushes",
        serde_json::json!({"paused": false}),
    )
    .await;
    assert!(s.wait_for_pushes(paused_at + 3).await.len() >= paused_at + 3);
    let pushes = s.pushes().await;
    assert!(pushes.iter().all(|p| ticket_of(p).is_some()));
    // Every ticket is a different one.
    let mut tickets: Vec<_> = pushes.iter().filter_map(ticket_of).collect();
    tickets.dedup();
    assert_eq!(tickets.len(), pushes.len());
}

#[tokio::test]
async fn a_merchant_authorizes_on_the_page_and_the_code_is_exchanged() {
    let s = setup(Duration::from_secs(600)).await;
    let token = s.component_token().await;
    let pre = s
        .client
        .create_preauthcode(PLATFORM, &token)
        .await
        .expect("pre_auth_code");
    assert_eq!(pre.expires_in, 1800);
    let query = [
        ("component_appid", PLATFORM),
        ("pre_auth_code", pre.code.expose_secret()),
        ("redirect_uri", RETURN),
        ("auth_type", "2"),
    ];
    let page = s
        .http
        .get(format!("{}/cgi-bin/componentloginpage", s.sim.url))
        .query(&query)
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let html = page.text().await.expect("html");
    assert!(html.contains(SHOP) && html.contains(CAFE) && html.contains("id=\"allow\""));
    assert!(!html.contains(NEWS), "auth_type 2 lists mini-programs only");

    let confirm = s
        .http
        .get(format!("{}/cgi-bin/componentloginpage/confirm", s.sim.url))
        .query(&query)
        .query(&[("merchant", CAFE)])
        .send()
        .await
        .expect("confirm");
    assert_eq!(confirm.status(), 302);
    let location =
        url::Url::parse(confirm.headers()["location"].to_str().expect("ascii")).expect("location");
    assert!(location.as_str().starts_with(RETURN));
    let back: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(back["expires_in"], "600");
    let code = SecretString::from(back["auth_code"].clone());

    // The same code arrives in an `authorized` push.
    let pushes = s.wait_for_pushes(2).await;
    let authorized = pushes
        .iter()
        .find_map(|p| match &p.event {
            ComponentEvent::Authorized(a) => Some(a.clone()),
            _ => None,
        })
        .expect("authorized push");
    assert_eq!(authorized.authorizer_appid, CAFE);
    assert_eq!(
        authorized.authorization_code.expose_secret(),
        code.expose_secret()
    );
    assert_eq!(
        authorized
            .pre_auth_code
            .map(|c| c.expose_secret().to_owned())
            .as_deref(),
        Some(pre.code.expose_secret())
    );

    let auth = s
        .client
        .query_auth(PLATFORM, &token, &code)
        .await
        .expect("exchange");
    assert_eq!(auth.authorizer_appid, CAFE);
    assert!(auth.refresh_token.is_some() && auth.access_token.is_some());
    assert_eq!(auth.func_info, vec![17, 18, 19, 25, 30, 31]);
    let info = s
        .client
        .authorizer_info(PLATFORM, &token, CAFE)
        .await
        .expect("info");
    assert_eq!(
        (info.kind, info.nick_name.as_str()),
        (AuthorizerKind::MiniProgram, "Café")
    );
    assert_eq!(info.func_info, auth.func_info);

    // The pre-authorization code is spent; a redirect elsewhere is refused.
    let again = s
        .http
        .get(format!("{}/cgi-bin/componentloginpage", s.sim.url))
        .query(&query)
        .send()
        .await
        .expect("page");
    assert_eq!(again.status(), 400);
    let pre2 = s
        .client
        .create_preauthcode(PLATFORM, &token)
        .await
        .expect("pre");
    let elsewhere = s
        .http
        .get(format!("{}/cgi-bin/componentloginpage", s.sim.url))
        .query(&[
            ("component_appid", PLATFORM),
            ("pre_auth_code", pre2.code.expose_secret()),
            (
                "redirect_uri",
                "https://evil.example/v1/component/authorized",
            ),
        ])
        .send()
        .await
        .expect("page");
    assert_eq!(elsewhere.status(), 400);
    let err = s
        .client
        .query_auth(
            PLATFORM,
            &token,
            &SecretString::from("queryauthcode@@@nope"),
        )
        .await
        .expect_err("bad code");
    assert!(
        matches!(err, ComponentError::InvalidAuthCode(61009)),
        "{err:?}"
    );
}

async fn authorize(s: &Setup, appid: &str) -> (serde_json::Value, SecretString) {
    let answer = s
        .sim_post(
            "/__sim/component/authorize",
            serde_json::json!({"appid": appid}),
        )
        .await;
    assert_eq!(answer["push"]["delivered"], true, "{answer}");
    let code = SecretString::from(answer["auth_code"].as_str().expect("code").to_owned());
    (answer, code)
}

#[tokio::test]
async fn reauthorizing_rotates_the_refresh_token_and_revoking_ends_everything() {
    let s = setup(Duration::from_secs(600)).await;
    let token = s.component_token().await;
    let (answer, code) = authorize(&s, SHOP).await;
    assert_eq!(answer["info_type"], "authorized");
    let first = s
        .client
        .query_auth(PLATFORM, &token, &code)
        .await
        .expect("exchange");
    let refresh1 = first.refresh_token.expect("refresh token");
    let fresh = s
        .client
        .authorizer_token(PLATFORM, &token, SHOP, &refresh1)
        .await
        .expect("authorizer token");
    assert_eq!(fresh.access_token.expires_in, 7200);
    // The merchant's token works for the merchant's own APIs (the user is unknown, the
    // token is not refused).
    let res = s
        .client
        .check_session(&fresh.access_token.token, "nobody", "x")
        .await;
    assert!(!matches!(res, Err(Error::TokenRefused(_))), "{res:?}");

    // Authorizing again: `updateauthorized`, a new refresh token, the old one and the old
    // access token dead.
    let (answer, code2) = authorize(&s, SHOP).await;
    assert_eq!(answer["info_type"], "updateauthorized");
    let second = s
        .client
        .query_auth(PLATFORM, &token, &code2)
        .await
        .expect("exchange");
    let refresh2 = second.refresh_token.expect("refresh token");
    assert_ne!(refresh1.expose_secret(), refresh2.expose_secret());
    let err = s
        .client
        .authorizer_token(PLATFORM, &token, SHOP, &refresh1)
        .await
        .expect_err("old refresh token");
    assert!(
        matches!(err, ComponentError::RefreshTokenInvalid),
        "{err:?}"
    );
    let err = s
        .client
        .check_session(&fresh.access_token.token, "nobody", "x")
        .await
        .expect_err("old access token");
    assert!(matches!(err, Error::TokenRefused(40001)), "{err:?}");
    s.client
        .authorizer_token(PLATFORM, &token, SHOP, &refresh2)
        .await
        .expect("new refresh token works");
    let stats = s.sim.component_stats().expect("stats");
    assert_eq!(stats.authorizer_token_fetches.get(SHOP), Some(&3));

    // Revoking: `unauthorized` pushed, refresh token, logins and account info refused.
    let answer = s
        .sim_post(
            "/__sim/component/unauthorize",
            serde_json::json!({"appid": SHOP}),
        )
        .await;
    assert_eq!(answer["push"]["delivered"], true);
    let pushes = s.pushes().await;
    assert!(pushes.iter().any(|p| matches!(
        &p.event,
        ComponentEvent::Unauthorized { authorizer_appid } if authorizer_appid == SHOP
    )));
    let err = s
        .client
        .authorizer_token(PLATFORM, &token, SHOP, &refresh2)
        .await
        .expect_err("revoked");
    assert!(
        matches!(err, ComponentError::RefreshTokenInvalid),
        "{err:?}"
    );
    let err = s
        .client
        .component_code2session(SHOP, "user:alice:1", PLATFORM, &token)
        .await
        .expect_err("revoked");
    assert!(matches!(err, Code2SessionError::NotAuthorized), "{err:?}");
    let err = s
        .client
        .authorizer_info(PLATFORM, &token, SHOP)
        .await
        .expect_err("revoked");
    assert!(matches!(err, ComponentError::NotAuthorized), "{err:?}");
}

#[tokio::test]
async fn merchants_users_log_in_through_the_platform() {
    let s = setup(Duration::from_secs(600)).await;
    let token = s.component_token().await;
    authorize(&s, SHOP).await;
    authorize(&s, NEWS).await;
    let login = s
        .client
        .component_code2session(SHOP, "user:alice:1", PLATFORM, &token)
        .await
        .expect("login");
    assert_eq!(login.openid, openid_for(SHOP, "alice"));
    assert_eq!(login.session_key.expose_secret().len(), 24);
    type Check = fn(&Code2SessionError) -> bool;
    let cases: Vec<(&str, &str, Check)> = vec![
        (SHOP, "user:alice:1", |e| {
            matches!(e, Code2SessionError::CodeUsed)
        }),
        (SHOP, "nonsense", |e| {
            matches!(e, Code2SessionError::InvalidCode)
        }),
        (SHOP, "err:45011:x", |e| {
            matches!(e, Code2SessionError::Wechat(Error::RateLimited))
        }),
        // An official account cannot log mini-program users in; nor can a merchant that
        // never authorized.
        (NEWS, "user:bob:1", |e| {
            matches!(e, Code2SessionError::NotAuthorized)
        }),
        (CAFE, "user:bob:2", |e| {
            matches!(e, Code2SessionError::NotAuthorized)
        }),
    ];
    for (appid, code, check) in cases {
        let err = s
            .client
            .component_code2session(appid, code, PLATFORM, &token)
            .await
            .expect_err(code);
        assert!(check(&err), "{appid} {code}: {err:?}");
    }
    let err = s
        .client
        .component_code2session(SHOP, "user:bob:3", PLATFORM, &SecretString::from("stale"))
        .await
        .expect_err("bad token");
    assert!(
        matches!(err, Code2SessionError::Wechat(Error::TokenRefused(40001))),
        "{err:?}"
    );
    let news = s
        .client
        .authorizer_info(PLATFORM, &token, NEWS)
        .await
        .expect("info");
    assert_eq!(news.kind, AuthorizerKind::OfficialAccount);
}

#[tokio::test]
async fn the_authorizer_list_pages_with_refresh_tokens() {
    let s = setup(Duration::from_secs(600)).await;
    let token = s.component_token().await;
    let mut refresh = std::collections::HashMap::new();
    for appid in [SHOP, CAFE, NEWS] {
        let (_, code) = authorize(&s, appid).await;
        let auth = s
            .client
            .query_auth(PLATFORM, &token, &code)
            .await
            .expect("exchange");
        refresh.insert(
            appid.to_owned(),
            auth.refresh_token
                .expect("refresh")
                .expose_secret()
                .to_owned(),
        );
    }
    let first = s
        .client
        .authorizer_list(PLATFORM, &token, 0, 2)
        .await
        .expect("page");
    let rest = s
        .client
        .authorizer_list(PLATFORM, &token, 2, 2)
        .await
        .expect("page");
    assert_eq!(
        (first.total_count, first.list.len(), rest.list.len()),
        (3, 2, 1)
    );
    for item in first.list.iter().chain(&rest.list) {
        assert_eq!(
            item.refresh_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned())
                .as_ref(),
            refresh.get(&item.authorizer_appid)
        );
        assert!(item.auth_time > 1_700_000_000);
    }
}

#[tokio::test]
async fn an_expired_ticket_is_61005_and_the_next_push_brings_a_fresh_one() {
    let s = setup_with(Duration::from_secs(600), Duration::from_millis(300)).await;
    let old = s.ticket().await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let err = loop {
        match s.client.component_token(PLATFORM, &secret(), &old).await {
            Err(err) => break err,
            Ok(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(_) => panic!("the ticket never expired"),
        }
    };
    assert!(matches!(err, ComponentError::TicketExpired), "{err:?}");
    let fresh = s.ticket().await;
    s.client
        .component_token(PLATFORM, &secret(), &fresh)
        .await
        .expect("a fresh ticket works");
}
