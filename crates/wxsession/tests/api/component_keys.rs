//! Key rotation in platform mode. A merchant's refresh token is the one thing that cannot be
//! rebuilt (losing it means the merchant authorizes again), so `apps reseal` seals it under the
//! newest key like an app's secret, and a replica holding only the new key still refreshes the
//! merchant's token.

use serde_json::json;

use crate::component::{authorize, deliver_ticket, sim_switch, with_platform};
use crate::component_faults::access_token;
use crate::helpers::{ADMIN_TOKEN, Env, MERCHANTS, kek_file, spawn_on};
use crate::runtime_apps::{config_with_keys, tempfile_path};

/// Drops the merchant's stored authorizer token, so that the next read refreshes it.
async fn forget_token(app: &crate::helpers::TestApp, env: &Env, merchant: &str) {
    let mut conn = app.redis().await;
    let _: i64 = redis::cmd("DEL")
        .arg(format!("{}:at:{{{merchant}}}", env.prefix))
        .query_async(&mut conn)
        .await
        .expect("del");
}

#[tokio::test]
async fn a_key_rotation_reseals_merchants_refresh_tokens_and_the_old_key_can_go() {
    use wxsession::cli::apps::{AppsCommand, run};
    let env = Env::new();
    let app = spawn_on(env.clone(), with_platform).await;
    deliver_ticket(&env, &app).await;
    let merchant = MERCHANTS[0];
    authorize(&env, &app, merchant).await;
    assert_eq!(access_token(&app, merchant).await.0, 200, "served before");

    let old = kek_file();
    let new = tempfile_path::Path::with(
        "2222222222222222222222222222222222222222222222222222222222222222",
    );
    let config = config_with_keys(&env, &[&new.0, &old]);
    run(AppsCommand::Reseal {
        config: config.0.clone(),
    })
    .await
    .expect("reseal");

    // A replica with the new key alone: the merchant's token is refreshed from its refresh
    // token (the platform's own token is still stored, so the ticket is not needed).
    let only_new = spawn_on(env.clone(), |s| {
        with_platform(s);
        s.store.key_encryption_key_files = vec![new.0.clone()];
    })
    .await;
    forget_token(&only_new, &env, merchant).await;
    let (status, token) = access_token(&only_new, merchant).await;
    assert_eq!(
        status, 200,
        "the refresh token opens under the new key alone"
    );
    assert!(!token.is_empty());

    // Again: nothing left to do.
    run(AppsCommand::Reseal {
        config: config.0.clone(),
    })
    .await
    .expect("reseal again");
}

/// WeChat answers a refresh with a new refresh token (the old one dead) while `apps reseal`
/// rewrites the merchant's record: the new token is kept over the re-sealed record, not dropped
/// with the compare-and-set that the reseal made fail.
#[tokio::test]
async fn a_refresh_token_wechat_rotates_while_the_record_changes_is_kept() {
    use wxsession::cli::apps::{AppsCommand, run};
    let env = Env::new();
    let first = spawn_on(env.clone(), with_platform).await;
    deliver_ticket(&env, &first).await;
    let merchant = MERCHANTS[1];
    authorize(&env, &first, merchant).await;

    // The rotation's first step: every replica holds the new key first, the old one still.
    let old = kek_file();
    let new = tempfile_path::Path::with(
        "3333333333333333333333333333333333333333333333333333333333333333",
    );
    let both = {
        let new = new.0.clone();
        let old = old.clone();
        move |s: &mut wxsession::settings::Settings| {
            with_platform(s);
            s.store.key_encryption_key_files = vec![new.clone(), old.clone()];
            // The refresh below is held 800 ms by the simulator: far from the timeout (a retry
            // would present the token WeChat just replaced), on a loaded machine too.
            s.wechat.timeout_ms = 5000;
        }
    };
    let replica = spawn_on(env.clone(), both).await;
    sim_switch(&env, "rotate-refresh", json!({ "on": true })).await;
    sim_switch(&env, "slow-refresh", json!({ "ms": 800 })).await;
    forget_token(&replica, &env, merchant).await;
    let config = config_with_keys(&env, &[&new.0, &old]);
    let reseal = || async {
        run(AppsCommand::Reseal {
            config: config.0.clone(),
        })
        .await
    };
    let (fetched, resealed) = tokio::join!(access_token(&replica, merchant), async {
        // While the refresh is in flight (its record read, WeChat's answer not back yet).
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        reseal().await
    });
    assert_eq!(fetched.0, 200, "the refresh in flight answers");
    if resealed.is_err() {
        // On a machine so loaded that the re-seal read the record only after the refresh wrote
        // it, its compare-and-set failed, as it must; run again, as the docs say.
        reseal().await.expect("reseal again");
    }

    // The next refresh goes to WeChat with the token WeChat handed out last.
    sim_switch(&env, "slow-refresh", json!({ "ms": 0 })).await;
    forget_token(&replica, &env, merchant).await;
    assert_eq!(
        access_token(&replica, merchant).await.0,
        200,
        "the rotated refresh token was kept"
    );
}

/// Another replica refreshed with the token WeChat had just replaced, got `61023` and marked the
/// merchant `reauthorization_required`, while this replica's refresh — the one WeChat answered
/// with the new token — was in flight: the new token makes the merchant active again.
#[tokio::test]
async fn a_merchant_marked_by_a_refresh_with_the_replaced_token_is_active_again_with_the_new_one() {
    let env = Env::new();
    let app = spawn_on(env.clone(), |s| {
        with_platform(s);
        s.wechat.timeout_ms = 5000;
    })
    .await;
    deliver_ticket(&env, &app).await;
    let merchant = MERCHANTS[2];
    authorize(&env, &app, merchant).await;
    sim_switch(&env, "rotate-refresh", json!({ "on": true })).await;
    sim_switch(&env, "slow-refresh", json!({ "ms": 800 })).await;
    forget_token(&app, &env, merchant).await;
    let (fetched, ()) = tokio::join!(access_token(&app, merchant), async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        // What the other replica's `61023` writes: the status, over the same refresh token.
        let key = format!("{}:{{apps}}:rec", env.prefix);
        let mut conn = app.redis().await;
        let stored: Vec<u8> = redis::cmd("HGET")
            .arg(&key)
            .arg(merchant)
            .query_async(&mut conn)
            .await
            .expect("hget");
        // The format header (`0xff 0x01`), then JSON.
        let (header, json) = stored.split_at(2);
        let marked = String::from_utf8(json.to_vec()).expect("utf-8").replace(
            r#""status":"active""#,
            r#""status":"reauthorization_required""#,
        );
        assert!(marked.contains("reauthorization_required"), "{marked}");
        let _: i64 = redis::cmd("HSET")
            .arg(&key)
            .arg(merchant)
            .arg([header, marked.as_bytes()].concat())
            .query_async(&mut conn)
            .await
            .expect("hset");
    });
    assert_eq!(fetched.0, 200, "the refresh in flight answers");
    let record: serde_json::Value = app
        .get(&format!("/v1/admin/apps/{merchant}"), Some(ADMIN_TOKEN))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(record["status"], "active", "{record}");
    sim_switch(&env, "slow-refresh", json!({ "ms": 0 })).await;
    forget_token(&app, &env, merchant).await;
    assert_eq!(
        access_token(&app, merchant).await.0,
        200,
        "refreshed with the new token"
    );
}
