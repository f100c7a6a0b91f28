//! `/openapi.json` documents exactly the routes the service serves.

use std::collections::BTreeSet;

use wxsession::http::ROUTES;

use crate::helpers::spawn_app;

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
