//! `wxsession component recover` over real Redis and the simulator: a Redis that lost every
//! merchant (here: a fresh key prefix) gets their refresh tokens back from WeChat's list, and
//! their users log in again.

use serde_json::Value;

use crate::component::{authorize, deliver_ticket, login, with_platform};
use crate::helpers::{
    ADMIN_TOKEN, Env, MERCHANTS, PLATFORM_AES_KEY, PLATFORM_APPID, PLATFORM_SECRET, PLATFORM_TOKEN,
    eventually, kek_file, spawn_on,
};

fn file(text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "wxsession-test-recover-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&path, text).expect("file written");
    path
}

fn config(env: &Env, prefix: &str) -> std::path::PathBuf {
    file(&format!(
        r#"
[server]
public_url = "https://login.test"

[store]
url = "{url}"
key_prefix = "{prefix}"
key_encryption_key_files = ["{kek}"]
durability = "trusted"

[admin]
token = "{ADMIN_TOKEN}"

[wechat]
api_base = "{sim}"
allow_insecure_http = true

[component]
appid = "{PLATFORM_APPID}"
secret_file = "{secret}"
token_file = "{token}"
encoding_aes_key_file = "{aes}"
after_authorize_url = "https://vendor.test/welcome"
"#,
        url = env.redis.url(),
        kek = kek_file().display(),
        sim = env.sim.url,
        secret = file(PLATFORM_SECRET).display(),
        token = file(PLATFORM_TOKEN).display(),
        aes = file(PLATFORM_AES_KEY).display(),
    ))
}

#[tokio::test]
async fn recover_stores_the_refresh_tokens_wechat_lists_and_logins_resume() {
    use wxsession::cli::component::{ComponentCommand, run};
    let env = Env::new();
    let before = spawn_on(env.clone(), with_platform).await;
    deliver_ticket(&env, &before).await;
    for merchant in &MERCHANTS[..2] {
        authorize(&env, &before, merchant).await;
    }

    // A Redis that lost everything: a fresh prefix, only a new ticket pushed to it.
    let prefix = format!("{}-lost", env.prefix);
    let after = spawn_on(env.clone(), |s| {
        with_platform(s);
        s.store.key_prefix = prefix.clone();
    })
    .await;
    deliver_ticket(&env, &after).await;
    assert_eq!(
        login(&after, MERCHANTS[0], "ann").await.0,
        400,
        "unknown_app"
    );

    run(ComponentCommand::Recover {
        config: config(&env, &prefix),
    })
    .await
    .expect("recover");

    for merchant in &MERCHANTS[..2] {
        let ok = eventually(std::time::Duration::from_secs(3), || async {
            login(&after, merchant, "ann").await.0 == 201
        })
        .await;
        assert!(ok, "{merchant} logs users in again");
        let res = after
            .get(&format!("/v1/admin/apps/{merchant}"), Some(ADMIN_TOKEN))
            .await;
        let view: Value = res.json().await.expect("json");
        assert_eq!(view["source"], "component");
        let res = after
            .get(
                &format!("/v1/admin/apps/{merchant}/access-token"),
                Some(ADMIN_TOKEN),
            )
            .await;
        assert_eq!(
            res.status().as_u16(),
            200,
            "a token from the recovered refresh token"
        );
    }
    // The merchant that never authorized stays unknown.
    assert_eq!(login(&after, MERCHANTS[2], "ann").await.0, 400);
}
