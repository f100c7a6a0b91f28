//! `wxsession component recover`: the third-party platform's merchants' refresh tokens stored
//! again from WeChat's list, for a Redis that lost them (see `domain::component::recover`).

use std::path::PathBuf;
use std::sync::Arc;

use crate::domain::clock::{Clock, SystemClock};
use crate::settings::Settings;
use crate::startup::{build_state, build_store};

/// What to do for the platform.
#[derive(Debug, clap::Subcommand)]
pub enum ComponentCommand {
    /// Pages WeChat's list of the merchants that authorized the platform and stores the
    /// refresh tokens it returns (durable or refused); prints what it did as JSON.
    Recover {
        /// The TOML configuration file (its store, keys and `[component]`).
        #[arg(long, short, value_name = "FILE", env = "WXSESSION_CONFIG")]
        config: PathBuf,
    },
}

/// Runs a `component` command.
pub async fn run(command: ComponentCommand) -> anyhow::Result<()> {
    match command {
        ComponentCommand::Recover { config } => {
            let settings = Settings::load(&config)?;
            let clock: Arc<dyn Clock> = Arc::new(SystemClock);
            let store = build_store(&settings, clock.clone())?;
            let state = build_state(&settings, store, clock)?;
            let done = crate::domain::component::recover::recover(&state)
                .await
                .map_err(|e| anyhow::anyhow!("recovering the merchants: {e}"))?;
            println!("{}", serde_json::to_string_pretty(&done)?);
            eprintln!(
                "{} merchant(s) listed by WeChat: {} refresh token(s) stored, {} left as they are",
                done.listed,
                done.stored.len(),
                done.skipped.len()
            );
            Ok(())
        }
    }
}
