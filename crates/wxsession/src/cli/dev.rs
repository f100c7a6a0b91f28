//! `wxsession dev`: the service with an in-memory store and the built-in WeChat simulator.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use secrecy::SecretString;
use wechat_mock::{MockApp, MockConfig, MockWechat};

use crate::settings::{AppKind, AppSettings, Backend, Settings};

/// The demo mini-program of `dev` mode.
pub const DEMO_APPID: &str = "wx1234567890abcdef";
/// Its secret (known to the built-in simulator only).
pub const DEMO_SECRET: &str = "dev-secret";

/// The other demo apps, one of each kind: (appid, kind); each secret is `dev-secret-<kind>`.
pub const DEMO_WEB_APPS: [(&str, AppKind); 3] = [
    ("wxdemowebsite0001", AppKind::Website),
    ("wxdemoofficial001", AppKind::OfficialAccount),
    ("wxdemomobileapp01", AppKind::Mobile),
];

/// A mini-program the simulator knows and no config names: the banner adds it at runtime.
pub const RUNTIME_DEMO: (&str, &str) = ("wx00000000000000d1", "d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1");

fn demo_secret(kind: AppKind) -> String {
    format!("dev-secret-{}", kind.as_str())
}

/// One app of each kind, as settings.
fn demo_apps() -> Vec<AppSettings> {
    let app = |appid: &str, secret: String, kind: AppKind| AppSettings {
        appid: appid.into(),
        secret: Some(SecretString::from(secret)),
        secret_file: None,
        secret_env: None,
        access_token: None,
        kind,
        scope: None,
    };
    let mut apps = vec![app(DEMO_APPID, DEMO_SECRET.into(), AppKind::Miniprogram)];
    apps.extend(
        DEMO_WEB_APPS
            .iter()
            .map(|(appid, kind)| app(appid, demo_secret(*kind), *kind)),
    );
    apps
}

/// What `wxsession dev` was asked for.
#[derive(Debug)]
pub struct DevOptions {
    /// Where the API listens.
    pub bind: SocketAddr,
    /// Where the simulator listens.
    pub mock_bind: SocketAddr,
    /// A Redis instead of the memory store.
    pub redis: Option<String>,
    /// A listener for the operator's `/metrics`.
    pub metrics_bind: Option<SocketAddr>,
    /// The admin token (random when absent).
    pub admin_token: Option<String>,
}

/// Runs the service with the built-in simulator.
pub async fn run_dev(options: DevOptions) -> anyhow::Result<()> {
    let DevOptions {
        bind,
        mock_bind,
        redis,
        metrics_bind,
        admin_token,
    } = options;
    // No known token ships: a fresh random one per run unless one is given.
    let admin_token = match admin_token {
        Some(token) => token,
        None => {
            let mut bytes = [0u8; 16];
            getrandom::fill(&mut bytes).context("the OS random source failed")?;
            format!("dev-{}", hex::encode(bytes))
        }
    };
    // The browser comes back to this exact origin: a free port is chosen now when asked for 0.
    let bind = if bind.port() == 0 {
        std::net::TcpListener::bind(bind)?.local_addr()?
    } else {
        bind
    };
    let host = if bind.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        bind.ip().to_string()
    };
    let public_url = format!("http://{host}:{}", bind.port());
    let apps = demo_apps();
    let mock = MockWechat::new(MockConfig {
        apps: apps
            .iter()
            .map(|a| MockApp {
                appid: a.appid.clone(),
                secret: a
                    .secret
                    .as_ref()
                    .map(|s| secrecy::ExposeSecret::expose_secret(s).to_owned())
                    .unwrap_or_default(),
            })
            .chain(std::iter::once(MockApp {
                appid: RUNTIME_DEMO.0.into(),
                secret: RUNTIME_DEMO.1.into(),
            }))
            .collect(),
        base_latency: Duration::ZERO,
        // The consent pages send browsers back to this service's web-login callbacks only.
        callbacks: vec![format!("{public_url}/v1/web/")],
        // A demo third-party platform with two merchants' mini-programs.
        component: Some(super::dev_platform::mock(&public_url)),
        ..MockConfig::default()
    })
    .start(mock_bind)
    .with_context(|| format!("starting the simulator on {mock_bind}"))?;
    let mut settings = Settings::default();
    settings.server.bind = bind.to_string();
    settings.server.shutdown_timeout_secs = 2;
    settings.server.metrics_bind = metrics_bind.map(|a| a.to_string());
    settings.wechat.api_base = mock.url.clone();
    settings.wechat.open_base = mock.url.clone();
    settings.wechat.mp_base = mock.url.clone();
    let (component, _platform_files) = super::dev_platform::settings(&public_url)?;
    settings.component = Some(component);
    settings.server.public_url = Some(public_url.clone());
    settings.web.insecure_cookies = true;
    settings.web.demo_page = true;
    // One process: a state key of its own, made up now.
    let mut state_key = [0u8; 32];
    getrandom::fill(&mut state_key).context("the OS random source failed")?;
    settings.web.dev_state_key = Some(SecretString::from(hex::encode(state_key)));
    // Runtime apps: their secrets sealed under a key of this process; kept as long as the store
    // keeps them (the memory store: until dev stops), which dev vouches for.
    let mut kek = [0u8; 32];
    getrandom::fill(&mut kek).context("the OS random source failed")?;
    settings.store.dev_key_encryption_key = Some(SecretString::from(hex::encode(kek)));
    settings.store.durability = crate::settings::Durability::Trusted;
    settings.wechat.allow_insecure_http = true;
    settings.wechat.timeout_ms = 2000;
    match redis {
        Some(url) => settings.store.url = url,
        None => settings.store.backend = Backend::Memory,
    }
    settings.admin.token = Some(SecretString::from(admin_token.clone()));
    settings.apps = apps;
    settings.validate()?;
    let app = crate::startup::build(&settings).await?;
    let api = public_url;
    println!(
        "{}",
        banner(&api, &mock.url, settings.store.backend, &admin_token)
    );
    app.run_until_stopped().await?;
    mock.stop().await;
    Ok(())
}

fn banner(api: &str, sim: &str, backend: Backend, admin_token: &str) -> String {
    let [(web, _), (oa, _), (mobile, _)] = DEMO_WEB_APPS;
    let [merchant, _] = super::dev_platform::DEMO_MERCHANTS;
    let platform = super::dev_platform::DEMO_PLATFORM;
    let (runtime_appid, runtime_secret) = RUNTIME_DEMO;
    let store = match backend {
        Backend::Memory => "in-memory store",
        Backend::Redis => "Redis store",
    };
    format!(
        r#"
wxsession dev: {store}, built-in WeChat simulator, one demo app of each kind
  demo page  {api}/   <- open it in a browser: "Log in with WeChat" (website QR or official
                         account), pick a simulated user, Allow; it shows appid, openid, unionid
  API        {api}   (GET /openapi.json, GET /metrics)
  simulator  {sim}
  apps       {DEMO_APPID} (miniprogram)  {web} (website)
             {oa} (official_account)  {mobile} (mobile)
  platform   {platform} (third-party platform; merchants' mini-programs {merchant} and the other demo shop)
  admin token {admin_token}

Paste into a shell (login codes are user:<name>:<anything>, phone codes phone:<name>:<anything>,
each usable once; with several apps, a login names its appid):

TOKEN=$(curl -s -X POST {api}/v1/sessions -H 'content-type: application/json' \
  -d '{{"appid":"{DEMO_APPID}","code":"user:alice:'"$(date +%s%N)"'"}}' | sed -E 's/.*"session":"([^"]+)".*/\1/'); echo "$TOKEN"
curl -s {api}/v1/sessions/current -H "authorization: Bearer $TOKEN"; echo
ENC=$(curl -s -X POST {sim}/__sim/encrypt -H 'content-type: application/json' \
  -d '{{"appid":"{DEMO_APPID}","user":"alice","data":{{"nickName":"Alice","city":"Guangzhou"}}}}')
curl -s -X POST {api}/v1/sessions/current/decrypt -H "authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' -d "$ENC"; echo
curl -s -o /dev/null -D - {api}/v1/auth -H "authorization: Bearer $TOKEN"
curl -s -X POST {api}/v1/sessions/current/phone -H "authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' -d '{{"code":"phone:alice:'"$(date +%s%N)"'"}}'; echo
curl -s {api}/v1/sessions/current/key-status -H "authorization: Bearer $TOKEN"; echo
curl -s -X DELETE {api}/v1/sessions/current -H "authorization: Bearer $TOKEN" -w '%{{http_code}}\n'
curl -s {api}/v1/sessions/current -H "authorization: Bearer $TOKEN"; echo
# one person across apps: the same user's mobile login, then every account with their unionid
curl -s -X POST {api}/v1/sessions -H 'content-type: application/json' \
  -d '{{"appid":"{mobile}","code":"user:alice:'"$(date +%s%N)"'"}}'; echo
UNIONID=$(curl -s -X POST {api}/v1/sessions -H 'content-type: application/json' \
  -d '{{"appid":"{DEMO_APPID}","code":"user:alice:'"$(date +%s%N)"'"}}' | sed -E 's/.*"unionid":"([^"]+)".*/\1/')
curl -s {api}/v1/admin/unions/$UNIONID -H "authorization: Bearer {admin_token}"; echo
# many apps: add a mini-program at runtime (no restart), log in to it, list the apps, remove it
curl -s -X PUT {api}/v1/admin/apps/{runtime_appid} -H "authorization: Bearer {admin_token}" \
  -H 'content-type: application/json' -d '{{"kind":"miniprogram","secret":"{runtime_secret}"}}'; echo
curl -s -X POST {api}/v1/sessions -H 'content-type: application/json' \
  -d '{{"appid":"{runtime_appid}","code":"user:alice:'"$(date +%s%N)"'"}}'; echo
curl -s {api}/v1/admin/apps -H "authorization: Bearer {admin_token}"; echo
curl -s -X DELETE {api}/v1/admin/apps/{runtime_appid} -H "authorization: Bearer {admin_token}" -w '%{{http_code}}\n'
# third-party platform: the page a merchant opens to authorize it (open the url in a browser,
# Allow: back here with the appid), or authorize at the simulator; then log the merchant's users in
curl -s -X POST {api}/v1/admin/component/authorize-url -H "authorization: Bearer {admin_token}" \
  -H 'content-type: application/json' -d '{{"auth_type":2,"state":"demo"}}'; echo
curl -s -X POST {sim}/__sim/component/authorize -H 'content-type: application/json' -d '{{"appid":"{merchant}"}}' >/dev/null
curl -s {api}/v1/admin/apps/{merchant} -H "authorization: Bearer {admin_token}"; echo
curl -s -X POST {api}/v1/sessions -H 'content-type: application/json' \
  -d '{{"appid":"{merchant}","code":"user:alice:'"$(date +%s%N)"'"}}'; echo
"#
    )
}
