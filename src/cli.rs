//! Command-line types (clap derive), no logic. `main.rs` parses these and hands them to
//! [`crate::commands::run`].

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "gate",
    version,
    about = "Supply-chain CI gate for container images and Kubernetes manifests",
    long_about = "gate resolves every image a change deploys to its digest, scans and verifies \
that digest, checks the manifests against Kubernetes guardrails, reports, and pins the files.\n\n\
Exit codes: 0 passed, 1 the gate failed, 2 the gate could not check."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Allow plain HTTP to this registry (`host[:port]`); repeatable. Everything else is TLS.
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]", global = true)]
    pub insecure_registry: Vec<String>,
    /// Trust this PEM CA certificate (bundle) for registry TLS; repeatable.
    #[arg(long = "ca-file", value_name = "PEM", global = true)]
    pub ca_file: Vec<PathBuf>,
    /// Resolve `SRC/...` through `DST/...` (registry host or host/path prefix); repeatable.
    #[arg(long, value_name = "SRC=DST", global = true)]
    pub mirror: Vec<String>,
    /// Registry requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = crate::resolve::DEFAULT_CONCURRENCY, global = true)]
    pub concurrency: usize,
    /// Timeout of one registry request, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, global = true)]
    pub timeout: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table, global = true)]
    pub format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE", global = true)]
    pub output: Option<PathBuf>,
    /// No progress output.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// More detail on standard error.
    #[arg(long, short, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Sarif,
    Junit,
    Github,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Resolve image references to digests and print `name@sha256:…`.
    Resolve(ResolveArgs),
    /// Explain a rule: what it checks, why it matters, how to fix it.
    Explain(ExplainArgs),
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// Image references (`nginx:1.27`, `ghcr.io/acme/api@sha256:…`).
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Rule ID (`GATE-IMG-001`) or name (`unpinned-image`); omit to list every rule.
    pub rule: Option<String>,
}
