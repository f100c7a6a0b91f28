//! The contract of the local validation cache (SPEC §18), under load: three replicas (processes)
//! on one Redis; two validate many tokens as fast as they can while the third revokes some of
//! them (logout, an admin's log-out-everywhere of a user, of a person across apps). Every `200`
//! for a revoked token whose request *started* more than 10 ms after the revoke's answer was
//! received is a failure — on the replica that revoked, any `200` after it. Also with the feeds'
//! connections killed mid-run, and across a Sentinel failover. Prints the propagation delay's
//! distribution: per revoke and validating replica, from the revoke's answer to the start of
//! the first request that saw it (an upper bound; that request is sent at once).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{
    ADMIN_TOKEN, APPID, Env, RedisHandle, RedisServer, Serve, code_for, connect, redis_cli,
    redis_cli_runs, serve_store,
};
use crate::topology::sentinel::sentinel;

/// The bound: a request that starts later than this after the revoke's answer must not pass.
const BOUND: Duration = Duration::from_millis(10);
const USERS: usize = 120;
const LOADERS_PER_REPLICA: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum How {
    Logout,
    User,
    Person,
}

struct Fleet {
    /// Validating replicas, then the revoking one.
    replicas: Vec<Serve>,
    http: reqwest::Client,
}

/// One user's session and how it will be revoked.
#[derive(Clone)]
struct Session {
    user: String,
    token: String,
    how: Option<How>,
}

/// Every validation: the token's index, the replica, when it started, its status.
type Log = Arc<Mutex<Vec<(usize, usize, Instant, u16)>>>;

impl Fleet {
    fn start(env: &Env, store_lines: &str) -> Arc<Self> {
        let replicas = (0..3)
            .map(|_| serve_store(env, 1, false, store_lines, ""))
            .collect();
        Arc::new(Self {
            replicas,
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(64)
                .build()
                .expect("client"),
        })
    }

    fn url(&self, replica: usize, path: &str) -> String {
        format!("{}{path}", self.replicas[replica].address)
    }

    async fn auth(&self, replica: usize, token: &str) -> u16 {
        match self
            .http
            .get(self.url(replica, "/v1/auth"))
            .bearer_auth(token)
            .send()
            .await
        {
            Ok(res) => res.status().as_u16(),
            Err(_) => 0,
        }
    }

    async fn login(&self, user: &str) -> String {
        let res = self
            .http
            .post(self.url(2, "/v1/sessions"))
            .json(&json!({ "code": code_for(user) }))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status().as_u16(), 201, "login of {user}");
        let body: serde_json::Value = res.json().await.expect("json");
        body["session"].as_str().expect("token").to_owned()
    }

    /// How many validations `replica` answered from memory.
    async fn hits(&self, replica: usize) -> f64 {
        let text = match self.http.get(self.url(replica, "/metrics")).send().await {
            Ok(res) => res.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        text.lines()
            .find_map(|l| {
                l.strip_prefix("wxsession_session_cache_lookups_total{result=\"hit\"} ")?
                    .parse()
                    .ok()
            })
            .unwrap_or(0.0)
    }

    /// Revokes on the third replica; the status.
    async fn revoke(&self, s: &Session) -> u16 {
        let req = match s.how {
            Some(How::Logout) => self
                .http
                .delete(self.url(2, "/v1/sessions/current"))
                .bearer_auth(&s.token),
            Some(How::User) => {
                let openid = wechat_mock::openid_for(APPID, &s.user);
                let path = format!("/v1/admin/apps/{APPID}/users/{openid}/sessions");
                self.http
                    .delete(self.url(2, &path))
                    .bearer_auth(ADMIN_TOKEN)
            }
            Some(How::Person) => {
                let unionid = wechat_mock::unionid_for(&s.user).expect("a unionid");
                let path = format!("/v1/admin/unions/{unionid}/sessions");
                self.http
                    .delete(self.url(2, &path))
                    .bearer_auth(ADMIN_TOKEN)
            }
            None => unreachable!("only revoked sessions are revoked"),
        };
        req.send().await.map_or(0, |r| r.status().as_u16())
    }
}

/// What a run saw.
#[derive(Default)]
struct Report {
    revoked: usize,
    validations: usize,
    /// `200`s that started past the bound after their revoke (must be none).
    stale: Vec<String>,
    /// `200`s inside the bound.
    inside: usize,
    /// Propagation delays (µs), validating replicas.
    delays: Vec<u128>,
    /// Validations the two validating replicas answered from memory.
    hits: f64,
}

impl Report {
    fn print(&self, name: &str) {
        let mut d = self.delays.clone();
        d.sort_unstable();
        let at = |q: f64| {
            d.get(((d.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or(0)
        };
        println!(
            "staleness [{name}]: {} revokes, {} validations; stale 200s past {} ms: {}; 200s inside it: {}; \
             propagation (µs, {} samples): p50 {} p99 {} max {}; answered from memory: {}",
            self.revoked,
            self.validations,
            BOUND.as_millis(),
            self.stale.len(),
            self.inside,
            d.len(),
            at(0.5),
            at(0.99),
            d.last().copied().unwrap_or(0),
            self.hits,
        );
    }
}

/// The run: logs `USERS` users in, warms both validating replicas' caches, then loads them
/// while revoking a third of the sessions on the third replica, one every few milliseconds;
/// `disturb` runs once half of the revokes are done.
async fn run<F, Fut>(fleet: &Arc<Fleet>, name: &str, disturb: F) -> Report
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut sessions = Vec::new();
    for i in 0..USERS {
        let user = format!("stale{i}-{}", uuid::Uuid::new_v4().simple());
        let how = match i % 6 {
            0 => Some(How::Logout),
            2 => Some(How::User),
            4 => Some(How::Person),
            _ => None,
        };
        let token = fleet.login(&user).await;
        sessions.push(Session { user, token, how });
    }
    let sessions = Arc::new(sessions);
    // Warm: every session in both validating replicas' caches (and the revoker's).
    for replica in 0..3 {
        for s in sessions.iter() {
            assert_eq!(fleet.auth(replica, &s.token).await, 200);
        }
    }
    let log: Log = Arc::default();
    let revoked_at: Arc<Mutex<HashMap<usize, Instant>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut loaders = Vec::new();
    for replica in 0..2 {
        for n in 0..LOADERS_PER_REPLICA {
            let (sessions, log, stop, fleet) =
                (sessions.clone(), log.clone(), stop.clone(), fleet.clone());
            loaders.push(tokio::spawn(async move {
                let mut i = n * 7 + replica;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    i = (i + 13) % sessions.len();
                    let started = Instant::now();
                    let status = fleet.auth(replica, &sessions[i].token).await;
                    log.lock().expect("log").push((i, replica, started, status));
                }
            }));
        }
    }
    let targets: Vec<usize> = (0..sessions.len())
        .filter(|i| sessions[*i].how.is_some())
        .collect();
    let half = targets.len() / 2;
    let mut disturb = Some(disturb);
    let mut probes = Vec::new();
    let mut delays = Vec::new();
    for (n, &i) in targets.iter().enumerate() {
        if n == half
            && let Some(disturb) = disturb.take()
        {
            disturb().await;
        }
        // Revoked once it was answered 2xx (a failover answers 503 for a while).
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            let status = fleet.revoke(&sessions[i]).await;
            if (200..300).contains(&status) || Instant::now() > deadline {
                break status;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!((200..300).contains(&status), "revoke answered {status}");
        let at = Instant::now();
        revoked_at.lock().expect("revoked").insert(i, at);
        // Probes: each replica asks at once (the three requests start together, here), then
        // again until it sees the revoke.
        let token = &sessions[i].token;
        let first = futures::future::join_all((0..3).map(|replica| async move {
            let started = Instant::now();
            (replica, started, fleet.auth(replica, token).await)
        }))
        .await;
        for (replica, started, status) in first {
            log.lock().expect("log").push((i, replica, started, status));
            if status == 401 {
                delays.push((replica, started.duration_since(at).as_micros()));
                continue;
            }
            let (sessions, log, fleet) = (sessions.clone(), log.clone(), fleet.clone());
            probes.push(tokio::spawn(async move {
                let token = &sessions[i].token;
                while at.elapsed() < Duration::from_secs(5) {
                    let started = Instant::now();
                    let status = fleet.auth(replica, token).await;
                    log.lock().expect("log").push((i, replica, started, status));
                    if status == 401 {
                        return Some((replica, started.duration_since(at).as_micros()));
                    }
                }
                None
            }));
        }
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let mut report = Report {
        revoked: targets.len(),
        ..Report::default()
    };
    for probe in probes {
        match probe.await.expect("probe") {
            Some(found) => delays.push(found),
            None => report
                .stale
                .push("a replica never saw a revoke (5 s)".into()),
        }
    }
    report.delays = delays
        .into_iter()
        .filter(|(replica, _)| *replica < 2)
        .map(|(_, d)| d)
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for loader in loaders {
        loader.await.expect("loader");
    }
    for replica in 0..2 {
        report.hits += fleet.hits(replica).await;
    }
    let revoked_at = revoked_at.lock().expect("revoked");
    let log = log.lock().expect("log");
    report.validations = log.len();
    for &(i, replica, started, status) in log.iter() {
        let (Some(&at), 200) = (revoked_at.get(&i), status) else {
            continue;
        };
        // A person's or user's revoke also ends that user's other sessions: each user has one.
        let bound = if replica == 2 { Duration::ZERO } else { BOUND };
        if started > at + bound {
            report.stale.push(format!(
                "replica {replica}: 200 for a session revoked {:?} before the request ({:?})",
                started.duration_since(at),
                sessions[i].how
            ));
        } else if started > at {
            report.inside += 1;
        }
    }
    report.print(name);
    report
}

fn assert_clean(report: &Report) {
    assert!(report.hits > 1000.0, "the caches answered: {}", report.hits);
    assert!(
        report.stale.is_empty(),
        "{} stale answers: {:#?}",
        report.stale.len(),
        &report.stale[..report.stale.len().min(10)]
    );
    assert!(report.validations > 1000, "load: {}", report.validations);
}

/// The ids of the change-feed connections of `prefix` on the Redis at `url`.
async fn feeds(url: &str, prefix: &str) -> Vec<String> {
    let mut redis = connect(url).await;
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(&mut redis)
        .await
        .expect("client list");
    let name = format!(" name=wxsession-feed:{prefix} ");
    let ids: Vec<String> = list
        .lines()
        .filter(|l| l.contains(&name))
        .filter_map(|l| l.strip_prefix("id=")?.split(' ').next().map(str::to_owned))
        .collect();
    ids
}

/// Waits until each of the three replicas has its change feed on the Redis at `url`.
async fn all_feeds_up(url: &str, prefix: &str) {
    let up = crate::helpers::eventually(Duration::from_secs(15), || async {
        feeds(url, prefix).await.len() == 3
    })
    .await;
    assert!(up, "three change feeds on {url}");
}

/// Kills every change-feed connection of `prefix` on the Redis at `url`; how many.
async fn kill_feeds(url: &str, prefix: &str) -> usize {
    let ids = feeds(url, prefix).await;
    let mut redis = connect(url).await;
    for id in &ids {
        let _: redis::RedisResult<()> = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("ID")
            .arg(id)
            .query_async(&mut redis)
            .await;
    }
    ids.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_stale_validation_past_10_ms_under_load() {
    let env = Env::new();
    let fleet = Fleet::start(&env, "");
    all_feeds_up(&env.redis.url(), &env.prefix).await;
    let report = run(&fleet, "steady", || async {}).await;
    assert_clean(&report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_stale_validation_when_the_feeds_are_killed_mid_run() {
    let env = Env::new();
    let fleet = Fleet::start(&env, "");
    let (url, prefix) = (env.redis.url(), env.prefix.clone());
    all_feeds_up(&url, &prefix).await;
    let report = run(&fleet, "feeds killed", || async move {
        let killed = kill_feeds(&url, &prefix).await;
        assert_eq!(killed, 3, "one feed per replica");
    })
    .await;
    assert_clean(&report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_stale_validation_across_a_sentinel_failover() {
    if !redis_cli_runs("staleness across a sentinel failover") {
        return;
    }
    let master = RedisServer::start();
    let replica = RedisServer::start_with(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    let dir = tempfile::tempdir().expect("dir");
    let sentinels: Vec<_> = (0..3).map(|_| sentinel(dir.path(), master.port)).collect();
    let urls: Vec<String> = sentinels
        .iter()
        .map(|(_, p)| format!("\"redis://127.0.0.1:{p}\""))
        .collect();
    assert!(
        crate::helpers::wait_until(Duration::from_secs(10), || redis_cli(
            replica.port,
            &["info", "replication"]
        )
        .contains("master_link_status:up")),
        "replica did not sync"
    );
    let master_port = master.port;
    let env = Env::with_redis(RedisHandle::Owned(master));
    let store = format!(
        "mode = \"sentinel\"\nsentinels = [{}]\nmaster_name = \"wxs\"",
        urls.join(", ")
    );
    let fleet = Fleet::start(&env, &store);
    all_feeds_up(&env.redis.url(), &env.prefix).await;
    let replica_port = replica.port;
    let report = run(&fleet, "sentinel failover", || async {
        // Every revoke so far has reached the replica (asynchronous replication could
        // otherwise lose one with the master: a loss of Redis, not of the cache).
        let synced = crate::helpers::wait_until(Duration::from_secs(10), || {
            let m = redis_cli(master_port, &["info", "replication"]);
            let r = redis_cli(replica_port, &["info", "replication"]);
            let offset = |text: &str, key: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(key)?.trim().parse::<u64>().ok())
            };
            offset(&m, "master_repl_offset:").is_some()
                && offset(&m, "master_repl_offset:") == offset(&r, "slave_repl_offset:")
        });
        assert!(synced, "the replica caught up");
        let RedisHandle::Owned(master) = &env.redis else {
            unreachable!("an owned master")
        };
        master.stop();
    })
    .await;
    assert_clean(&report);
    assert!(redis_cli(replica_port, &["role"]).starts_with("master"));
    // The feeds followed the promotion.
    all_feeds_up(&format!("redis://127.0.0.1:{replica_port}/0"), &env.prefix).await;
    drop(sentinels);
}
