//! `/openapi.json` documents exactly the routes the listener serving it serves.

use std::collections::BTreeSet;

use wxsession::http::ROUTES;

use crate::helpers::{
    ALLOWED_ORIGIN, APPID, MOBILE_APPID, OFFICIAL_APPID, WEBSITE_APPID, spawn_app, spawn_app_with,
    with_every_kind,
};

#[tokio::test]
async fn document_matches_the_route_table_and_the_router() {
    let app = spawn_app().await;
    let res = app.get("/openapi.json", None).await;
    assert_eq!(res.status().as_u16(), 200);
    let doc: serde_json::Value = res.json().await.expect("json");
    assert_eq!(doc["openapi"], "3.0.3");
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    let table: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(documented, table);

    // Every route in the table is routed (not 404/405) on the live app.
    for (method, path) in ROUTES {
        let concrete = path.replace("{appid}", "wxa").replace("{openid}", "ob");
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let res = app
            .http
            .request(method.clone(), app.url(&concrete))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("sent");
        let status = res.status().as_u16();
        assert!(status != 404 && status != 405, "{method} {path}: {status}");
    }
}

/// L4: with the admin API and `/metrics` on listeners of their own, the public document lists
/// only what the public listener serves, and names no appid and no allowed origin.
#[tokio::test]
async fn the_public_document_lists_only_the_public_listener() {
    let app = spawn_app_with(|s| {
        with_every_kind(s);
        s.server.admin_bind = Some("127.0.0.1:0".into());
        s.server.metrics_bind = Some("127.0.0.1:0".into());
    })
    .await;
    let res = app.get("/openapi.json", None).await;
    assert_eq!(res.status().as_u16(), 200);
    let text = res.text().await.expect("body");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    let paths: Vec<&String> = doc["paths"].as_object().expect("paths").keys().collect();
    assert!(
        paths.iter().all(|p| !p.starts_with("/v1/admin")),
        "{paths:?}"
    );
    assert!(!paths.iter().any(|p| *p == "/metrics"), "{paths:?}");
    assert!(paths.iter().any(|p| *p == "/v1/sessions"), "{paths:?}");
    assert!(doc["components"]["securitySchemes"].get("admin").is_none());
    for secret in [
        APPID,
        MOBILE_APPID,
        WEBSITE_APPID,
        OFFICIAL_APPID,
        ALLOWED_ORIGIN,
        "app\\\\.test",
    ] {
        assert!(!text.contains(secret), "the public document names {secret}");
    }
    // Everything it lists is served there.
    for path in paths {
        let concrete = path.replace("{appid}", WEBSITE_APPID);
        let res = app.http.get(app.url(&concrete)).send().await.expect("sent");
        assert_ne!(res.status().as_u16(), 404, "{path}");
    }
}
