//! The simulator's browser pages: a consent page sends the browser back only under a
//! registered callback, and no page of it can be framed.

use wechat_mock::{MockApp, MockConfig, MockWechat, RunningMock};

const SITE: &str = "wxwebsite00000001";
const CALLBACK: &str = "https://login.example/v1/web/";

fn simulator() -> RunningMock {
    MockWechat::new(MockConfig {
        apps: vec![MockApp {
            appid: SITE.into(),
            secret: "s".into(),
        }],
        callbacks: vec![CALLBACK.into()],
        ..MockConfig::default()
    })
    .start(([127, 0, 0, 1], 0).into())
    .expect("simulator starts")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The consent page's and the confirmation's status for `redirect_uri`, and where it sends
/// the browser.
async fn consent(sim: &RunningMock, redirect_uri: &str) -> (u16, u16, String) {
    let common = [
        ("appid", SITE),
        ("redirect_uri", redirect_uri),
        ("scope", "snsapi_login"),
        ("state", "st4te"),
    ];
    let page = http()
        .get(format!("{}/connect/qrconnect", sim.url))
        .query(&common)
        .query(&[("response_type", "code")])
        .send()
        .await
        .expect("page");
    let confirm = http()
        .get(format!("{}/connect/confirm", sim.url))
        .query(&common)
        .query(&[("user", "erin"), ("decision", "allow")])
        .send()
        .await
        .expect("confirm");
    let location = confirm
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (page.status().as_u16(), confirm.status().as_u16(), location)
}

/// I2: `redirect_uri` must share the callback's scheme, host and port, carry no user info,
/// and have a path under the callback's path (segment by segment); anything else is a 400
/// page, on the consent page and on its confirmation alike.
#[tokio::test]
async fn consent_pages_redirect_only_under_a_registered_callback() {
    let sim = simulator();
    for accepted in [
        "https://login.example/v1/web/wxwebsite00000001/callback",
        "https://login.example/v1/web/x?y=1",
        "https://LOGIN.example:443/v1/web/x",
    ] {
        let (page, confirm, location) = consent(&sim, accepted).await;
        assert_eq!((page, confirm), (200, 302), "{accepted}");
        assert!(
            location.contains("code=user%3Aerin%3A"),
            "{accepted}: {location}"
        );
    }
    for refused in [
        "https://evil.example/v1/web/x",
        "https://login.example.evil.example/v1/web/x",
        "http://login.example/v1/web/x",
        "https://login.example:8443/v1/web/x",
        "https://user@login.example/v1/web/x",
        "https://login.example/v1/webx",
        "https://login.example/v1/",
        "https://login.example/v1/web/../../admin",
        "https://login.example/",
    ] {
        let (page, confirm, location) = consent(&sim, refused).await;
        assert_eq!((page, confirm), (400, 400), "{refused}");
        assert_eq!(location, "", "{refused}");
    }
}

/// I2: the simulator's HTML pages refuse to be framed (clickjacking the Allow button).
#[tokio::test]
async fn simulator_pages_cannot_be_framed() {
    let sim = simulator();
    for query in [
        "appid=wxwebsite00000001&redirect_uri=https%3A%2F%2Flogin.example%2Fv1%2Fweb%2Fx&response_type=code&scope=snsapi_login&state=s",
        "appid=unknown",
    ] {
        let res = http()
            .get(format!("{}/connect/qrconnect?{query}", sim.url))
            .send()
            .await
            .expect("page");
        let header = |name: &str| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(
            header("x-frame-options").as_deref(),
            Some("DENY"),
            "{query}"
        );
        assert_eq!(
            header("content-security-policy").as_deref(),
            Some("frame-ancestors 'none'"),
            "{query}"
        );
    }
}
