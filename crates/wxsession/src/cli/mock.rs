//! `wxsession mock-wechat`: the WeChat simulator alone (docker-compose, manual tests).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use wechat_mock::{MockApp, MockConfig, MockWechat};

use super::dev::{DEMO_APPID, DEMO_SECRET};

/// Runs the simulator alone until SIGINT/SIGTERM.
pub async fn run_mock(
    bind: SocketAddr,
    apps: &[String],
    latency_ms: u64,
    callbacks: Vec<String>,
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
    let mock = MockWechat::new(MockConfig {
        apps,
        base_latency: Duration::from_millis(latency_ms),
        callbacks,
        ..MockConfig::default()
    })
    .start(bind)
    .with_context(|| format!("starting the simulator on {bind}"))?;
    tracing::info!(url = %mock.url, apps = count, "WeChat simulator listening");
    wait_for_signal().await;
    mock.stop().await;
    Ok(())
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
