//! `wxsession apps export` / `apps import` / `apps reseal`: back up and restore the app registry
//! (secrets stay sealed), and re-seal it after a key rotation (see `domain::apps::backup`).

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;

use crate::domain::apps::backup::{self, Backup};
use crate::domain::clock::{Clock, SystemClock};
use crate::settings::Settings;
use crate::startup::{build_state, build_store};

/// What to do with the registry.
#[derive(Debug, clap::Subcommand)]
pub enum AppsCommand {
    /// Writes every app added at runtime or by the third-party platform to a backup file.
    Export {
        /// The TOML configuration file (its store and key-encryption keys).
        #[arg(long, short, value_name = "FILE", env = "WXSESSION_CONFIG")]
        config: PathBuf,
        /// Where to write the backup (`-`: standard output).
        #[arg(long, short, value_name = "PATH", default_value = "-")]
        output: PathBuf,
    },
    /// After a key rotation (the new key first in `store.key_encryption_key_files` on every
    /// replica, the old ones still listed): seals every app's secret and every merchant's
    /// refresh token under the newest key.
    Reseal {
        /// The TOML configuration file (its store and key-encryption keys).
        #[arg(long, short, value_name = "FILE", env = "WXSESSION_CONFIG")]
        config: PathBuf,
    },
    /// Writes a backup's apps into the store (each atomically; the config file's own apps are
    /// left out), after checking that every secret opens with the configured keys.
    Import {
        /// The TOML configuration file (its store and key-encryption keys).
        #[arg(long, short, value_name = "FILE", env = "WXSESSION_CONFIG")]
        config: PathBuf,
        /// The backup to read (`-`: standard input).
        #[arg(long, short, value_name = "PATH", default_value = "-")]
        input: PathBuf,
    },
}

fn state_of(config: &Path) -> anyhow::Result<crate::state::AppState> {
    let settings = Settings::load(config)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = build_store(&settings, clock.clone())?;
    build_state(&settings, store, clock)
}

/// Runs an `apps` command.
pub async fn run(command: AppsCommand) -> anyhow::Result<()> {
    match command {
        AppsCommand::Export { config, output } => {
            let state = state_of(&config)?;
            let backup = backup::export(&state)
                .await
                .map_err(|e| anyhow::anyhow!("reading the apps: {e}"))?;
            let text = serde_json::to_string_pretty(&backup)?;
            if output == Path::new("-") {
                println!("{text}");
            } else {
                let mut file = std::fs::File::create(&output)
                    .with_context(|| format!("creating {}", output.display()))?;
                file.write_all(text.as_bytes())?;
                file.write_all(b"\n")?;
            }
            eprintln!("exported {} app(s)", backup.apps.len());
            Ok(())
        }
        AppsCommand::Reseal { config } => {
            let state = state_of(&config)?;
            let done = backup::reseal(&state)
                .await
                .map_err(|e| anyhow::anyhow!("re-sealing: {e}"))?;
            eprintln!(
                "re-sealed {} app(s); {} already under the newest key; {} left (changed meanwhile or sealed under a key not configured: run again or check the keys)",
                done.resealed, done.current, done.left
            );
            if done.left > 0 {
                anyhow::bail!("{} app(s) not re-sealed", done.left);
            }
            Ok(())
        }
        AppsCommand::Import { config, input } => {
            let state = state_of(&config)?;
            let mut text = String::new();
            if input == Path::new("-") {
                std::io::stdin().read_to_string(&mut text)?;
            } else {
                text = std::fs::read_to_string(&input)
                    .with_context(|| format!("reading {}", input.display()))?;
            }
            let backup: Backup = serde_json::from_str(&text).context("reading the backup")?;
            let done = backup::import(&state, backup)
                .await
                .map_err(|e| anyhow::anyhow!("importing: {e}"))?;
            eprintln!(
                "imported: {} created, {} replaced, {} left out (served by the config file)",
                done.created, done.replaced, done.skipped
            );
            Ok(())
        }
    }
}
