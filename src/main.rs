//! The `gate` binary: parse arguments, run, map the outcome to an exit code. The only place
//! that exits; the codes are [`Exit`]'s.

use clap::Parser;
use gate::cli::Cli;
use gate::commands::{self, Outcome};
use std::process::ExitCode;

/// mimalloc (its v2, transparent huge pages off) instead of glibc's allocator: a lint run is
/// millions of small allocations (YAML trees), many freed on another thread; glibc's took 15% of
/// its CPU (docs/speed.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// gate's exit codes, all of them (README "Exit codes", `gate --help`, action.yml).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Exit {
    /// The gate passed (or a command did its job).
    Passed = 0,
    /// The gate failed: findings at error severity (or unpinned references under `pin --check`).
    Failed = 1,
    /// The gate could not check: configuration, network, scanner, input.
    Incomplete = 2,
    /// The command line is wrong (unknown flag, missing argument, flags that do not go
    /// together): nothing was checked. BSD's `EX_USAGE`.
    Usage = 64,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

fn main() -> ExitCode {
    gate::trace::init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` print to standard output and succeed; every other
            // parse error is a usage error.
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Passed
            }
            .into();
        }
    };
    if let Some(message) = cli.usage_error() {
        let _ = <Cli as clap::CommandFactory>::command()
            .error(clap::error::ErrorKind::ArgumentConflict, message)
            .print();
        return Exit::Usage.into();
    }
    match run(cli) {
        Ok(Outcome::Passed) => Exit::Passed,
        Ok(Outcome::Failed) => Exit::Failed,
        Ok(Outcome::Incomplete) => Exit::Incomplete,
        Err(e) => {
            eprintln!("error: {e:#}");
            match e.downcast_ref::<commands::CommandError>() {
                Some(c) if c.is_usage() => Exit::Usage,
                _ => Exit::Incomplete,
            }
        }
    }
    .into()
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(commands::run(cli))?)
}
