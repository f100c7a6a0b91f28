//! Redis Sentinel (1 master, 1 replica, 3 sentinels) on loopback: a failover the service follows
//! without a restart.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wxsession::settings::Mode;

use crate::helpers::{
    Env, RedisHandle, RedisServer, free_port, redis_cli, redis_cli_runs, spawn_on,
};

/// A process killed on drop.
pub(crate) struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn sentinel(dir: &std::path::Path, master_port: u16) -> (Proc, u16) {
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
    if !redis_cli_runs("sentinel") {
        return;
    }
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
