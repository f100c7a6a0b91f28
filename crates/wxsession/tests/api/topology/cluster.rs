//! Redis Cluster (3 masters, 3 replicas) on loopback: the API on a cluster, sessions on every
//! master, and a master failover the service rides through without a restart. Every failure
//! names its step and shows the cluster's state. The store conformance suite starts its own
//! (`store::topologies`).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wxsession::settings::Mode;

use crate::helpers::{
    ADMIN_TOKEN, APPID, Env, RedisCluster, RedisHandle, TestApp, code_for, redis_cli, spawn_on,
};

/// A login of `user` on `app`: its session token, or a failure naming `step`, the answer and
/// the cluster's state.
async fn login(app: &TestApp, cluster: &RedisCluster, step: &str, user: &str) -> String {
    let res = app
        .post_json("/v1/sessions", &json!({ "code": code_for(user) }), None)
        .await;
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(
        status,
        201,
        "{step}: login of {user} answered {body}; cluster:{}",
        cluster.state()
    );
    body["session"]
        .as_str()
        .expect("a session token")
        .to_owned()
}

/// Asserts that `path` on `app` answers `expected`, naming `step` and the cluster's state.
async fn expect_status(res: reqwest::Response, expected: u16, cluster: &RedisCluster, step: &str) {
    let status = res.status().as_u16();
    let body = res.text().await.unwrap_or_default();
    assert_eq!(
        status,
        expected,
        "{step}: answered {body}; cluster:{}",
        cluster.state()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_on_a_cluster_spreads_sessions_and_survives_a_master_failover() {
    let Some(cluster) = RedisCluster::start() else {
        return;
    };
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
        tokens.push(login(app, &cluster, "seed logins", &format!("c{i}")).await);
    }
    for t in &tokens {
        let res = b.get("/v1/auth", Some(t)).await;
        expect_status(res, 200, &cluster, "validation on the other replica").await;
    }
    let enc = a.sim_encrypt(APPID, "c1", json!({"n": 1}), "current").await;
    let res = a
        .post_json("/v1/sessions/current/decrypt", &enc, Some(&tokens[1]))
        .await;
    expect_status(res, 200, &cluster, "decrypt").await;
    let ready: Value = a.get("/readyz", None).await.json().await.expect("json");
    assert!(
        ready["store"]["redis_version"]
            .as_str()
            .is_some_and(|v| v.starts_with('7') || v.starts_with('8')),
        "/readyz names the masters' oldest version: {ready}"
    );
    let masters = cluster.master_ports();
    assert_eq!(masters.len(), 3, "three masters: {}", cluster.state());
    for port in &masters {
        let keys: u64 = redis_cli(*port, &["dbsize"])
            .trim()
            .parse()
            .expect("dbsize");
        assert!(keys > 0, "master {port} holds no session keys");
    }
    let openid = wechat_mock::openid_for(APPID, "c0");
    let res = a
        .delete(
            &format!("/v1/admin/apps/{APPID}/users/{openid}/sessions"),
            Some(ADMIN_TOKEN),
        )
        .await;
    expect_status(res, 200, &cluster, "log-out-everywhere").await;
    let res = b.get("/v1/auth", Some(&tokens[0])).await;
    expect_status(res, 401, &cluster, "a revoked session").await;

    // Kill the master that holds a live session's key, once its replica has acknowledged every
    // write (replication is asynchronous: a write not yet replicated dies with its master); the
    // replica takes over.
    let token = tokens[3].clone();
    let id = wxsession::domain::token::Token::parse(&token)
        .expect("token")
        .id();
    let key = format!("{}:s:{}", env.prefix, id.as_str());
    let victim = cluster.master_of(&key);
    let acked = redis_cli(victim.port, &["wait", "1", "5000"]);
    assert_eq!(
        acked.trim(),
        "1",
        "the replica of {} has every write; cluster:{}",
        victim.port,
        cluster.state()
    );
    victim.stop();
    let killed = Instant::now();
    let back = b.auth_becomes(&token, 200, Duration::from_secs(30)).await;
    assert!(
        back,
        "the session is served again after the failover (last answer {}); cluster:{}",
        b.get("/v1/auth", Some(&token)).await.status(),
        cluster.state()
    );
    println!(
        "cluster failover: token valid again {:?} after SIGKILL of its master",
        killed.elapsed()
    );
    // Replica `a` of the service was idle through the failover: its cluster client may still
    // route the dead master's slots there until it rebuilds its slot map (seen under load: one
    // 503). Until then a login answers what the README promises during a failover, `503
    // store_unavailable` with `Retry-After`, and nothing else; then logins succeed.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut refused = 0;
    loop {
        let user = format!("after-failover-{refused}");
        let res = a
            .post_json("/v1/sessions", &json!({ "code": code_for(&user) }), None)
            .await;
        if res.status().as_u16() == 201 {
            break;
        }
        let (status, retry_after) = (res.status(), res.headers().contains_key("retry-after"));
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert!(
            status == 503 && retry_after && body["error"]["code"] == "store_unavailable",
            "a login after the failover answered {status} {body}; cluster:{}",
            cluster.state()
        );
        refused += 1;
        assert!(
            Instant::now() < deadline,
            "logins on the other replica still refused 10 s after the failover; cluster:{}",
            cluster.state()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("cluster failover: {refused} login(s) refused on the idle replica before one passed");
}
