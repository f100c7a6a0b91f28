//! The `wxsession` binary.

use clap::Parser as _;

/// mimalloc returns memory to the OS promptly and keeps per-connection buffers small, which
/// keeps RSS low with many idle keep-alive connections (see docs/src/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = wxsession::cli::Cli::parse();
    match wxsession::cli::run(cli.command).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("wxsession: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
