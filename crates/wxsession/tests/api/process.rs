//! The real binary as a process: logs never carry secrets, SIGTERM drains in-flight requests.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{ADMIN_TOKEN, APPID, Env, SECRET, code_for, read_log, serve, sigterm};

#[tokio::test]
async fn logs_of_a_full_flow_hold_no_secret() {
    let env = Env::new();
    let mut server = serve(&env, 2);
    let http = reqwest::Client::new();
    let code = code_for("quinn");
    let login: serde_json::Value = http
        .post(format!("{}/v1/sessions", server.address))
        .json(&json!({"code": code}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let token = login["session"].as_str().expect("token").to_owned();
    let enc: serde_json::Value = http
        .post(format!("{}/__sim/encrypt", env.sim.url))
        .json(&json!({"appid": APPID, "user": "quinn", "data": {"nickName": "Quinn"}}))
        .send()
        .await
        .expect("sim")
        .json()
        .await
        .expect("json");
    let res = http
        .post(format!("{}/v1/sessions/current/decrypt", server.address))
        .bearer_auth(&token)
        .header("x-request-id", "trace-me-42")
        .json(&enc)
        .send()
        .await
        .expect("decrypt");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["x-request-id"], "trace-me-42");
    let openid = wechat_mock::openid_for(APPID, "quinn");
    let res = http
        .delete(format!(
            "{}/v1/admin/apps/{APPID}/users/{openid}/sessions",
            server.address
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("admin");
    assert_eq!(res.status().as_u16(), 200);

    let login2 = http
        .post(format!("{}/v1/sessions", server.address))
        .json(&json!({"code": code_for("quinn")}))
        .send()
        .await
        .expect("login");
    assert_eq!(login2.status().as_u16(), 201);
    let token2 = login2.json::<serde_json::Value>().await.expect("json")["session"]
        .as_str()
        .expect("token")
        .to_owned();
    // The phone number and the access_token pass through this replica too.
    let res = http
        .post(format!("{}/v1/sessions/current/phone", server.address))
        .bearer_auth(&token2)
        .json(&json!({"code": crate::helpers::phone_code_for("quinn")}))
        .send()
        .await
        .expect("phone");
    assert_eq!(res.status().as_u16(), 200);
    let phone = wechat_mock::phone_for("quinn");
    let access_token: serde_json::Value = http
        .get(format!(
            "{}/v1/admin/apps/{APPID}/access-token",
            server.address
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("access token")
        .json()
        .await
        .expect("json");
    let access_token = access_token["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    // The session_key, read straight from Redis.
    let session_key = crate::helpers::user_entry(&env.redis.url(), &env.prefix, APPID, &openid)
        .await
        .and_then(|entry| entry.keys.into_iter().next())
        .expect("k0");

    sigterm(&server.child);
    let status = server.child.wait().expect("exit");
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
    let log = read_log(&server.log);
    assert!(log.contains("trace-me-42"), "request ids are logged");
    assert!(
        log.lines().filter(|l| l.contains("\"route\"")).count() >= 4,
        "{log}"
    );
    for line in log.lines().filter(|l| l.starts_with('{')) {
        serde_json::from_str::<serde_json::Value>(line).expect("JSON log lines");
    }
    let enc_data = enc["encryptedData"].as_str().expect("data");
    for (what, needle) in [
        ("app secret", SECRET),
        ("admin token", ADMIN_TOKEN),
        ("code", code.as_str()),
        ("code nonce", code.rsplit(':').next().expect("nonce")),
        ("token", &token[4..]),
        ("session_key", session_key.as_str()),
        ("encryptedData", &enc_data[..32]),
        ("iv", enc["iv"].as_str().expect("iv")),
        ("phone number", phone.as_str()),
        ("access_token", access_token.as_str()),
    ] {
        assert!(!log.contains(needle), "{what} leaked into the log:\n{log}");
    }
}

#[tokio::test]
async fn sigterm_finishes_in_flight_logins_then_exits() {
    let env = Env::new();
    let mut server = serve(&env, 5);
    let http = reqwest::Client::new();
    let address = server.address.clone();
    let slow = tokio::spawn({
        let http = http.clone();
        let address = address.clone();
        async move {
            http.post(format!("{address}/v1/sessions"))
                .json(&json!({"code": format!("slow:1500:{}", code_for("rita"))}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    });
    // Wait until the login is in flight at the simulator.
    let deadline = Instant::now() + Duration::from_secs(5);
    while env.sim.stats().requests == 0 {
        assert!(
            Instant::now() < deadline,
            "login did not reach the simulator"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stopped_at = Instant::now();
    sigterm(&server.child);
    // New connections are refused soon after.
    let port: u16 = address
        .rsplit(':')
        .next()
        .expect("port")
        .parse()
        .expect("port");
    let mut refused = false;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "the listener closes on SIGTERM");
    assert_eq!(
        slow.await.expect("task").expect("in-flight login answered"),
        201
    );
    let status = server.child.wait().expect("exit");
    assert!(status.success(), "{status:?}");
    assert!(
        stopped_at.elapsed() < Duration::from_secs(5),
        "exited within the shutdown timeout"
    );
}

#[tokio::test]
async fn admin_actions_write_one_audit_line_each() {
    let env = Env::new();
    let mut server = serve(&env, 2);
    let http = reqwest::Client::new();
    let openid = wechat_mock::openid_for(APPID, "audited");
    let path = format!(
        "{}/v1/admin/apps/{APPID}/users/{openid}/sessions",
        server.address
    );
    for (token, status) in [(ADMIN_TOKEN, 200), ("not-the-admin-token-at-all", 403)] {
        let res = http
            .delete(&path)
            .bearer_auth(token)
            .header("x-forwarded-for", "198.51.100.77")
            .send()
            .await
            .expect("admin");
        assert_eq!(res.status().as_u16(), status);
    }
    let metrics = http
        .get(format!("{}/metrics", server.address))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for outcome in ["ok", "denied"] {
        let series = format!(
            "wxsession_admin_actions_total{{action=\"revoke_user_sessions\",outcome=\"{outcome}\"}} 1"
        );
        assert!(metrics.contains(&series), "{metrics}");
    }
    sigterm(&server.child);
    server.child.wait().expect("exit");
    let log = read_log(&server.log);
    let audits: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == "audit")
        .collect();
    assert_eq!(audits.len(), 2, "{log}");
    let [ok, denied] = &audits[..] else {
        unreachable!()
    };
    assert_eq!(ok["action"], "revoke_user_sessions");
    assert_eq!(ok["outcome"], "ok");
    assert_eq!(ok["appid"], APPID);
    assert_eq!(ok["openid"], openid.as_str());
    // The peer is not a trusted proxy: its own address, not the header's.
    assert_eq!(ok["client"], "127.0.0.1");
    let credential = ok["credential"].as_str().expect("credential id");
    assert!(
        credential.starts_with("admin:") && credential.len() == 18,
        "{credential}"
    );
    assert_eq!(denied["outcome"], "denied");
    assert!(!log.contains(ADMIN_TOKEN));
    assert!(!log.contains("not-the-admin-token-at-all"));
}

/// The resident set size of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("proc status")
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

#[tokio::test]
async fn compressed_bombs_do_not_grow_the_process() {
    use std::io::Write as _;
    let env = Env::new();
    let server = serve(&env, 2);
    let http = reqwest::Client::new();
    // Warm up the workers and the connection pool first.
    for _ in 0..8 {
        http.get(format!("{}/healthz", server.address))
            .send()
            .await
            .expect("healthz");
    }
    let before = rss_kib(server.child.id());
    // 64 MiB of spaces in a few kilobytes each; four at once, twice.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let spaces = vec![b' '; 1 << 20];
    for _ in 0..64 {
        gz.write_all(&spaces).expect("gzip");
    }
    let bomb = gz.finish().expect("gzip");
    for _ in 0..2 {
        let sends = (0..4).map(|_| {
            http.post(format!("{}/v1/sessions", server.address))
                .header("content-type", "application/json")
                .header("content-encoding", "gzip")
                .body(bomb.clone())
                .send()
        });
        for res in futures::future::join_all(sends).await {
            assert_eq!(res.expect("sent").status().as_u16(), 415);
        }
    }
    let after = rss_kib(server.child.id());
    assert!(
        after < before + 16 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
}
