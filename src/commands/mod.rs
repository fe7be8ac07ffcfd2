//! The commands behind the CLI: each turns parsed arguments into stage calls and output.
//! `main.rs` maps what they return to an exit code; nothing here exits the process.

mod explain;
mod resolve;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::resolve::{ClientConfig, Mirror, ResolveConfig, ResolveError};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// What a command concluded, when it could do its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Passed,
    /// Exit 1: the gate failed (findings at error severity, unpinned references under --check).
    Failed,
    /// Exit 2: some part could not be checked; the details were already printed.
    Incomplete,
}

/// Why a command could not do its job at all (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("invalid `--mirror`: {0}")]
    Mirror(String),
    #[error("unknown rule `{0}` (run `gate explain` to list the rules)")]
    UnknownRule(String),
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error("cannot write `{}`", path.display())]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write to standard output")]
    Stdout(#[source] std::io::Error),
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}

/// Run the parsed command line.
pub async fn run(cli: Cli) -> Result<Outcome, CommandError> {
    match &cli.command {
        Command::Resolve(args) => resolve::run(&cli.global, args).await,
        Command::Explain(args) => explain::run(&cli.global, args),
    }
}

/// The resolver settings the global flags describe.
pub fn resolve_config(g: &GlobalArgs) -> Result<ResolveConfig, CommandError> {
    let mirrors = g
        .mirror
        .iter()
        .map(|m| m.parse::<Mirror>().map_err(CommandError::Mirror))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ResolveConfig {
        client: ClientConfig {
            insecure: g.insecure_registry.clone(),
            ca_files: g.ca_file.clone(),
            timeout: Duration::from_secs(g.timeout.max(1)),
            ..ClientConfig::default()
        },
        mirrors,
        concurrency: g.concurrency,
    })
}

/// Write the report to `--output` (atomically) or standard output. A closed pipe is not an error.
pub fn emit(g: &GlobalArgs, text: &str) -> Result<(), CommandError> {
    match &g.output {
        Some(path) => crate::fsutil::write_atomic(path, text.as_bytes()).map_err(|source| {
            CommandError::Output {
                path: path.clone(),
                source,
            }
        }),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.map_err(CommandError::Stdout),
            }
        }
    }
}
