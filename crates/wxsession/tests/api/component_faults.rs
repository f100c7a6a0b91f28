//! The faults the platform mode must survive, over real Redis and the simulator over HTTP: a
//! re-authorization drops the old authorizer token fleet-wide; a Redis that keeps nothing is
//! refused before anything is asked or written; a Redis with AOF restarted keeps every refresh
//! token, app and the ticket; 200 merchants on three replicas cost one authorizer-token fetch
//! each. The ticket's faults (pushes that stop, none ever stored) are in `component_ticket`.

use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt as _, stream};
use serde_json::{Value, json};

use crate::component::{
    authorize, authorized_xml, crypt, deliver_ticket, login, now, push, send, sim, sim_switch,
    with_platform,
};
use crate::helpers::{
    ADMIN_TOKEN, Env, FLEET_MERCHANTS, MERCHANTS, PLATFORM_APPID, RedisHandle, RedisServer,
    TestApp, eventually, expect_error, fleet_merchant, spawn_on,
};

/// A merchant's token as `/v1/admin/apps/{appid}/access-token` serves it: status and token.
pub(crate) async fn access_token(app: &TestApp, merchant: &str) -> (u16, String) {
    let res = app
        .get(
            &format!("/v1/admin/apps/{merchant}/access-token"),
            Some(ADMIN_TOKEN),
        )
        .await;
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    (
        status,
        body["access_token"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Until every replica serves `merchant` (they follow the registry's change log).
async fn served_everywhere(replicas: &[TestApp], merchant: &str) {
    for app in replicas {
        let ok = eventually(Duration::from_secs(3), || async {
            login(app, merchant, "warm").await.0 == 201
        })
        .await;
        assert!(ok, "{merchant} served by every replica");
    }
}

async fn expire_tokens(env: &Env) {
    sim_switch(env, "expire-token", json!({})).await;
}

async fn stored_token(app: &TestApp, env: &Env, merchant: &str) -> Option<String> {
    let mut conn = app.redis().await;
    redis::cmd("GET")
        .arg(format!("{}:at:{{{merchant}}}", env.prefix))
        .query_async(&mut conn)
        .await
        .expect("get")
}

#[tokio::test]
async fn a_re_authorization_drops_the_old_authorizer_token_for_the_whole_fleet() {
    let env = Env::new();
    let mut replicas = Vec::new();
    for _ in 0..3 {
        replicas.push(spawn_on(env.clone(), with_platform).await);
    }
    deliver_ticket(&env, &replicas[0]).await;
    let merchant = MERCHANTS[0];
    authorize(&env, &replicas[0], merchant).await;
    served_everywhere(&replicas, merchant).await;
    let mut old = Vec::new();
    for app in &replicas {
        let (status, token) = access_token(app, merchant).await;
        assert_eq!(status, 200);
        old.push(token);
    }
    assert!(
        old.windows(2).all(|w| w[0] == w[1]),
        "one token for the fleet"
    );
    let old = old.remove(0);

    // The merchant authorizes again (the simulator kills its old tokens), the push reaches
    // one replica only: no replica serves the old token after.
    authorize(&env, &replicas[1], merchant).await;
    for app in &replicas {
        let (status, token) = access_token(app, merchant).await;
        assert_eq!(status, 200);
        assert_ne!(token, old, "the old authorizer token is gone everywhere");
    }
    let stored = stored_token(&replicas[2], &env, merchant).await;
    assert!(stored.is_some_and(|t| t != old));
    let (status, body) = login(&replicas[2], merchant, "after").await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn a_redis_that_keeps_nothing_refuses_authorizations_with_nothing_half_done() {
    let env = Env::with_redis(RedisHandle::Owned(RedisServer::start()));
    let app = spawn_on(env.clone(), |s| {
        with_platform(s);
        s.store.durability = wxsession::settings::Durability::Check;
    })
    .await;
    deliver_ticket(&env, &app).await;
    let merchant = MERCHANTS[0];
    let code = sim(&env, "authorize", json!({ "appid": merchant })).await["auth_code"]
        .as_str()
        .expect("auth_code")
        .to_owned();
    let (query, body) = push(
        &authorized_xml(merchant, &code),
        now(),
        &crypt(PLATFORM_APPID),
    );
    expect_error(send(&app, &query, &body).await, 503, "store_not_durable").await;
    let res = app
        .get(&format!("/v1/admin/apps/{merchant}"), Some(ADMIN_TOKEN))
        .await;
    assert_eq!(res.status().as_u16(), 404, "no app registered");
    assert!(stored_token(&app, &env, merchant).await.is_none());
    let stats = env.sim.component_stats().expect("platform");
    assert_eq!(stats.query_auth_requests, 0, "the code was not spent");
    let (status, _) = login(&app, merchant, "ann").await;
    assert_eq!(status, 400, "unknown_app");

    // With AOF on, WeChat's retry of the same push goes through.
    let mut conn = app.redis().await;
    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("appendonly")
        .arg("yes")
        .query_async(&mut conn)
        .await
        .expect("AOF on");
    let res = send(&app, &query, &body).await;
    assert_eq!(res.status().as_u16(), 200, "{:?}", res.text().await);
    assert_eq!(login(&app, merchant, "ann").await.0, 201);
}

#[tokio::test]
async fn a_redis_with_aof_restarted_keeps_refresh_tokens_apps_and_the_ticket() {
    let env = Env::with_redis(RedisHandle::Owned(RedisServer::start_with(&[
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
    ])));
    let settings = |s: &mut wxsession::settings::Settings| {
        with_platform(s);
        s.store.durability = wxsession::settings::Durability::Check;
    };
    let app = spawn_on(env.clone(), settings).await;
    deliver_ticket(&env, &app).await;
    for merchant in &MERCHANTS[..2] {
        authorize(&env, &app, merchant).await;
        assert_eq!(login(&app, merchant, "before").await.0, 201);
    }
    let RedisHandle::Owned(server) = &env.redis else {
        unreachable!("an own server")
    };
    server.restart();

    // The port opens before the AOF is loaded (`LOADING` until then, longer on a busy machine).
    let mut conn = app.redis().await;
    let loaded = eventually(Duration::from_secs(10), || {
        let mut conn = conn.clone();
        async move {
            redis::cmd("EXISTS")
                .arg("any")
                .query_async::<i64>(&mut conn)
                .await
                .is_ok()
        }
    })
    .await;
    assert!(loaded, "Redis loaded its AOF");
    let records: std::collections::HashMap<String, Vec<u8>> = redis::cmd("HGETALL")
        .arg(format!("{}:{{apps}}:rec", env.prefix))
        .query_async(&mut conn)
        .await
        .expect("records");
    for merchant in &MERCHANTS[..2] {
        let record = String::from_utf8_lossy(records.get(*merchant).expect("the app"));
        assert!(record.contains("\"refresh_token\":\"e1."), "{record}");
    }
    let ticket: Option<Vec<u8>> = redis::cmd("GET")
        .arg(format!("{}:{{apps}}:ticket", env.prefix))
        .query_async(&mut conn)
        .await
        .expect("ticket");
    assert!(ticket.is_some(), "the ticket survived");

    // Logins resume; with every token dead at WeChat, the stored ticket and refresh tokens
    // get new ones (a fresh replica too, which knows nothing but Redis).
    let resumed = eventually(Duration::from_secs(5), || async {
        login(&app, MERCHANTS[0], "after").await.0 == 201
    })
    .await;
    assert!(resumed, "logins resume");
    expire_tokens(&env).await;
    let mut conn = app.redis().await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}:at:*", env.prefix))
        .query_async(&mut conn)
        .await
        .expect("keys");
    for key in keys {
        let _: i64 = redis::cmd("DEL")
            .arg(key)
            .query_async(&mut conn)
            .await
            .expect("del");
    }
    let fresh = spawn_on(env.clone(), settings).await;
    for merchant in &MERCHANTS[..2] {
        assert_eq!(login(&fresh, merchant, "fresh").await.0, 201);
        let (status, _) = access_token(&fresh, merchant).await;
        assert_eq!(
            status, 200,
            "a new authorizer token from the kept refresh token"
        );
    }
}

#[tokio::test]
async fn many_merchants_on_three_replicas_cost_one_authorizer_token_fetch_each() {
    let env = Env::new();
    let mut replicas = Vec::new();
    for _ in 0..3 {
        replicas.push(spawn_on(env.clone(), with_platform).await);
    }
    deliver_ticket(&env, &replicas[0]).await;
    let merchants: Vec<String> = (0..FLEET_MERCHANTS).map(fleet_merchant).collect();
    // The merchants authorize 16 at a time, each push to one replica; then every replica
    // serves every one of them.
    let started = std::time::Instant::now();
    stream::iter(merchants.iter().enumerate())
        .for_each_concurrent(16, |(i, merchant)| {
            authorize(&env, &replicas[i % 3], merchant)
        })
        .await;
    let authorized = started.elapsed();
    stream::iter(&merchants)
        .for_each_concurrent(16, |merchant| served_everywhere(&replicas, merchant))
        .await;
    let warmed = started.elapsed() - authorized;
    // Every authorizer token (and the platform's) expires: two hours pass.
    env.pass(Duration::from_secs(2 * 3600)).await;
    let before = env.sim.component_stats().expect("platform");
    let round = std::time::Instant::now();
    let replicas = Arc::new(replicas);
    let mut tasks = Vec::new();
    for (i, merchant) in merchants.iter().enumerate() {
        for r in 0..3 {
            let replicas = replicas.clone();
            let merchant = merchant.clone();
            tasks.push(tokio::spawn(async move {
                let app = &replicas[(i + r) % 3];
                let (login_status, _) = login(app, &merchant, &format!("u{i}-{r}")).await;
                let (token_status, token) = access_token(app, &merchant).await;
                (login_status, token_status, merchant, token)
            }));
        }
    }
    let mut served: std::collections::HashMap<String, std::collections::HashSet<String>> =
        Default::default();
    for task in tasks {
        let (login_status, token_status, merchant, token) = task.await.expect("task");
        assert_eq!((login_status, token_status), (201, 200), "{merchant}");
        served.entry(merchant).or_default().insert(token);
    }
    let stats = env.sim.component_stats().expect("platform");
    for merchant in &merchants {
        let fetches = stats
            .authorizer_token_fetches
            .get(merchant)
            .copied()
            .unwrap_or(0)
            - before
                .authorizer_token_fetches
                .get(merchant)
                .copied()
                .unwrap_or(0);
        assert_eq!(fetches, 1, "{merchant}: {stats:?}");
        assert_eq!(
            served[merchant].len(),
            1,
            "one token per merchant for the fleet"
        );
    }
    assert_eq!(
        stats.component_token_fetches - before.component_token_fetches,
        1,
        "one component-token fetch for the fleet after the expiry"
    );
    let mut per_merchant = std::collections::BTreeMap::<u64, usize>::new();
    for merchant in &merchants {
        let total = stats.authorizer_token_fetches.get(merchant).copied();
        *per_merchant.entry(total.unwrap_or(0)).or_default() += 1;
    }
    println!(
        "{} merchants, 3 replicas, {} concurrent logins and token reads: authorizer-token fetches \
         after the expiry 1 each, over the whole test {{fetches: merchants}} {per_merchant:?}; \
         component-token fetches after the expiry {}; authorizing took {authorized:?}, \
         every replica serving every merchant {warmed:?}, the expiry round {:?}",
        merchants.len(),
        merchants.len() * 3,
        stats.component_token_fetches - before.component_token_fetches,
        round.elapsed(),
    );
}
