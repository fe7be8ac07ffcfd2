//! The scan stage's configuration: the policy's `vulnerabilities:` (which scanner findings fail
//! the gate) and `scanner:` (how Trivy runs), who may set each key from a policy found in the
//! tree, and the typed settings the stage runs with ([`VulnPolicy`], [`ScanConfig`]), built once
//! with the command line over the policy.

use super::{IgnoreFile, ScanConfig, TrivyDb, VulnPolicy};
use crate::config::{At, Judge, Level, PolicyError};
use crate::exception::Exception;
use serde::{Deserialize, Deserializer};
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    #[serde(default = "crate::config::level_error")]
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

impl Vulnerabilities {
    /// Who may set each key (see [`crate::config::judge`]); `base`: the baseline's section.
    pub fn judge(&self, base: &Self, j: &mut Judge) {
        let Vulnerabilities {
            severities,
            level,
            ignore_unfixed,
            trivyignore,
        } = self;
        j.tree(
            "severities",
            "add severities to the baseline's (`HIGH`, `CRITICAL`)",
            base.severities.iter().all(|s| severities.contains(s)),
        );
        j.tree(
            "level",
            "raise it (the baseline's is `error`)",
            *level >= base.level,
        );
        j.tree(
            "ignore-unfixed",
            "set it to `false`",
            !*ignore_unfixed || base.ignore_unfixed,
        );
        j.trusted(
            "trivyignore",
            "accepts the vulnerabilities a file lists",
            *trivyignore == base.trivyignore,
        );
    }

    /// The verdict settings: severities that fail, the ignore file (`ignore_file`, named by
    /// `--ignorefile` or by this trusted policy, already resolved) and the
    /// policy's exceptions for vulnerabilities.
    pub fn vuln_policy(
        &self,
        ignore_file: Option<PathBuf>,
        exceptions: Vec<Exception>,
    ) -> Result<VulnPolicy, IgnoreFileError> {
        let trivyignore = ignore_file
            .map(|path| {
                IgnoreFile::load(&path).map_err(|source| IgnoreFileError {
                    path,
                    source: Box::new(source),
                })
            })
            .transpose()?;
        Ok(VulnPolicy {
            severities: self
                .severities
                .iter()
                .map(|s| format!("{s:?}").to_ascii_uppercase())
                .collect(),
            ignore_unfixed: self.ignore_unfixed,
            trivyignore,
            exceptions,
        })
    }
}

/// An ignore file the policy or `--ignorefile` names that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the ignore file `{}`", path.display())]
pub struct IgnoreFileError {
    pub path: PathBuf,
    #[source]
    pub source: Box<super::ignore::IgnoreError>,
}

/// What the command line says about scanning, over the policy's `scanner:`.
#[derive(Debug, Default, Clone)]
pub struct ScanFlags {
    pub trivy: Option<PathBuf>,
    pub trivy_server: Option<String>,
    pub sbom_dir: Option<PathBuf>,
    pub offline: bool,
    pub no_cache: bool,
    /// Trivy's DBs and caches (`--trivy-db-repository`, …).
    pub trivy_db: TrivyDb,
    pub trivy_cache_dir: Option<PathBuf>,
    /// `--scan-timeout`, over the policy's `scanner.timeout`.
    pub scan_timeout: Option<Duration>,
}

impl Scanner {
    /// Who may set each key: none from the tree (a change may not choose its scanner, its
    /// database, where results are kept, how long a scan may take or which platforms are
    /// scanned).
    pub fn judge(&self, base: &Self, j: &mut Judge) {
        let Scanner {
            trivy,
            server,
            timeout,
            platforms,
            db_repositories,
            java_db_repository,
            cache_dir,
            skip_db_update,
            cache_backend,
        } = self;
        j.trusted("trivy", "names an executable", *trivy == base.trivy);
        j.trusted("server", "names a server", *server == base.server);
        j.trusted(
            "timeout",
            "decides when a scan gives up",
            *timeout == base.timeout,
        );
        j.trusted(
            "platforms",
            "decides which platforms of an image are scanned",
            *platforms == base.platforms,
        );
        j.trusted(
            "db-repositories",
            "names the vulnerability database the scan is judged by",
            *db_repositories == base.db_repositories,
        );
        j.trusted(
            "java-db-repository",
            "names the vulnerability database the scan is judged by",
            *java_db_repository == base.java_db_repository,
        );
        j.trusted(
            "cache-dir",
            "names where scan results are kept",
            *cache_dir == base.cache_dir,
        );
        j.trusted(
            "skip-db-update",
            "keeps a stale vulnerability database",
            *skip_db_update == base.skip_db_update,
        );
        j.trusted(
            "cache-backend",
            "names a server",
            *cache_backend == base.cache_backend,
        );
    }

    /// The checks serde cannot make (at `at`): each `platforms` entry is `os/arch[/variant]`.
    pub fn validate(&self, at: &At) -> Result<(), Vec<PolicyError>> {
        let errors: Vec<PolicyError> = self
            .platforms
            .iter()
            .enumerate()
            .filter(|(_, s)| crate::platform::Spec::parse(s).is_err())
            .map(|(i, _)| {
                at.key("platforms")
                    .index(i)
                    .value("must be a platform `os/arch[/variant]`, such as `linux/amd64`")
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// How Trivy runs: the command line's flags over the policy's; `db` is the merged database
    /// settings ([`super::db::merge`], with registry credentials); relative paths resolve
    /// against `policy_dir`.
    pub fn scan_config(
        &self,
        flags: &ScanFlags,
        db: TrivyDb,
        policy_dir: Option<&Path>,
    ) -> ScanConfig {
        let resolve = |p: &Path| match policy_dir {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p.to_path_buf(),
        };
        ScanConfig {
            trivy: flags.trivy.clone().or_else(|| self.trivy.clone()),
            server: flags.trivy_server.clone().or_else(|| self.server.clone()),
            timeout: flags.scan_timeout.unwrap_or(self.timeout),
            offline: flags.offline,
            no_cache: flags.no_cache,
            sbom_dir: flags.sbom_dir.clone(),
            trivy_cache_dir: flags
                .trivy_cache_dir
                .clone()
                .or_else(|| self.cache_dir.as_deref().map(resolve)),
            db,
            ..ScanConfig::default()
        }
    }
}
