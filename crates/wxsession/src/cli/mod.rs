//! The command line: `dev`, `serve`, `check-config`, `apps export|import`, `component recover`, `mock-wechat`. `dev` and `mock-wechat`
//! embed the WeChat simulator and are compiled in with the default `dev` feature only.

pub mod apps;
pub mod component;
#[cfg(feature = "dev")]
pub mod dev;
#[cfg(feature = "dev")]
mod dev_platform;
#[cfg(feature = "dev")]
mod mock;

#[cfg(feature = "dev")]
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::telemetry::LogFormat;

/// Login and session service for WeChat mini-programs.
#[derive(Debug, Parser)]
#[command(name = "wxsession", version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// One process for trying it out: in-memory store (or --redis), the built-in WeChat
    /// simulator as upstream, one demo app. Prints ready-to-paste curl lines.
    #[cfg(feature = "dev")]
    Dev {
        /// Where the API listens.
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Where the built-in simulator listens.
        #[arg(long, default_value = "127.0.0.1:8081")]
        mock_bind: SocketAddr,
        /// Use this Redis instead of the in-memory store.
        #[arg(long, value_name = "URL")]
        redis: Option<String>,
        /// Serve `/metrics` (every family) on this address too; the API listener's `/metrics`
        /// leaves out what could serve as an oracle.
        #[arg(long, value_name = "ADDR")]
        metrics_bind: Option<SocketAddr>,
        /// The admin token; default: a random one, printed in the banner.
        #[arg(long, value_name = "TOKEN", env = "WXSESSION_DEV_ADMIN_TOKEN")]
        admin_token: Option<String>,
        /// Log format.
        #[arg(long, value_enum, default_value = "text")]
        log_format: LogFormat,
    },
    /// Production: configuration from FILE, then WXSESSION__SECTION__KEY environment overrides.
    Serve {
        /// The TOML configuration file.
        #[arg(long, short, value_name = "FILE", env = "WXSESSION_CONFIG")]
        config: PathBuf,
        /// Log format.
        #[arg(long, value_enum, default_value = "json")]
        log_format: LogFormat,
    },
    /// Validates the configuration and prints it with secrets redacted.
    CheckConfig {
        /// The TOML configuration file.
        #[arg(long, short, value_name = "FILE", env = "WXSESSION_CONFIG")]
        config: PathBuf,
    },
    /// Backs up and restores the apps added at runtime (secrets stay sealed).
    Apps {
        /// export or import.
        #[command(subcommand)]
        command: apps::AppsCommand,
    },
    /// The third-party platform: `recover` its merchants' refresh tokens from WeChat.
    Component {
        /// recover.
        #[command(subcommand)]
        command: component::ComponentCommand,
    },
    /// Runs the WeChat API simulator alone (docker-compose, manual tests).
    #[cfg(feature = "dev")]
    MockWechat {
        /// Where it listens.
        #[arg(long, default_value = "127.0.0.1:8081")]
        bind: SocketAddr,
        /// An app it accepts, as APPID=SECRET or APPID=@FILE (the secret read from FILE);
        /// repeatable. Default: the dev demo app.
        #[arg(long = "app", value_name = "APPID=SECRET")]
        apps: Vec<String>,
        /// Latency added to every jscode2session answer.
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
        /// A URL under which the consent pages may send browsers back, e.g.
        /// `https://login.example.com/v1/web/`; repeatable. Default: none (no page redirects).
        #[arg(long = "callback", value_name = "URL")]
        callbacks: Vec<String>,
        /// The simulated third-party platform (flags or `WXSESSION_MOCK_*` variables).
        #[command(flatten)]
        component: mock::ComponentArgs,
        /// Log format.
        #[arg(long, value_enum, default_value = "text")]
        log_format: LogFormat,
    },
}

/// Runs a parsed command line.
pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        #[cfg(feature = "dev")]
        Command::Dev {
            bind,
            mock_bind,
            redis,
            metrics_bind,
            admin_token,
            log_format,
        } => {
            let _log = crate::telemetry::init(log_format);
            let options = dev::DevOptions {
                bind,
                mock_bind,
                redis,
                metrics_bind,
                admin_token,
            };
            dev::run_dev(options).await
        }
        Command::Serve { config, log_format } => {
            let _log = crate::telemetry::init(log_format);
            let settings = crate::settings::Settings::load(&config)?;
            let app = crate::startup::build(&settings).await?;
            tracing::info!(
                port = app.port(),
                metrics_port = app.metrics_port(),
                "wxsession serving"
            );
            app.run_until_stopped().await?;
            tracing::info!("wxsession stopped");
            Ok(())
        }
        Command::CheckConfig { config } => {
            let settings = crate::settings::Settings::load(&config)?;
            print!("{}", settings.to_redacted_toml());
            eprintln!("configuration OK: {} app(s)", settings.apps.len());
            Ok(())
        }
        Command::Apps { command } => apps::run(command).await,
        Command::Component { command } => component::run(command).await,
        #[cfg(feature = "dev")]
        Command::MockWechat {
            bind,
            apps,
            latency_ms,
            callbacks,
            component,
            log_format,
        } => {
            let _log = crate::telemetry::init(log_format);
            mock::run_mock(bind, &apps, latency_ms, callbacks, component).await
        }
    }
}
