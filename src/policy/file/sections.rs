//! The policy file's sections as typed values. Every struct denies unknown keys, so a typo is an
//! error that names the key and its line instead of a setting silently ignored.

use crate::finding::Severity;
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PolicyFile {
    /// Policy format version; only `1` exists.
    #[serde(default)]
    pub version: Option<u32>,
    /// Caps the severity of every finding (`warn` for a report-only policy).
    #[serde(default)]
    pub max_level: Option<Level>,
    #[serde(default)]
    pub vulnerabilities: Vulnerabilities,
    #[serde(default)]
    pub signatures: Signatures,
    #[serde(default)]
    pub attestations: Vec<AttestationRule>,
    #[serde(default)]
    pub manifests: Manifests,
    #[serde(default)]
    pub registries: Registries,
    #[serde(default)]
    pub scanner: Scanner,
    #[serde(default)]
    pub exceptions: Vec<ExceptionEntry>,
    #[serde(default)]
    pub admission: Admission,
    /// How kustomizations and charts are rendered (trusted policy only).
    #[serde(default)]
    pub render: Render,
    /// How `gate check --attest` attaches the verification summary (trusted policy only).
    #[serde(default)]
    pub attest: Attest,
}

/// `attest:` how `gate check --attest` attaches the verification summary it signs. Only a
/// trusted policy (`--policy`) may set it: it decides where admission finds gate's verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Attest {
    /// Where the summary goes (default `att-tag`); `--attest-layout` overrides it.
    #[serde(default)]
    pub layout: Option<AttestLayout>,
    /// Whether a keyless summary is recorded in Rekor (default `true`). gate does not upload to
    /// Rekor yet, so `--attest keyless` needs `false`: a tlog-less summary, which verifiers
    /// accept only with `--insecure-ignore-tlog` (or their equivalent).
    #[serde(default)]
    pub tlog_upload: Option<bool>,
}

/// Where a verification summary is attached to the image digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum AttestLayout {
    /// A DSSE layer of cosign's `sha256-<hex>.att` tag (cosign v2, Kyverno, policy-controller).
    AttTag,
    /// A Sigstore bundle v0.3 as an OCI 1.1 referrer of the digest (cosign v3
    /// `--new-bundle-format`); on a registry without the referrers API, listed in the referrers
    /// tag schema's index.
    Referrer,
}

/// `render:` what the renderers are given: the values, release and namespace of each chart, the
/// remote references they may fetch, the binaries, and their bounds. Only a trusted policy
/// (`--policy`) may set any of it: each key widens what runs or what is read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Render {
    #[serde(default)]
    pub charts: Vec<ChartRender>,
    /// Remote kustomize resources and `helmCharts` repositories allowed, exactly as written.
    #[serde(default)]
    pub allow_remote: Vec<String>,
    /// The kustomize binary (default: `kustomize` on `PATH`, else `kubectl kustomize`).
    #[serde(default)]
    pub kustomize: Option<PathBuf>,
    /// The helm binary (default: `helm` on `PATH`).
    #[serde(default)]
    pub helm: Option<PathBuf>,
    /// The longest one render may run, in seconds (default 120).
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    /// The most one render may write, in bytes (default 64 MiB).
    #[serde(default)]
    pub max_output_bytes: Option<usize>,
}

/// `render.charts[]`: one release of a chart in the tree. Paths are relative to the working
/// directory (the root of the checkout).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ChartRender {
    /// The chart directory (holding `Chart.yaml`).
    pub chart: PathBuf,
    /// Release name (default: the chart's name).
    #[serde(default)]
    pub release: Option<String>,
    /// Release namespace (default: `default`).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Values files, in order, as `helm template --values` takes them.
    #[serde(default)]
    pub values: Vec<PathBuf>,
}

/// `admission:` admission verifiers (by version) that must be able to find a trusted signature
/// and the required attestations in the layout gate found them in (docs/admission-compat.md).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Admission {
    /// Kyverno version (`1.15`).
    #[serde(default)]
    pub kyverno: Option<String>,
    /// Sigstore policy-controller version (`0.13`).
    #[serde(default)]
    pub policy_controller: Option<String>,
    /// Severity of GATE-ADM-001 (default `warn`).
    #[serde(default = "level_warn")]
    pub level: Level,
}

impl Default for Admission {
    fn default() -> Self {
        Self {
            kyverno: None,
            policy_controller: None,
            level: Level::Warn,
        }
    }
}

/// How a rule reports: not at all, or at a severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Off,
    Note,
    #[serde(alias = "warning")]
    Warn,
    Error,
}

impl Level {
    /// The severity findings get, or `None` for `off`.
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Off => None,
            Level::Note => Some(Severity::Note),
            Level::Warn => Some(Severity::Warning),
            Level::Error => Some(Severity::Error),
        }
    }
}

/// A scanner severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum VulnSeverity {
    #[serde(alias = "unknown")]
    Unknown,
    #[serde(alias = "low")]
    Low,
    #[serde(alias = "medium")]
    Medium,
    #[serde(alias = "high")]
    High,
    #[serde(alias = "critical")]
    Critical,
}

/// `vulnerabilities:` which scanner findings fail the gate.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Vulnerabilities {
    /// Severities that are findings (default `HIGH`, `CRITICAL`).
    #[serde(default = "default_severities")]
    pub severities: Vec<VulnSeverity>,
    /// Severity of those findings (default `error`).
    #[serde(default = "level_error")]
    pub level: Level,
    /// Ignore vulnerabilities without a fixed version.
    #[serde(default)]
    pub ignore_unfixed: bool,
    /// A `.trivyignore` / `.trivyignore.yaml` to honour (relative to the policy file).
    #[serde(default)]
    pub trivyignore: Option<PathBuf>,
}

impl Default for Vulnerabilities {
    fn default() -> Self {
        Self {
            severities: default_severities(),
            level: Level::Error,
            ignore_unfixed: false,
            trivyignore: None,
        }
    }
}

fn default_severities() -> Vec<VulnSeverity> {
    vec![VulnSeverity::High, VulnSeverity::Critical]
}

fn level_warn() -> Level {
    Level::Warn
}

fn level_error() -> Level {
    Level::Error
}

fn yes() -> bool {
    true
}

/// A public key: a PEM file path, or `env://VAR` for a PEM in an environment variable.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum KeyRef {
    Path(PathBuf),
    Env(String),
}

impl From<String> for KeyRef {
    fn from(s: String) -> Self {
        match s.strip_prefix("env://") {
            Some(var) => KeyRef::Env(var.to_string()),
            None => KeyRef::Path(PathBuf::from(s)),
        }
    }
}

/// GitHub Actions claims a keyless certificate must carry (Fulcio extensions).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GithubClaims {
    /// `owner/name` of the workflow's repository.
    #[serde(default)]
    pub repository: Option<String>,
    /// `refs/heads/main`, `refs/tags/v1.2.3`.
    #[serde(default, rename = "ref")]
    pub git_ref: Option<String>,
    /// The triggering event (`push`, `release`).
    #[serde(default)]
    pub trigger: Option<String>,
}

/// A trusted keyless signer: exactly one of `issuer`/`issuer-regexp` and one of
/// `identity`/`identity-regexp`. Regular expressions are anchored (whole-string match).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Identity {
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub issuer_regexp: Option<String>,
    #[serde(default)]
    pub identity: Option<String>,
    #[serde(default)]
    pub identity_regexp: Option<String>,
    #[serde(default)]
    pub github: Option<GithubClaims>,
}

/// Signers for images matching `images` (globs), instead of the section-wide ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SignatureRule {
    pub images: Vec<String>,
    #[serde(default)]
    pub keys: Vec<KeyRef>,
    #[serde(default)]
    pub identities: Vec<Identity>,
}

/// Bounds on what a registry may make the verifier download (cosign's defaults).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Limits {
    #[serde(default = "default_max_signatures")]
    pub max_signatures: usize,
    #[serde(default = "default_max_attachment_bytes")]
    pub max_attachment_bytes: u64,
    #[serde(default = "default_max_layers")]
    pub max_layers: usize,
    #[serde(default = "default_max_manifest_bytes")]
    pub max_manifest_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_signatures: default_max_signatures(),
            max_attachment_bytes: default_max_attachment_bytes(),
            max_layers: default_max_layers(),
            max_manifest_bytes: default_max_manifest_bytes(),
        }
    }
}

fn default_max_signatures() -> usize {
    100
}
fn default_max_attachment_bytes() -> u64 {
    128 * 1024 * 1024
}
fn default_max_layers() -> usize {
    1000
}
fn default_max_manifest_bytes() -> u64 {
    4 * 1024 * 1024
}

/// `signatures:` who must have signed each image digest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Signatures {
    /// An image without a signature from a trusted signer is a finding.
    #[serde(default = "yes")]
    pub required: bool,
    /// Severity of that finding. Unset: `error` when signers are named (`keys`, `identities`,
    /// `rules` here, or `--key`/keyless flags), `warn` when none is (the policy cannot know
    /// whom to trust); see [`Signatures::effective_level`].
    #[serde(default)]
    pub level: Option<Level>,
    #[serde(default)]
    pub keys: Vec<KeyRef>,
    #[serde(default)]
    pub identities: Vec<Identity>,
    /// A Sigstore trusted root (`trusted_root.json`); default: the one Sigstore's TUF
    /// repository (or `tuf-mirror`) serves.
    #[serde(default)]
    pub trusted_root: Option<PathBuf>,
    /// The TUF repository to get the trusted root from (default: Sigstore's public-good one).
    #[serde(default)]
    pub tuf_mirror: Option<String>,
    /// The bootstrap `root.json` of `tuf-mirror`.
    #[serde(default)]
    pub tuf_root: Option<PathBuf>,
    /// Per-image signers; the first rule whose glob matches wins.
    #[serde(default)]
    pub rules: Vec<SignatureRule>,
    /// Also require each platform manifest of an index to be signed.
    #[serde(default)]
    pub verify_platforms: bool,
    #[serde(default)]
    pub limits: Limits,
    /// Accept certificate (keyless) signatures without a transparency-log entry even though the
    /// trusted root lists logs (cosign's `--insecure-ignore-tlog`). Off: such a signature is
    /// rejected. Only a trusted policy (`--policy`) may turn it on.
    #[serde(default)]
    pub insecure_ignore_tlog: bool,
}

impl Signatures {
    /// The severity of a missing trusted signature: `level` as written; unset, `error` when
    /// signers are named (here or on the command line, `signers_named`), else `warn`.
    pub fn effective_level(&self, signers_named: bool) -> Level {
        let named = signers_named
            || !self.keys.is_empty()
            || !self.identities.is_empty()
            || !self.rules.is_empty();
        self.level
            .unwrap_or(if named { Level::Error } else { Level::Warn })
    }
}

impl Default for Signatures {
    fn default() -> Self {
        Self {
            required: true,
            level: None,
            keys: Vec::new(),
            identities: Vec::new(),
            trusted_root: None,
            tuf_mirror: None,
            tuf_root: None,
            rules: Vec::new(),
            verify_platforms: false,
            limits: Limits::default(),
            insecure_ignore_tlog: false,
        }
    }
}

/// One required attestation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AttestationRule {
    /// In-toto predicate type (`https://slsa.dev/provenance/v1`).
    pub predicate_type: String,
    #[serde(default)]
    pub keys: Vec<KeyRef>,
    #[serde(default)]
    pub identities: Vec<Identity>,
    /// Image globs it applies to; empty: every image.
    #[serde(default)]
    pub images: Vec<String>,
    #[serde(default = "level_error")]
    pub level: Level,
    /// What a SLSA provenance must say (slsa-verifier's checks).
    #[serde(default)]
    pub slsa: Option<SlsaPolicy>,
    /// What a SLSA verification summary (`gate check --attest`) must say. Trusted-only.
    #[serde(default)]
    pub vsa: Option<VsaPolicy>,
}

/// `attestations[].vsa:` a verification summary is accepted only for this policy (by digest),
/// with `PASSED`, and no older than `max-age`. Only under the VSA `predicate-type`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct VsaPolicy {
    /// How old `timeVerified` may be: seconds, or `90s`, `5m`, `12h`, `7d`.
    #[serde(default, deserialize_with = "optional_duration")]
    pub max_age: Option<Duration>,
    /// The `sha256:` of the policy the summary must name; default: the policy in effect.
    #[serde(default)]
    pub policy_sha256: Option<String>,
    /// The verifier id the summary must name; default: gate's.
    #[serde(default)]
    pub verifier_id: Option<String>,
}

impl Default for AttestationRule {
    fn default() -> Self {
        Self {
            predicate_type: String::new(),
            keys: Vec::new(),
            identities: Vec::new(),
            images: Vec::new(),
            level: Level::Error,
            slsa: None,
            vsa: None,
        }
    }
}

/// `attestations[].slsa:` the fields slsa-verifier users check, all exact. Only for a SLSA
/// provenance `predicate-type`; at most one of `source-ref`, `source-branch`, `source-tag`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SlsaPolicy {
    /// `runDetails.builder.id`; without `@…` any version of that builder matches.
    #[serde(default)]
    pub builder_id: Option<String>,
    /// The source repository (`github.com/acme/app`; scheme, `git+` and `.git` ignored).
    #[serde(default)]
    pub source_uri: Option<String>,
    /// The full source ref (`refs/heads/main`).
    #[serde(default)]
    pub source_ref: Option<String>,
    /// `main` for `refs/heads/main`.
    #[serde(default)]
    pub source_branch: Option<String>,
    /// `v1.2.3` for `refs/tags/v1.2.3`.
    #[serde(default)]
    pub source_tag: Option<String>,
}

impl SlsaPolicy {
    /// The full ref the policy names, however it is written.
    pub fn source_ref(&self) -> Option<String> {
        self.source_ref
            .clone()
            .or_else(|| {
                self.source_branch
                    .as_ref()
                    .map(|b| format!("refs/heads/{b}"))
            })
            .or_else(|| self.source_tag.as_ref().map(|t| format!("refs/tags/{t}")))
    }
}

/// Pod Security Standards level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PssLevel {
    Privileged,
    Baseline,
    Restricted,
}

/// `manifests.pss:` the Pod Security Standard to enforce.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Pss {
    #[serde(default = "pss_restricted")]
    pub level: PssLevel,
    /// `latest` or `v1.NN`.
    #[serde(default = "pss_latest")]
    pub version: String,
}

impl Default for Pss {
    fn default() -> Self {
        Self {
            level: PssLevel::Restricted,
            version: pss_latest(),
        }
    }
}

fn pss_restricted() -> PssLevel {
    PssLevel::Restricted
}
fn pss_latest() -> String {
    "latest".to_string()
}

/// Where images live in a custom resource (`spec.template.spec.containers[*].image`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SearchRule {
    #[serde(default)]
    pub api_version: Option<String>,
    pub kind: String,
    pub paths: Vec<String>,
}

/// `manifests:` the Kubernetes guardrails.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Manifests {
    #[serde(default)]
    pub pss: Pss,
    /// Rule ID or name → `off`, `note`, `warn`, `error`.
    #[serde(default)]
    pub rules: BTreeMap<String, Level>,
    #[serde(default)]
    pub search_rules: Vec<SearchRule>,
    /// Dapr-enabled workloads must set `dapr.io/app-token-secret`.
    #[serde(default)]
    pub require_dapr_app_token: bool,
}

/// `registries:` where images may come from and how to reach them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Registries {
    /// Globs over `registry/repository`; empty: any registry.
    #[serde(default)]
    pub allowed: Vec<String>,
    /// `SRC` → `DST` (host or host/path prefix).
    #[serde(default)]
    pub mirrors: BTreeMap<String, String>,
    /// Registries reached over plain HTTP.
    #[serde(default)]
    pub insecure: Vec<String>,
}

/// `scanner:` how to run Trivy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Scanner {
    /// Path to `trivy`; default: found on `PATH`.
    #[serde(default)]
    pub trivy: Option<PathBuf>,
    /// A Trivy server URL (client/server mode).
    #[serde(default)]
    pub server: Option<String>,
    /// Per-image timeout: seconds, or `90s`, `5m`, `1h`.
    #[serde(default = "default_timeout", deserialize_with = "duration")]
    pub timeout: Duration,
    /// The nodes whose runnable children of an index are scanned (`linux/amd64` also scans a
    /// `linux/386` or `linux/amd64/v3` child such nodes run); empty: every runnable child.
    #[serde(default)]
    pub platforms: Vec<String>,
    /// OCI repositories of Trivy's vulnerability DB (a mirror), in order of priority.
    #[serde(default)]
    pub db_repositories: Vec<String>,
    /// OCI repository of Trivy's Java DB.
    #[serde(default)]
    pub java_db_repository: Option<String>,
    /// Trivy's cache directory (DBs and layers); relative to the policy file.
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
    /// Never update Trivy's DBs.
    #[serde(default)]
    pub skip_db_update: bool,
    /// Trivy's cache backend: `fs`, `memory` or `redis://host:port`.
    #[serde(default)]
    pub cache_backend: Option<String>,
}

impl Default for Scanner {
    fn default() -> Self {
        Self {
            trivy: None,
            server: None,
            timeout: default_timeout(),
            platforms: Vec::new(),
            db_repositories: Vec::new(),
            java_db_repository: None,
            cache_dir: None,
            skip_db_update: false,
            cache_backend: None,
        }
    }
}

fn default_timeout() -> Duration {
    Duration::from_secs(300)
}

/// A duration as [`duration`] reads it, or whole days (`7d`).
fn optional_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = Option<Duration>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("seconds, or a duration like `90s`, `5m`, `12h`, `7d`")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(Duration::from_secs(v)))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let days = v
                .strip_suffix('d')
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|n| n.parse::<u64>().ok())
                .and_then(|n| n.checked_mul(86_400))
                .map(Duration::from_secs);
            days.or_else(|| crate::units::parse_duration(v))
                .map(Some)
                .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(v), &self))
        }
    }
    d.deserialize_any(V)
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = Duration;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("seconds, or a duration like `90s`, `5m`, `1h`")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Duration, E> {
            Ok(Duration::from_secs(v))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Duration, E> {
            u64::try_from(v)
                .map(Duration::from_secs)
                .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Duration, E> {
            crate::units::parse_duration(v)
                .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(v), &self))
        }
    }
    d.deserialize_any(V)
}

/// One exception as written. `rule`/`rules` and `id`/`ids` are merged.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ExceptionEntry {
    #[serde(default)]
    pub rule: Option<String>,
    #[serde(default)]
    pub rules: Vec<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub ids: Vec<String>,
    #[serde(default)]
    pub subject: Option<String>,
    pub reason: String,
    #[serde(default)]
    pub expires: Option<NaiveDate>,
    #[serde(default)]
    pub owner: Option<String>,
}
