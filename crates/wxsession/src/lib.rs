//! wxsession: login and session service for WeChat mini-programs. The binary is a thin
//! `main.rs`; everything lives here so that tests build the real application.

pub mod cli;
pub mod dev;
pub mod error;
pub mod ids;
pub mod keyring;
pub mod limits;
pub mod login;
pub mod metrics;
pub mod middleware;
pub mod routes;
pub mod seal;
pub mod settings;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod token;

use cli::Command;

/// Runs a parsed command line.
pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Dev {
            bind,
            mock_bind,
            redis,
            metrics_bind,
            admin_token,
            log_format,
        } => {
            telemetry::init(log_format);
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
            telemetry::init(log_format);
            let settings = settings::Settings::load(&config)?;
            let app = startup::Application::build(&settings)?;
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
            let settings = settings::Settings::load(&config)?;
            print!("{}", settings.to_redacted_toml());
            eprintln!("configuration OK: {} app(s)", settings.apps.len());
            Ok(())
        }
        Command::MockWechat {
            bind,
            apps,
            latency_ms,
            log_format,
        } => {
            telemetry::init(log_format);
            dev::run_mock(bind, &apps, latency_ms).await
        }
    }
}
