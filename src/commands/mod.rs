//! The commands behind the CLI: each turns parsed arguments into stage calls and output.
//! `main.rs` maps what they return to an exit code; nothing here exits the process.

// A command's error is built once per run and only printed: its size does not matter.
#![allow(clippy::result_large_err)]

mod attest;
mod check;
mod explain;
mod export;
mod lint;
mod pin;
mod resolve;
mod sign;
mod verbose;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::registry::{ClientConfig, ResolveError};
use crate::resolve::{Mirror, ResolveConfig};
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
    #[error(transparent)]
    Check(#[from] crate::check::CheckFailure),
    #[error(transparent)]
    Policy(#[from] crate::policy::file::PolicyError),
    #[error(transparent)]
    Settings(#[from] crate::check::SettingsError),
    #[error("cannot read the working directory")]
    Cwd(#[source] std::io::Error),
    #[error(transparent)]
    Verify(#[from] Box<crate::verify::VerifyError>),
    #[error(transparent)]
    Key(#[from] crate::verify::KeyError),
    #[error("`{}` exists (use `--force` to overwrite)", .0.display())]
    Exists(PathBuf),
    #[error(
        "`--certificate-identity[-regexp]` and `--certificate-oidc-issuer[-regexp]` go together"
    )]
    IdentityNeedsIssuer,
    #[error("a check must name images or files: `gate check IMAGE...` or `gate check -f PATH...`")]
    NothingToCheck,
    /// What discover or lint was given could not be read.
    #[error(transparent)]
    Read(#[from] crate::input::ReadError),
    #[error(transparent)]
    Pin(#[from] crate::pin::PinError),
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    #[error("cannot write `{}`", path.display())]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the {what} `{}`", path.display())]
    Input {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the password from the terminal")]
    Prompt(#[source] std::io::Error),
    #[error("the passwords do not match")]
    PasswordMismatch,
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
    #[error("{0}")]
    KeyPassword(String),
    #[error("cannot write to standard output")]
    Stdout(#[source] std::io::Error),
    #[error(
        "`--attest keyless` cannot upload to Rekor yet: set `attest: {{tlog-upload: false}}` in \
         the trusted policy for a summary without a transparency-log entry (verifiers then need \
         `--insecure-ignore-tlog`)"
    )]
    KeylessTlog,
    #[error(transparent)]
    Fulcio(#[from] crate::verify::FulcioError),
}

impl CommandError {
    /// The command line itself is wrong (exit 64), as opposed to could-not-check (exit 2).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            CommandError::Mirror(_)
                | CommandError::UnknownRule(_)
                | CommandError::IdentityNeedsIssuer
                | CommandError::NothingToCheck
        )
    }
}

/// Nothing found is not a pass: a run whose `-f` paths yielded no image reference and no
/// Kubernetes object (a mistyped path, an empty directory) could not check anything, so it is
/// an error in the evidence (exit 2) unless `--allow-empty` says that is expected.
pub fn refuse_empty(ev: &mut crate::evidence::Evidence, files: &[PathBuf], allow_empty: bool) {
    let objects = ev.lint.as_ref().map_or(0, |l| l.objects);
    if allow_empty || files.is_empty() || !ev.images.is_empty() || objects > 0 {
        return;
    }
    let paths: Vec<String> = files.iter().map(|f| format!("`{}`", f.display())).collect();
    ev.errors.push(crate::evidence::CheckError::new(
        "discover",
        format!(
            "{} holds no image reference and no Kubernetes object: check the path \
             (`--allow-empty` if nothing to check is expected)",
            paths.join(", ")
        ),
    ));
    ev.finish(ev.finished_at);
}

/// Render the evidence in the requested format and write it; for `--format github`, also
/// append the step summary to `$GITHUB_STEP_SUMMARY` when it is set.
pub fn emit_report(g: &GlobalArgs, ev: &mut crate::evidence::Evidence) -> Result<(), CommandError> {
    // Annotations and SARIF name files relative to the repository root, not the working directory.
    if ev.repository_root.is_none() {
        ev.repository_root = ev
            .working_directory
            .as_deref()
            .and_then(crate::report::paths::repository_root);
    }
    let ev = &*ev;
    let style = crate::report::table::Style {
        color: color(g),
        width: table_width(g),
    };
    let span = crate::trace::span("report.render", String::new);
    let rendered = crate::report::render(ev, g.format, style)?;
    drop(span);
    let span = crate::trace::span("report.write", || {
        format!("{} byte(s)", rendered.output.len())
    });
    emit(g, &rendered.output)?;
    drop(span);
    let mut step_summary = rendered.step_summary;
    for (format, path) in &g.reports {
        let extra = crate::report::render(ev, *format, crate::report::table::Style::PLAIN)?;
        crate::fsutil::write_atomic(path, extra.output.as_bytes()).map_err(|source| {
            CommandError::Output {
                path: path.clone(),
                source,
            }
        })?;
        step_summary = step_summary.or(extra.step_summary);
    }
    if let (Some(md), Some(path)) = (
        step_summary,
        std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()),
    ) {
        let path = PathBuf::from(path);
        let append = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(md.as_bytes()));
        append.map_err(|source| CommandError::Output { path, source })?;
    }
    Ok(())
}

/// Columns the table wraps at: the terminal's width when standard output is one, else
/// `COLUMNS` when set, else 80 (a file, a pipe, a CI log).
fn table_width(g: &GlobalArgs) -> usize {
    let terminal = g
        .output
        .is_none()
        .then(|| console::Term::stdout().size_checked())
        .flatten()
        .map(|(_rows, cols)| usize::from(cols));
    terminal
        .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
        .filter(|w| *w > 0)
        .unwrap_or(80)
}

/// Whether the report on standard output gets colours: `--color always|never`, else (`auto`)
/// [`color_choice`] over the environment and whether standard output is a terminal.
pub fn color(g: &GlobalArgs) -> bool {
    use std::io::IsTerminal;
    let to_terminal = g.output.is_none() && std::io::stdout().is_terminal();
    color_choice(g.color, to_terminal, |k| std::env::var(k).ok())
}

/// The colour decision, as `ls`, cargo and most tools make it: `--color always`/`never` win;
/// under `auto`, a non-empty `NO_COLOR` turns colour off, then `CLICOLOR_FORCE` (not `0`) turns
/// it on even into a pipe; otherwise colour only on a terminal, and not with `CLICOLOR=0`,
/// `TERM=dumb` or in CI (`CI` set: logs keep escape codes as text).
pub fn color_choice(
    flag: crate::cli::ColorChoice,
    to_terminal: bool,
    env: impl Fn(&str) -> Option<String>,
) -> bool {
    use crate::cli::ColorChoice;
    let set = |k: &str| env(k).filter(|v| !v.is_empty());
    match flag {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if set("NO_COLOR").is_some() {
                false
            } else if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                true
            } else {
                to_terminal
                    && set("CLICOLOR").is_none_or(|v| v != "0")
                    && set("TERM").is_none_or(|v| v != "dumb")
                    && env("CI").is_none()
            }
        }
    }
}

/// Exit status from a finished evidence record.
pub fn outcome_of(ev: &crate::evidence::Evidence) -> Outcome {
    match ev.verdict {
        crate::evidence::Verdict::Passed => Outcome::Passed,
        crate::evidence::Verdict::Failed => Outcome::Failed,
        crate::evidence::Verdict::Incomplete => Outcome::Incomplete,
    }
}

/// Run the parsed command line.
pub async fn run(mut cli: Cli) -> Result<Outcome, CommandError> {
    cli.settle();
    match &cli.command {
        Command::Check(args) => check::run(&cli.global, args).await,
        Command::Resolve(args) => resolve::run(&cli.global, args).await,
        Command::Pin(args) => pin::run(&cli.global, args).await,
        Command::Lint(args) => lint::run(&cli.global, args),
        Command::Sign(args) => sign::sign(&cli.global, args).await,
        Command::GenerateKeyPair(args) => sign::generate_key_pair(&cli.global, args),
        Command::VerifyBlob(args) => sign::verify_blob(&cli.global, args),
        Command::Explain(args) => explain::run(&cli.global, args),
        Command::Export(args) => export::run(&cli.global, args),
        Command::Init(args) => init(&cli.global, args),
        Command::Completions(args) => {
            let mut out = Vec::new();
            clap_complete::generate(
                args.shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "gate",
                &mut out,
            );
            emit(&cli.global, &String::from_utf8_lossy(&out))?;
            Ok(Outcome::Passed)
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut out)
                .map_err(CommandError::Stdout)?;
            emit(&cli.global, &String::from_utf8_lossy(&out))?;
            Ok(Outcome::Passed)
        }
        Command::Version => {
            emit(&cli.global, &format!("gate {}\n", crate::version::LONG))?;
            Ok(Outcome::Passed)
        }
    }
}

/// `gate init`: write the commented starter policy (`--path -`: to standard output).
fn init(g: &GlobalArgs, args: &crate::cli::InitArgs) -> Result<Outcome, CommandError> {
    let text = match &args.key {
        Some(key) => crate::policy::file::Policy::init_text_with_key(key),
        None => crate::policy::file::Policy::init_text().to_string(),
    };
    if args.path.as_os_str() == "-" {
        emit(g, &text)?;
        return Ok(Outcome::Passed);
    }
    if args.path.exists() && !args.force {
        return Err(CommandError::Exists(args.path.clone()));
    }
    crate::fsutil::write_atomic(&args.path, text.as_bytes()).map_err(|source| {
        CommandError::Output {
            path: args.path.clone(),
            source,
        }
    })?;
    if !g.quiet {
        eprintln!("wrote {}", args.path.display());
    }
    Ok(Outcome::Passed)
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
            timeout: g.timeout.max(Duration::from_secs(1)),
            ..ClientConfig::default()
        },
        mirrors,
        concurrency: g.concurrency,
    })
}

/// `--trusted-root`, `--tuf-mirror`, `--tuf-root` as given.
pub fn trust_choice(g: &GlobalArgs) -> crate::verify::tuf::TrustChoice {
    crate::verify::tuf::TrustChoice {
        trusted_root: g.trusted_root.clone(),
        tuf_mirror: g.tuf_mirror.clone(),
        tuf_root: g.tuf_root.clone(),
    }
}

/// How the TUF client runs: `--offline`, `--timeout`, `--ca-file`; the public-good mirror.
pub fn tuf_options(g: &GlobalArgs) -> crate::verify::tuf::TufOptions {
    crate::verify::tuf::TufOptions {
        offline: g.offline,
        timeout: g.timeout.max(Duration::from_secs(1)),
        ca_files: g.ca_file.clone(),
        ..crate::verify::tuf::TufOptions::default()
    }
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
