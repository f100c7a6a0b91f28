//! The `wxsession` binary.

use clap::Parser as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = wxsession::cli::Cli::parse();
    match wxsession::run(cli.command).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("wxsession: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
