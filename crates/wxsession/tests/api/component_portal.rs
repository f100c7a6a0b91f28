//! A merchant authorizing the platform from the vendor's site, end to end over HTTP: the
//! admin API's page address, the simulator's real `componentloginpage` answered, the browser
//! back at `/v1/component/authorized` (once with the push), `303` with the appid and the
//! vendor's `state`, and the merchant's users logged in. Bad input is a clear `4xx`.

use reqwest::header::LOCATION;
use serde_json::{Value, json};

use crate::component::{authorized_xml, crypt, deliver_ticket, login, push, send, with_platform};
use crate::helpers::{
    ADMIN_TOKEN, Env, MERCHANTS, PLATFORM_APPID, PUBLIC_URL, TestApp, expect_error, spawn_on,
};

async fn authorize_url(app: &TestApp, body: &Value) -> reqwest::Response {
    app.http
        .post(app.url("/v1/admin/component/authorize-url"))
        .bearer_auth(ADMIN_TOKEN)
        .json(body)
        .send()
        .await
        .expect("authorize-url")
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(LOCATION)
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The merchant's administrator at WeChat's page: the page read, `merchant` picked, Allow.
/// Where WeChat sends the browser back (on the service's real address).
async fn allow(app: &TestApp, page: &str, merchant: &str) -> String {
    let html = app.http.get(page).send().await.expect("page");
    let status = html.status().as_u16();
    let html = html.text().await.expect("html");
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"allow\""), "{html}");
    assert!(html.contains(merchant), "{html}");
    let url = url::Url::parse(page).expect("page url");
    let mut confirm = url
        .join("/cgi-bin/componentloginpage/confirm")
        .expect("confirm");
    {
        let mut pairs = confirm.query_pairs_mut();
        for (k, v) in url.query_pairs() {
            pairs.append_pair(&k, &v);
        }
        pairs.append_pair("merchant", merchant);
    }
    let back = app.http.get(confirm).send().await.expect("confirm");
    assert_eq!(back.status().as_u16(), 302, "WeChat sends the browser back");
    let back = location(&back);
    assert!(
        back.starts_with(&format!("{PUBLIC_URL}/v1/component/authorized?")),
        "{back}"
    );
    back.replacen(PUBLIC_URL, &app.address, 1)
}

#[tokio::test]
async fn a_merchant_authorizes_from_the_vendors_site_and_its_users_log_in() {
    let env = Env::new();
    let app = spawn_on(env.clone(), with_platform).await;
    deliver_ticket(&env, &app).await;
    let merchant = MERCHANTS[1];

    let res = authorize_url(&app, &json!({ "auth_type": 2, "state": "merchant 42/ü" })).await;
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.expect("json");
    let page = body["url"].as_str().expect("url").to_owned();
    assert!(body["expires_in"].as_u64().expect("expires_in") > 0);
    let parsed = url::Url::parse(&page).expect("url");
    assert!(page.starts_with(&format!("{}/cgi-bin/componentloginpage?", env.sim.url)));
    let q: std::collections::HashMap<String, String> = parsed.query_pairs().into_owned().collect();
    assert_eq!(q["component_appid"], PLATFORM_APPID);
    assert_eq!(q["auth_type"], "2");
    assert!(!q["pre_auth_code"].is_empty());
    assert!(q["redirect_uri"].starts_with(&format!("{PUBLIC_URL}/v1/component/authorized?s=e1.")));
    assert!(
        !page.contains("merchant 42"),
        "the vendor's state travels sealed"
    );

    let back = allow(&app, &page, merchant).await;
    let res = app.http.get(&back).send().await.expect("return");
    assert_eq!(res.status().as_u16(), 303, "{:?}", res.text().await);
    let to = url::Url::parse(&location(&res)).expect("after_authorize_url");
    assert_eq!(to.path(), "/welcome");
    let q: std::collections::HashMap<String, String> = to.query_pairs().into_owned().collect();
    assert_eq!(q["authorizer_appid"], merchant);
    assert_eq!(q["state"], "merchant 42/ü");

    // Confirmed through the admin API, as the vendor's site must.
    let view: Value = app
        .get(&format!("/v1/admin/apps/{merchant}"), Some(ADMIN_TOKEN))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (view["source"].as_str(), view["status"].as_str()),
        (Some("component"), Some("active"))
    );

    // The same code again — the browser reloads, the push arrives late: one exchange.
    let code = url::Url::parse(&back)
        .expect("back")
        .query_pairs()
        .find(|(k, _)| k == "auth_code")
        .map(|(_, v)| v.into_owned())
        .expect("auth_code");
    let again = app.http.get(&back).send().await.expect("again");
    assert_eq!(again.status().as_u16(), 303);
    let (query, body) = push(
        &authorized_xml(merchant, &code),
        crate::component::now(),
        &crypt(PLATFORM_APPID),
    );
    assert_eq!(send(&app, &query, &body).await.status().as_u16(), 200);
    let stats = env.sim.component_stats().expect("platform");
    assert_eq!(stats.query_auth_requests, 1, "{stats:?}");

    // The merchant's users log in.
    let (status, body) = login(&app, merchant, "ann").await;
    assert_eq!(status, 201, "{body}");

    // Audited like every admin action.
    let metrics = app.operator_metrics_text().await;
    assert!(
        metrics
            .contains("wxsession_admin_actions_total{action=\"authorize_url\",outcome=\"ok\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn bad_input_is_a_clear_4xx() {
    let env = Env::new();
    let app = spawn_on(env.clone(), with_platform).await;
    deliver_ticket(&env, &app).await;
    for body in [
        json!({ "auth_type": 4 }),
        json!({ "auth_type": "x" }),
        json!({ "state": "x".repeat(129) }),
        json!({ "other": 1 }),
    ] {
        expect_error(authorize_url(&app, &body).await, 400, "invalid_request").await;
    }
    let res = app
        .http
        .post(app.url("/v1/admin/component/authorize-url"))
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 401);

    // The return: no code, a forged or missing state, a code WeChat never issued.
    let res = authorize_url(&app, &json!({ "state": "v" })).await;
    let page: Value = res.json().await.expect("json");
    let redirect = url::Url::parse(page["url"].as_str().expect("url"))
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .expect("redirect_uri")
        .replacen(PUBLIC_URL, &app.address, 1);
    for (url, status, code) in [
        (redirect.clone(), 400, "invalid_request"),
        (format!("{redirect}&auth_code="), 400, "invalid_request"),
        (
            format!("{}/v1/component/authorized?auth_code=abc", app.address),
            400,
            "invalid_state",
        ),
        (
            format!(
                "{}/v1/component/authorized?s=e1.k.AAAA&auth_code=abc",
                app.address
            ),
            400,
            "invalid_state",
        ),
        (
            format!("{redirect}&auth_code=neverissued"),
            400,
            "invalid_request",
        ),
    ] {
        let res = app.http.get(&url).send().await.expect("sent");
        expect_error(res, status, code).await;
    }
    let stats = env.sim.component_stats().expect("platform");
    assert_eq!(
        stats.query_auth_requests, 1,
        "only the well-formed return asked WeChat"
    );
}
