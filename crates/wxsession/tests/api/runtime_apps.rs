//! Apps at runtime: added, replaced and deleted through the admin API, served by every replica
//! within 2 s (also when a replica's connection to the change log is cut), durable or refused,
//! never a secret in a body or in Redis, metrics that do not grow with the number of apps.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_TOKEN, APPID, Env, RUNTIME_APPS, RedisHandle, RedisServer, TestApp, code_for,
    expect_error, spawn_app_with, spawn_on, with_runtime_apps,
};

const BOUND: Duration = Duration::from_secs(2);

async fn put(app: &TestApp, appid: &str, body: &Value) -> reqwest::Response {
    app.http
        .put(app.url(&format!("/v1/admin/apps/{appid}")))
        .bearer_auth(ADMIN_TOKEN)
        .json(body)
        .send()
        .await
        .expect("PUT sent")
}

/// Adds a runtime mini-program through the admin API, expecting `201`.
async fn add(app: &TestApp, appid: &str, secret: &str) {
    let status = put(app, appid, &miniprogram(secret))
        .await
        .status()
        .as_u16();
    assert_eq!(status, 201, "adding {appid}");
}

/// Cuts every client connection to the test's Redis but this one.
async fn kill_clients(redis: &mut redis::aio::MultiplexedConnection) {
    let _: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("normal")
        .arg("SKIPME")
        .arg("yes")
        .query_async(redis)
        .await
        .expect("CLIENT KILL");
}

fn miniprogram(secret: &str) -> Value {
    json!({ "kind": "miniprogram", "secret": secret })
}

async fn login_status(app: &TestApp, appid: &str, user: &str) -> (u16, Value) {
    let res = app
        .post_json(
            "/v1/sessions",
            &json!({ "appid": appid, "code": code_for(user) }),
            None,
        )
        .await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// How long until `check` holds, polled every 10 ms, at most `limit`.
async fn time_until<F, Fut>(limit: Duration, mut check: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < limit {
        if check().await {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

#[tokio::test]
async fn an_app_added_on_one_replica_logs_users_in_on_every_replica_until_deleted() {
    let env = Env::new();
    let a = spawn_on(env.clone(), with_runtime_apps).await;
    let b = spawn_on(env.clone(), with_runtime_apps).await;
    let c = spawn_on(env, with_runtime_apps).await;
    let (appid, secret) = RUNTIME_APPS[0];
    // Unknown before.
    let (status, body) = login_status(&b, appid, "ann").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("unknown_app"))
    );

    let res = put(&a, appid, &miniprogram(secret)).await;
    assert_eq!(res.status().as_u16(), 201);
    let created: Value = res.json().await.expect("body");
    assert_eq!(created["appid"], appid);
    assert_eq!(created["source"], "runtime");
    assert_eq!(created["status"], "active");
    assert_eq!(created["access_token"], "stable");
    assert!(created.get("secret").is_none(), "never a secret: {created}");
    // The replica that made it serves it at once; the others within the bound.
    assert_eq!(login_status(&a, appid, "ann").await.0, 201);
    for replica in [&b, &c] {
        let seen = time_until(BOUND, || async {
            login_status(replica, appid, "ann").await.0 == 201
        })
        .await;
        assert!(
            seen.is_some(),
            "a runtime app reaches every replica within 2 s"
        );
    }
    let (_, session) = login_status(&c, appid, "bob").await;
    let token = session["session"].as_str().expect("token").to_owned();
    assert_eq!(b.get("/v1/auth", Some(&token)).await.status().as_u16(), 200);

    // Listed and read, never with a secret; replaced whole (200).
    let listed: Value = b
        .get("/v1/admin/apps", Some(ADMIN_TOKEN))
        .await
        .json()
        .await
        .expect("list");
    let apps = listed["apps"].as_array().expect("apps");
    assert!(
        apps.iter()
            .any(|x| x["appid"] == appid && x["source"] == "runtime")
    );
    assert!(
        apps.iter()
            .any(|x| x["appid"] == APPID && x["source"] == "config")
    );
    assert!(!listed.to_string().contains(secret));
    let res = put(
        &b,
        appid,
        &json!({ "kind": "miniprogram", "secret": secret, "access_token": "classic" }),
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    let read: Value = c
        .get(&format!("/v1/admin/apps/{appid}"), Some(ADMIN_TOKEN))
        .await
        .json()
        .await
        .expect("read");
    assert_eq!(read["access_token"], "classic");
    assert_eq!(read["created_at"], created["created_at"]);

    // Deleted: its logins and its sessions end everywhere within the bound.
    let res = a
        .delete(&format!("/v1/admin/apps/{appid}"), Some(ADMIN_TOKEN))
        .await;
    let status = res.status().as_u16();
    assert_eq!(status, 204, "{}", res.text().await.unwrap_or_default());
    assert_eq!(a.get("/v1/auth", Some(&token)).await.status().as_u16(), 401);
    for replica in [&b, &c] {
        let gone = time_until(BOUND, || async {
            replica
                .get("/v1/auth", Some(&token))
                .await
                .status()
                .as_u16()
                == 401
                && login_status(replica, appid, "ann").await.0 == 400
        })
        .await;
        assert!(gone.is_some(), "a deleted app ends everywhere within 2 s");
    }
    let (status, body) = login_status(&b, appid, "ann").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("unknown_app"))
    );
    assert_eq!(
        a.delete(&format!("/v1/admin/apps/{appid}"), Some(ADMIN_TOKEN))
            .await
            .status()
            .as_u16(),
        404
    );
    // Added again: the old sessions stay dead (they belong to the app that was deleted; apps
    // and sessions carry their creation second, so the test lets one pass).
    a.env.pass(Duration::from_secs(1)).await;
    add(&a, appid, secret).await;
    assert_eq!(a.get("/v1/auth", Some(&token)).await.status().as_u16(), 401);
}

#[tokio::test]
async fn a_replica_whose_connection_is_cut_still_catches_up_within_the_bound() {
    // A Redis of this test's own: it cuts every client's connection.
    let env = Env::with_redis(RedisHandle::Owned(RedisServer::start()));
    let a = spawn_on(env.clone(), with_runtime_apps).await;
    let b = spawn_on(env.clone(), with_runtime_apps).await;
    let mut redis = a.redis().await;
    let mut delays = Vec::new();
    for (i, (appid, secret)) in RUNTIME_APPS.iter().enumerate() {
        // Cut every client connection (the replicas' included) while the change is made.
        kill_clients(&mut redis).await;
        // The writer's own connection was cut too: its first command may fail (503, nothing
        // written), and the client retries, as clients of a 503 do.
        let mut status = 0;
        for _ in 0..5 {
            status = put(&a, appid, &miniprogram(secret)).await.status().as_u16();
            if status != 503 {
                break;
            }
        }
        assert_eq!(status, 201, "app {i}");
        kill_clients(&mut redis).await;
        let seen = time_until(BOUND, || async {
            login_status(&b, appid, "cut").await.0 == 201
        })
        .await;
        delays.push(seen.expect("a change reaches a cut replica within 2 s"));
    }
    println!("propagation after a cut connection: {delays:?}");
}

#[tokio::test]
async fn bad_input_is_a_clear_4xx_naming_the_field() {
    let app = spawn_app_with(with_runtime_apps).await;
    let (appid, secret) = RUNTIME_APPS[1];
    let cases: Vec<(&str, Value, &str)> = vec![
        ("wx123", miniprogram(secret), "appid"),
        ("WX00000000000000A1", miniprogram(secret), "appid"),
        (appid, miniprogram("short"), "secret"),
        (appid, miniprogram(&"z".repeat(32)), "secret"),
        (appid, json!({ "kind": "robot", "secret": secret }), "kind"),
        (appid, json!({ "secret": secret }), "kind"),
        (appid, json!({ "kind": "miniprogram" }), "secret"),
        (
            appid,
            json!({ "kind": "miniprogram", "secret": secret, "scope": "snsapi_base" }),
            "scope",
        ),
        (
            appid,
            json!({ "kind": "mobile", "secret": secret, "access_token": "stable" }),
            "access_token",
        ),
        (
            appid,
            json!({ "kind": "miniprogram", "secret": secret, "extra": 1 }),
            "extra",
        ),
        (appid, json!([1, 2]), "invalid request body"),
    ];
    for (id, body, names) in cases {
        let res = put(&app, id, &body).await;
        let status = res.status().as_u16();
        let body_text = res.text().await.expect("body");
        assert_eq!(status, 400, "{id} {body}: {body_text}");
        assert!(body_text.contains(names), "{body_text} names {names}");
        assert!(!body_text.contains(secret), "never echoes the secret");
    }
    // Nothing was written.
    let res = app
        .get(&format!("/v1/admin/apps/{appid}"), Some(ADMIN_TOKEN))
        .await;
    assert_eq!(res.status().as_u16(), 404);
    for query in [
        "limit=0",
        "limit=1001",
        "limit=x",
        "cursor=%2F%2F",
        "other=1",
    ] {
        let res = app
            .get(&format!("/v1/admin/apps?{query}"), Some(ADMIN_TOKEN))
            .await;
        assert_eq!(res.status().as_u16(), 400, "{query}");
    }
    // No credential, a wrong one.
    assert_eq!(app.get("/v1/admin/apps", None).await.status().as_u16(), 401);
    let res = app
        .http
        .put(app.url(&format!("/v1/admin/apps/{appid}")))
        .bearer_auth("wrong-token-0123456789")
        .json(&miniprogram(secret))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 403);
}

#[tokio::test]
async fn apps_from_the_config_are_managed_elsewhere() {
    let app = spawn_app_with(with_runtime_apps).await;
    let res = put(
        &app,
        APPID,
        &miniprogram("0123456789abcdef0123456789abcdef"),
    )
    .await;
    expect_error(res, 409, "app_managed_elsewhere").await;
    let res = app
        .delete(&format!("/v1/admin/apps/{APPID}"), Some(ADMIN_TOKEN))
        .await;
    expect_error(res, 409, "app_managed_elsewhere").await;
    let read: Value = app
        .get(&format!("/v1/admin/apps/{APPID}"), Some(ADMIN_TOKEN))
        .await
        .json()
        .await
        .expect("read");
    assert_eq!(read["source"], "config");
    assert!(read.get("secret").is_none());
}

#[tokio::test]
async fn the_first_runtime_app_needs_key_encryption_keys() {
    let app = spawn_app_with(|s| {
        with_runtime_apps(s);
        s.store.key_encryption_key_files.clear();
    })
    .await;
    let (appid, secret) = RUNTIME_APPS[0];
    let res = put(&app, appid, &miniprogram(secret)).await;
    let body = expect_error(res, 503, "store_not_durable").await;
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("key_encryption_key_files"),
        "{body}"
    );
}

#[tokio::test]
async fn writes_go_only_to_a_store_that_keeps_them() {
    // A Redis of this test's own: its persistence and eviction policy change.
    let server = RedisServer::start();
    let env = Env::with_redis(RedisHandle::Owned(server));
    let app = spawn_on(env, |s| {
        with_runtime_apps(s);
        s.store.durability = wxsession::settings::Durability::Check;
    })
    .await;
    let (appid, secret) = RUNTIME_APPS[2];
    let ready: Value = app.get("/readyz", None).await.json().await.expect("readyz");
    assert_eq!(ready["store"]["durable"], false, "{ready}");
    assert!(
        ready["store"]["durable_reason"]
            .as_str()
            .expect("reason")
            .contains("aof_enabled")
    );
    let body = expect_error(
        put(&app, appid, &miniprogram(secret)).await,
        503,
        "store_not_durable",
    )
    .await;
    assert!(body.to_string().contains("appendonly"), "{body}");
    let res = app
        .get(&format!("/v1/admin/apps/{appid}"), Some(ADMIN_TOKEN))
        .await;
    assert_eq!(res.status().as_u16(), 404, "nothing half-done");

    let mut redis = app.redis().await;
    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("appendonly")
        .arg("yes")
        .query_async(&mut redis)
        .await
        .expect("AOF on");
    add(&app, appid, secret).await;
    let ready: Value = app.get("/readyz", None).await.json().await.expect("readyz");
    assert_eq!(ready["store"]["durable"], true, "{ready}");

    // An eviction policy that may drop any key is refused, AOF or not.
    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-policy")
        .arg("allkeys-lru")
        .query_async(&mut redis)
        .await
        .expect("policy");
    let body = expect_error(
        put(&app, appid, &miniprogram(secret)).await,
        503,
        "store_not_durable",
    )
    .await;
    assert!(body.to_string().contains("allkeys-lru"), "{body}");
    assert_eq!(
        app.get("/readyz", None).await.status().as_u16(),
        200,
        "validation still works"
    );
}

#[tokio::test]
async fn concurrent_puts_of_one_app_end_with_one_of_them_whole() {
    let env = Env::new();
    let a = spawn_on(env.clone(), with_runtime_apps).await;
    let b = spawn_on(env, with_runtime_apps).await;
    let (appid, secret) = RUNTIME_APPS[1];
    let bodies: Vec<Value> = (0..16)
        .map(|i| match i % 4 {
            0 => json!({ "kind": "miniprogram", "secret": secret, "access_token": "stable" }),
            1 => json!({ "kind": "miniprogram", "secret": secret, "access_token": "classic" }),
            2 => json!({ "kind": "miniprogram", "secret": secret, "access_token": "off" }),
            _ => json!({ "kind": "mobile", "secret": secret, "access_token": "off" }),
        })
        .collect();
    let puts = bodies.iter().enumerate().map(|(i, body)| {
        let replica = if i % 2 == 0 { &a } else { &b };
        async move { put(replica, appid, body).await.status().as_u16() }
    });
    let statuses = futures::future::join_all(puts).await;
    println!("{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(statuses.iter().all(|s| *s == 201 || *s == 200));
    let read: Value = a
        .get(&format!("/v1/admin/apps/{appid}"), Some(ADMIN_TOKEN))
        .await
        .json()
        .await
        .expect("read");
    let pair = (read["kind"].clone(), read["access_token"].clone());
    assert!(
        bodies
            .iter()
            .any(|b| (b["kind"].clone(), b["access_token"].clone()) == pair),
        "the stored app is one of the requests whole: {read}"
    );
}

#[tokio::test]
async fn redis_never_holds_a_runtime_apps_secret_in_the_clear() {
    let app = spawn_app_with(with_runtime_apps).await;
    for (appid, secret) in RUNTIME_APPS {
        add(&app, appid, secret).await;
    }
    let mut redis = app.redis().await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}:*", app.env.prefix))
        .query_async(&mut redis)
        .await
        .expect("KEYS");
    let mut dump = String::new();
    for key in keys {
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut redis)
            .await
            .expect("TYPE");
        if kind == "hash" {
            let all: Vec<Vec<u8>> = redis::cmd("HGETALL")
                .arg(&key)
                .query_async(&mut redis)
                .await
                .expect("HGETALL");
            for v in all {
                dump.push_str(&String::from_utf8_lossy(&v));
            }
        }
    }
    assert!(dump.contains(RUNTIME_APPS[0].0), "the records were read");
    for (_, secret) in RUNTIME_APPS {
        assert!(!dump.contains(secret), "a secret in the clear");
    }
}

#[tokio::test]
async fn metrics_do_not_grow_with_the_number_of_apps() {
    let app = spawn_app_with(with_runtime_apps).await;
    let series = |text: &str| {
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("process_"))
            .map(|l| l.rsplit_once(' ').map_or(l, |(name, _)| name).to_owned())
            .collect::<std::collections::BTreeSet<String>>()
    };
    // One runtime app logs a user in: every series a login touches exists.
    let (appid, secret) = RUNTIME_APPS[0];
    add(&app, appid, secret).await;
    assert_eq!(login_status(&app, appid, "first").await.0, 201);
    let _ = app.operator_metrics_text().await;
    let before = series(&app.operator_metrics_text().await);
    // 2,000 more runtime apps, then another login.
    let ids: Vec<String> = (0..2000)
        .map(|i| format!("wx{:016x}", 0x00ff_0000 + i))
        .collect();
    let app_ref = &app;
    for chunk in ids.chunks(25) {
        let puts = chunk.iter().map(|id| async move {
            let status = put(
                app_ref,
                id,
                &miniprogram("0123456789abcdef0123456789abcdef"),
            )
            .await
            .status()
            .as_u16();
            assert_eq!(status, 201);
        });
        futures::future::join_all(puts).await;
    }
    assert_eq!(login_status(&app, appid, "second").await.0, 201);
    let text = app.operator_metrics_text().await;
    let after = series(&text);
    assert!(
        text.contains("wxsession_apps{source=\"runtime\",status=\"active\"} 2001"),
        "{}",
        text.lines()
            .filter(|l| l.starts_with("wxsession_apps"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(text.contains("wxsession_sessions_created_total{appid=\"other\"} 2"));
    assert!(!text.contains(appid), "no series of its own");
    let grew: Vec<&String> = after.difference(&before).collect();
    assert!(grew.is_empty(), "2,000 apps added series: {grew:?}");
    println!("{} series with 1 runtime app and with 2,001", before.len());
}

/// A configuration file for the `apps` commands: `env`'s store and the tests' keys.
fn config_file(env: &Env, kek: &std::path::Path) -> tempfile_path::Path {
    config_with_keys(env, &[kek])
}

/// [`config_file`] with several key-encryption keys, newest first.
pub(crate) fn config_with_keys(env: &Env, keks: &[&std::path::Path]) -> tempfile_path::Path {
    let keks: Vec<String> = keks
        .iter()
        .map(|k| format!("\"{}\"", k.display()))
        .collect();
    let text = format!(
        r#"
[store]
url = "{url}"
key_prefix = "{prefix}"
key_encryption_key_files = [{keks}]
durability = "trusted"

[admin]
token = "{ADMIN_TOKEN}"

[[apps]]
appid = "{APPID}"
secret = "config-secret"
"#,
        url = env.redis.url(),
        prefix = env.prefix,
        keks = keks.join(", "),
    );
    tempfile_path::Path::with(&text)
}

/// Temporary files that remove themselves.
pub(crate) mod tempfile_path {
    pub struct Path(pub std::path::PathBuf);

    impl Path {
        pub fn with(text: &str) -> Self {
            let path = std::env::temp_dir()
                .join(format!("wxsession-test-{}", uuid::Uuid::new_v4().simple()));
            std::fs::write(&path, text).expect("written");
            Self(path)
        }

        pub fn empty() -> Self {
            Self(
                std::env::temp_dir()
                    .join(format!("wxsession-test-{}", uuid::Uuid::new_v4().simple())),
            )
        }
    }

    impl Drop for Path {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

#[tokio::test]
async fn a_backup_restores_the_registry_into_a_fresh_redis() {
    use wxsession::cli::apps::{AppsCommand, run};
    let from = spawn_app_with(with_runtime_apps).await;
    for (appid, secret) in RUNTIME_APPS {
        add(&from, appid, secret).await;
    }
    let kek = crate::helpers::kek_file();
    let backup = tempfile_path::Path::empty();
    let source = config_file(&from.env, &kek);
    run(AppsCommand::Export {
        config: source.0.clone(),
        output: backup.0.clone(),
    })
    .await
    .expect("export");
    let text = std::fs::read_to_string(&backup.0).expect("backup");
    assert!(text.contains(RUNTIME_APPS[0].0));
    for (_, secret) in RUNTIME_APPS {
        assert!(
            !text.contains(secret),
            "the backup holds no secret in the clear"
        );
    }

    // A fresh Redis: nothing there; the import refuses a backup its keys cannot open.
    let fresh = Env::with_redis(RedisHandle::Owned(RedisServer::start()));
    let other_kek = tempfile_path::Path::with(
        "0000000000000000000000000000000000000000000000000000000000000042",
    );
    let wrong = config_file(&fresh, &other_kek.0);
    let refused = run(AppsCommand::Import {
        config: wrong.0.clone(),
        input: backup.0.clone(),
    })
    .await;
    let why = format!(
        "{:#}",
        refused.expect_err("a backup sealed under other keys")
    );
    assert!(why.contains("key_encryption_key_files"), "{why}");
    let target = config_file(&fresh, &kek);
    run(AppsCommand::Import {
        config: target.0.clone(),
        input: backup.0.clone(),
    })
    .await
    .expect("import");
    let to = spawn_on(fresh, with_runtime_apps).await;
    for (appid, _) in RUNTIME_APPS {
        assert_eq!(
            login_status(&to, appid, "restored").await.0,
            201,
            "{appid} restored"
        );
    }
    let listed: Value = to
        .get("/v1/admin/apps", Some(ADMIN_TOKEN))
        .await
        .json()
        .await
        .expect("list");
    assert_eq!(
        listed["apps"].as_array().map(Vec::len),
        Some(4),
        "three runtime apps and the config's"
    );
}

#[tokio::test]
async fn a_key_rotation_reseals_every_app_and_the_old_key_can_go() {
    use wxsession::cli::apps::{AppsCommand, run};
    let app = spawn_app_with(with_runtime_apps).await;
    let (appid, secret) = RUNTIME_APPS[0];
    add(&app, appid, secret).await;
    let old = crate::helpers::kek_file();
    let new = tempfile_path::Path::with(
        "1111111111111111111111111111111111111111111111111111111111111111",
    );
    // Before the re-seal, a replica with the new key alone cannot serve the app.
    let config = config_with_keys(&app.env, &[&new.0, &old]);
    run(AppsCommand::Reseal {
        config: config.0.clone(),
    })
    .await
    .expect("reseal");
    let only_new = spawn_on(app.env.clone(), |s| {
        with_runtime_apps(s);
        s.store.key_encryption_key_files = vec![new.0.clone()];
    })
    .await;
    assert_eq!(
        login_status(&only_new, appid, "rotated").await.0,
        201,
        "served under the new key alone"
    );
    // Again: nothing left to do.
    run(AppsCommand::Reseal {
        config: config.0.clone(),
    })
    .await
    .expect("reseal again");
}
