//! The client against the simulator over real HTTP, and against wiremock for broken upstreams.

#![allow(clippy::indexing_slicing)]

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret as _, SecretString};
use wechat_client::{Client, ClientConfig, Code2SessionError as E, Error};
use wechat_mock::{MockApp, MockConfig, MockWechat, RunningMock, openid_for, unionid_for};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APPID: &str = "wx1234567890abcdef";

fn secret() -> SecretString {
    SecretString::from("s3cr3t")
}

fn simulator() -> RunningMock {
    MockWechat::new(MockConfig {
        apps: vec![MockApp {
            appid: APPID.into(),
            secret: "s3cr3t".into(),
        }],
        base_latency: Duration::ZERO,
        ..MockConfig::default()
    })
    .start(([127, 0, 0, 1], 0).into())
    .expect("simulator starts")
}

fn client(base_url: &str) -> Client {
    Client::new(ClientConfig {
        base_url: base_url.to_owned(),
        request_timeout: Duration::from_millis(500),
        backoff: Duration::from_millis(5),
        allow_http: true,
        ..ClientConfig::default()
    })
    .expect("client builds")
}

#[tokio::test]
async fn exchanges_a_code_for_a_session() {
    let sim = simulator();
    let c = client(&sim.url);
    let s = c
        .code2session(APPID, &secret(), "user:alice:1")
        .await
        .expect("exchange works");
    assert_eq!(s.openid, openid_for(APPID, "alice"));
    assert_eq!(s.unionid, unionid_for("alice"));
    assert_eq!(s.session_key.expose_secret().len(), 24);
    assert!(!format!("{s:?}").contains(s.session_key.expose_secret()));
    assert_eq!(sim.stats().exchanges, 1);
}

#[tokio::test]
async fn maps_errcodes() {
    let sim = simulator();
    let c = client(&sim.url);
    c.code2session(APPID, &secret(), "user:bob:1")
        .await
        .expect("first use");
    type Check = fn(&E) -> bool;
    let cases: Vec<(&str, &str, Check)> = vec![
        (APPID, "user:bob:1", |e| matches!(e, E::CodeUsed)),
        (APPID, "nonsense", |e| matches!(e, E::InvalidCode)),
        (APPID, "err:45011:x", |e| {
            matches!(e, E::Wechat(Error::RateLimited))
        }),
        (APPID, "err:40226:x", |e| matches!(e, E::UserBlocked)),
        (APPID, "err:-1:x", |e| {
            matches!(e, E::Wechat(Error::SystemBusy))
        }),
        (APPID, "err:40999:x", |e| {
            matches!(e, E::Wechat(Error::Api { errcode: 40999, .. }))
        }),
        ("wxunknown", "user:bob:2", |e| {
            matches!(e, E::Wechat(Error::BadCredentials(40013)))
        }),
        (APPID, "http:502:x", |e| {
            matches!(e, E::Wechat(Error::HttpStatus(502)))
        }),
        (APPID, "http:404:x", |e| {
            matches!(e, E::Wechat(Error::HttpStatus(404)))
        }),
        (APPID, "garbage:x", |e| {
            matches!(e, E::Wechat(Error::Decode(_)))
        }),
        (APPID, "html:x", |e| {
            matches!(e, E::Wechat(Error::Decode(_)))
        }),
        (APPID, "truncated:x", |e| {
            matches!(e, E::Wechat(Error::Decode(_)))
        }),
        (APPID, "empty:x", |e| {
            matches!(e, E::Wechat(Error::Decode(_)))
        }),
    ];
    for (appid, code, check) in cases {
        let err = c
            .code2session(appid, &secret(), code)
            .await
            .expect_err(code);
        assert!(check(&err), "{code}: got {err:?}");
    }
    let err = c
        .code2session(APPID, &SecretString::from("wrong"), "user:bob:3")
        .await
        .expect_err("bad secret");
    assert!(
        matches!(err, E::Wechat(Error::BadCredentials(40125))),
        "{err:?}"
    );
}

#[tokio::test]
async fn retries_busy_then_succeeds_but_never_retries_final_errors() {
    let sim = simulator();
    let c = client(&sim.url);
    let s = c
        .code2session(APPID, &secret(), "busy:2:user:carol:1")
        .await
        .expect("third attempt succeeds");
    assert_eq!(s.openid, openid_for(APPID, "carol"));
    assert_eq!(sim.stats().requests, 3);

    let before = sim.stats().requests;
    let err = c
        .code2session(APPID, &secret(), "busy:5:user:carol:2")
        .await;
    assert!(matches!(err, Err(E::Wechat(Error::SystemBusy))));
    assert_eq!(sim.stats().requests - before, 3, "1 try + 2 retries");

    for code in ["err:40029:x", "err:40163:x", "err:45011:x", "err:40226:x"] {
        let before = sim.stats().requests;
        let _ = c.code2session(APPID, &secret(), code).await;
        assert_eq!(sim.stats().requests - before, 1, "{code} is not retried");
    }
}

#[tokio::test]
async fn retries_5xx_only_where_repeating_is_harmless_and_reports_timeouts() {
    let server = MockServer::start().await;
    // A gateway's 503 may come after WeChat spent the code: a code is sent once.
    Mock::given(method("GET"))
        .and(path("/sns/jscode2session"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    // A token fetch changes nothing at WeChat: retried.
    Mock::given(method("GET"))
        .and(path("/cgi-bin/token"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let err = c
        .code2session(APPID, &secret(), "c")
        .await
        .expect_err("5xx");
    assert!(matches!(err, E::Wechat(Error::HttpStatus(503))), "{err:?}");
    let err = c.token(APPID, &secret()).await.expect_err("5xx");
    assert!(matches!(err, Error::HttpStatus(503)), "{err:?}");
    server.verify().await;

    let slow = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&slow)
        .await;
    let started = Instant::now();
    let err = client(&slow.uri())
        .code2session(APPID, &secret(), "c")
        .await
        .expect_err("timeout");
    assert!(matches!(err, E::Wechat(Error::Timeout)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "timeouts are not retried"
    );
}

#[tokio::test]
async fn connection_refused_is_transport_and_hides_the_secret() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let err = client(&format!("http://{addr}"))
        .code2session(APPID, &secret(), "user:zed:code-value")
        .await
        .expect_err("refused");
    assert!(matches!(err, E::Wechat(Error::Transport(_))), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("s3cr3t"), "{text}");
    assert!(!text.contains("code-value"), "{text}");
}

/// A server that reads each request and closes the connection without answering (as a
/// partition or a crashing proxy would, after the request left); counts the requests.
async fn hang_up_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::AsyncReadExt as _;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            if stream.read(&mut buf).await.is_ok_and(|n| n > 0) {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
    });
    (url, count)
}

#[tokio::test]
async fn a_code_whose_request_left_is_never_sent_again() {
    let (url, requests) = hang_up_server().await;
    let c = client(&url);
    let err = c
        .code2session(APPID, &secret(), "user:zed:1")
        .await
        .expect_err("no answer");
    assert!(matches!(err, E::Wechat(Error::Transport(_))), "{err:?}");
    assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 1);
    let err = c
        .get_phone_number(&SecretString::from("at"), "phone:zed:1", "o")
        .await
        .expect_err("no answer");
    assert!(format!("{err:?}").contains("Transport"), "{err:?}");
    assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 2);
    // A read is repeated: two retries.
    let err = c.token(APPID, &secret()).await.expect_err("no answer");
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 5);
}

#[tokio::test]
async fn errcode_is_checked_before_success_fields() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "errcode": 40029, "errmsg": "invalid code", "openid": "o", "session_key": "k"
        })))
        .mount(&server)
        .await;
    let err = client(&server.uri())
        .code2session(APPID, &secret(), "c")
        .await
        .expect_err("errcode wins");
    assert!(matches!(err, E::InvalidCode), "{err:?}");
}

#[tokio::test]
async fn plain_http_needs_an_explicit_setting() {
    let refused = Client::new(ClientConfig {
        base_url: "http://api.weixin.qq.com".into(),
        ..ClientConfig::default()
    });
    assert!(matches!(refused, Err(Error::InsecureBaseUrl)));
    let refused = Client::new(ClientConfig {
        base_url: "ftp://api.weixin.qq.com".into(),
        allow_http: true,
        ..ClientConfig::default()
    });
    assert!(matches!(refused, Err(Error::InsecureBaseUrl)));
    assert!(
        Client::new(ClientConfig {
            base_url: "https://api.weixin.qq.com".into(),
            ..ClientConfig::default()
        })
        .is_ok()
    );
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(
                r#"{"openid":"oForeign","session_key":"tiihtNczf5v6AKRyjwEUhQ=="}"#,
            ),
        )
        .mount(&elsewhere)
        .await;
    let upstream = MockServer::start().await;
    Mock::given(path("/sns/jscode2session"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/steal", elsewhere.uri()).as_str()),
        )
        .mount(&upstream)
        .await;
    let err = client(&upstream.uri())
        .code2session(APPID, &secret(), "code")
        .await
        .expect_err("a redirect is not an answer");
    assert!(matches!(err, E::Wechat(Error::HttpStatus(302))), "{err:?}");
    let seen = elsewhere.received_requests().await.unwrap_or_default();
    assert!(seen.is_empty(), "the foreign host was called");
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let upstream = MockServer::start().await;
    let huge = format!(
        r#"{{"openid":"o1","session_key":"tiihtNczf5v6AKRyjwEUhQ==","pad":"{}"}}"#,
        "x".repeat(200 * 1024)
    );
    Mock::given(path("/sns/jscode2session"))
        .respond_with(ResponseTemplate::new(200).set_body_string(huge))
        .mount(&upstream)
        .await;
    let err = client(&upstream.uri())
        .code2session(APPID, &secret(), "code")
        .await
        .expect_err("too large");
    assert!(matches!(err, E::Wechat(Error::Decode(_))), "{err:?}");
}
