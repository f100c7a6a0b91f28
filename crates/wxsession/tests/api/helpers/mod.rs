//! Test harness: the simulator and the real application on port 0 (here), redis-server
//! processes (`redis`), the real binary as a process (`process`), error assertions
//! (`assert`), deadlines instead of sleeps (`wait`), a stand-in WeChat that replays recorded
//! answers (`standin`), the clock the tests move (`clock`), a stand-in Redis of an older
//! version (`old_redis`).

mod assert;
mod browser;
mod clock;
mod netns;
mod old_redis;
pub mod prereq;
mod process;
mod redis_cluster;
mod redis_server;
mod sim;
mod standin;
mod wait;

pub use self::assert::{error_of, expect_error};
pub use self::browser::{SESSION_COOKIE, STATE_COOKIE, location, set_cookie};
pub use self::clock::{TestClock, masters, pass};
pub use self::netns::Netns;
pub use self::old_redis::OldRedis;
pub use self::process::{Serve, read_log, serve, serve_refused, serve_store, serve_with, sigterm};
pub use self::redis_cluster::{RedisCluster, redis_cli, redis_cli_runs};
pub use self::redis_server::{RedisHandle, RedisServer, connect, free_port, keys_with_ttl};
pub use self::standin::{Answer, StandIn};
pub use self::wait::{eventually, port_opens, wait_until};

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use secrecy::SecretString;
use serde_json::{Value, json};
use wechat_mock::{MockApp, MockConfig, MockWechat, RunningMock};
use wxsession::settings::{AppSettings, Backend, Settings};
use wxsession::startup::{Application, build_state, build_store};
use wxsession::store::layout::{self, UserEntry};

pub const APPID: &str = "wx1234567890abcdef";
pub const OTHER_APPID: &str = "wxfedcba0987654321";
pub const SECRET: &str = "app-secret-1";
pub const OTHER_SECRET: &str = "app-secret-2";
pub const ADMIN_TOKEN: &str = "admin-token-for-tests-0123456789";
/// The other kinds of app, known to every test's simulator; [`with_every_kind`] configures them.
pub const MOBILE_APPID: &str = "wxmobile000000001";
pub const WEBSITE_APPID: &str = "wxwebsite00000001";
pub const OFFICIAL_APPID: &str = "wxofficial0000001";
/// The service's public URL in tests (callbacks are followed by hand, to the real address).
pub const PUBLIC_URL: &str = "https://login.test";
/// An origin allowed in `web.allowed_origins`.
pub const ALLOWED_ORIGIN: &str = "https://app.test";

/// Apps the simulator knows that no test configures: tests add them at runtime.
pub const RUNTIME_APPS: [(&str, &str); 3] = [
    ("wx00000000000000a1", "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"),
    ("wx00000000000000b2", "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"),
    ("wx00000000000000c3", "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"),
];

/// The third-party platform every test's simulator plays (used where a test configures
/// `[component]`, see `component.rs`).
pub const PLATFORM_APPID: &str = "wxc0000000000000p1";
pub const PLATFORM_SECRET: &str = "platform-secret-0123456789";
pub const PLATFORM_TOKEN: &str = "platformtoken";
pub const PLATFORM_AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
/// Merchants that may authorize the platform: the first ones mini-programs, the last an
/// official account.
pub const MERCHANTS: [&str; 3] = [
    "wxm000000000000001",
    "wxm000000000000002",
    "wxm00000000000000f",
];

/// More merchants' mini-programs, for the fleet tests (`wxm100000000000NNN`).
pub fn fleet_merchant(i: usize) -> String {
    format!("wxm100000000000{i:03}")
}

/// How many [`fleet_merchant`]s the simulated platform has.
pub const FLEET_MERCHANTS: usize = 200;

fn platform() -> wechat_mock::MockComponent {
    use wechat_mock::{MerchantKind, MockMerchant};
    let fleet = (0..FLEET_MERCHANTS).map(|i| MockMerchant {
        appid: fleet_merchant(i),
        kind: MerchantKind::MiniProgram,
        nickname: format!("fleet merchant {i}"),
    });
    wechat_mock::MockComponent {
        appid: PLATFORM_APPID.into(),
        secret: PLATFORM_SECRET.into(),
        token: PLATFORM_TOKEN.into(),
        encoding_aes_key: PLATFORM_AES_KEY.into(),
        merchants: MERCHANTS
            .iter()
            .enumerate()
            .map(|(i, appid)| MockMerchant {
                appid: (*appid).into(),
                kind: if i + 1 == MERCHANTS.len() {
                    MerchantKind::OfficialAccount
                } else {
                    MerchantKind::MiniProgram
                },
                nickname: format!("merchant {i}"),
            })
            .chain(fleet)
            .collect(),
        pushes_paused: true,
        callbacks: vec![format!("{PUBLIC_URL}/v1/component/")],
        ..wechat_mock::MockComponent::default()
    }
}

/// A key-encryption key file every test replica shares (`store.key_encryption_key_files`).
pub fn kek_file() -> std::path::PathBuf {
    static FILE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let path = std::env::temp_dir().join(format!(
            "wxsession-test-kek-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::write(
            &path,
            "7e577e577e577e577e577e577e577e577e577e577e577e577e577e577e577e57",
        )
        .expect("key file written");
        path
    })
    .clone()
}

/// Runtime apps on: key-encryption keys, and a store trusted to keep them (the suite's Redis
/// has no AOF; `durability` tests check the refusal).
pub fn with_runtime_apps(s: &mut Settings) {
    s.store.key_encryption_key_files = vec![kek_file()];
    s.store.durability = wxsession::settings::Durability::Trusted;
    s.store.apps_poll_interval_ms = 200;
}

fn kind_secret(appid: &str) -> String {
    format!("secret-of-{appid}")
}

/// What several replicas share: a simulator, a Redis, a key prefix, a clock.
pub struct Env {
    pub sim: RunningMock,
    pub redis: RedisHandle,
    pub prefix: String,
    pub clock: Arc<TestClock>,
}

impl Env {
    pub fn new() -> Arc<Self> {
        Self::with_redis(RedisHandle::get())
    }

    pub fn with_redis(redis: RedisHandle) -> Arc<Self> {
        let sim = MockWechat::new(MockConfig {
            apps: [
                (APPID, SECRET.to_owned()),
                (OTHER_APPID, OTHER_SECRET.to_owned()),
            ]
            .into_iter()
            .chain(
                [MOBILE_APPID, WEBSITE_APPID, OFFICIAL_APPID]
                    .into_iter()
                    .map(|a| (a, kind_secret(a))),
            )
            .chain(RUNTIME_APPS.map(|(a, s)| (a, s.to_owned())))
            .map(|(appid, secret)| MockApp {
                appid: appid.into(),
                secret,
            })
            .collect(),
            base_latency: Duration::ZERO,
            callbacks: vec![
                format!("{PUBLIC_URL}/v1/web/"),
                format!("{PUBLIC_URL}/v1/component/"),
            ],
            component: Some(platform()),
            ..MockConfig::default()
        })
        .start(([127, 0, 0, 1], 0).into())
        .expect("simulator starts");
        Arc::new(Self {
            sim,
            redis,
            prefix: format!("t{}", uuid::Uuid::new_v4().simple()),
            clock: TestClock::new(),
        })
    }

    /// Lets `by` pass for the fleet: its clock, and Redis' time for this test's keys.
    pub async fn pass(&self, by: Duration) {
        pass(&self.clock, &[self.redis.url()], &self.prefix, by).await;
    }

    /// Settings for one replica on port 0 with one app.
    pub fn settings(&self) -> Settings {
        let mut s = Settings::default();
        s.server.bind = "127.0.0.1:0".into();
        s.server.workers = Some(2);
        s.server.shutdown_timeout_secs = 1;
        s.store.backend = Backend::Redis;
        s.store.url = self.redis.url();
        s.store.key_prefix = self.prefix.clone();
        s.store.pool_size = 8;
        s.store.timeout_ms = 500;
        s.wechat.api_base = self.sim.url.clone();
        s.wechat.allow_insecure_http = true;
        s.wechat.timeout_ms = 1000;
        s.admin.token = Some(SecretString::from(ADMIN_TOKEN));
        s.apps = vec![app(APPID, SECRET)];
        // The phone-quota reader calls WeChat in the background: on only where a test asks.
        s.phone.quota_poll_secs = 0;
        s
    }
}

pub fn app(appid: &str, secret: &str) -> AppSettings {
    AppSettings {
        appid: appid.into(),
        secret: Some(SecretString::from(secret)),
        secret_file: None,
        secret_env: None,
        access_token: None,
        kind: Default::default(),
        scope: None,
    }
}

/// Adds a mobile app, a website and an official account (`snsapi_userinfo`) to the
/// mini-program, with the public URL, the simulator's OAuth pages and an allowed origin.
pub fn with_every_kind(s: &mut Settings) {
    use wxsession::settings::AppKind;
    for (appid, kind) in [
        (MOBILE_APPID, AppKind::Mobile),
        (WEBSITE_APPID, AppKind::Website),
        (OFFICIAL_APPID, AppKind::OfficialAccount),
    ] {
        s.apps.push(AppSettings {
            kind,
            ..app(appid, &kind_secret(appid))
        });
    }
    s.wechat.open_base = s.wechat.api_base.clone();
    s.server.public_url = Some(PUBLIC_URL.into());
    s.web.allowed_origins = vec![ALLOWED_ORIGIN.into()];
    s.web.state_key_files = vec![state_key_file()];
}

/// A file holding the web state key every test replica shares.
pub fn state_key_file() -> std::path::PathBuf {
    static FILE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let path = std::env::temp_dir().join(format!(
            "wxsession-test-state-key-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::write(&path, STATE_KEY).expect("state key file written");
        path
    })
    .clone()
}

/// The web state key of the tests (hex of 32 bytes).
pub const STATE_KEY: &str = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed";

/// A running replica.
pub struct TestApp {
    pub address: String,
    pub metrics_port: Option<u16>,
    pub admin_port: Option<u16>,
    pub env: Arc<Env>,
    pub http: reqwest::Client,
    handle: ServerHandle,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        // Stop without waiting: the runtime may be shutting down.
        drop(handle.stop(false));
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_on(Env::new(), |_| {}).await
}

pub async fn spawn_app_with(f: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_on(Env::new(), f).await
}

pub async fn spawn_on(env: Arc<Env>, f: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = env.settings();
    f(&mut settings);
    settings.validate().expect("test settings are valid");
    let clock: Arc<dyn wxsession::domain::clock::Clock> = env.clock.clone();
    let store = build_store(&settings, clock.clone()).expect("store builds");
    let state = build_state(&settings, store, clock).expect("state builds");
    // As `startup::build` does: the store's apps before the first request.
    let _ = wxsession::domain::apps::follow::load(&state).await;
    let app = Application::build_with_state(&settings, state).expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    let (metrics_port, admin_port) = (app.metrics_port(), app.admin_port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        metrics_port,
        admin_port,
        env,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        handle,
    }
}

/// A code the simulator accepts once, for `user`.
pub fn code_for(user: &str) -> String {
    format!("user:{user}:{}", uuid::Uuid::new_v4().simple())
}

/// A phone code (`getPhoneNumber`) the simulator accepts once, for `user`.
pub fn phone_code_for(user: &str) -> String {
    format!("phone:{user}:{}", uuid::Uuid::new_v4().simple())
}

impl TestApp {
    /// Another replica on the same Redis, prefix and simulator.
    pub async fn replica(&self) -> TestApp {
        spawn_on(self.env.clone(), |_| {}).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: &Value,
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self.http.post(self.url(path)).json(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.http.get(self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("request sent")
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.http.delete(self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("request sent")
    }

    /// Logs `user` in with a fresh code; returns the 201 body.
    pub async fn login(&self, user: &str) -> Value {
        self.login_code(&code_for(user)).await
    }

    /// Logs `user` in with a fresh code; returns the session token.
    pub async fn token(&self, user: &str) -> String {
        self.login(user).await["session"]
            .as_str()
            .expect("a session token")
            .to_owned()
    }

    /// The `/metrics` text.
    pub async fn metrics_text(&self) -> String {
        self.get("/metrics", None)
            .await
            .text()
            .await
            .expect("metrics")
    }

    /// The `/metrics` text of the operator's listener (`server.metrics_bind`), where every
    /// family is published; the API listener's when there is none.
    pub async fn operator_metrics_text(&self) -> String {
        let Some(port) = self.metrics_port else {
            return self.metrics_text().await;
        };
        self.http
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
            .await
            .expect("scrape")
            .text()
            .await
            .expect("metrics")
    }

    pub async fn login_code(&self, code: &str) -> Value {
        let res = self
            .post_json("/v1/sessions", &json!({ "code": code }), None)
            .await;
        assert_eq!(res.status().as_u16(), 201, "login of {code}");
        res.json().await.expect("login body")
    }

    /// Polls `GET /v1/auth` with `token` until it answers `status`, for at most `timeout`.
    pub async fn auth_becomes(&self, token: &str, status: u16, timeout: Duration) -> bool {
        eventually(timeout, || async move {
            self.get("/v1/auth", Some(token)).await.status().as_u16() == status
        })
        .await
    }

    /// A direct connection to the test's Redis.
    pub async fn redis(&self) -> redis::aio::MultiplexedConnection {
        connect(&self.env.redis.url()).await
    }

    /// The user's entry as Redis holds it (`wxsession::store::layout`), dead or alive.
    pub async fn user_entry(&self, appid: &str, openid: &str) -> Option<UserEntry> {
        user_entry(&self.env.redis.url(), &self.env.prefix, appid, openid).await
    }

    /// Every key under this test's prefix, with its TTL.
    pub async fn keys_with_ttl(&self) -> Vec<(String, i64)> {
        keys_with_ttl(&self.env.redis.url(), &self.env.prefix).await
    }
}

/// A user's entry as Redis holds it under `prefix`.
pub async fn user_entry(url: &str, prefix: &str, appid: &str, openid: &str) -> Option<UserEntry> {
    let (bucket, field) = layout::user_location(prefix, appid, openid);
    let mut conn = connect(url).await;
    let value: Option<Vec<u8>> = redis::cmd("HGET")
        .arg(bucket)
        .arg(field)
        .query_async(&mut conn)
        .await
        .expect("HGET");
    value.map(|v| UserEntry::decode(&v).expect("a well-formed entry"))
}
