//! The OAuth calls against the simulator over real HTTP, and the simulator's consent pages.

#![allow(clippy::indexing_slicing)]

use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};
use wechat_client::{Client, ClientConfig, Code2SessionError as E, Error};
use wechat_mock::{MockApp, MockConfig, MockWechat, RunningMock, openid_for, unionid_for};

const MOBILE: &str = "wxmobile000000001";
const SITE: &str = "wxwebsite00000001";

fn simulator() -> RunningMock {
    MockWechat::new(MockConfig {
        apps: [MOBILE, SITE]
            .iter()
            .map(|appid| MockApp {
                appid: (*appid).into(),
                secret: format!("secret-{appid}"),
            })
            .collect(),
        base_latency: Duration::ZERO,
        callbacks: vec!["https://site.example/cb".into()],
        ..MockConfig::default()
    })
    .start(([127, 0, 0, 1], 0).into())
    .expect("simulator starts")
}

fn client(url: &str) -> Client {
    Client::new(ClientConfig {
        base_url: url.to_owned(),
        allow_http: true,
        ..ClientConfig::default()
    })
    .expect("client")
}

fn secret(appid: &str) -> SecretString {
    SecretString::from(format!("secret-{appid}"))
}

#[tokio::test]
async fn a_mobile_code_gives_per_app_openids_and_one_unionid() {
    let sim = simulator();
    let c = client(&sim.url);
    let a = c
        .oauth2_access_token(MOBILE, &secret(MOBILE), "user:dana:1")
        .await
        .expect("exchange");
    assert_eq!(a.openid, openid_for(MOBILE, "dana"));
    assert_eq!(a.unionid, unionid_for("dana"));
    assert_eq!(a.scope, "snsapi_userinfo");
    assert!(!format!("{a:?}").contains(a.access_token.expose_secret()));
    let b = c
        .oauth2_access_token(SITE, &secret(SITE), "user:dana:2")
        .await
        .expect("exchange");
    assert_ne!(a.openid, b.openid);
    assert_eq!(a.unionid, b.unionid);

    let info = c
        .userinfo(&a.access_token, &a.openid)
        .await
        .expect("userinfo");
    assert_eq!(info.unionid, unionid_for("dana"));
    assert_eq!(info.nickname.as_deref(), Some("Simulated dana"));

    // Single use, invalid and expired codes, wrong secret.
    let again = c
        .oauth2_access_token(MOBILE, &secret(MOBILE), "user:dana:1")
        .await;
    assert!(matches!(again, Err(E::CodeUsed)), "{again:?}");
    let bad = c
        .oauth2_access_token(MOBILE, &secret(MOBILE), "nonsense")
        .await;
    assert!(matches!(bad, Err(E::InvalidCode)), "{bad:?}");
    let expired = c
        .oauth2_access_token(MOBILE, &secret(MOBILE), "err:42003:x")
        .await;
    assert!(matches!(expired, Err(E::InvalidCode)), "{expired:?}");
    let wrong = c
        .oauth2_access_token(MOBILE, &SecretString::from("nope"), "user:dana:3")
        .await;
    assert!(
        matches!(wrong, Err(E::Wechat(Error::BadCredentials(40125)))),
        "{wrong:?}"
    );
    let stats = sim.stats();
    assert_eq!((stats.oauth_requests, stats.oauth_exchanges), (6, 2));
    assert_eq!(stats.userinfo_requests, 1);
}

/// Follows the consent page of `path` with `decision`; returns the `Location` it redirects to.
async fn consent(sim: &RunningMock, path: &str, scope: &str, decision: &str) -> (u16, String) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = http
        .get(format!("{}{path}", sim.url))
        .query(&[
            ("appid", SITE),
            ("redirect_uri", "https://site.example/cb?x=1"),
            ("response_type", "code"),
            ("scope", scope),
            ("state", "st4te"),
        ])
        .send()
        .await
        .expect("page");
    let status = page.status().as_u16();
    let html = page.text().await.expect("html");
    if status != 200 {
        return (status, html);
    }
    assert!(
        html.contains("id=\"allow\"") && html.contains(SITE),
        "{html}"
    );
    let confirm = http
        .get(format!("{}/connect/confirm", sim.url))
        .query(&[
            ("appid", SITE),
            ("redirect_uri", "https://site.example/cb?x=1"),
            ("scope", scope),
            ("state", "st4te"),
            ("user", "erin"),
            ("decision", decision),
        ])
        .send()
        .await
        .expect("confirm");
    let location = confirm
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (confirm.status().as_u16(), location)
}

#[tokio::test]
async fn consent_pages_redirect_with_a_code_or_with_the_state_alone() {
    let sim = simulator();
    let (status, location) = consent(&sim, "/connect/qrconnect", "snsapi_login", "allow").await;
    assert_eq!(status, 302);
    let url = url::Url::parse(&location).expect("absolute");
    let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(pairs["x"], "1");
    assert_eq!(pairs["state"], "st4te");
    let token = client(&sim.url)
        .oauth2_access_token(SITE, &secret(SITE), &pairs["code"])
        .await
        .expect("the page's code exchanges");
    assert_eq!(token.scope, "snsapi_login");
    assert_eq!(token.unionid, unionid_for("erin"));

    let (status, location) = consent(&sim, "/connect/qrconnect", "snsapi_login", "deny").await;
    assert_eq!(status, 302);
    assert!(location.ends_with("?x=1&state=st4te"), "{location}");

    // snsapi_base: no unionid, and no userinfo.
    let (_, location) = consent(&sim, "/connect/oauth2/authorize", "snsapi_base", "allow").await;
    let url = url::Url::parse(&location).expect("absolute");
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    let c = client(&sim.url);
    let base = c
        .oauth2_access_token(SITE, &secret(SITE), &code)
        .await
        .expect("exchange");
    assert_eq!(base.unionid, None);
    let refused = c.userinfo(&base.access_token, &base.openid).await;
    assert!(
        matches!(refused, Err(Error::Api { errcode: 48001, .. })),
        "{refused:?}"
    );

    // The wrong scope for the page is refused before anything is shown.
    let (status, html) = consent(&sim, "/connect/qrconnect", "snsapi_base", "allow").await;
    assert_eq!(status, 400);
    assert!(html.contains("scope"), "{html}");
}
