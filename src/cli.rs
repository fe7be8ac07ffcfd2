//! Command-line types (clap derive), no logic. `main.rs` parses these and hands them to
//! [`crate::commands::run`].

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "gate",
    version,
    long_version = crate::version::LONG,
    about = "Supply-chain CI gate for container images and Kubernetes manifests",
    long_about = "gate resolves every image a change deploys to its digest, scans and verifies \
that digest, checks the manifests against Kubernetes guardrails, reports, and pins the files.\n\n\
Exit codes: 0 passed, 1 the gate failed, 2 the gate could not check, 64 usage error (a \
wrong flag or argument: nothing was checked).",
    after_help = EXAMPLES_GATE
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// Registry options given before the command.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Sigstore trust options given before the command.
    #[command(flatten)]
    pub trust: TrustArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// `--help` headings: global, registry, scan, verify and output options each under their own.
pub const REGISTRY: &str = "Registry options";
pub const OUTPUT: &str = "Output options";
pub const GLOBAL: &str = "Global options";
pub const SCAN: &str = "Scan options";
pub const VERIFY: &str = "Verify options";
pub const PIN: &str = "Pin options";

/// Options every command takes. The registry and trust options in effect are here too, but not
/// parsed here: [`Cli::settle`] fills them from [`RegistryArgs`] and [`TrustArgs`] (given
/// before the command, or after it by a command that uses them), so `gate lint --help` does not
/// offer them.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Plain HTTP to these registries (`--insecure-registry`).
    #[arg(skip)]
    pub insecure_registry: Vec<String>,
    /// Extra CA certificates for registry TLS (`--ca-file`).
    #[arg(skip)]
    pub ca_file: Vec<PathBuf>,
    /// `SRC=DST` mirrors (`--mirror`).
    #[arg(skip)]
    pub mirror: Vec<String>,
    /// Registry requests in flight at once (`--concurrency`).
    #[arg(skip = crate::resolve::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// Timeout of one registry request (`--timeout`).
    #[arg(skip = DEFAULT_TIMEOUT)]
    pub timeout: std::time::Duration,
    /// `--trusted-root` in effect (set by [`Cli::settle`]).
    #[arg(skip)]
    pub trusted_root: Option<PathBuf>,
    /// `--tuf-mirror` in effect (set by [`Cli::settle`]).
    #[arg(skip)]
    pub tuf_mirror: Option<String>,
    /// `--tuf-root` in effect (set by [`Cli::settle`]).
    #[arg(skip)]
    pub tuf_root: Option<PathBuf>,
    /// No network for the scanner's database (Trivy `--skip-db-update --offline-scan`) or for
    /// Sigstore's trusted root (the cached TUF repository is used).
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub offline: bool,
    /// Output format (`check` and `lint` render every format; `resolve` table and json; the
    /// other commands only their own text, and reject any other `--format`).
    #[arg(long, value_enum, default_value_t = Format::Table, global = true, help_heading = OUTPUT)]
    pub format: Format,
    /// Colours in the table: `auto` (a terminal, unless `NO_COLOR`, `CLICOLOR=0`, `TERM=dumb`
    /// or CI; `CLICOLOR_FORCE=1` forces them), `always` or `never`.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, global = true, help_heading = OUTPUT)]
    pub color: ColorChoice,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE", global = true, help_heading = OUTPUT)]
    pub output: Option<PathBuf>,
    /// Also write the report in FORMAT to FILE (e.g. `json=gate.json`); repeatable, so one run
    /// gives the table, the evidence record and SARIF together (`check` and `lint`).
    #[arg(long = "report", value_name = "FORMAT=FILE", value_parser = parse_report, global = true, help_heading = OUTPUT)]
    pub reports: Vec<(Format, PathBuf)>,
    /// No progress output.
    #[arg(long, short, global = true, conflicts_with = "verbose", help_heading = GLOBAL)]
    pub quiet: bool,
    /// More detail on standard error: what each stage did for each image (digest, scan or
    /// cache, signatures checked) and how long each stage took.
    #[arg(long, short, global = true, help_heading = GLOBAL)]
    pub verbose: bool,
}

/// `--timeout` when none is given.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Registry options, offered only by the commands that reach a registry ([`Command::registry`]:
/// `check`, `resolve`, `pin`, `sign`, and `verify-blob`, whose TUF client honours `--timeout`
/// and `--ca-file`). They may also come before the command (`gate --insecure-registry HOST
/// check`), where every command accepts them (wrappers put them there) and one that reaches no
/// registry has no use for them; after an offline command they are unknown arguments.
#[derive(Debug, Clone, Default, Args)]
pub struct RegistryArgs {
    /// Allow plain HTTP to this registry (`host[:port]`); repeatable. Everything else is TLS.
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]", help_heading = REGISTRY)]
    pub insecure_registry: Vec<String>,
    /// Trust this PEM CA certificate (bundle) for registry TLS; repeatable.
    #[arg(long = "ca-file", value_name = "PEM", help_heading = REGISTRY)]
    pub ca_file: Vec<PathBuf>,
    /// Resolve `SRC/...` through `DST/...` (registry host or host/path prefix); repeatable.
    #[arg(long, value_name = "SRC=DST", help_heading = REGISTRY)]
    pub mirror: Vec<String>,
    /// Registry requests in flight at once [default: 16].
    #[arg(long, value_name = "N", help_heading = REGISTRY)]
    pub concurrency: Option<usize>,
    /// Timeout of each registry request (not the whole run, not a scan: see `--scan-timeout`):
    /// seconds, or `30s`, `5m`, `1h` [default: 30s].
    #[arg(long, value_name = "DURATION", value_parser = crate::units::duration_arg, help_heading = REGISTRY)]
    pub timeout: Option<std::time::Duration>,
}

/// Sigstore trust options, offered only by the commands that verify signatures
/// ([`Command::trust`]: `check` and `verify-blob`); like the registry options they may also
/// come before the command.
#[derive(Debug, Clone, Default, Args)]
pub struct TrustArgs {
    /// A Sigstore `trusted_root.json` to verify with; overrides TUF and the policy.
    #[arg(long, value_name = "FILE", help_heading = VERIFY)]
    pub trusted_root: Option<PathBuf>,
    /// Get Sigstore's trusted root through this TUF repository (default: Sigstore's public-good
    /// `https://tuf-repo-cdn.sigstore.dev`), like `cosign initialize --mirror`.
    #[arg(long, value_name = "URL", help_heading = VERIFY)]
    pub tuf_mirror: Option<String>,
    /// The bootstrap TUF `root.json` of `--tuf-mirror` (default: the public-good root shipped in
    /// gate), like `cosign initialize --root`.
    #[arg(long, value_name = "FILE", help_heading = VERIFY)]
    pub tuf_root: Option<PathBuf>,
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

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
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
// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// The whole gate: resolve, scan, verify and lint, report, and optionally pin.
    #[command(after_help = EXAMPLES_CHECK)]
    Check(CheckArgs),
    /// Resolve image references to digests and print `name@sha256:…`.
    #[command(after_help = EXAMPLES_RESOLVE)]
    Resolve(ResolveArgs),
    /// Rewrite image references in files to `name:tag@sha256:…` (byte for byte elsewhere).
    #[command(after_help = EXAMPLES_PIN)]
    Pin(PinArgs),
    /// Check Kubernetes manifests against the guardrails (offline).
    #[command(after_help = EXAMPLES_LINT)]
    Lint(LintArgs),
    /// Sign images (by digest) with a cosign key; appends to existing signatures.
    #[command(after_help = EXAMPLES_SIGN)]
    Sign(SignArgs),
    /// Write a cosign-compatible key pair (`cosign.key`, `cosign.pub`).
    #[command(after_help = EXAMPLES_GENERATE_KEY_PAIR)]
    GenerateKeyPair(GenerateKeyPairArgs),
    /// Verify a file against a Sigstore bundle (key or keyless identity).
    #[command(after_help = EXAMPLES_VERIFY_BLOB)]
    VerifyBlob(VerifyBlobArgs),
    /// Explain a rule: what it checks, why it matters, how to fix it.
    #[command(after_help = EXAMPLES_EXPLAIN)]
    Explain(ExplainArgs),
    /// Write admission configuration (Kyverno, policy-controller, ValidatingAdmissionPolicy,
    /// Pod Security labels) from the trusted policy.
    #[command(after_help = EXAMPLES_EXPORT)]
    Export(ExportArgs),
    /// Write a commented starter policy (`.gate.yaml`) holding the built-in defaults.
    #[command(after_help = EXAMPLES_INIT)]
    Init(InitArgs),
    /// Print a shell completion script (`gate completions bash > /etc/bash_completion.d/gate`).
    #[command(after_help = EXAMPLES_COMPLETIONS)]
    Completions(CompletionsArgs),
    /// Print the man page (roff) for `gate`.
    #[command(after_help = EXAMPLES_MAN)]
    Man,
    /// Print the version, commit, build date, target, embedded trusted root and pinned Trivy.
    #[command(after_help = EXAMPLES_VERSION)]
    Version,
}

/// `gate --help` ends with the exit codes and examples; each command's `--help` with its own
/// examples (a test checks that every command has some).
const EXAMPLES_GATE: &str = "\
Exit codes: 0 passed, 1 the gate failed, 2 the gate could not check, 64 usage error.

Examples:
  gate check -f deploy/ --pin --key cosign.pub
  gate lint -f deploy/
  gate explain GATE-IMG-001";

const EXAMPLES_CHECK: &str = "\
Examples:
  gate check nginx:1.27
  gate check -f deploy/ --pin --key cosign.pub
  gate check -f deploy/ --report json=gate.json --report sarif=gate.sarif
  gate check -f deploy/ --certificate-identity-regexp 'https://github\\.com/acme/.+' \\
    --certificate-oidc-issuer https://token.actions.githubusercontent.com
  gate check -f deploy/ --trivy-db-repository registry.internal/mirror/trivy-db --scan-timeout 15m";

const EXAMPLES_RESOLVE: &str = "\
Examples:
  gate resolve nginx:1.27 ghcr.io/acme/api:v2
  gate resolve --format json nginx:1.27";

const EXAMPLES_PIN: &str = "\
Examples:
  gate pin -f deploy/
  gate pin -f deploy/ --check
  gate pin -f deploy/ --diff --update
  helm template app ./chart | gate pin -f - | kubectl apply -f -";

const EXAMPLES_LINT: &str = "\
Examples:
  gate lint -f deploy/
  gate lint -f deploy/ --pss-level baseline --pss-version v1.29
  gate lint -f deploy/ --format sarif -o lint.sarif";

const EXAMPLES_SIGN: &str = "\
Examples:
  COSIGN_PASSWORD=... gate sign --key cosign.key ghcr.io/acme/api:1.4.2
  gate sign --key cosign.key --insecure-registry localhost:5000 localhost:5000/app:v1";

const EXAMPLES_GENERATE_KEY_PAIR: &str = "\
Examples:
  gate generate-key-pair
  COSIGN_PASSWORD=... gate generate-key-pair --output-key-prefix ci/release";

const EXAMPLES_VERIFY_BLOB: &str = "\
Examples:
  gate verify-blob --bundle app.tgz.sigstore.json --key cosign.pub app.tgz
  gate verify-blob --bundle app.tgz.sigstore.json --certificate-identity you@example.com \\
    --certificate-oidc-issuer https://accounts.google.com app.tgz";

const EXAMPLES_EXPLAIN: &str = "\
Examples:
  gate explain
  gate explain GATE-VULN-001
  gate explain unpinned-image";

const EXAMPLES_EXPORT: &str = "\
Examples:
  gate export --policy gate-policy.yaml
  gate export --policy gate-policy.yaml --output-dir admission/ --namespace shop
  gate export --policy gate-policy.yaml | kubectl apply --dry-run=server -f -";

const EXAMPLES_INIT: &str = "\
Examples:
  gate init
  gate init --key cosign.pub
  gate init --path - | less";

const EXAMPLES_COMPLETIONS: &str = "\
Examples:
  gate completions bash > /etc/bash_completion.d/gate
  gate completions zsh > \"${fpath[1]}/_gate\"";

const EXAMPLES_MAN: &str = "\
Examples:
  gate man | man -l -";

const EXAMPLES_VERSION: &str = "\
Examples:
  gate version";

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

impl Command {
    /// The formats this command renders; `--format` and `--report` with another format are a
    /// usage error rather than silently ignored. `table` (the default) is each command's text.
    pub fn formats(&self) -> &'static [Format] {
        match self {
            Command::Check(_) | Command::Lint(_) => &[
                Format::Table,
                Format::Json,
                Format::Sarif,
                Format::Junit,
                Format::Github,
            ],
            Command::Resolve(_) => &[Format::Table, Format::Json],
            _ => &[Format::Table],
        }
    }

    /// The registry options of a command that reaches a registry; `None` for the others.
    pub fn registry(&self) -> Option<&RegistryArgs> {
        match self {
            Command::Check(a) => Some(&a.registry),
            Command::Resolve(a) => Some(&a.registry),
            Command::Pin(a) => Some(&a.registry),
            Command::Sign(a) => Some(&a.registry),
            Command::VerifyBlob(a) => Some(&a.registry),
            _ => None,
        }
    }

    /// The Sigstore trust options of a command that verifies signatures; `None` for the others.
    pub fn trust(&self) -> Option<&TrustArgs> {
        match self {
            Command::Check(a) => Some(&a.trust),
            Command::VerifyBlob(a) => Some(&a.trust),
            _ => None,
        }
    }

    /// The subcommand's name as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Check(_) => "check",
            Command::Resolve(_) => "resolve",
            Command::Pin(_) => "pin",
            Command::Lint(_) => "lint",
            Command::Sign(_) => "sign",
            Command::GenerateKeyPair(_) => "generate-key-pair",
            Command::VerifyBlob(_) => "verify-blob",
            Command::Explain(_) => "explain",
            Command::Export(_) => "export",
            Command::Init(_) => "init",
            Command::Completions(_) => "completions",
            Command::Man => "man",
            Command::Version => "version",
        }
    }
}

impl Cli {
    /// Put the registry options in effect into [`GlobalArgs`]: those before the command, then
    /// the command's own (lists add up; `--concurrency` and `--timeout` after the command win).
    pub fn settle(&mut self) {
        let g = &mut self.global;
        let mut given = vec![&self.registry];
        given.extend(self.command.registry());
        for r in given {
            g.insecure_registry
                .extend(r.insecure_registry.iter().cloned());
            g.ca_file.extend(r.ca_file.iter().cloned());
            g.mirror.extend(r.mirror.iter().cloned());
            g.concurrency = r.concurrency.unwrap_or(g.concurrency);
            g.timeout = r.timeout.unwrap_or(g.timeout);
        }
        let mut given = vec![&self.trust];
        given.extend(self.command.trust());
        for t in given {
            g.trusted_root = t.trusted_root.clone().or(g.trusted_root.take());
            g.tuf_mirror = t.tuf_mirror.clone().or(g.tuf_mirror.take());
            g.tuf_root = t.tuf_root.clone().or(g.tuf_root.take());
        }
    }

    /// Checks clap cannot express: a `--format` or `--report` the command has no renderer for,
    /// `check --pin` on standard input. The message is for a usage error (exit 64).
    pub fn usage_error(&self) -> Option<String> {
        let ok = self.command.formats();
        let asked =
            std::iter::once(self.global.format).chain(self.global.reports.iter().map(|(f, _)| *f));
        asked
            .into_iter()
            .find(|f| !ok.contains(f))
            .map(|f| {
                let name = f.to_possible_value().map(|v| v.get_name().to_string());
                format!(
                    "`gate {}` has no `{}` output (it supports: {})",
                    self.command.name(),
                    name.unwrap_or_default(),
                    ok.iter()
                        .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string()))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .or_else(|| match &self.command {
                Command::Check(a) if a.pin && a.files.iter().any(|f| f.as_os_str() == "-") => Some(
                    "`gate check --pin` rewrites files and cannot rewrite standard input: \
                         check it with `gate check -f -`, then pin it with `gate pin -f -`"
                        .to_string(),
                ),
                _ => None,
            })
            .or_else(|| {
                let reports = matches!(self.command, Command::Check(_) | Command::Lint(_));
                (!self.global.reports.is_empty() && !reports).then(|| {
                    format!(
                        "`gate {}` writes no report: `--report` does not apply",
                        self.command.name()
                    )
                })
            })
    }
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the policy; `-` prints it to standard output.
    #[arg(long, value_name = "FILE", default_value = ".gate.yaml")]
    pub path: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
    /// Trust this cosign public key (path relative to the policy file) and require signatures.
    #[arg(long, value_name = "FILE")]
    pub key: Option<String>,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The cosign private key file (`ENCRYPTED SIGSTORE PRIVATE KEY` or `ENCRYPTED COSIGN PRIVATE KEY`).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The environment variable holding the key's password (unset: asked for on a terminal, as
    /// cosign does; empty without one).
    #[arg(long, value_name = "VAR", default_value = "COSIGN_PASSWORD")]
    pub password_env: String,
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
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
    /// The signed file.
    pub file: PathBuf,
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
}

#[derive(Debug, Args)]
pub struct PinArgs {
    /// Files or directories (recursive); `-` reads standard input.
    #[arg(
        short = 'f',
        long = "file",
        value_name = "PATH",
        required_unless_present = "kustomize"
    )]
    pub files: Vec<PathBuf>,
    /// A kustomization directory to render with kustomize (like `kubectl apply -k`); repeatable.
    #[arg(short = 'k', long = "kustomize", value_name = "DIR")]
    pub kustomize: Vec<PathBuf>,
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
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files or directories (recursive).
    #[arg(
        short = 'f',
        long = "file",
        value_name = "PATH",
        required_unless_present = "kustomize"
    )]
    pub files: Vec<PathBuf>,
    /// A kustomization directory to render with kustomize (like `kubectl apply -k`); repeatable.
    #[arg(short = 'k', long = "kustomize", value_name = "DIR")]
    pub kustomize: Vec<PathBuf>,
    /// Policy file (default: `.gate.yaml` in the working tree, else the built-in policy).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Pod Security Standards level when no Namespace label says otherwise.
    #[arg(long, value_name = "LEVEL")]
    pub pss_level: Option<crate::lint::pss::Level>,
    /// Pod Security Standards version (`v1.29`, `latest`).
    #[arg(long, value_name = "VERSION")]
    pub pss_version: Option<crate::lint::pss::Version>,
    /// Pass when the files hold no Kubernetes object (otherwise that is exit 2: a mistyped path
    /// must not pass).
    #[arg(long)]
    pub allow_empty: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Image references to check (in addition to those found with `-f`).
    #[arg(value_name = "IMAGE")]
    pub images: Vec<String>,
    /// Files or directories to discover image references and Kubernetes objects in.
    /// Kustomizations and charts under them are rendered and their output checked.
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub files: Vec<PathBuf>,
    /// A kustomization directory to render with kustomize (like `kubectl apply -k`); repeatable.
    #[arg(short = 'k', long = "kustomize", value_name = "DIR")]
    pub kustomize: Vec<PathBuf>,
    /// Policy file (default: `.gate.yaml` in the working tree, else the built-in policy).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// After the verdict, rewrite references whose image passed to `name:tag@sha256:…`.
    #[arg(long, help_heading = PIN)]
    pub pin: bool,
    /// With `--pin`: write `name@sha256:…` without the tag.
    #[arg(long, requires = "pin", help_heading = PIN)]
    pub strip_tag: bool,
    /// With `--pin`: re-pin references whose tag moved to another digest.
    #[arg(long, requires = "pin", help_heading = PIN)]
    pub update: bool,
    /// Report, but exit 0 when the gate fails (still 2 when it could not check).
    #[arg(long)]
    pub warn_only: bool,
    /// Pass when `-f` finds no image reference and no Kubernetes object (otherwise that is
    /// exit 2: a mistyped path must not pass).
    #[arg(long)]
    pub allow_empty: bool,
    /// Trust this cosign public key (file or `env://VAR`); repeatable. Makes signatures required.
    #[arg(long = "key", value_name = "KEY", help_heading = VERIFY)]
    pub keys: Vec<String>,
    #[command(flatten)]
    pub keyless: KeylessArgs,
    /// The `trivy` binary (default: `trivy` on `PATH`).
    #[arg(long, value_name = "PATH", help_heading = SCAN)]
    pub trivy: Option<PathBuf>,
    /// Scan through a running Trivy server instead of starting one.
    #[arg(long, value_name = "URL", help_heading = SCAN)]
    pub trivy_server: Option<String>,
    /// Trivy's vulnerability DB from this OCI repository (a mirror; Trivy's `--db-repository`);
    /// repeatable, tried in order.
    #[arg(long = "trivy-db-repository", value_name = "REF", help_heading = SCAN)]
    pub trivy_db_repositories: Vec<String>,
    /// Trivy's Java DB from this OCI repository (Trivy's `--java-db-repository`).
    #[arg(long, value_name = "REF", help_heading = SCAN)]
    pub java_db_repository: Option<String>,
    /// Trivy's own cache directory (DBs and layers).
    #[arg(long, value_name = "DIR", help_heading = SCAN)]
    pub trivy_cache_dir: Option<PathBuf>,
    /// Never update Trivy's DBs: scan with what its cache holds.
    #[arg(long, help_heading = SCAN)]
    pub skip_db_update: bool,
    /// Trivy's cache backend (`fs`, `memory`, `redis://HOST:PORT`), passed in its environment.
    #[arg(long, value_name = "URL", help_heading = SCAN)]
    pub trivy_cache_backend: Option<String>,
    /// Write CycloneDX and SPDX SBOMs per digest into this directory.
    #[arg(long, value_name = "DIR", help_heading = SCAN)]
    pub sbom_dir: Option<PathBuf>,
    /// Neither read nor write the scan cache.
    #[arg(long, help_heading = SCAN)]
    pub no_cache: bool,
    /// Do not scan for vulnerabilities.
    #[arg(long, help_heading = SCAN)]
    pub skip_scan: bool,
    /// Sign a SLSA verification summary for each image that passed with this cosign private
    /// key, or `keyless` (a Fulcio certificate for the CI's OIDC identity: `SIGSTORE_ID_TOKEN`
    /// or GitHub Actions' token; a key file named `keyless` is `./keyless`), and attach it to
    /// the image digest (`--attest-layout`).
    #[arg(long, value_name = "KEY", help_heading = VERIFY)]
    pub attest: Option<PathBuf>,
    /// The environment variable holding the `--attest` key's password (empty when unset).
    #[arg(long, value_name = "VAR", default_value = "COSIGN_PASSWORD", requires = "attest", help_heading = VERIFY)]
    pub attest_password_env: String,
    /// Where `--attest` attaches the summary (policy `attest.layout`, default `att-tag`):
    /// cosign's `.att` tag, or a Sigstore bundle as an OCI 1.1 referrer (cosign v3).
    #[arg(long, value_enum, value_name = "LAYOUT", requires = "attest", help_heading = VERIFY)]
    pub attest_layout: Option<crate::policy::file::AttestLayout>,
    /// The Fulcio that certifies `--attest keyless`'s ephemeral key.
    #[arg(long, value_name = "URL", default_value = crate::verify::PUBLIC_FULCIO, requires = "attest", help_heading = VERIFY)]
    pub fulcio_url: String,
    /// Accept the vulnerabilities this Trivy ignore file lists (`.trivyignore` lines or
    /// `.trivyignore.yaml`), over the policy's `vulnerabilities.trivyignore`. An ignore file in
    /// the working directory is applied only when named here or by the policy.
    #[arg(long, value_name = "PATH", help_heading = SCAN)]
    pub ignorefile: Option<PathBuf>,
    /// Time one image's scan may take: seconds, or `90s`, `5m`, `1h` (policy
    /// `scanner.timeout`, default 5m). `--timeout` is per registry request, not the scan.
    #[arg(long, value_name = "DURATION", value_parser = crate::units::duration_arg, help_heading = SCAN)]
    pub scan_timeout: Option<std::time::Duration>,
    /// Trivy's and cosign's flags that live in the policy here: each fails with where to set it.
    #[command(flatten)]
    pub habits: Habits,
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// Trivy's flags whose setting is the policy's here. They are hidden, and each fails as a
/// usage error (exit 64) that names the policy key, instead of clap's bare "unexpected
/// argument": `trivy image --severity HIGH` habits land on the setting that does the job.
#[derive(Debug, Clone, Default, Args)]
pub struct Habits {
    #[arg(long, hide = true, num_args = 0..=1, default_missing_value = "", value_parser = habit(
        "severities that fail the gate are the policy's `vulnerabilities.severities` \
         (e.g. `severities: [HIGH, CRITICAL]`; `gate init` writes it)"))]
    pub severity: Option<String>,
    #[arg(long, hide = true, num_args = 0..=1, default_missing_value = "", value_parser = habit(
        "set `vulnerabilities.ignore-unfixed: true` in the policy (`gate init` writes it)"))]
    pub ignore_unfixed: Option<String>,
    #[arg(long, hide = true, num_args = 0..=1, default_missing_value = "", value_parser = habit(
        "gate exits 1 when the gate fails: `--warn-only` reports without failing, the policy's \
         `max-level: warn` caps every finding, `vulnerabilities.level` the scanner's"))]
    pub exit_code: Option<String>,
    #[arg(long, hide = true, num_args = 0..=1, default_missing_value = "", value_parser = habit(
        "the platforms scanned are the policy's `scanner.platforms` (e.g. `[linux/amd64]`; \
         default: linux/amd64 and linux/arm64 where present)"))]
    pub platform: Option<String>,
    #[arg(long, hide = true, num_args = 0..=1, default_missing_value = "", value_parser = habit(
        "gate reads no VEX documents: accept a vulnerability with a policy `exceptions:` entry \
         (`rule: GATE-VULN-001`, `id: CVE-…`, a reason and `expires:`)"))]
    pub vex: Option<String>,
}

/// A value parser that refuses every value with `hint` (see [`Habits`]).
fn habit(hint: &'static str) -> impl Fn(&str) -> Result<String, String> + Clone {
    move |_| Err(format!("not a gate flag: {hint}"))
}

/// A keyless signer named on the command line, with cosign's flag names. Together with the
/// policy's `signatures.identities`; naming one makes signatures required.
///
/// Matching differs from cosign in one way, on purpose: cosign's `-regexp` flags are Go
/// regular expressions searched anywhere in the value unless you write `^…$`; gate anchors
/// every expression to the whole value, so `--certificate-identity-regexp 'https://github.com/acme/'`
/// matches only that exact string, never `https://github.com/acme/evil/...`. Write `.*` where
/// you mean "anything".
#[derive(Debug, Clone, Default, Args)]
pub struct KeylessArgs {
    /// The certificate's identity (SAN: email or URI), exact.
    #[arg(long, value_name = "IDENTITY", help_heading = VERIFY, conflicts_with = "certificate_identity_regexp")]
    pub certificate_identity: Option<String>,
    /// The certificate's identity as a regular expression, anchored to the whole value
    /// (stricter than cosign, which searches unless you anchor).
    #[arg(long, value_name = "REGEXP", help_heading = VERIFY)]
    pub certificate_identity_regexp: Option<String>,
    /// The OIDC issuer of the certificate, exact (GitHub Actions:
    /// `https://token.actions.githubusercontent.com`).
    #[arg(long, value_name = "URL", help_heading = VERIFY, conflicts_with = "certificate_oidc_issuer_regexp")]
    pub certificate_oidc_issuer: Option<String>,
    /// The OIDC issuer as a regular expression, anchored to the whole value.
    #[arg(long, value_name = "REGEXP", help_heading = VERIFY)]
    pub certificate_oidc_issuer_regexp: Option<String>,
    /// The certificate's GitHub workflow repository claim (`owner/name`), exact.
    #[arg(long, value_name = "OWNER/NAME", help_heading = VERIFY)]
    pub certificate_github_workflow_repository: Option<String>,
    /// The certificate's GitHub workflow ref claim (`refs/heads/main`, `refs/tags/v1.2.3`), exact.
    #[arg(long, value_name = "REF", help_heading = VERIFY)]
    pub certificate_github_workflow_ref: Option<String>,
    /// The certificate's GitHub workflow trigger claim (`push`, `release`), exact.
    #[arg(long, value_name = "EVENT", help_heading = VERIFY)]
    pub certificate_github_workflow_trigger: Option<String>,
}

impl KeylessArgs {
    /// Whether any keyless flag was given.
    pub fn is_set(&self) -> bool {
        self.certificate_identity.is_some()
            || self.certificate_identity_regexp.is_some()
            || self.certificate_oidc_issuer.is_some()
            || self.certificate_oidc_issuer_regexp.is_some()
            || self.certificate_github_workflow_repository.is_some()
            || self.certificate_github_workflow_ref.is_some()
            || self.certificate_github_workflow_trigger.is_some()
    }
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// Image references (`nginx:1.27`, `ghcr.io/acme/api@sha256:…`).
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The trusted policy file (default: the built-in policy; a `.gate.yaml` in the tree is
    /// never exported).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Write one file per engine into this directory instead of everything to standard output.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Write a `Namespace` with the Pod Security labels for this namespace; repeatable.
    #[arg(long = "namespace", value_name = "NAME")]
    pub namespaces: Vec<String>,
    /// Also write Kyverno's deprecated `ClusterPolicy` (for Kyverno before 1.17).
    #[arg(long)]
    pub kyverno_cluster_policy: bool,
    /// Let the image verifiers reach this registry over plain HTTP; repeatable.
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure_registries: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Rule ID (`GATE-IMG-001`) or name (`unpinned-image`); omit to list every rule.
    pub rule: Option<String>,
}
