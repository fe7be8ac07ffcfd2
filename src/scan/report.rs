//! Trivy's JSON output, read with serde: the scan report (`SchemaVersion` 2) and
//! `trivy version --format json`.
//!
//! Only the fields gate uses are modelled; unknown fields are ignored so newer Trivy releases
//! keep working. A report whose `SchemaVersion` is not 2 is refused before the rest is read,
//! because its shape is then unknown and a silently empty parse would pass the gate.
//!
//! A report is read from the file it was streamed to ([`Report::read`]), through a buffer:
//! everything gate does not model (package lists, descriptions, CVSS vectors, references) is
//! skipped while reading, so memory grows with the findings kept, not with the report's size.

use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;

/// The only report schema gate understands.
pub const SCHEMA_VERSION: u32 = 2;

/// The largest raw Trivy report gate accepts (256 MiB). A scan that prints more is stopped
/// while it streams and fails closed: the gate could not check the image.
pub const MAX_REPORT_BYTES: u64 = 256 << 20;

/// The most of a report's modelled members ([`super::prune`]) held in memory for the fast
/// parse (16 MiB); a report with more findings than that is parsed by the exact streaming
/// parse instead, which holds only what it keeps.
pub const MAX_PRUNED_BYTES: usize = 16 << 20;

/// Why Trivy's output could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("output is not JSON (starts with `{start}`)")]
    NotJson {
        start: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("report has no `SchemaVersion`")]
    NoSchemaVersion,
    #[error("report has `SchemaVersion` {0}, gate reads only {SCHEMA_VERSION}")]
    Schema(u64),
    #[error("report does not match Trivy's `SchemaVersion` 2 shape")]
    Shape {
        #[source]
        source: serde_json::Error,
    },
    #[error("`trivy version --format json` printed no `Version`")]
    NoVersion,
    #[error("cannot read the report `{path}`")]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One vulnerability as gate keeps it: the fields the verdict, reports and cache need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vulnerability {
    /// `CVE-…`, `GHSA-…`, distro advisory IDs.
    pub id: String,
    pub pkg_name: String,
    /// Where a language package was found in the image (`app/package-lock.json`, a jar path).
    pub pkg_path: Option<String>,
    /// The package URL (`PkgIdentifier.PURL`).
    pub purl: Option<String>,
    pub installed_version: String,
    pub fixed_version: Option<String>,
    /// Trivy's status: `fixed`, `affected`, `will_not_fix`, `end_of_life`, ….
    pub status: Option<String>,
    /// Upper case: `UNKNOWN`, `LOW`, `MEDIUM`, `HIGH`, `CRITICAL` (empty in the report reads as
    /// `UNKNOWN`, as Trivy does).
    pub severity: String,
    pub title: Option<String>,
    pub primary_url: Option<String>,
    /// The report result it belongs to (`alpine 3.9.4`, `app/package-lock.json`).
    pub target: String,
    /// `os-pkgs` or `lang-pkgs`.
    pub class: Option<String>,
    /// The platform scanned (`linux/arm64`) when the image is a multi-platform index.
    pub platform: Option<String>,
}

impl Vulnerability {
    /// True when no fixed version exists: Trivy's `--ignore-unfixed` drops every status but
    /// `fixed`; reports without a status fall back to "has no fixed version".
    pub fn is_unfixed(&self) -> bool {
        match self.status.as_deref() {
            Some(s) if !s.is_empty() => s != "fixed",
            _ => self.fixed_version.as_deref().is_none_or(str::is_empty),
        }
    }
}

/// A parsed Trivy JSON report.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Report {
    pub schema_version: u32,
    #[serde(default)]
    pub artifact_name: String,
    #[serde(default)]
    pub artifact_type: String,
    #[serde(default)]
    pub trivy: Option<ReportTrivy>,
    /// Absent when nothing was scanned (e.g. the OS could not be detected).
    #[serde(default)]
    pub results: Option<Vec<ReportResult>>,
}

/// `Trivy` block of a report.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReportTrivy {
    #[serde(default)]
    pub version: String,
}

/// One `Results` entry: one OS or one lock file / language package set.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReportResult {
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub class: Option<String>,
    #[serde(default, rename = "Type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub vulnerabilities: Option<Vec<RawVulnerability>>,
}

/// A vulnerability as Trivy writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RawVulnerability {
    #[serde(rename = "VulnerabilityID")]
    pub vulnerability_id: String,
    #[serde(default)]
    pub pkg_name: String,
    #[serde(default)]
    pub pkg_path: Option<String>,
    #[serde(default)]
    pub pkg_identifier: Option<PkgIdentifier>,
    #[serde(default)]
    pub installed_version: String,
    #[serde(default)]
    pub fixed_version: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default, rename = "PrimaryURL")]
    pub primary_url: Option<String>,
}

/// `PkgIdentifier` of a vulnerability.
#[derive(Debug, Clone, Deserialize)]
pub struct PkgIdentifier {
    #[serde(default, rename = "PURL")]
    pub purl: Option<String>,
}

#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "SchemaVersion")]
    schema_version: Option<u64>,
}

impl Report {
    /// Parse Trivy's JSON output, refusing anything but `SchemaVersion` 2. One pass when the
    /// output is a report; a second, cheap look only to explain a failure.
    pub fn parse(bytes: &[u8]) -> Result<Report, ReportError> {
        Self::classify(serde_json::from_slice(bytes), || {
            Ok((serde_json::from_slice(bytes), preview(bytes)))
        })
    }

    /// [`Report::parse`] of a report file, streamed through a buffer: only the fields gate
    /// models are kept in memory, whatever the file's size. Fast path: the modelled members
    /// copied out ([`super::prune`]) and parsed as a slice; whatever that does not accept is
    /// decided (and its error worded) by serde reading the file itself.
    pub fn read(path: &Path) -> Result<Report, ReportError> {
        let unreadable = |source| ReportError::Read {
            path: path.to_owned(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(unreadable)?;
        let pruned = super::prune::prune(&mut file, MAX_PRUNED_BYTES).map_err(unreadable)?;
        if let Some(Ok(report)) = pruned.as_deref().map(Self::parse) {
            return Ok(report);
        }
        Self::read_exact(path)
    }

    /// [`Report::read`] by serde alone, streaming (no fast path).
    pub fn read_exact(path: &Path) -> Result<Report, ReportError> {
        let open = || {
            std::fs::File::open(path)
                .map(|f| std::io::BufReader::with_capacity(64 << 10, f))
                .map_err(|source| ReportError::Read {
                    path: path.to_owned(),
                    source,
                })
        };
        let io = |e: serde_json::Error| ReportError::Read {
            path: path.to_owned(),
            source: e.into(),
        };
        let first = match serde_json::from_reader(open()?) {
            Err(e) if e.is_io() => return Err(io(e)),
            r => r,
        };
        Self::classify(first, || {
            Ok((serde_json::from_reader(open()?), preview_file(path)))
        })
    }

    /// Accept a schema-2 report, or explain the failure with a cheap second look (`probe`:
    /// the [`Probe`] parse and the output's first characters).
    fn classify(
        first: Result<Report, serde_json::Error>,
        probe: impl FnOnce() -> Result<(Result<Probe, serde_json::Error>, String), ReportError>,
    ) -> Result<Report, ReportError> {
        match first {
            Ok(r) if r.schema_version == SCHEMA_VERSION => Ok(r),
            Ok(r) => Err(ReportError::Schema(u64::from(r.schema_version))),
            Err(shape) => {
                let (probe, start) = probe()?;
                let probe = probe.map_err(|source| ReportError::NotJson { start, source })?;
                match probe.schema_version {
                    None => Err(ReportError::NoSchemaVersion),
                    Some(v) if v != u64::from(SCHEMA_VERSION) => Err(ReportError::Schema(v)),
                    Some(_) => Err(ReportError::Shape { source: shape }),
                }
            }
        }
    }

    /// Every vulnerability of every result, flattened, tagged with `platform`.
    pub fn vulnerabilities(&self, platform: Option<&str>) -> Vec<Vulnerability> {
        self.clone().into_vulnerabilities(platform)
    }

    /// [`Report::vulnerabilities`], consuming the report (no second copy of every finding).
    pub fn into_vulnerabilities(self, platform: Option<&str>) -> Vec<Vulnerability> {
        let mut out = Vec::new();
        for result in self.results.into_iter().flatten() {
            let class = non_empty(result.class);
            for v in result.vulnerabilities.into_iter().flatten() {
                let severity = if v.severity.is_empty() {
                    "UNKNOWN".to_owned()
                } else {
                    v.severity.to_ascii_uppercase()
                };
                out.push(Vulnerability {
                    id: v.vulnerability_id,
                    pkg_name: v.pkg_name,
                    pkg_path: non_empty(v.pkg_path),
                    purl: v.pkg_identifier.and_then(|p| non_empty(p.purl)),
                    installed_version: v.installed_version,
                    fixed_version: non_empty(v.fixed_version),
                    status: non_empty(v.status),
                    severity,
                    title: non_empty(v.title),
                    primary_url: non_empty(v.primary_url),
                    target: result.target.clone(),
                    class: class.clone(),
                    platform: platform.map(str::to_owned),
                });
            }
        }
        out
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// The first few characters of some output, for an error message.
pub(crate) fn preview(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(40)]);
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Check that a file (an SBOM Trivy wrote) is one JSON object, streaming: the fast structural
/// pass of [`super::prune`], else serde reading the file (which words the error).
pub(crate) fn check_json_file(path: &Path) -> Result<(), ReportError> {
    let unreadable = |source| ReportError::Read {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    if super::prune::prune(&mut file, 1 << 20)
        .map_err(unreadable)?
        .is_some()
    {
        return Ok(());
    }
    let file = std::fs::File::open(path).map_err(unreadable)?;
    serde_json::from_reader::<_, serde::de::IgnoredAny>(std::io::BufReader::new(file))
        .map(drop)
        .map_err(|source| ReportError::NotJson {
            start: preview_file(path),
            source,
        })
}

/// The first few characters of a report file, for an error message (empty when unreadable).
pub(crate) fn preview_file(path: &Path) -> String {
    let mut start = Vec::with_capacity(40);
    let _ = std::fs::File::open(path).and_then(|f| f.take(40).read_to_end(&mut start));
    preview(&start)
}

/// `trivy version --format json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// Trivy's version (`0.58.1`).
    pub version: String,
    /// The vulnerability DB's `UpdatedAt` (RFC 3339), absent before the first download.
    pub db_updated_at: Option<String>,
    /// The DB's `NextUpdate`: after it, Trivy downloads a newer DB.
    pub db_next_update: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawVersion {
    #[serde(default)]
    version: String,
    #[serde(default, rename = "VulnerabilityDB")]
    vulnerability_db: Option<RawDb>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawDb {
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    next_update: Option<String>,
}

impl VersionInfo {
    /// Parse `trivy version --format json`.
    pub fn parse(bytes: &[u8]) -> Result<VersionInfo, ReportError> {
        let raw: RawVersion =
            serde_json::from_slice(bytes).map_err(|source| ReportError::NotJson {
                start: preview(bytes),
                source,
            })?;
        if raw.version.is_empty() {
            return Err(ReportError::NoVersion);
        }
        let db = raw.vulnerability_db;
        Ok(VersionInfo {
            version: raw.version,
            db_updated_at: db.as_ref().and_then(|d| non_empty(d.updated_at.clone())),
            db_next_update: db.and_then(|d| non_empty(d.next_update)),
        })
    }

    /// True when the DB is due for an update (its `NextUpdate` has passed), so a cached verdict
    /// keyed on it may be stale.
    pub fn db_is_due(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        match self.db_next_update.as_deref() {
            Some(s) => chrono::DateTime::parse_from_rfc3339(s).map_or(true, |t| t < now),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"{"SchemaVersion":2,"ArtifactName":"x","Extra":{"a":1},"Results":[
      {"Target":"alpine 3.9","Class":"os-pkgs","Type":"alpine","Vulnerabilities":[
        {"VulnerabilityID":"CVE-1","PkgName":"musl","InstalledVersion":"1","FixedVersion":"2",
         "Status":"fixed","Severity":"critical","PkgIdentifier":{"PURL":"pkg:apk/alpine/musl@1"},
         "Title":"t","PrimaryURL":"u","Unknown":true},
        {"VulnerabilityID":"CVE-2","PkgName":"zlib","InstalledVersion":"1","Severity":""}]}]}"#;

    #[test]
    fn parses_fields_and_ignores_unknown_ones() {
        let r = Report::parse(ONE.as_bytes()).unwrap();
        let v = r.vulnerabilities(Some("linux/amd64"));
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].severity, "CRITICAL");
        assert_eq!(v[0].purl.as_deref(), Some("pkg:apk/alpine/musl@1"));
        assert_eq!(v[0].class.as_deref(), Some("os-pkgs"));
        assert_eq!(v[0].platform.as_deref(), Some("linux/amd64"));
        assert!(!v[0].is_unfixed());
        assert_eq!(v[1].severity, "UNKNOWN");
        assert!(v[1].is_unfixed());
    }

    #[test]
    fn refuses_other_schema_versions_and_garbage() {
        assert!(matches!(
            Report::parse(br#"{"SchemaVersion":3,"Results":"new shape"}"#),
            Err(ReportError::Schema(3))
        ));
        assert!(matches!(
            Report::parse(br#"{"Results":[]}"#),
            Err(ReportError::NoSchemaVersion)
        ));
        assert!(matches!(
            Report::parse(b"Segmentation fault"),
            Err(ReportError::NotJson { .. })
        ));
        assert!(matches!(
            Report::parse(br#"{"SchemaVersion":2,"Results":{"not":"a list"}}"#),
            Err(ReportError::Shape { .. })
        ));
        // Trivy 0.19's bare array of results has no schema at all.
        assert!(Report::parse(b"[]").is_err());
    }

    #[test]
    fn reads_version_and_db_time() {
        let v = VersionInfo::parse(
            br#"{"Version":"0.58.1","VulnerabilityDB":{"Version":2,"UpdatedAt":"2026-11-26T06:00:00Z","NextUpdate":"2026-11-27T06:00:00Z"}}"#,
        )
        .unwrap();
        assert_eq!(v.version, "0.58.1");
        assert_eq!(v.db_updated_at.as_deref(), Some("2026-11-26T06:00:00Z"));
        let before = "2026-11-26T12:00:00Z".parse().unwrap();
        let after = "2026-11-28T00:00:00Z".parse().unwrap();
        assert!(!v.db_is_due(before));
        assert!(v.db_is_due(after));
        let none = VersionInfo::parse(br#"{"Version":"0.58.1"}"#).unwrap();
        assert_eq!(none.db_updated_at, None);
        assert!(VersionInfo::parse(br#"{}"#).is_err());
    }
}
