//! Assertions on error responses: the documented shape, status and code.

use serde_json::Value;

/// Checks an error response's status and code; returns the `error` object.
pub async fn expect_error(res: reqwest::Response, status: u16, code: &str) -> Value {
    let (got, err) = error_of(res).await;
    assert_eq!((got, err["code"].as_str()), (status, Some(code)), "{err}");
    err
}

/// The `error` object of an error body, after checking its shape.
pub async fn error_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let body: Value = res.json().await.expect("error body is JSON");
    let err = body["error"].clone();
    assert!(err["code"].is_string(), "{body}");
    assert!(err["message"].is_string(), "{body}");
    assert!(
        err["request_id"].as_str().is_some_and(|s| !s.is_empty()),
        "{body}"
    );
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    (status, err)
}
