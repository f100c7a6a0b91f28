//! What a connection may hold: every request head, the first or a later one on a keep-alive
//! connection, within `server.request_read_timeout_ms`; an idle keep-alive connection for
//! `server.keep_alive_secs`. Raw sockets, so nothing between the test and the server pools or
//! retries.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, spawn_app_with};

const REQUEST: &[u8] = b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n";

/// Connects and completes one request, reading its whole response (the connection stays open).
async fn after_one_request(app: &TestApp) -> TcpStream {
    let addr = app.address.trim_start_matches("http://");
    let mut conn = TcpStream::connect(addr).await.expect("connects");
    conn.write_all(REQUEST).await.expect("request");
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let n = conn.read(&mut buf).await.expect("reads");
            assert!(n > 0, "closed before the response");
            got.extend_from_slice(buf.get(..n).expect("in bounds"));
            if complete_response(&got) {
                return;
            }
        }
    });
    read.await.expect("the first response arrives");
    assert!(got.starts_with(b"HTTP/1.1 200"), "{got:?}");
    conn
}

/// Whether `got` holds a whole response head and its `content-length` body.
fn complete_response(got: &[u8]) -> bool {
    let text = String::from_utf8_lossy(got);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_owned())
        })
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    body.len() >= length
}

/// Reads until the server closes the connection, at most `limit`; the bytes and when it closed.
async fn until_closed(conn: &mut TcpStream, limit: Duration) -> Option<(Vec<u8>, Instant)> {
    let mut out = Vec::new();
    // A reset after the server's answer is a close too: only the timeout is "still open".
    let _read = tokio::time::timeout(limit, conn.read_to_end(&mut out))
        .await
        .ok()?;
    Some((out, Instant::now()))
}

/// M2: after one complete request, a partial second head is cut off at the read deadline
/// (408), not held for ever.
#[tokio::test]
async fn a_later_partial_head_is_closed_at_the_read_deadline() {
    let app = spawn_app_with(|s| {
        s.server.request_read_timeout_ms = 500;
        s.server.keep_alive_secs = 30;
    })
    .await;
    let mut conn = after_one_request(&app).await;
    let started = Instant::now();
    conn.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-slow: ")
        .await
        .expect("partial head");
    let (answer, closed) = until_closed(&mut conn, Duration::from_secs(6))
        .await
        .expect("the server closes the connection");
    let held = closed - started;
    assert!(held >= Duration::from_millis(450), "closed after {held:?}");
    assert!(held < Duration::from_secs(3), "closed after {held:?}");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

/// M2: the deadline counts from a head's first byte, not from the last one: trickling a byte
/// every 100 ms buys nothing.
#[tokio::test]
async fn a_trickled_later_head_is_closed_at_the_read_deadline() {
    let app = spawn_app_with(|s| {
        s.server.request_read_timeout_ms = 600;
        s.server.keep_alive_secs = 30;
    })
    .await;
    let conn = after_one_request(&app).await;
    let (mut read, mut write) = conn.into_split();
    let started = Instant::now();
    let trickle = tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_millis(100));
        for byte in b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-slow: "
            .iter()
            .cycle()
            .take(200)
        {
            interval.tick().await;
            if write.write_all(&[*byte]).await.is_err() {
                return;
            }
        }
    });
    let mut out = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), read.read_to_end(&mut out)).await;
    trickle.abort();
    assert!(closed.is_ok(), "the server closes the trickled connection");
    let held = started.elapsed();
    assert!(held < Duration::from_millis(2500), "closed after {held:?}");
}

/// M2: an idle keep-alive connection is closed after `server.keep_alive_secs`.
#[tokio::test]
async fn idle_keep_alive_connections_close_after_keep_alive_secs() {
    let app = spawn_app_with(|s| s.server.keep_alive_secs = 1).await;
    let mut conn = after_one_request(&app).await;
    let started = Instant::now();
    let (rest, closed) = until_closed(&mut conn, Duration::from_secs(8))
        .await
        .expect("the server closes the idle connection");
    let held = closed - started;
    assert!(rest.is_empty(), "{rest:?}");
    assert!(held >= Duration::from_millis(900), "closed after {held:?}");
    assert!(held < Duration::from_secs(3), "closed after {held:?}");
}

/// A request whose body arrives apart from its head leaves the connection idle, not inside a
/// head: it is kept for `keep_alive_secs`, not cut at the read deadline.
#[tokio::test]
async fn a_body_sent_apart_leaves_the_connection_its_keep_alive() {
    let app = spawn_app_with(|s| {
        s.server.request_read_timeout_ms = 300;
        s.server.keep_alive_secs = 5;
    })
    .await;
    let addr = app.address.trim_start_matches("http://");
    let mut conn = TcpStream::connect(addr).await.expect("connects");
    let head = "POST /v1/sessions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
                content-length: 2\r\n\r\n";
    conn.write_all(head.as_bytes()).await.expect("head");
    // Apart: the service takes the request before its body is read.
    tokio::time::sleep(Duration::from_millis(100)).await;
    conn.write_all(b"{}").await.expect("body");
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !complete_response(&got) {
        let n = conn.read(&mut buf).await.expect("reads");
        assert!(n > 0, "closed before the response");
        got.extend_from_slice(buf.get(..n).expect("in bounds"));
    }
    assert!(
        got.starts_with(b"HTTP/1.1 400"),
        "{}",
        String::from_utf8_lossy(&got)
    );
    // Idle past the read deadline, well inside the keep-alive: still open.
    tokio::time::sleep(Duration::from_millis(900)).await;
    conn.write_all(REQUEST).await.expect("the next request");
    let mut next = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(3), async {
        while !complete_response(&next) {
            let n = conn.read(&mut buf).await.expect("reads");
            assert!(n > 0, "closed before the keep-alive ran out");
            next.extend_from_slice(buf.get(..n).expect("in bounds"));
        }
    });
    read.await.expect("an answer");
    assert!(
        next.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&next)
    );
}
