//! How requests are read: no encoded bodies, a read deadline.

use std::io::{Read as _, Write as _};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{code_for, expect_error, spawn_app, spawn_app_with};

/// Finding 1: a gzip body is refused before anything inflates it.
#[tokio::test]
async fn compressed_request_bodies_are_refused_with_415() {
    let app = spawn_app().await;
    let body = serde_json::to_vec(&json!({ "code": code_for("gz") })).expect("json");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&body).expect("gzip");
    let gz = gz.finish().expect("gzip");
    for encoding in ["gzip", "deflate", "br", "zstd", "x-made-up"] {
        let res = app
            .http
            .post(app.url("/v1/sessions"))
            .header("content-type", "application/json")
            .header("content-encoding", encoding)
            .body(gz.clone())
            .send()
            .await
            .expect("sent");
        expect_error(res, 415, "unsupported_media_type").await;
    }
    // A bomb: 64 MiB of zeros in a few kilobytes; refused, never inflated.
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..64 {
        bomb.write_all(&zeros).expect("gzip");
    }
    let bomb = bomb.finish().expect("gzip");
    assert!(bomb.len() < 128 * 1024, "{}", bomb.len());
    let res = app
        .http
        .post(app.url("/v1/sessions"))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(bomb)
        .send()
        .await
        .expect("sent");
    expect_error(res, 415, "unsupported_media_type").await;
    // `identity` is no encoding at all.
    let res = app
        .http
        .post(app.url("/v1/sessions"))
        .header("content-type", "application/json")
        .header("content-encoding", "identity")
        .body(body)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 201);
}

/// Finding 6: a body trickled in is cut off at the read deadline with 408.
#[tokio::test]
async fn slow_bodies_get_408_at_the_read_deadline() {
    let app = spawn_app_with(|s| s.server.request_read_timeout_ms = 1000).await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let started = Instant::now();
    let answer = tokio::task::spawn_blocking(move || {
        let mut conn = std::net::TcpStream::connect(addr).expect("connects");
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        write!(
            conn,
            "POST /v1/sessions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{"
        )
        .expect("head");
        // One byte every 300 ms: never done within the deadline.
        for _ in 0..20 {
            std::thread::sleep(Duration::from_millis(300));
            if conn.write_all(b" ").is_err() {
                break;
            }
        }
        let mut out = Vec::new();
        let _ = conn.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    })
    .await
    .expect("joined");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(8));
}
