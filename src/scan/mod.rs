//! Stage `scan`: vulnerabilities and SBOMs of each resolved digest, by Trivy.
//!
//! gate runs Trivy on exactly `name@sha256:…` (never a tag), once per digest and platform per
//! run, concurrently through one loopback `trivy server`, and caches the report by digest,
//! platform, Trivy version and DB `UpdatedAt`. Anything that goes wrong (no `trivy`, a crash, a
//! timeout, a DB download failure, output that is not a `SchemaVersion` 2 report) is a
//! [`ScanError`]: the gate could not check, never a pass. The verdict ([`evaluate`]) is pure.
//!
//! - [`report`]: Trivy's JSON model. [`trivy`]: the [`Scanner`] trait and the `trivy` binary.
//! - [`ignore`], [`purl`]: `.trivyignore` / `.trivyignore.yaml`. [`verdict`]: findings.
//! - [`isolate`]: Trivy's private working directory, cleaned environment and scoped credentials.
//! - [`db`]: DB mirrors, DB updates and Trivy's cache backend.
//! - [`spool`]: raw reports streamed to disk, never held whole in memory; [`prune`]: the
//!   fast way to read one.
//! - [`cache`], [`run`]: the cache and the per-run orchestration (dedupe, cache, SBOMs).

pub mod cache;
pub mod config;
pub mod db;
pub mod error;
pub mod ignore;
pub mod isolate;
mod process;
mod prune;
pub mod purl;
mod quick;
pub mod report;
pub mod rules;
pub mod run;
mod sbom;
mod server;
pub mod spool;
pub mod trivy;
pub mod verdict;

pub use db::TrivyDb;
pub use error::ScanError;
pub use ignore::IgnoreFile;
pub use report::{Report, VersionInfo, Vulnerability, MAX_REPORT_BYTES};
pub use run::{scan_all, scan_all_with, scan_by_digest};
pub use sbom::SbomFormat;
pub use spool::ReportFile;
pub use trivy::{ScanJob, Scanner, TrivyScanner};
pub use verdict::{evaluate, unused, VulnPolicy};

use crate::finding::Rule;
use crate::registry::auth::Credential;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// The rules this stage reports.
pub const RULES: &[Rule] = &[
    rules::VULNERABLE_PACKAGE,
    rules::EXPIRED_EXCEPTION,
    rules::UNUSED_EXCEPTION,
];

/// One image to scan, as the resolver found it.
#[derive(Debug, Clone)]
pub struct ScanTarget {
    /// `repo@sha256:…`, as Trivy should pull it. Must end in `@` + `digest`.
    pub image: String,
    pub digest: String,
    /// Platforms to scan (`linux/amd64`) for a multi-platform index; empty for one manifest.
    pub platforms: Vec<String>,
    pub credential: Option<Credential>,
    /// The registry was declared insecure (`--insecure-registry`).
    pub insecure: bool,
}

/// How to run the scanner.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// `--trivy PATH` (a bare name is looked up on `PATH`); `None`: `trivy` on `PATH`.
    pub trivy: Option<PathBuf>,
    /// `--trivy-server URL`: scan through a server the user runs (results are then not cached:
    /// its DB is not visible from here).
    pub server: Option<String>,
    /// At most this many Trivy clients at once.
    pub concurrency: usize,
    /// Trivy's `--timeout`; gate kills the process a little after it.
    pub timeout: Duration,
    /// `--offline`: no DB update, no network lookups by Trivy.
    pub offline: bool,
    /// gate's cache directory (default `$XDG_CACHE_HOME/gate`, else `~/.cache/gate`).
    pub cache_dir: Option<PathBuf>,
    /// `--no-cache`: neither read nor write the scan cache.
    pub no_cache: bool,
    /// `--sbom-dir DIR`: write CycloneDX and SPDX JSON per digest.
    pub sbom_dir: Option<PathBuf>,
    /// Trivy's own `--cache-dir` (DB and layer cache); `None`: Trivy's default.
    pub trivy_cache_dir: Option<PathBuf>,
    /// Search path for `trivy` instead of `$PATH` (tests; `None` in the CLI).
    pub search_path: Option<OsString>,
    /// Where Trivy's databases come from; its cache backend.
    pub db: TrivyDb,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            trivy: None,
            server: None,
            concurrency: 4,
            timeout: Duration::from_secs(300),
            offline: false,
            cache_dir: None,
            no_cache: false,
            sbom_dir: None,
            trivy_cache_dir: None,
            search_path: None,
            db: TrivyDb::default(),
        }
    }
}

/// What the scan of one digest found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScanResult {
    pub digest: String,
    /// `trivy`.
    pub scanner: String,
    pub scanner_version: String,
    pub db_updated_at: Option<String>,
    /// Every vulnerability of every platform scanned (the verdict filters them).
    pub vulnerabilities: Vec<Vulnerability>,
    /// SBOM files written for this digest.
    pub sboms: Vec<PathBuf>,
    /// True when every report came from the cache.
    pub cached: bool,
}
