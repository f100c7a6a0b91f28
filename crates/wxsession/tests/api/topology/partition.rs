//! Real partitions: Redis, then the simulator, in a network namespace of its own behind a veth
//! pair whose link is cut for 5 s under load (packets vanish; nothing refuses or resets).
//! Answers stay bounded with their documented codes, token validation does not depend on
//! WeChat, nothing needs a restart, and no code is spent twice. Needs root and `ip netns`: the
//! tests fail without, unless `WXSESSION_TEST_SKIP` names `netns`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{APPID, Env, Netns, RedisHandle, SECRET, TestApp, code_for, spawn_on};

const CUT: Duration = Duration::from_secs(5);
/// Every request that starts this long after the link comes back must succeed.
const RECOVERY: Duration = Duration::from_secs(1);

/// One answer seen by the load.
#[derive(Debug, Clone)]
struct Seen {
    /// When the request started, from the test's start.
    at: Duration,
    took: Duration,
    login: bool,
    status: u16,
    code: Option<String>,
    retry_after: bool,
}

/// Validations (and, when `logins`, a login with a fresh code every fifth request) from
/// `tasks` loops until `stop`; every answer is recorded with its start time.
struct Load {
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Codes whose login did not succeed, for a retry after the partition.
    failed_codes: Arc<Mutex<Vec<String>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    start: Instant,
}

impl Load {
    fn start(app: &Arc<TestApp>, tokens: &[String], logins: bool) -> Self {
        let load = Self {
            seen: Arc::default(),
            failed_codes: Arc::default(),
            stop: Arc::default(),
            tasks: Vec::new(),
            start: Instant::now(),
        };
        let tasks = tokens
            .iter()
            .enumerate()
            .map(|(n, token)| {
                let (app, token) = (app.clone(), token.clone());
                let (seen, failed, stop) = (
                    load.seen.clone(),
                    load.failed_codes.clone(),
                    load.stop.clone(),
                );
                let start = load.start;
                tokio::spawn(async move {
                    let mut i = 0u64;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        i += 1;
                        let login = logins && i.is_multiple_of(5);
                        let at = start.elapsed();
                        let code = code_for(&format!("part{n}"));
                        let res = if login {
                            app.post_json("/v1/sessions", &json!({ "code": code }), None)
                                .await
                        } else {
                            app.get("/v1/auth", Some(&token)).await
                        };
                        let took = start.elapsed() - at;
                        let status = res.status().as_u16();
                        let retry_after = res.headers().contains_key("retry-after");
                        let body: Value = res.json().await.unwrap_or(Value::Null);
                        if login && status != 201 {
                            failed.lock().unwrap().push(code);
                        }
                        seen.lock().unwrap().push(Seen {
                            at,
                            took,
                            login,
                            status,
                            code: body["error"]["code"].as_str().map(str::to_owned),
                            retry_after,
                        });
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                })
            })
            .collect();
        Self { tasks, ..load }
    }

    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    async fn finish(self) -> (Vec<Seen>, Vec<String>) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for task in self.tasks {
            task.await.expect("load task");
        }
        let seen = std::mem::take(&mut *self.seen.lock().unwrap());
        let failed = std::mem::take(&mut *self.failed_codes.lock().unwrap());
        (seen, failed)
    }
}

/// Counts of (login?, status, error code).
fn tally(seen: &[Seen]) -> HashMap<(bool, u16, Option<String>), usize> {
    let mut counts = HashMap::new();
    for s in seen {
        *counts
            .entry((s.login, s.status, s.code.clone()))
            .or_default() += 1;
    }
    counts
}

fn slowest(seen: &[Seen]) -> Duration {
    seen.iter().map(|s| s.took).max().unwrap_or_default()
}

/// Cuts the link after a second of load, heals it after [`CUT`], lets the load run 3 s more;
/// returns the instant of healing on the load's clock.
async fn partition(load: &Load, ns: &Netns) -> (Duration, Duration) {
    tokio::time::sleep(Duration::from_secs(1)).await;
    let cut = load.now();
    ns.cut();
    tokio::time::sleep(CUT).await;
    ns.heal();
    let healed = load.now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    (cut, healed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_partition_is_bounded_and_heals_without_restart() {
    let Some(ns) = Netns::create() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let peer = ns.peer_ip.to_string();
    ns.spawn(
        "redis-server",
        &[
            "--port",
            "6379",
            "--bind",
            &peer,
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
            "--dir",
            dir.path().to_str().expect("utf-8 temp dir"),
        ],
    );
    assert!(ns.port_opens(6379, Duration::from_secs(10)), "redis starts");
    let env = Env::with_redis(RedisHandle::Shared(format!("redis://{peer}:6379/0")));
    let app = Arc::new(spawn_on(env, |_| {}).await);
    let mut tokens = Vec::new();
    for user in ["p0", "p1", "p2", "p3"] {
        tokens.push(app.token(user).await);
    }

    let load = Load::start(&app, &tokens, true);
    let (cut, healed) = partition(&load, &ns).await;
    let (seen, _) = load.finish().await;

    let counts = tally(&seen);
    println!(
        "redis partition: {} requests, slowest {:?}, answers {counts:?}",
        seen.len(),
        slowest(&seen)
    );
    for s in &seen {
        let ok = matches!((s.login, s.status), (false, 200) | (true, 201));
        let unavailable =
            s.status == 503 && s.retry_after && s.code.as_deref() == Some("store_unavailable");
        assert!(ok || unavailable, "unexpected answer {s:?}");
        // Bounded by store.timeout_ms (500 ms here) per round trip, never a hang.
        assert!(s.took < Duration::from_millis(1600), "too slow: {s:?}");
        if s.at >= healed + RECOVERY {
            assert!(
                ok,
                "still failing {:?} after the link came back: {s:?}",
                s.at - healed
            );
        }
        if s.at + s.took < cut {
            assert!(ok, "failed before the cut: {s:?}");
        }
    }
    let during = seen
        .iter()
        .filter(|s| s.at >= cut + Duration::from_secs(1) && s.at + s.took <= healed);
    assert!(
        during.clone().count() > 0 && during.clone().all(|s| s.status == 503),
        "the partition was real: every answer during the cut is a 503"
    );
    assert!(
        seen.iter()
            .any(|s| s.at >= healed + RECOVERY && s.login && s.status == 201),
        "logins work again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wechat_partition_leaves_validation_alone_and_spends_no_code_twice() {
    let Some(ns) = Netns::create() else { return };
    let bind = format!("{}:8081", ns.peer_ip);
    let app_spec = format!("{APPID}={SECRET}");
    ns.spawn(
        env!("CARGO_BIN_EXE_wxsession"),
        &["mock-wechat", "--bind", &bind, "--app", &app_spec],
    );
    assert!(
        ns.port_opens(8081, Duration::from_secs(10)),
        "simulator starts"
    );
    let sim = format!("http://{bind}");
    let app = Arc::new(
        spawn_on(Env::new(), |s| {
            s.wechat.api_base = sim.clone();
        })
        .await,
    );
    let mut tokens = Vec::new();
    for user in ["w0", "w1", "w2", "w3"] {
        tokens.push(app.token(user).await);
    }
    let stats = || async {
        let body: Value = app
            .http
            .get(format!("{sim}/__sim/stats"))
            .send()
            .await
            .expect("simulator answers")
            .json()
            .await
            .expect("stats");
        body
    };
    let before = stats().await;

    let load = Load::start(&app, &tokens, true);
    let (cut, healed) = partition(&load, &ns).await;
    let (seen, failed_codes) = load.finish().await;

    let counts = tally(&seen);
    println!(
        "wechat partition: {} requests, slowest {:?}, answers {counts:?}",
        seen.len(),
        slowest(&seen)
    );
    let mut created = 0u64;
    for s in seen.iter().filter(|s| s.took > Duration::from_millis(1200)) {
        println!("slow: {s:?} (cut at {cut:?}, healed at {healed:?})");
    }
    for s in &seen {
        if !s.login {
            assert_eq!(s.status, 200, "validation does not depend on WeChat: {s:?}");
            continue;
        }
        let failed = match (s.status, s.code.as_deref()) {
            (201, _) => {
                created += 1;
                false
            }
            (504, Some("wechat_timeout")) | (503, Some("wechat_unavailable")) => true,
            _ => panic!("unexpected login answer {s:?}"),
        };
        if failed {
            assert!(s.retry_after, "Retry-After on {s:?}");
        }
        // Bounded by wechat.timeout_ms (1 s here) and the connect timeout; never a hang.
        assert!(s.took < Duration::from_millis(2500), "too slow: {s:?}");
        if s.at >= healed + RECOVERY {
            assert!(
                !failed,
                "still failing {:?} after the link came back: {s:?}",
                s.at - healed
            );
        }
        if s.at + s.took < cut {
            assert!(!failed, "failed before the cut: {s:?}");
        }
    }
    assert!(!failed_codes.is_empty(), "the partition was real");

    // The user retries each failed code once the link is back: either the code was never
    // spent (a session now), or WeChat spent it on a request whose answer the partition lost
    // (`code_used`, the mini-program calls wx.login again). Never two sessions from one code.
    let mut retried_ok = 0u64;
    let mut lost = 0u64;
    for code in &failed_codes {
        let res = app
            .post_json("/v1/sessions", &json!({ "code": code }), None)
            .await;
        match res.status().as_u16() {
            201 => retried_ok += 1,
            401 => {
                let err: Value = res.json().await.expect("error body");
                assert_eq!(err["error"]["code"], "code_used", "{err}");
                lost += 1;
            }
            other => panic!("retry of a failed code answered {other}"),
        }
    }
    let after = stats().await;
    let exchanges = after["exchanges"].as_u64().unwrap() - before["exchanges"].as_u64().unwrap();
    println!(
        "wechat partition: {created} logins during the run, {} failed codes retried: {retried_ok} \
         ok, {lost} lost to the partition; {exchanges} exchanges at the simulator",
        failed_codes.len()
    );
    // Every exchange WeChat made is one session, or one answer the partition swallowed.
    assert_eq!(exchanges, created + retried_ok + lost);
    // And WeChat saw at most one request per login attempt: a code whose request may have
    // left is never sent again by the service itself.
    let attempts = seen.iter().filter(|s| s.login).count() + failed_codes.len();
    let requests = after["requests"].as_u64().unwrap() - before["requests"].as_u64().unwrap();
    assert!(
        requests <= attempts as u64,
        "{requests} upstream requests for {attempts} attempts"
    );
}
