//! `wxsession mock-wechat`: the WeChat simulator alone (docker-compose, manual tests), with an
//! optional third-party platform ([`ComponentArgs`]: flags or `WXSESSION_MOCK_*` variables).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use wechat_mock::{MerchantKind, MockApp, MockComponent, MockConfig, MockMerchant, MockWechat};

use super::dev::{DEMO_APPID, DEMO_SECRET};

/// Runs the simulator alone until SIGINT/SIGTERM.
pub async fn run_mock(
    bind: SocketAddr,
    apps: &[String],
    latency_ms: u64,
    callbacks: Vec<String>,
    component: ComponentArgs,
) -> anyhow::Result<()> {
    let apps = if apps.is_empty() {
        vec![MockApp {
            appid: DEMO_APPID.into(),
            secret: DEMO_SECRET.into(),
        }]
    } else {
        apps.iter()
            .map(|spec| {
                let (appid, secret) = spec
                    .split_once('=')
                    .filter(|(a, s)| !a.is_empty() && !s.is_empty())
                    .with_context(|| format!("--app wants APPID=SECRET, got {spec:?}"))?;
                // `APPID=@FILE` reads the secret from a file (a mounted secret).
                let secret = match secret.strip_prefix('@') {
                    Some(path) => std::fs::read_to_string(path)
                        .with_context(|| format!("reading the secret of {appid} from {path}"))?
                        .trim()
                        .to_owned(),
                    None => secret.to_owned(),
                };
                Ok(MockApp {
                    appid: appid.into(),
                    secret,
                })
            })
            .collect::<anyhow::Result<_>>()?
    };
    let count = apps.len();
    let component = component.into_component()?;
    let mock = MockWechat::new(MockConfig {
        apps,
        base_latency: Duration::from_millis(latency_ms),
        callbacks,
        component,
        ..MockConfig::default()
    })
    .start(bind)
    .with_context(|| format!("starting the simulator on {bind}"))?;
    tracing::info!(url = %mock.url, apps = count, "WeChat simulator listening");
    wait_for_signal().await;
    mock.stop().await;
    Ok(())
}

/// The simulated third-party platform: off unless `--component` (`WXSESSION_MOCK_COMPONENT`)
/// is given.
#[derive(Debug, Clone, clap::Parser)]
pub struct ComponentArgs {
    /// The platform to play WeChat's side for, as APPID=SECRET or APPID=@FILE.
    #[arg(
        long = "component",
        env = "WXSESSION_MOCK_COMPONENT",
        value_name = "APPID=SECRET"
    )]
    pub component: Option<String>,
    /// The platform's message-verification Token (3 to 32 letters or digits).
    #[arg(long, env = "WXSESSION_MOCK_COMPONENT_TOKEN", value_name = "TOKEN")]
    pub component_token: Option<String>,
    /// The platform's 43-character EncodingAESKey.
    #[arg(long, env = "WXSESSION_MOCK_COMPONENT_AES_KEY", value_name = "KEY")]
    pub component_aes_key: Option<String>,
    /// The platform's authorization-event URL, where tickets and authorization events are
    /// pushed (e.g. `http://127.0.0.1:8080/v1/component/events`). None: nothing is pushed.
    #[arg(long, env = "WXSESSION_MOCK_COMPONENT_PUSH_URL", value_name = "URL")]
    pub component_push_url: Option<String>,
    /// Seconds between ticket pushes (WeChat: 600).
    #[arg(
        long,
        env = "WXSESSION_MOCK_COMPONENT_TICKET_PERIOD_SECS",
        default_value_t = 600
    )]
    pub component_ticket_period_secs: u64,
    /// Seconds a ticket stays valid (WeChat: 43200).
    #[arg(
        long,
        env = "WXSESSION_MOCK_COMPONENT_TICKET_TTL_SECS",
        default_value_t = 43200
    )]
    pub component_ticket_ttl_secs: u64,
    /// A merchant's app that may authorize the platform, as APPID:KIND:NAME with KIND
    /// `mini_program` or `official_account`; repeatable (comma-separated in the variable).
    #[arg(
        long = "merchant",
        env = "WXSESSION_MOCK_MERCHANTS",
        value_delimiter = ',',
        value_name = "APPID:KIND:NAME"
    )]
    pub merchants: Vec<String>,
    /// A URL under which the authorization page may send browsers back (e.g.
    /// `https://vendor.example/v1/component/`); repeatable (comma-separated in the variable).
    #[arg(
        long = "component-callback",
        env = "WXSESSION_MOCK_COMPONENT_CALLBACKS",
        value_delimiter = ',',
        value_name = "URL"
    )]
    pub component_callbacks: Vec<String>,
}

impl ComponentArgs {
    /// The platform these options describe, or `None` without `--component`.
    pub fn into_component(self) -> anyhow::Result<Option<MockComponent>> {
        let Some(spec) = self.component else {
            return Ok(None);
        };
        let (appid, secret) = spec
            .split_once('=')
            .filter(|(a, s)| !a.is_empty() && !s.is_empty())
            .with_context(|| format!("--component wants APPID=SECRET, got {spec:?}"))?;
        let secret = match secret.strip_prefix('@') {
            Some(path) => std::fs::read_to_string(path)
                .with_context(|| format!("reading the platform's secret from {path}"))?
                .trim()
                .to_owned(),
            None => secret.to_owned(),
        };
        let merchants = self
            .merchants
            .iter()
            .map(|spec| {
                let mut parts = spec.splitn(3, ':');
                let (Some(appid), Some(kind), name) = (parts.next(), parts.next(), parts.next())
                else {
                    anyhow::bail!("--merchant wants APPID:KIND:NAME, got {spec:?}");
                };
                let kind = match kind {
                    "mini_program" => MerchantKind::MiniProgram,
                    "official_account" => MerchantKind::OfficialAccount,
                    other => anyhow::bail!(
                        "a merchant's kind is mini_program or official_account, got {other:?}"
                    ),
                };
                Ok(MockMerchant {
                    appid: appid.to_owned(),
                    kind,
                    nickname: name.unwrap_or(appid).to_owned(),
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let component = MockComponent {
            appid: appid.to_owned(),
            secret,
            token: self
                .component_token
                .context("--component needs --component-token")?,
            encoding_aes_key: self
                .component_aes_key
                .context("--component needs --component-aes-key")?,
            merchants,
            push_url: self.component_push_url,
            ticket_period: Duration::from_secs(self.component_ticket_period_secs.max(1)),
            ticket_ttl: Duration::from_secs(self.component_ticket_ttl_secs.max(1)),
            callbacks: self.component_callbacks,
            ..MockComponent::default()
        };
        component
            .check()
            .map_err(|why| anyhow::anyhow!("the simulated platform: {why}"))?;
        Ok(Some(component))
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
