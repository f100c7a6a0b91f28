//! A Redis Cluster of six `RedisServer`s on loopback (3 masters, 3 replicas), `redis-cli` to
//! look at it, and its state in one string for failure messages.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{RedisServer, free_port, prereq, wait_until};

/// `redis-cli -p port args…`'s standard output (empty when the node does not answer).
pub fn redis_cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .arg("-p")
        .arg(port.to_string())
        .args(args)
        .output()
        .expect("redis-cli runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether `redis-cli` runs here; when it does not, the test needing it for `prerequisite`
/// fails, or is skipped when `WXSESSION_TEST_SKIP` names it.
pub fn redis_cli_runs(prerequisite: &str) -> bool {
    match Command::new("redis-cli").arg("--version").output() {
        Ok(out) if out.status.success() => true,
        Ok(out) => {
            prereq::missing(
                prerequisite,
                &format!("redis-cli --version: {}", out.status),
            );
            false
        }
        Err(err) => {
            prereq::missing(prerequisite, &format!("redis-cli cannot run: {err}"));
            false
        }
    }
}

/// A cluster node with its bus on a free port of its own. Redis' default bus port, the node's
/// port + 10000, lies in the range where the kernel hands out ports to other sockets (other
/// tests' servers and connections): it was sometimes taken, and the node did not start
/// ("Address already in use"). A port taken between our pick and Redis' bind is picked again.
fn start_node() -> RedisServer {
    let mut last = String::new();
    for _ in 0..5 {
        let bus = free_port().to_string();
        match RedisServer::try_start_with(&[
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            "1000",
            "--cluster-port",
            &bus,
        ]) {
            Ok(node) => return node,
            Err(why) if why.contains("Address already in use") => last = why,
            Err(why) => panic!("{why}"),
        }
    }
    panic!("no free ports for a cluster node after 5 tries: {last}")
}

/// A six-node cluster on loopback, stopped on drop (each node is a `RedisServer`).
pub struct RedisCluster {
    pub nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// A cluster whose replicas have all synced; `None` when `redis-cli` is missing and
    /// `WXSESSION_TEST_SKIP` names `cluster`.
    pub fn start() -> Option<Self> {
        if !redis_cli_runs("cluster") {
            return None;
        }
        let nodes: Vec<RedisServer> = (0..6).map(|_| start_node()).collect();
        let addrs: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let out = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addrs)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .expect("redis-cli --cluster create");
        assert!(
            out.status.success(),
            "cluster create failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let cluster = Self { nodes };
        let deadline = Instant::now() + Duration::from_secs(20);
        let left = || deadline.saturating_duration_since(Instant::now());
        assert!(
            wait_until(left(), || cluster.nodes.iter().all(|n| redis_cli(
                n.port,
                &["cluster", "info"]
            )
            .contains("cluster_state:ok"))),
            "cluster did not become ok: {}",
            cluster.state()
        );
        // Every replica has finished its first sync: only then can it be promoted.
        assert!(
            wait_until(left(), || cluster.nodes.iter().all(|n| {
                let info = redis_cli(n.port, &["info", "replication"]);
                info.contains("role:master") || info.contains("master_link_status:up")
            })),
            "replicas did not sync: {}",
            cluster.state()
        );
        Some(cluster)
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

    /// The node serving `key`'s slot as master, by the account of a node that answers.
    pub fn master_of(&self, key: &str) -> &RedisServer {
        let table = self.nodes_table();
        let slot: u16 = self
            .nodes
            .iter()
            .find_map(|n| {
                redis_cli(n.port, &["cluster", "keyslot", key])
                    .trim()
                    .parse()
                    .ok()
            })
            .expect("a node answers CLUSTER KEYSLOT");
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
            .unwrap_or_else(|| panic!("a master owns slot {slot}: {table}"));
        self.nodes
            .iter()
            .find(|n| n.port == port)
            .expect("the master is one of the nodes")
    }

    /// `CLUSTER NODES` as the first node that answers sees it.
    fn nodes_table(&self) -> String {
        self.nodes
            .iter()
            .map(|n| redis_cli(n.port, &["cluster", "nodes"]))
            .find(|t| !t.trim().is_empty())
            .unwrap_or_default()
    }

    /// Every node's role and `cluster_state`, and the slot table, for a failure message.
    pub fn state(&self) -> String {
        let mut out = String::from("\n");
        for n in &self.nodes {
            let role = redis_cli(n.port, &["role"]);
            let state = redis_cli(n.port, &["cluster", "info"])
                .lines()
                .find(|l| l.starts_with("cluster_state:"))
                .unwrap_or("no answer")
                .trim()
                .to_owned();
            let role = role.lines().next().unwrap_or("down");
            out.push_str(&format!("  node {}: {role}, {state}\n", n.port));
        }
        out.push_str(&self.nodes_table());
        out
    }
}
