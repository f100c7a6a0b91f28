//! One client shared by several runtimes, as actix-web shares it between its workers (one
//! single-threaded runtime each): a runtime that stops must not take another runtime's WeChat
//! call with it.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

use secrecy::SecretString;
use tokio::sync::oneshot;
use wechat_client::{Client, ClientConfig};

const APPID: &str = "wx1234567890abcdef";
const DEADLINE: Duration = Duration::from_secs(10);

/// Reads one request head (these are GETs: no body) and returns its request line.
fn read_request(reader: &mut BufReader<TcpStream>) -> String {
    let mut first = String::new();
    reader.read_line(&mut first).expect("request line");
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).expect("header line");
        if n == 0 || line == "\r\n" {
            return first;
        }
    }
}

fn answer(stream: &mut TcpStream, openid: &str) -> std::io::Result<()> {
    let body = format!(r#"{{"openid":"{openid}","session_key":"AAAAAAAAAAAAAAAAAAAAAA=="}}"#);
    write!(
        stream,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// An upstream of exactly one keep-alive connection: the listener closes after the first
/// accept, so every request after the first must travel on the connection the first one
/// opened. The first request is answered at once; the second is reported as arrived (from then
/// on its code is spent) and answered only when released.
fn one_connection_upstream(
    arrived: oneshot::Sender<String>,
    release: mpsc::Receiver<()>,
) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let thread = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        drop(listener);
        let mut writer = stream.try_clone().expect("clone");
        let mut reader = BufReader::new(stream);
        read_request(&mut reader);
        answer(&mut writer, "oFirst").expect("first answer");
        let line = read_request(&mut reader);
        let _ = arrived.send(line);
        release.recv_timeout(DEADLINE).expect("released");
        // Before the fix the connection is gone by now: the answer has nowhere to go.
        let _ = answer(&mut writer, "oSecond");
    });
    (url, thread)
}

/// The race of a rolling restart, made deterministic: runtime A (a worker) opens the pooled
/// connection; a login on runtime B (another worker) sends its code on that connection; A's
/// runtime stops (the worker had nothing left in flight) while WeChat holds the answer. The
/// login must still get its answer: the code is spent, a retry would earn `code_used`.
#[tokio::test]
async fn a_call_survives_the_runtime_that_opened_its_connection() {
    let (arrived_tx, arrived) = oneshot::channel();
    let (release, release_rx) = mpsc::channel();
    let (url, upstream) = one_connection_upstream(arrived_tx, release_rx);
    let client = Client::new(ClientConfig {
        base_url: url,
        backoff: Duration::from_millis(20),
        retries: 5,
        allow_http: true,
        ..ClientConfig::default()
    })
    .expect("client builds");
    let secret = SecretString::from("s3cr3t");

    // Worker A: its runtime opens the connection, then idles until stopped.
    let (opened_tx, opened) = oneshot::channel();
    let (stop_a, stop_a_rx) = oneshot::channel::<()>();
    let worker_a = std::thread::spawn({
        let client = client.clone();
        let secret = secret.clone();
        move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime A");
            runtime.block_on(async {
                let first = client.code2session(APPID, &secret, "code-a").await;
                let _ = opened_tx.send(first.map(|s| s.openid));
                let _ = stop_a_rx.await;
            });
            // Worker A's runtime stops here, with every task spawned on it.
        }
    });
    let first = tokio::time::timeout(DEADLINE, opened)
        .await
        .expect("worker A's call in time")
        .expect("worker A reports");
    assert_eq!(first.expect("worker A's login"), "oFirst");

    // Worker B (this runtime): a login whose code reaches WeChat on the pooled connection.
    let login = tokio::spawn({
        let client = client.clone();
        async move { client.code2session(APPID, &secret, "code-b").await }
    });
    let line = tokio::time::timeout(DEADLINE, arrived)
        .await
        .expect("worker B's code reached the upstream on the pooled connection")
        .expect("upstream reports");
    assert!(line.contains("js_code=code-b"), "{line}");

    // Worker A stops while WeChat still holds the answer; then WeChat answers.
    stop_a.send(()).expect("worker A is idle");
    tokio::task::spawn_blocking(move || worker_a.join())
        .await
        .expect("join")
        .expect("worker A stopped");
    release.send(()).expect("upstream waits");

    let second = tokio::time::timeout(DEADLINE, login)
        .await
        .expect("worker B's login answered in time")
        .expect("task");
    assert_eq!(
        second
            .expect("the login survives worker A's runtime")
            .openid,
        "oSecond"
    );
    upstream.join().expect("upstream thread");
}
