//! The third-party platform on a Redis Cluster (3 masters, 3 replicas): the whole flow — a
//! ticket push, merchants' authorizations, their users' logins on two replicas, one
//! authorizer-token fetch per merchant for the fleet after the tokens expire, a
//! re-authorization dropping the old token, an `unauthorized` push revoking a merchant's
//! sessions — with the ticket, the app registry, the tokens and the refresher locks spread
//! over the cluster's slots (WxJava #3378: a lock that fails across slots). Every failure
//! shows the cluster's state.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use wxsession::domain::clock::Clock as _;
use wxsession::settings::Mode;

use crate::component::{authorize, authorized_xml, crypt, deliver_ticket, login, push, send, sim};
use crate::component_faults::access_token;
use crate::helpers::{
    Env, MERCHANTS, PLATFORM_APPID, RedisCluster, RedisHandle, eventually, fleet_merchant, pass,
    redis_cli, spawn_on,
};

/// Merchants authorized in this test: two of the named ones and a dozen of the fleet, so that
/// their tokens' keys fall on every master.
fn merchants() -> Vec<String> {
    MERCHANTS[..2]
        .iter()
        .map(|m| (*m).to_owned())
        .chain((0..12).map(fleet_merchant))
        .collect()
}

/// Whether `key` exists on the master that owns its slot.
fn exists(cluster: &RedisCluster, key: &str) -> bool {
    redis_cli(cluster.master_of(key).port, &["exists", key]).trim() == "1"
}

/// The authorizer-token fetches of `merchant` the simulator has answered.
fn fetches(stats: &wechat_mock::ComponentStats, merchant: &str) -> u64 {
    stats
        .authorizer_token_fetches
        .get(merchant)
        .copied()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_runs_on_a_cluster_with_its_keys_and_locks_on_every_slot() {
    let Some(cluster) = RedisCluster::start() else {
        return;
    };
    let urls = cluster.urls();
    let env = Env::with_redis(RedisHandle::Shared(urls[0].clone()));
    let on_cluster = |s: &mut wxsession::settings::Settings| {
        crate::component::with_platform(s);
        s.store.mode = Mode::Cluster;
        s.store.urls = urls.clone();
        s.store.timeout_ms = 1000;
    };
    let replicas = Arc::new([
        spawn_on(env.clone(), on_cluster).await,
        spawn_on(env.clone(), on_cluster).await,
    ]);
    let state = || cluster.state();

    // The ticket and the registry (one slot, `{apps}`), a merchant per slot of its own.
    deliver_ticket(&env, &replicas[0]).await;
    let merchants = merchants();
    for (i, merchant) in merchants.iter().enumerate() {
        authorize(&env, &replicas[i % 2], merchant).await;
    }
    for merchant in &merchants {
        for app in replicas.iter() {
            let served = eventually(Duration::from_secs(5), || async {
                login(app, merchant, "warm").await.0 == 201
            })
            .await;
            assert!(
                served,
                "{merchant} served by every replica; cluster:{}",
                state()
            );
        }
    }
    let p = &env.prefix;
    for key in [format!("{p}:{{apps}}:ticket"), format!("{p}:{{apps}}:rec")] {
        assert!(exists(&cluster, &key), "{key} on the cluster:{}", state());
    }
    let token_keys: Vec<String> = merchants
        .iter()
        .map(|m| format!("{p}:at:{{{m}}}"))
        .collect();
    let mut holders = HashSet::new();
    for key in token_keys
        .iter()
        .chain([&format!("{p}:at:{{{PLATFORM_APPID}}}")])
    {
        assert!(exists(&cluster, key), "{key} stored; cluster:{}", state());
        holders.insert(cluster.master_of(key).port);
    }
    assert_eq!(holders.len(), 3, "tokens on every master:{}", state());

    // Two hours pass (on every master): every token expires. Concurrent logins and token
    // reads on both replicas: one fetch per merchant, one of the platform's token.
    pass(&env.clock, &urls, p, Duration::from_secs(2 * 3600)).await;
    assert!(
        !token_keys.iter().any(|k| exists(&cluster, k)),
        "expired:{}",
        state()
    );
    let before = env.sim.component_stats().expect("platform");
    let mut tasks = Vec::new();
    for (i, merchant) in merchants.iter().enumerate() {
        for r in 0..4 {
            let (replicas, merchant) = (replicas.clone(), merchant.clone());
            tasks.push(tokio::spawn(async move {
                let app = &replicas[(i + r) % 2];
                let (login_status, _) = login(app, &merchant, &format!("c{i}-{r}")).await;
                let (token_status, token) = access_token(app, &merchant).await;
                (login_status, token_status, merchant, token)
            }));
        }
    }
    let mut served: HashMap<String, HashSet<String>> = HashMap::new();
    for task in tasks {
        let (login_status, token_status, merchant, token) = task.await.expect("task");
        assert_eq!(
            (login_status, token_status),
            (201, 200),
            "{merchant}; cluster:{}",
            state()
        );
        served.entry(merchant).or_default().insert(token);
    }
    let stats = env.sim.component_stats().expect("platform");
    let counts: Vec<u64> = merchants
        .iter()
        .map(|m| fetches(&stats, m) - fetches(&before, m))
        .collect();
    let platform = stats.component_token_fetches - before.component_token_fetches;
    println!(
        "cluster platform: {} merchants, 2 replicas, {} concurrent logins and token reads: \
         authorizer-token fetches {counts:?}, component-token fetches {platform}",
        merchants.len(),
        merchants.len() * 4
    );
    assert!(
        counts.iter().all(|c| *c == 1),
        "one per merchant: {counts:?}"
    );
    assert!(served.values().all(|t| t.len() == 1), "one token each");
    assert_eq!(platform, 1, "one platform token for the fleet");

    // The second merchant authorizes again (a new refresh token; the simulator kills its old
    // tokens): the record is replaced and the old token dropped, for both replicas.
    let again = &merchants[1];
    let (_, old) = access_token(&replicas[0], again).await;
    let code = sim(&env, "authorize", json!({ "appid": again })).await["auth_code"]
        .as_str()
        .expect("auth_code")
        .to_owned();
    let xml = authorized_xml(again, &code);
    let (query, body) = push(&xml, env.clock.now_unix(), &crypt(PLATFORM_APPID));
    let res = send(&replicas[1], &query, &body).await;
    assert_eq!(res.status().as_u16(), 200, "{:?}", res.text().await);
    for app in replicas.iter() {
        let (status, token) = access_token(app, again).await;
        assert_eq!(status, 200, "cluster:{}", state());
        assert_ne!(token, old, "the old token is gone; cluster:{}", state());
    }
    assert_eq!(login(&replicas[0], again, "eve").await.0, 201);

    // The first merchant revokes the platform; the push reaches one replica. Its sessions die
    // on both, its token and refresh token go; the other merchants go on.
    let merchant = &merchants[0];
    let (status, body) = login(&replicas[0], merchant, "ann").await;
    assert_eq!(status, 201, "{body}");
    let session = body["session"].as_str().expect("session").to_owned();
    sim(&env, "unauthorize", json!({ "appid": merchant })).await;
    // Signed at the fleet's time (two hours on): a push is checked against the replica's clock.
    let at = env.clock.now_unix();
    let unauthorized = format!(
        "<xml><AppId><![CDATA[{PLATFORM_APPID}]]></AppId><CreateTime>{}</CreateTime>\
         <InfoType><![CDATA[unauthorized]]></InfoType>\
         <AuthorizerAppid><![CDATA[{merchant}]]></AuthorizerAppid></xml>",
        at
    );
    let (query, body) = push(&unauthorized, at, &crypt(PLATFORM_APPID));
    let res = send(&replicas[1], &query, &body).await;
    assert_eq!(res.status().as_u16(), 200, "{:?}", res.text().await);
    for app in replicas.iter() {
        let refused = eventually(Duration::from_secs(3), || async {
            login(app, merchant, "bob").await.0 == 403
        })
        .await;
        assert!(refused, "403 app_unauthorized; cluster:{}", state());
        let revoked = app
            .auth_becomes(&session, 401, Duration::from_secs(3))
            .await;
        assert!(revoked, "the session is revoked; cluster:{}", state());
    }
    assert!(!exists(&cluster, &token_keys[0]), "its token is deleted");
    let record = redis_cli(
        cluster.master_of(&format!("{p}:{{apps}}:rec")).port,
        &["hget", &format!("{p}:{{apps}}:rec"), merchant],
    );
    assert!(
        record.contains("unauthorized") && !record.contains("refresh_token"),
        "{record}"
    );
    assert_eq!(login(&replicas[0], &merchants[1], "dan").await.0, 201);
}
