//! The calls made with an access_token, against the simulator over real HTTP.

#![allow(clippy::indexing_slicing)]

use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};
use wechat_client::{Client, ClientConfig, Error, PhoneError};
use wechat_mock::{MockApp, MockConfig, MockWechat, RunningMock, openid_for, phone_for};

const APPID: &str = "wx1234567890abcdef";

fn secret() -> SecretString {
    SecretString::from("s3cr3t")
}

fn setup() -> (RunningMock, Client) {
    let sim = MockWechat::new(MockConfig {
        apps: vec![MockApp {
            appid: APPID.into(),
            secret: "s3cr3t".into(),
        }],
        ..MockConfig::default()
    })
    .start(([127, 0, 0, 1], 0).into())
    .expect("simulator starts");
    let client = Client::new(ClientConfig {
        base_url: sim.url.clone(),
        request_timeout: Duration::from_millis(500),
        backoff: Duration::from_millis(5),
        allow_http: true,
        ..ClientConfig::default()
    })
    .expect("client");
    (sim, client)
}

async fn invalidate(sim: &RunningMock, stale: bool) {
    reqwest::Client::new()
        .post(format!("{}/__sim/invalidate-token", sim.url))
        .json(&serde_json::json!({"appid": APPID, "stale": stale}))
        .send()
        .await
        .expect("simulator");
}

#[tokio::test]
async fn stable_and_classic_tokens() {
    let (sim, c) = setup();
    let a = c
        .stable_token(APPID, &secret(), false)
        .await
        .expect("token");
    assert!(a.expires_in > 7000);
    let again = c
        .stable_token(APPID, &secret(), false)
        .await
        .expect("token");
    assert_eq!(a.token.expose_secret(), again.token.expose_secret());
    let forced = c.stable_token(APPID, &secret(), true).await.expect("token");
    assert_ne!(a.token.expose_secret(), forced.token.expose_secret());
    assert!(!format!("{forced:?}").contains(forced.token.expose_secret()));
    let classic = c.token(APPID, &secret()).await.expect("token");
    assert_ne!(classic.token.expose_secret(), forced.token.expose_secret());
    let err = c
        .stable_token(APPID, &SecretString::from("wrong"), false)
        .await
        .expect_err("bad secret");
    assert!(matches!(err, Error::BadCredentials(40125)), "{err:?}");
    let stats = sim.stats();
    assert_eq!((stats.token_fetches, stats.forced_refreshes), (5, 1));
}

#[tokio::test]
async fn phone_numbers_are_single_use_and_bound_to_the_user() {
    let (sim, c) = setup();
    let token = c
        .stable_token(APPID, &secret(), false)
        .await
        .expect("token")
        .token;
    let openid = openid_for(APPID, "pia");
    let info = c
        .get_phone_number(&token, "phone:pia:1", &openid)
        .await
        .expect("phone");
    assert_eq!(info.pure_phone_number, phone_for("pia"));
    assert_eq!(info.country_code, "86");
    assert_eq!(info.watermark.appid, APPID);
    assert!(!format!("{info:?}").contains(&info.phone_number));
    for (code, openid, want) in [
        ("phone:pia:1", openid.as_str(), 40163),
        ("phone:pia:2", "oSomeoneElse", 40029),
        ("user:pia:3", openid.as_str(), 40029),
        ("nonsense", openid.as_str(), 40029),
    ] {
        let err = c
            .get_phone_number(&token, code, openid)
            .await
            .expect_err(code);
        assert!(
            matches!(err, PhoneError::InvalidCode(c) if c == want),
            "{code}: {err:?}"
        );
    }
    let err = c
        .get_phone_number(&token, "err:45011:x", &openid)
        .await
        .expect_err("45011");
    assert!(
        matches!(err, PhoneError::Wechat(Error::RateLimited)),
        "{err:?}"
    );
    invalidate(&sim, false).await;
    let err = c
        .get_phone_number(&token, "phone:pia:4", &openid)
        .await
        .expect_err("dead token");
    assert!(
        matches!(err, PhoneError::Wechat(Error::TokenRefused(40001))),
        "{err:?}"
    );
    let text = format!("{err} {err:?}");
    assert!(!text.contains(token.expose_secret()), "{text}");
}

#[tokio::test]
async fn check_session_and_reset_user_session_key() {
    let (sim, c) = setup();
    let token = c
        .stable_token(APPID, &secret(), false)
        .await
        .expect("token")
        .token;
    let session = c
        .code2session(APPID, &secret(), "user:kai:1")
        .await
        .expect("login");
    let key =
        wechat_crypto::SessionKey::from_base64(session.session_key.expose_secret()).expect("key");
    let sig = wechat_crypto::user_state_signature(&key, b"");
    assert!(
        c.check_session(&token, &session.openid, &sig)
            .await
            .expect("check")
    );
    let fresh = c
        .reset_user_session_key(&token, &session.openid, &sig)
        .await
        .expect("reset");
    assert_ne!(fresh.expose_secret(), session.session_key.expose_secret());
    assert!(
        !c.check_session(&token, &session.openid, &sig)
            .await
            .expect("check")
    );
    let fresh_key = wechat_crypto::SessionKey::from_base64(fresh.expose_secret()).expect("key");
    let fresh_sig = wechat_crypto::user_state_signature(&fresh_key, b"");
    assert!(
        c.check_session(&token, &session.openid, &fresh_sig)
            .await
            .expect("check")
    );
    assert_eq!(sim.stats().key_requests, 4);
}

#[tokio::test]
async fn a_stale_stable_token_is_answered_until_forced() {
    let (_sim, c) = setup();
    let first = c
        .stable_token(APPID, &secret(), false)
        .await
        .expect("token")
        .token;
    invalidate(&_sim, true).await;
    let again = c
        .stable_token(APPID, &secret(), false)
        .await
        .expect("token")
        .token;
    assert_eq!(first.expose_secret(), again.expose_secret());
    let err = c
        .check_session(&again, &openid_for(APPID, "x"), "sig")
        .await
        .expect_err("dead");
    assert!(matches!(err, Error::TokenRefused(40001)), "{err:?}");
    let forced = c
        .stable_token(APPID, &secret(), true)
        .await
        .expect("token")
        .token;
    assert_ne!(forced.expose_secret(), first.expose_secret());
}
