//! The on-disk scan cache: Trivy's JSON report (and SBOMs made from it) per digest,
//! Trivy version and vulnerability DB `UpdatedAt`, under `$XDG_CACHE_HOME/gate/scan` (else
//! `~/.cache/gate/scan`). An unchanged digest costs no Trivy run.
//!
//! The key is a SHA-256 over the three (and the entry format), so a new DB or a new Trivy simply misses. An entry
//! holds the vulnerabilities gate extracted (read on every hit: small and quick to parse) and
//! the raw report (read only to make SBOMs). Writes are atomic; an entry that does not parse is
//! treated as absent and rewritten by the next scan.

use super::report::check_json_file;
use super::report::{Report, Vulnerability};
use super::sbom::SbomFormat;
use super::spool::ReportFile;
use crate::fsutil::{copy_atomic, write_atomic_in};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Bump when the stored form changes.
const FORMAT: &str = "gate-scan-cache-v2";

/// A cache hit.
#[derive(Debug)]
pub struct Entry {
    pub vulnerabilities: Vec<Vulnerability>,
    /// The raw report's file in the cache (asked for with `with_report`).
    pub report: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache under `root` (gate's cache directory), else the user cache directory; `None`
    /// when there is no home to put it in.
    pub fn open(root: Option<&Path>) -> Option<Cache> {
        let root = match root {
            Some(r) => r.to_owned(),
            None => default_root()?,
        };
        Some(Cache {
            dir: root.join("scan"),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn key(digest: &str, trivy: &str, db_updated_at: &str) -> String {
        let mut h = Sha256::new();
        for part in [FORMAT, digest, trivy, db_updated_at] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        hex::encode(h.finalize())
    }

    fn path(&self, key: &str, suffix: &str) -> PathBuf {
        self.dir.join(&key[..2]).join(format!("{key}.{suffix}"))
    }

    /// A cached entry: its vulnerabilities, and with `with_report` the raw report too (both
    /// must read back, or the entry counts as absent).
    pub fn lookup(&self, key: &str, with_report: bool) -> Option<Entry> {
        let vulns = std::fs::read(self.path(key, "vulns.json")).ok()?;
        let vulnerabilities: Vec<Vulnerability> = serde_json::from_slice(&vulns).ok()?;
        let report = if with_report {
            // Checked by a streaming parse; the bytes stay on disk.
            let path = self.path(key, "report.json");
            Report::read(&path).ok()?;
            Some(path)
        } else {
            None
        };
        Some(Entry {
            vulnerabilities,
            report,
        })
    }

    /// Store a scan: the raw report (its file moved into the cache, never read into memory),
    /// then the extracted vulnerabilities (the entry's marker).
    pub fn put(
        &self,
        key: &str,
        report: &mut ReportFile,
        vulns: &[Vulnerability],
    ) -> std::io::Result<()> {
        report.move_to(&self.path(key, "report.json"))?;
        let json = serde_json::to_vec(vulns).map_err(std::io::Error::other)?;
        write_atomic_in(&self.path(key, "vulns.json"), &json, false)
    }

    /// A cached SBOM's file, if present and JSON (checked streaming).
    pub fn sbom(&self, key: &str, format: SbomFormat) -> Option<PathBuf> {
        let path = self.path(key, format.extension());
        check_json_file(&path).ok()?;
        Some(path)
    }

    /// Store an SBOM: a copy of the file `sbom`.
    pub fn put_sbom(&self, key: &str, format: SbomFormat, sbom: &Path) -> std::io::Result<()> {
        copy_atomic(sbom, &self.path(key, format.extension()), false)
    }
}

/// gate's cache directory: `$XDG_CACHE_HOME/gate` (absolute only), else `~/.cache/gate`.
pub fn default_root() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
        let x = PathBuf::from(x);
        if x.is_absolute() {
            return Some(x.join("gate"));
        }
    }
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(".cache").join("gate"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &[u8] = br#"{"SchemaVersion":2,"Results":[]}"#;

    /// A spooled report file holding `REPORT`.
    fn spooled(dir: &Path) -> ReportFile {
        let path = dir.join("spool.json");
        std::fs::write(&path, REPORT).unwrap();
        ReportFile::spooled(path)
    }

    #[test]
    fn key_covers_every_part() {
        let key = |digest, trivy, db| Cache::key(digest, trivy, db);
        let k = key("sha256:a", "0.58.1", "2026-11-26T00:00:00Z");
        assert_ne!(k, key("sha256:b", "0.58.1", "2026-11-26T00:00:00Z"));
        assert_ne!(k, key("sha256:a", "0.58.2", "2026-11-26T00:00:00Z"));
        assert_ne!(k, key("sha256:a", "0.58.1", "2026-11-27T00:00:00Z"));
        // Parts are separated: moving a character between them changes the key.
        assert_ne!(key("sha256:a0", "58.1", "x"), key("sha256:a", "058.1", "x"));
    }

    #[test]
    fn round_trip_and_corrupt_entries_read_as_absent() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(Some(dir.path())).unwrap();
        let key = Cache::key("sha256:a", "v", "d");
        assert!(cache.lookup(&key, false).is_none());
        let vulns = Report::parse(REPORT).unwrap().vulnerabilities(None);
        let mut report = spooled(dir.path());
        cache.put(&key, &mut report, &vulns).unwrap();
        let kept = cache.lookup(&key, true).unwrap().report.unwrap();
        assert_eq!(std::fs::read(&kept).unwrap(), REPORT);
        assert_eq!(report.path(), kept, "the report was moved, not copied");
        std::fs::write(cache.path(&key, "vulns.json"), b"[{\"id\"").unwrap();
        assert!(cache.lookup(&key, false).is_none());
        cache.put(&key, &mut spooled(dir.path()), &vulns).unwrap();
        std::fs::write(cache.path(&key, "report.json"), b"{\"SchemaVers").unwrap();
        assert!(cache.lookup(&key, false).is_some());
        assert!(cache.lookup(&key, true).is_none(), "SBOMs need the report");
        let sbom = dir.path().join("sbom.json");
        std::fs::write(&sbom, b"not json").unwrap();
        cache.put_sbom(&key, SbomFormat::CycloneDx, &sbom).unwrap();
        assert!(cache.sbom(&key, SbomFormat::CycloneDx).is_none());
        std::fs::write(&sbom, br#"{"bomFormat":"CycloneDX"}"#).unwrap();
        cache.put_sbom(&key, SbomFormat::CycloneDx, &sbom).unwrap();
        let cached = cache.sbom(&key, SbomFormat::CycloneDx).unwrap();
        assert_eq!(
            std::fs::read(cached).unwrap(),
            br#"{"bomFormat":"CycloneDX"}"#
        );
    }
}
