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
mod error;
mod ignore;
mod isolate;
mod process;
mod prune;
mod purl;
mod quick;
mod report;
mod rules;
mod run;
mod sbom;
mod server;
mod spool;
mod trivy;
mod verdict;

pub use db::TrivyDb;
pub use error::ScanError;
pub use ignore::IgnoreFile;
pub use report::{Report, VersionInfo, Vulnerability, MAX_REPORT_BYTES};
pub use run::{scan_all, scan_all_with, scan_by_digest, scan_by_digest_with};
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
    /// At most this many Trivy clients at once ([`default_concurrency`] unless set).
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
            concurrency: default_concurrency(),
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

/// The memory one Trivy client may take (a `trivy image --server` of a small image peaks at about
/// 150 MB; an image with large package databases takes more).
pub const CLIENT_MEMORY: u64 = 256 << 20;
/// The most Trivy clients at once, however large the machine.
pub const MAX_CONCURRENCY: usize = 16;

/// Trivy clients at once: twice the cores this process may use (a client spends part of its
/// life waiting on the registry and on the server), no more than the available memory holds at
/// [`CLIENT_MEMORY`] each, at least 1 and at most [`MAX_CONCURRENCY`].
pub fn default_concurrency() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    concurrency_for(cores, available_memory())
}

fn concurrency_for(cores: usize, memory: Option<u64>) -> usize {
    let by_memory = memory.map_or(usize::MAX, |m| {
        usize::try_from(m / CLIENT_MEMORY).unwrap_or(usize::MAX)
    });
    cores
        .saturating_mul(2)
        .min(by_memory)
        .clamp(1, MAX_CONCURRENCY)
}

/// The memory each Trivy process may grow to before its garbage collector runs: the available
/// memory shared among `concurrency` clients and the server, at least [`CLIENT_MEMORY`] and at
/// most 4 GiB.
pub fn memory_per_process(concurrency: usize) -> u64 {
    let share = available_memory().map_or(CLIENT_MEMORY, |m| m / (concurrency as u64 + 1));
    share.clamp(CLIENT_MEMORY, 4 << 30)
}

/// Bytes of memory available to new processes: Linux's `MemAvailable`, lowered to what this
/// process's cgroup (v2) may still use; `None` where neither can be read.
fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok();
    let available = meminfo.as_deref().and_then(|m| {
        let line = m.lines().find(|l| l.starts_with("MemAvailable:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb.saturating_mul(1024))
    });
    let read = |name: &str| {
        std::fs::read_to_string(format!("/sys/fs/cgroup/{name}"))
            .ok()
            .and_then(|t| t.trim().parse::<u64>().ok())
    };
    let cgroup = match (read("memory.max"), read("memory.current")) {
        (Some(max), Some(current)) => Some(max.saturating_sub(current)),
        _ => None,
    };
    match (available, cgroup) {
        (Some(a), Some(c)) => Some(a.min(c)),
        (a, c) => a.or(c),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_follows_cores_and_memory() {
        assert_eq!(concurrency_for(2, None), 4);
        assert_eq!(concurrency_for(2, Some(64 << 30)), 4);
        assert_eq!(concurrency_for(64, None), MAX_CONCURRENCY);
        // 600 MB left: two clients, not four.
        assert_eq!(concurrency_for(2, Some(600 << 20)), 2);
        // Too little memory for one is still one (Trivy then fails with its own error).
        assert_eq!(concurrency_for(8, Some(1 << 20)), 1);
        assert!((1..=MAX_CONCURRENCY).contains(&default_concurrency()));
    }
}
