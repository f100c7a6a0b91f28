//! The phone-number quota as the simulator plays it: the usage API (`wxa/charge/usage/get`)
//! behind a valid access_token, each successful phone button charged once, and the button
//! refused with `errno` 1400001 once the package is spent.

#![allow(clippy::indexing_slicing)]

use serde_json::{Value, json};
use wechat_mock::{MockApp, MockConfig, MockWechat, PHONE_SPU_ID, RunningMock};

const APPID: &str = "wx1234567890abcdef";

fn simulator() -> RunningMock {
    MockWechat::new(MockConfig {
        apps: vec![MockApp {
            appid: APPID.into(),
            secret: "s".into(),
        }],
        ..MockConfig::default()
    })
    .start(([127, 0, 0, 1], 0).into())
    .expect("simulator starts")
}

async fn post(sim: &RunningMock, path: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", sim.url))
        .json(&body)
        .send()
        .await
        .expect("answers")
}

async fn usage(sim: &RunningMock, query: &[(&str, &str)]) -> Value {
    reqwest::Client::new()
        .get(format!("{}/wxa/charge/usage/get", sim.url))
        .query(query)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn buttons_are_charged_once_and_refused_when_the_package_is_spent() {
    let sim = simulator();
    let token = post(
        &sim,
        "/cgi-bin/stable_token",
        json!({"grant_type": "client_credential", "appid": APPID, "secret": "s"}),
    )
    .await
    .json::<Value>()
    .await
    .expect("json")["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let page = |offset: &'static str| {
        let token = token.clone();
        let sim = &sim;
        async move {
            usage(
                sim,
                &[
                    ("access_token", &token),
                    ("spuId", PHONE_SPU_ID),
                    ("offset", offset),
                    ("limit", "20"),
                ],
            )
            .await
        }
    };
    let sized = post(
        &sim,
        "/__sim/phone-quota",
        json!({"appid": APPID, "all": 2}),
    )
    .await;
    assert_eq!(sized.status().as_u16(), 204);
    let first = page("0").await;
    assert_eq!(
        (
            &first["errcode"],
            &first["all"],
            &first["effectiveUse"],
            &first["total"]
        ),
        (&json!(0), &json!("2"), &json!("0"), &json!(1))
    );
    assert_eq!(first["detailList"][0]["status"], 1);
    for realtime in [false, true] {
        let button = post(
            &sim,
            "/__sim/phone-button",
            json!({"appid": APPID, "user": "u", "realtime": realtime}),
        )
        .await
        .json::<Value>()
        .await
        .expect("json");
        assert!(
            button["code"]
                .as_str()
                .is_some_and(|c| c.starts_with("phone:u:")),
            "{button}"
        );
    }
    let spent = post(
        &sim,
        "/__sim/phone-button",
        json!({"appid": APPID, "user": "u"}),
    )
    .await
    .json::<Value>()
    .await
    .expect("json");
    assert_eq!(spent["errno"], 1_400_001);
    assert!(spent.get("code").is_none());
    let after = page("0").await;
    assert_eq!(
        (&after["all"], &after["effectiveUse"]),
        (&json!("2"), &json!("2"))
    );
    assert_eq!(after["detailList"][0]["used"], "2");
    assert_eq!(page("1").await["detailList"], json!([]));
    // Another package's spuId has nothing; bad parameters and a bad token are WeChat's errors.
    let other = usage(
        &sim,
        &[
            ("access_token", &token),
            ("spuId", "1"),
            ("offset", "0"),
            ("limit", "20"),
        ],
    )
    .await;
    assert_eq!((&other["all"], &other["total"]), (&json!("0"), &json!(0)));
    for query in [
        vec![
            ("access_token", token.as_str()),
            ("offset", "0"),
            ("limit", "20"),
        ],
        vec![
            ("access_token", token.as_str()),
            ("spuId", PHONE_SPU_ID),
            ("offset", "x"),
            ("limit", "20"),
        ],
        vec![
            ("access_token", token.as_str()),
            ("spuId", PHONE_SPU_ID),
            ("offset", "0"),
            ("limit", "21"),
        ],
    ] {
        assert_eq!(usage(&sim, &query).await["errcode"], 10_120_002);
    }
    let refused = usage(
        &sim,
        &[
            ("access_token", "nope"),
            ("spuId", PHONE_SPU_ID),
            ("offset", "0"),
            ("limit", "1"),
        ],
    )
    .await;
    assert_eq!(refused["errcode"], 40001);
}
