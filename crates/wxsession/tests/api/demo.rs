//! The demo page of `dev`.

use crate::helpers::{spawn_app_with, with_every_kind};

/// I2: no other site may frame the demo page (its buttons log in and out).
#[tokio::test]
async fn the_demo_page_cannot_be_framed() {
    let app = spawn_app_with(|s| {
        with_every_kind(s);
        s.web.demo_page = true;
    })
    .await;
    let res = app.get("/", None).await;
    assert_eq!(res.status().as_u16(), 200);
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(
        header("content-security-policy").as_deref(),
        Some("frame-ancestors 'none'")
    );
}
