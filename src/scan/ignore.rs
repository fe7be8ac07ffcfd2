//! Trivy's ignore files, `.trivyignore` and `.trivyignore.yaml`, read and matched with Trivy's
//! semantics so the files users already keep mean the same thing under gate.
//!
//! - `.trivyignore`: one ID per line, `#` comments, optional `exp:YYYY-MM-DD` among the tokens
//!   after the ID (other `key:value` tokens are ignored). Trivy skips a line whose date does not
//!   parse; so does gate, and it says so as a warning.
//! - `.trivyignore.yaml` (chosen by the `.yaml`/`.yml` extension): `vulnerabilities` entries with
//!   `id`, `paths` (doublestar globs over the result target or the package path), `purls`
//!   (package URL constraints), `expired_at` and `statement`. The other sections
//!   (`misconfigurations`, `secrets`, `licenses`) do not concern vulnerability scans and are
//!   skipped; unknown keys are ignored as Trivy ignores them.
//!
//! Expiry follows Trivy: an entry stops applying once its date has begun (`exp:2026-01-31`
//! covers findings up to 2026-01-30). Unlike Trivy, an expired entry that would have matched is
//! reported instead of vanishing.

use super::purl::{Purl, PurlError};
use super::report::Vulnerability;
use crate::yaml::{self, Node, YamlError};
use chrono::NaiveDate;
use globset::{GlobBuilder, GlobMatcher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A loaded ignore file.
#[derive(Debug)]
pub struct IgnoreFile {
    pub path: PathBuf,
    pub entries: Vec<IgnoreEntry>,
    /// Lines Trivy would skip (bad `exp:` date), as `(line, message)`.
    pub problems: Vec<(usize, String)>,
}

/// One vulnerability entry.
#[derive(Debug)]
pub struct IgnoreEntry {
    pub id: String,
    pub paths: Vec<String>,
    matchers: Vec<GlobMatcher>,
    pub purls: Vec<Purl>,
    /// First day on which the entry no longer applies.
    pub expires: Option<NaiveDate>,
    pub statement: Option<String>,
    /// 1-based line in the file.
    pub line: usize,
    used: AtomicUsize,
}

/// Why an ignore file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IgnoreError {
    #[error("could not read ignore file `{path}`")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` is not valid YAML")]
    Yaml {
        path: PathBuf,
        #[source]
        source: YamlError,
    },
    #[error("`{path}`:{line}: {message}")]
    Shape {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("`{path}`:{line}: invalid path pattern `{pattern}`")]
    Glob {
        path: PathBuf,
        line: usize,
        pattern: String,
        #[source]
        source: globset::Error,
    },
    #[error("`{path}`:{line}: invalid package URL")]
    Purl {
        path: PathBuf,
        line: usize,
        #[source]
        source: PurlError,
    },
}

/// The outcome of matching a vulnerability against an ignore file.
#[derive(Debug, Clone, Copy)]
pub enum IgnoreMatch<'a> {
    No,
    Yes(&'a IgnoreEntry),
    /// Only expired entries matched: the finding stands.
    Expired(&'a IgnoreEntry),
}

impl IgnoreFile {
    /// Read an ignore file; YAML when the name ends in `.yaml`/`.yml`, else the line format.
    /// A missing file is an error: the user named it.
    pub fn load(path: &Path) -> Result<IgnoreFile, IgnoreError> {
        let text = std::fs::read_to_string(path).map_err(|source| IgnoreError::Read {
            path: path.to_owned(),
            source,
        })?;
        let is_yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        if is_yaml {
            Self::parse_yaml(path, &text)
        } else {
            Ok(Self::parse_lines(path, &text))
        }
    }

    /// Parse the classic `.trivyignore` line format.
    pub fn parse_lines(path: &Path, text: &str) -> IgnoreFile {
        let mut entries = Vec::new();
        let mut problems = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_whitespace();
            let Some(id) = fields.next() else { continue };
            let mut expires = None;
            // Trivy reads the first `exp:` token only.
            if let Some(date) = fields.find_map(|f| f.strip_prefix("exp:")) {
                match NaiveDate::parse_from_str(date, "%Y-%m-%d") {
                    Ok(d) => expires = Some(d),
                    Err(_) => {
                        problems.push((
                            n + 1,
                            format!("entry `{id}` has an invalid date `exp:{date}` and is skipped"),
                        ));
                        continue;
                    }
                }
            }
            entries.push(IgnoreEntry::new(id.to_owned(), expires, n + 1));
        }
        IgnoreFile {
            path: path.to_owned(),
            entries,
            problems,
        }
    }

    /// Parse `.trivyignore.yaml`.
    pub fn parse_yaml(path: &Path, text: &str) -> Result<IgnoreFile, IgnoreError> {
        let docs = yaml::parse_documents(text).map_err(|source| IgnoreError::Yaml {
            path: path.to_owned(),
            source,
        })?;
        let shape = |line: usize, message: String| IgnoreError::Shape {
            path: path.to_owned(),
            line,
            message,
        };
        let mut file = IgnoreFile {
            path: path.to_owned(),
            entries: Vec::new(),
            problems: Vec::new(),
        };
        let Some(root) = docs.first().filter(|d| !d.is_null()) else {
            return Ok(file);
        };
        if root.as_map().is_none() {
            return Err(shape(
                root.line,
                "expected a mapping with a `vulnerabilities` list".into(),
            ));
        }
        let Some(list) = root.get("vulnerabilities").filter(|n| !n.is_null()) else {
            return Ok(file);
        };
        let items = list
            .as_seq()
            .ok_or_else(|| shape(list.line, "`vulnerabilities` must be a list".into()))?;
        for item in items {
            file.entries.push(Self::yaml_entry(path, item)?);
        }
        Ok(file)
    }

    fn yaml_entry(path: &Path, item: &Node) -> Result<IgnoreEntry, IgnoreError> {
        let shape = |line: usize, message: String| IgnoreError::Shape {
            path: path.to_owned(),
            line,
            message,
        };
        if item.as_map().is_none() {
            return Err(shape(
                item.line,
                "an entry must be a mapping with an `id`".into(),
            ));
        }
        let id = item
            .get("id")
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| shape(item.line, "entry has no `id`".into()))?;
        let strings = |key: &str| -> Result<Vec<(String, usize)>, IgnoreError> {
            match item.get(key).filter(|n| !n.is_null()) {
                None => Ok(Vec::new()),
                Some(n) => n
                    .as_seq()
                    .ok_or_else(|| shape(n.line, format!("`{key}` must be a list of strings")))?
                    .iter()
                    .map(|s| {
                        s.as_str()
                            .map(|v| (v.to_owned(), s.line))
                            .ok_or_else(|| shape(s.line, format!("`{key}` must hold strings")))
                    })
                    .collect(),
            }
        };
        let mut entry = IgnoreEntry::new(id.to_owned(), None, item.line);
        for (pattern, line) in strings("paths")? {
            let glob = GlobBuilder::new(&pattern)
                .literal_separator(true)
                .build()
                .map_err(|source| IgnoreError::Glob {
                    path: path.to_owned(),
                    line,
                    pattern: pattern.clone(),
                    source,
                })?;
            entry.matchers.push(glob.compile_matcher());
            entry.paths.push(pattern);
        }
        for (s, line) in strings("purls")? {
            entry
                .purls
                .push(Purl::parse(&s).map_err(|source| IgnoreError::Purl {
                    path: path.to_owned(),
                    line,
                    source,
                })?);
        }
        if let Some(n) = item.get("expired_at").filter(|n| !n.is_null()) {
            let text = n.as_str().unwrap_or_default();
            entry.expires = Some(parse_date(text).ok_or_else(|| {
                shape(
                    n.line,
                    format!("`expired_at` `{text}` is not a date (YYYY-MM-DD)"),
                )
            })?);
        }
        entry.statement = item
            .get("statement")
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        Ok(entry)
    }

    /// Entries still in force on `today` (what Trivy keeps after pruning).
    pub fn active(&self, today: NaiveDate) -> impl Iterator<Item = &IgnoreEntry> {
        self.entries.iter().filter(move |e| !e.is_expired(today))
    }

    /// Match a vulnerability: the first entry in force that matches wins; failing that, an
    /// expired entry that would have matched is returned so the report can say so.
    pub fn check(&self, v: &Vulnerability, today: NaiveDate) -> IgnoreMatch<'_> {
        let target_purl = v.purl.as_deref().and_then(|p| Purl::parse(p).ok());
        let mut expired = None;
        for e in &self.entries {
            if !e.matches(v, target_purl.as_ref()) {
                continue;
            }
            e.used.fetch_add(1, Ordering::Relaxed);
            if e.is_expired(today) {
                expired.get_or_insert(e);
            } else {
                return IgnoreMatch::Yes(e);
            }
        }
        expired.map_or(IgnoreMatch::No, IgnoreMatch::Expired)
    }
}

impl IgnoreEntry {
    fn new(id: String, expires: Option<NaiveDate>, line: usize) -> Self {
        IgnoreEntry {
            id,
            paths: Vec::new(),
            matchers: Vec::new(),
            purls: Vec::new(),
            expires,
            statement: None,
            line,
            used: AtomicUsize::new(0),
        }
    }

    /// Trivy prunes an entry once `now` is past midnight UTC of its date.
    pub fn is_expired(&self, today: NaiveDate) -> bool {
        self.expires.is_some_and(|d| d <= today)
    }

    /// How many vulnerabilities this entry matched so far (expired matches included).
    pub fn uses(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Trivy's `IgnoreFindings.Match` for one entry: same ID; a path pattern matching the
    /// result target or the package path (any path when none are given); a package URL
    /// constraint matching (any package when none are given or the finding has no PURL).
    fn matches(&self, v: &Vulnerability, purl: Option<&Purl>) -> bool {
        if self.id != v.id {
            return false;
        }
        let purl_ok = match purl {
            None => true,
            Some(p) => self.purls.is_empty() || self.purls.iter().any(|c| c.matches(p)),
        };
        if !purl_ok {
            return false;
        }
        if self.matchers.is_empty() {
            return true;
        }
        [Some(v.target.as_str()), v.pkg_path.as_deref()]
            .into_iter()
            .flatten()
            .any(|path| self.matchers.iter().any(|m| m.is_match(path)))
    }
}

/// A YAML date as go-yaml reads one into `time.Time`: `2023-01-01` or an RFC 3339 timestamp.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().or_else(|| {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.naive_utc().date())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vuln(id: &str, target: &str, pkg_path: Option<&str>, purl: Option<&str>) -> Vulnerability {
        Vulnerability {
            id: id.into(),
            pkg_name: "p".into(),
            pkg_path: pkg_path.map(Into::into),
            purl: purl.map(Into::into),
            installed_version: "1".into(),
            fixed_version: Some("2".into()),
            status: Some("fixed".into()),
            severity: "HIGH".into(),
            title: None,
            primary_url: None,
            target: target.into(),
            class: Some("lang-pkgs".into()),
            platform: None,
        }
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn line_format_ids_comments_and_expiry() {
        let f = IgnoreFile::parse_lines(
            Path::new(".trivyignore"),
            "# c\nCVE-1\n\n  CVE-2 exp:2026-01-31 # why\nCVE-3 exp:2026-13-01\nCVE-4 key:v exp:2030-01-01\n",
        );
        let ids: Vec<_> = f.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["CVE-1", "CVE-2", "CVE-4"]);
        assert_eq!(f.entries[1].line, 4);
        assert_eq!(f.problems.len(), 1);
        assert_eq!(f.problems[0].0, 5);
        let v = vuln("CVE-2", "alpine 3.9", None, None);
        assert!(matches!(
            f.check(&v, day("2026-01-30")),
            IgnoreMatch::Yes(_)
        ));
        // The entry stops applying on its date, as in Trivy.
        assert!(matches!(
            f.check(&v, day("2026-01-31")),
            IgnoreMatch::Expired(_)
        ));
        assert_eq!(f.entries[1].uses(), 2);
        assert_eq!(f.entries[0].uses(), 0);
    }

    #[test]
    fn yaml_paths_purls_statement() {
        let text = r#"
vulnerabilities:
  - id: CVE-A
    paths: ["**/*-lock.json"]
    statement: not reachable
  - id: CVE-B
    purls:
      - "pkg:golang/github.com/aquasecurity/bar"
  - id: CVE-C
    expired_at: 2020-01-01
misconfigurations:
  - id: KSV001
"#;
        let f = IgnoreFile::parse_yaml(Path::new("x.yaml"), text).unwrap();
        assert_eq!(f.entries.len(), 3);
        let today = day("2026-11-26");
        let lock = vuln("CVE-A", "foo/package-lock.json", None, None);
        match f.check(&lock, today) {
            IgnoreMatch::Yes(e) => assert_eq!(e.statement.as_deref(), Some("not reachable")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            f.check(
                &vuln("CVE-A", "alpine 3.9", Some("package-lock.json"), None),
                today
            ),
            IgnoreMatch::Yes(_)
        ));
        assert!(matches!(
            f.check(&vuln("CVE-A", "bar/package.json", None, None), today),
            IgnoreMatch::No
        ));
        let bar = "pkg:golang/github.com/aquasecurity/bar@1.0.0";
        let foo = "pkg:golang/github.com/aquasecurity/foo@1.0.0";
        assert!(matches!(
            f.check(&vuln("CVE-B", "go.mod", None, Some(bar)), today),
            IgnoreMatch::Yes(_)
        ));
        assert!(matches!(
            f.check(&vuln("CVE-B", "go.mod", None, Some(foo)), today),
            IgnoreMatch::No
        ));
        // No PURL on the finding: Trivy lets a purls-entry match.
        assert!(matches!(
            f.check(&vuln("CVE-B", "go.mod", None, None), today),
            IgnoreMatch::Yes(_)
        ));
        assert!(matches!(
            f.check(&vuln("CVE-C", "x", None, None), today),
            IgnoreMatch::Expired(_)
        ));
    }

    #[test]
    fn yaml_errors_name_file_and_line() {
        let bad = IgnoreFile::parse_yaml(Path::new("i.yaml"), "this file is not a yaml file");
        assert!(bad.is_err());
        let e = IgnoreFile::parse_yaml(
            Path::new("i.yaml"),
            "vulnerabilities:\n  - id: X\n    paths: [\"a/[\"]\n",
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "`i.yaml`:3: invalid path pattern `a/[`");
        let e = IgnoreFile::parse_yaml(Path::new("i.yaml"), "vulnerabilities:\n  - paths: [a]\n")
            .unwrap_err();
        assert_eq!(e.to_string(), "`i.yaml`:2: entry has no `id`");
        let e = IgnoreFile::parse_yaml(
            Path::new("i.yaml"),
            "vulnerabilities:\n  - id: X\n    expired_at: soon\n",
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("`i.yaml`:3:"), "{e}");
        assert!(IgnoreFile::parse_yaml(Path::new("i.yaml"), "")
            .unwrap()
            .entries
            .is_empty());
        assert!(IgnoreFile::parse_yaml(Path::new("i.yaml"), "# nothing\n")
            .unwrap()
            .entries
            .is_empty());
    }
}
