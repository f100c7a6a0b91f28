//! The command line: `dev`, `serve`, `check-config`, `mock-wechat`.

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
    /// Runs the WeChat API simulator alone (docker-compose, manual tests).
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
        /// Log format.
        #[arg(long, value_enum, default_value = "text")]
        log_format: LogFormat,
    },
}
