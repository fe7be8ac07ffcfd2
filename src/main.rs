//! The `gate` binary: parse arguments, run, map the outcome to an exit code. The only place
//! that exits: 0 passed, 1 the gate failed, 2 the gate could not check.

use clap::Parser;
use gate::cli::Cli;
use gate::commands::{self, Outcome};
use std::process::ExitCode;

fn main() -> ExitCode {
    gate::trace::init();
    let cli = Cli::parse();
    if let Some(message) = cli.usage_error() {
        // A usage error like clap's own: message, usage line, exit 2.
        <Cli as clap::CommandFactory>::command()
            .error(clap::error::ErrorKind::ArgumentConflict, message)
            .exit();
    }
    match run(cli) {
        Ok(Outcome::Passed) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Ok(Outcome::Incomplete) => ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(commands::run(cli))?)
}
