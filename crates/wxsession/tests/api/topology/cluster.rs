//! Redis Cluster (3 masters, 3 replicas) and Sentinel (1 master, 1 replica, 3 sentinels) on
//! loopback: the API on a cluster, sessions on every master, and failovers the service rides
//! through without a restart. The store conformance suite starts its own (`store::topologies`).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wxsession::settings::Mode;

use crate::helpers::{Env, RedisHandle, RedisServer, free_port, spawn_on};

fn redis_cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .arg("-p")
        .arg(port.to_string())
        .args(args)
        .output()
        .expect("redis-cli runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A six-node cluster on loopback, stopped on drop (each node is a `RedisServer`).
pub struct RedisCluster {
    pub nodes: Vec<RedisServer>,
}

impl RedisCluster {
    pub fn start() -> Self {
        let nodes: Vec<RedisServer> = (0..6)
            .map(|_| {
                RedisServer::start_with(&[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "1000",
                ])
            })
            .collect();
        let addrs: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let out = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addrs)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("redis-cli --cluster create");
        assert!(out.success(), "cluster create failed");
        let cluster = Self { nodes };
        let deadline = Instant::now() + Duration::from_secs(20);
        assert!(
            crate::helpers::wait_until(deadline - Instant::now(), || cluster
                .nodes
                .iter()
                .all(|n| redis_cli(n.port, &["cluster", "info"]).contains("cluster_state:ok"))),
            "cluster did not become ok"
        );
        // Every replica has finished its first sync: only then can it be promoted.
        assert!(
            crate::helpers::wait_until(deadline - Instant::now(), || cluster.nodes.iter().all(
                |n| {
                    let info = redis_cli(n.port, &["info", "replication"]);
                    info.contains("role:master") || info.contains("master_link_status:up")
                }
            )),
            "replicas did not sync"
        );
        cluster
    }

    pub fn urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| format!("redis://127.0.0.1:{}", n.port))
            .collect()
    }

    /// Ports of the nodes that are masters right now (by their own account).
    pub fn master_ports(&self) -> Vec<u16> {
        self.nodes
            .iter()
            .filter(|n| redis_cli(n.port, &["role"]).starts_with("master"))
            .map(|n| n.port)
            .collect()
    }

    /// The node serving `key`'s slot as master.
    pub fn master_of(&self, key: &str) -> &RedisServer {
        let slot: u16 = redis_cli(self.nodes[0].port, &["cluster", "keyslot", key])
            .trim()
            .parse()
            .expect("slot");
        let table = redis_cli(self.nodes[0].port, &["cluster", "nodes"]);
        let port = table
            .lines()
            .filter(|l| l.contains("master") && !l.contains("fail"))
            .find_map(|l| {
                let fields: Vec<&str> = l.split_whitespace().collect();
                let owns = fields.iter().skip(8).any(|range| {
                    let (a, b) = range.split_once('-').unwrap_or((range, range));
                    matches!((a.parse::<u16>(), b.parse::<u16>()), (Ok(a), Ok(b)) if a <= slot && slot <= b)
                });
                let addr = fields.get(1)?.split('@').next()?;
                owns.then(|| addr.rsplit(':').next()?.parse::<u16>().ok())?
            })
            .expect("a master owns the slot");
        self.nodes.iter().find(|n| n.port == port).expect("node")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_on_a_cluster_spreads_sessions_and_survives_a_master_failover() {
    let cluster = RedisCluster::start();
    let urls = cluster.urls();
    let env = Env::with_redis(RedisHandle::Shared(urls[0].clone()));
    let on_cluster = |s: &mut wxsession::settings::Settings| {
        s.store.mode = Mode::Cluster;
        s.store.urls = urls.clone();
        s.store.timeout_ms = 1000;
    };
    let a = spawn_on(env.clone(), on_cluster).await;
    let b = spawn_on(env.clone(), on_cluster).await;

    // The seed flow across two replicas, and sessions on every master.
    let mut tokens = Vec::new();
    for i in 0..30 {
        let app = if i % 2 == 0 { &a } else { &b };
        let login = app.login(&format!("c{i}")).await;
        tokens.push(login["session"].as_str().expect("t").to_owned());
    }
    for t in &tokens {
        assert_eq!(b.get("/v1/auth", Some(t)).await.status().as_u16(), 200);
    }
    let enc = a
        .sim_encrypt(
            crate::helpers::APPID,
            "c1",
            serde_json::json!({"n": 1}),
            "current",
        )
        .await;
    let res = a
        .post_json("/v1/sessions/current/decrypt", &enc, Some(&tokens[1]))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let masters = cluster.master_ports();
    assert_eq!(masters.len(), 3);
    for port in &masters {
        let keys: u64 = redis_cli(*port, &["dbsize"])
            .trim()
            .parse()
            .expect("dbsize");
        assert!(keys > 0, "master {port} holds no session keys");
    }
    let openid = wechat_mock::openid_for(crate::helpers::APPID, "c0");
    let res = a
        .delete(
            &format!(
                "/v1/admin/apps/{}/users/{openid}/sessions",
                crate::helpers::APPID
            ),
            Some(crate::helpers::ADMIN_TOKEN),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        b.get("/v1/auth", Some(&tokens[0])).await.status().as_u16(),
        401
    );

    // Kill the master that holds a live session's key; the replica takes over.
    let token = tokens[3].clone();
    let id = wxsession::domain::token::Token::parse(&token)
        .expect("token")
        .id();
    let key = format!("{}:s:{}", env.prefix, id.as_str());
    let victim = cluster.master_of(&key);
    victim.stop();
    let killed = Instant::now();
    let back = b.auth_becomes(&token, 200, Duration::from_secs(30)).await;
    assert!(back, "the session is served again after the failover");
    println!(
        "cluster failover: token valid again {:?} after SIGKILL of its master",
        killed.elapsed()
    );
    a.login("after-failover").await;
}

/// A process killed on drop.
pub struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A sentinel watching the master on `master_port` as `wxs`, its config in `dir`.
pub fn sentinel(dir: &std::path::Path, master_port: u16) -> (Proc, u16) {
    let port = free_port();
    let conf = dir.join(format!("sentinel-{port}.conf"));
    std::fs::write(
        &conf,
        format!(
            "port {port}\nbind 127.0.0.1\ndir {}\nsentinel monitor wxs 127.0.0.1 {master_port} 2\n\
             sentinel down-after-milliseconds wxs 1000\nsentinel failover-timeout wxs 5000\n\
             sentinel parallel-syncs wxs 1\n",
            dir.display()
        ),
    )
    .expect("sentinel conf");
    let child = Command::new("redis-server")
        .arg(&conf)
        .arg("--sentinel")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sentinel starts");
    assert!(
        crate::helpers::port_opens(port, Duration::from_secs(10)),
        "sentinel did not start"
    );
    (Proc(child), port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_failover_is_followed_without_a_restart() {
    let master = RedisServer::start();
    let replica = RedisServer::start_with(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    let dir = tempfile::tempdir().expect("dir");
    let sentinels: Vec<(Proc, u16)> = (0..3).map(|_| sentinel(dir.path(), master.port)).collect();
    let urls: Vec<String> = sentinels
        .iter()
        .map(|(_, p)| format!("redis://127.0.0.1:{p}"))
        .collect();
    // Replication is up before the test starts.
    let deadline = Instant::now() + Duration::from_secs(10);
    assert!(
        crate::helpers::wait_until(deadline - Instant::now(), || redis_cli(
            replica.port,
            &["info", "replication"]
        )
        .contains("master_link_status:up")),
        "replica did not sync"
    );
    let master_port = master.port;
    let env = Env::with_redis(RedisHandle::Owned(master));
    let app = spawn_on(env.clone(), |s| {
        s.store.mode = Mode::Sentinel;
        s.store.sentinels = urls.clone();
        s.store.master_name = Some("wxs".into());
        s.store.url = "redis://127.0.0.1/0".into();
    })
    .await;
    let token = app.token("sen").await;
    assert_eq!(
        app.get("/v1/auth", Some(&token)).await.status().as_u16(),
        200
    );
    // The write reached the replica before the master dies.
    let _ = redis_cli(master_port, &["wait", "1", "2000"]);

    let RedisHandle::Owned(master) = &app.env.redis else {
        panic!("owned master");
    };
    master.stop();
    let killed = Instant::now();
    let back = app.auth_becomes(&token, 200, Duration::from_secs(30)).await;
    assert!(back, "wxsession follows the promotion");
    println!(
        "sentinel failover: serving again {:?} after SIGKILL of the master",
        killed.elapsed()
    );
    assert!(redis_cli(replica.port, &["role"]).starts_with("master"));
    app.login("sen").await;
    drop(sentinels);
}
