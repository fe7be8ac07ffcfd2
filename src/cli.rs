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
    /// Also write the report in FORMAT to FILE (e.g. `json=gate.json`); repeatable, so one run
    /// gives the table, the evidence record and SARIF together.
    #[arg(long = "report", value_name = "FORMAT=FILE", value_parser = parse_report, global = true)]
    pub reports: Vec<(Format, PathBuf)>,
    /// No progress output.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// More detail on standard error.
    #[arg(long, short, global = true)]
    pub verbose: bool,
}

/// `FORMAT=FILE` of `--report`.
fn parse_report(s: &str) -> Result<(Format, PathBuf), String> {
    let (format, file) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not FORMAT=FILE (e.g. `json=gate.json`)"))?;
    let format = Format::from_str(format, true)?;
    if file.is_empty() {
        return Err(format!("`{s}` names no file"));
    }
    Ok((format, PathBuf::from(file)))
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
    /// The whole gate: resolve, scan, verify and lint, report, and optionally pin.
    Check(CheckArgs),
    /// Resolve image references to digests and print `name@sha256:…`.
    Resolve(ResolveArgs),
    /// Rewrite image references in files to `name:tag@sha256:…` (byte for byte elsewhere).
    Pin(PinArgs),
    /// Check Kubernetes manifests against the guardrails (offline).
    Lint(LintArgs),
    /// Sign images (by digest) with a cosign key; appends to existing signatures.
    Sign(SignArgs),
    /// Write a cosign-compatible key pair (`cosign.key`, `cosign.pub`).
    GenerateKeyPair(GenerateKeyPairArgs),
    /// Verify a file against a Sigstore bundle (key or keyless identity).
    VerifyBlob(VerifyBlobArgs),
    /// Explain a rule: what it checks, why it matters, how to fix it.
    Explain(ExplainArgs),
    /// Write a commented starter policy (`.gate.yaml`).
    Init(InitArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the policy.
    #[arg(long, value_name = "FILE", default_value = ".gate.yaml")]
    pub path: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The cosign private key file (`ENCRYPTED SIGSTORE PRIVATE KEY` or `ENCRYPTED COSIGN PRIVATE KEY`).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The environment variable holding the key's password (empty when unset).
    #[arg(long, value_name = "VAR", default_value = "COSIGN_PASSWORD")]
    pub password_env: String,
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct GenerateKeyPairArgs {
    /// Path prefix of the key files (`PREFIX.key`, `PREFIX.pub`).
    #[arg(long, value_name = "PREFIX", default_value = "cosign")]
    pub output_key_prefix: PathBuf,
    /// The environment variable holding the password to encrypt the key with.
    #[arg(long, value_name = "VAR", default_value = "COSIGN_PASSWORD")]
    pub password_env: String,
    /// Overwrite existing files.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct VerifyBlobArgs {
    /// The Sigstore bundle (`.sigstore.json`).
    #[arg(long, value_name = "FILE")]
    pub bundle: PathBuf,
    /// A public key file or `env://VAR`.
    #[arg(long, value_name = "KEY", conflicts_with = "certificate_identity")]
    pub key: Option<String>,
    /// The certificate's identity (email or URI), exact.
    #[arg(long, value_name = "IDENTITY")]
    pub certificate_identity: Option<String>,
    /// The OIDC issuer of the certificate, exact.
    #[arg(long, value_name = "URL")]
    pub certificate_oidc_issuer: Option<String>,
    /// A Sigstore `trusted_root.json` (default: the public-good root shipped in gate).
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// The signed file.
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct PinArgs {
    /// Files or directories (recursive); `-` reads standard input.
    #[arg(short = 'f', long = "file", value_name = "PATH", required = true)]
    pub files: Vec<PathBuf>,
    /// Write nothing; list unpinned or stale references and exit 1 if there are any.
    #[arg(long, conflicts_with = "diff")]
    pub check: bool,
    /// Write nothing; print a unified diff of what would change.
    #[arg(long)]
    pub diff: bool,
    /// Write `name@sha256:…` without the tag.
    #[arg(long)]
    pub strip_tag: bool,
    /// Re-pin references whose tag now points to another digest.
    #[arg(long)]
    pub update: bool,
    /// Policy file (default: `.gate.yaml` in the working tree, else the built-in policy): its
    /// search rules and registries (mirrors, insecure) apply.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files or directories (recursive).
    #[arg(short = 'f', long = "file", value_name = "PATH", required = true)]
    pub files: Vec<PathBuf>,
    /// Policy file (default: `.gate.yaml` in the working tree, else the built-in policy).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Pod Security Standards level when no Namespace label says otherwise.
    #[arg(long, value_name = "LEVEL")]
    pub pss_level: Option<crate::lint::pss::Level>,
    /// Pod Security Standards version (`v1.29`, `latest`).
    #[arg(long, value_name = "VERSION")]
    pub pss_version: Option<crate::lint::pss::Version>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Image references to check (in addition to those found with `-f`).
    #[arg(value_name = "IMAGE")]
    pub images: Vec<String>,
    /// Files or directories to discover image references and Kubernetes objects in.
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub files: Vec<PathBuf>,
    /// Policy file (default: `.gate.yaml` in the working tree, else the built-in policy).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// After the verdict, rewrite references whose image passed to `name:tag@sha256:…`.
    #[arg(long)]
    pub pin: bool,
    /// With `--pin`: write `name@sha256:…` without the tag.
    #[arg(long, requires = "pin")]
    pub strip_tag: bool,
    /// With `--pin`: re-pin references whose tag moved to another digest.
    #[arg(long, requires = "pin")]
    pub update: bool,
    /// Report, but exit 0 when the gate fails (still 2 when it could not check).
    #[arg(long)]
    pub warn_only: bool,
    /// Trust this cosign public key (file or `env://VAR`); repeatable. Makes signatures required.
    #[arg(long = "key", value_name = "KEY")]
    pub keys: Vec<String>,
    /// The `trivy` binary (default: `trivy` on `PATH`).
    #[arg(long, value_name = "PATH")]
    pub trivy: Option<PathBuf>,
    /// Scan through a running Trivy server instead of starting one.
    #[arg(long, value_name = "URL")]
    pub trivy_server: Option<String>,
    /// Write CycloneDX and SPDX SBOMs per digest into this directory.
    #[arg(long, value_name = "DIR")]
    pub sbom_dir: Option<PathBuf>,
    /// No network for the scanner's database (Trivy `--skip-db-update --offline-scan`).
    #[arg(long)]
    pub offline: bool,
    /// Neither read nor write the scan cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Do not scan for vulnerabilities.
    #[arg(long)]
    pub skip_scan: bool,
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
