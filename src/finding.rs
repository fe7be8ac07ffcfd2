//! Findings are data: what a stage observed that the policy judges. Errors are for when a stage
//! could not do its job; a finding is for when it did the job and saw something wrong.
//!
//! A finding carries its [`Rule`] itself and a typed [`Subject`]; both become strings only when
//! the evidence record is built. `Rule` lives here, beside `Finding`, so a stage that reports
//! rules depends on this module alone; [`crate::rules`] gathers every stage's rules into the
//! registry.

use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::path::PathBuf;

/// A rule's static description. The explain text follows the fixed outline
/// `What it checks / Why it matters / How to fix / References` (Markdown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable ID: `GATE-<AREA>-<NNN>`.
    pub id: &'static str,
    /// Kebab-case name after the bad pattern, e.g. `rbac-wildcard`.
    pub name: &'static str,
    pub severity: Severity,
    /// The policy section whose `level` sets the severity of this rule's findings.
    pub section: Section,
    /// One line, sentence case, no trailing period.
    pub summary: &'static str,
    pub explain: &'static str,
}

/// Which policy setting gives a rule's findings their severity. Every rule can be named in
/// `manifests.rules`, which wins over its section's `level`; `max-level` caps them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// `vulnerabilities.level`.
    Vulnerabilities,
    /// `signatures.level`.
    Signatures,
    /// The `level` of the first `attestations:` entry.
    Attestations,
    /// `admission.level`.
    Admission,
    /// No section level: the rule's default severity, or `manifests.rules`.
    Rules,
}

/// A rule is equal to its ID (`f.rule == "GATE-K8S-010"`).
impl PartialEq<str> for Rule {
    fn eq(&self, id: &str) -> bool {
        self.id == id
    }
}

/// A rule shows as its ID.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)
    }
}

/// What a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// An image's content, `repository@digest`: every name that resolved to it shares it.
    Image { repository: String, digest: String },
    /// An image as written, when it has no digest target (it did not resolve).
    Reference(String),
    /// A Kubernetes object; `namespace` is `None` for a cluster-scoped kind.
    Object {
        kind: String,
        namespace: Option<String>,
        name: String,
    },
    /// A file, or one line of it (an ignore-file entry).
    File { path: PathBuf, line: Option<usize> },
    /// A policy entry, by where it is written (an exception's origin).
    Entry(String),
}

impl Subject {
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Subject::File {
            path: path.into(),
            line: None,
        }
    }
}

/// The subject as the evidence, reports and exception globs spell it: `repository@digest`, the
/// reference as written, `Kind/namespace/name` (`Kind/name` when cluster-scoped), `path[:line]`.
impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Image { repository, digest } => write!(f, "{repository}@{digest}"),
            Subject::Reference(r) | Subject::Entry(r) => f.write_str(r),
            Subject::Object {
                kind,
                namespace: Some(ns),
                name,
            } => write!(f, "{kind}/{ns}/{name}"),
            Subject::Object {
                kind,
                namespace: None,
                name,
            } => write!(f, "{kind}/{name}"),
            Subject::File { path, line: None } => write!(f, "{}", path.display()),
            Subject::File {
                path,
                line: Some(n),
            } => write!(f, "{}:{n}", path.display()),
        }
    }
}

/// A subject is equal to its spelling (`f.subject == "Deployment/prod/api"`).
impl PartialEq<&str> for Subject {
    fn eq(&self, spelled: &&str) -> bool {
        self.is_spelled(spelled)
    }
}

impl PartialEq<String> for Subject {
    fn eq(&self, spelled: &String) -> bool {
        self.is_spelled(spelled)
    }
}

impl Subject {
    /// Does the subject render as `spelled` (compared while rendering, without allocating)?
    fn is_spelled(&self, spelled: &str) -> bool {
        struct Rest<'a>(&'a str);
        impl fmt::Write for Rest<'_> {
            fn write_str(&mut self, part: &str) -> fmt::Result {
                self.0 = self.0.strip_prefix(part).ok_or(fmt::Error)?;
                Ok(())
            }
        }
        let mut rest = Rest(spelled);
        fmt::write(&mut rest, format_args!("{self}")).is_ok() && rest.0.is_empty()
    }
}

impl Serialize for Subject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

fn rule_id<S: Serializer>(r: &&'static Rule, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(r.id)
}

/// How much a finding matters. The policy can lower or raise a rule's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Shown, never fails the gate.
    Note,
    /// Shown as a warning, never fails the gate.
    Warning,
    /// Fails the gate.
    Error,
}

/// Where a finding points: a file position (1-based line and column) when it came from a file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

/// One observation by one rule about one subject.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The rule (serialised as its ID, e.g. `GATE-K8S-010`).
    #[serde(serialize_with = "rule_id")]
    pub rule: &'static Rule,
    pub severity: Severity,
    /// What the finding is about: an image, a Kubernetes object, a file.
    pub subject: Subject,
    pub location: Option<Location>,
    /// One line, sentence case, no trailing period, backticks around names.
    pub message: String,
    /// Set when an exception applied: the exception's reason. The finding is then not counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
    /// What tells it apart from other findings of its rule and subject (a vulnerability's
    /// `ID package installed-version`, a container name): exceptions' `ids`, SARIF fingerprints
    /// and JUnit test names use it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The vulnerability behind a scanner finding (boxed: most findings have none, and a lint
    /// run moves tens of thousands of them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vulnerability: Option<Box<Vulnerability>>,
}

/// The vulnerability behind a scanner finding, as the evidence records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vulnerability {
    /// `CVE-2024-1234`, `GHSA-…`.
    pub id: String,
    /// Scanner severity: `CRITICAL`, `HIGH`, `MEDIUM`, `LOW`, `UNKNOWN`.
    pub severity: String,
    pub package: String,
    pub installed_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
    /// The platform scanned (`linux/arm64`) when the image is a multi-platform index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The advisory's title, as the scanner reports it (Trivy's `Title`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The advisory's primary link (Trivy's `PrimaryURL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each subject renders the way the evidence spelled it when subjects were strings.
    #[test]
    fn subjects_render_as_the_evidence_spells_them() {
        let cases = [
            (
                Subject::Image {
                    repository: "ghcr.io/acme/api".into(),
                    digest: "sha256:aa".into(),
                },
                "ghcr.io/acme/api@sha256:aa",
            ),
            (Subject::Reference("nginx:1.27".into()), "nginx:1.27"),
            (
                Subject::Object {
                    kind: "Deployment".into(),
                    namespace: Some("prod".into()),
                    name: "api".into(),
                },
                "Deployment/prod/api",
            ),
            (
                Subject::Object {
                    kind: "ClusterRole".into(),
                    namespace: None,
                    name: "admin".into(),
                },
                "ClusterRole/admin",
            ),
            (Subject::file("k8s/app.yaml"), "k8s/app.yaml"),
            (
                Subject::File {
                    path: ".trivyignore".into(),
                    line: Some(3),
                },
                ".trivyignore:3",
            ),
            (Subject::Entry(".gate.yaml:12".into()), ".gate.yaml:12"),
        ];
        assert!(!cases.is_empty());
        for (subject, spelled) in &cases {
            assert_eq!(subject.to_string(), *spelled);
            assert_eq!(subject, spelled);
            assert_ne!(*subject, format!("{spelled}x"));
            assert_ne!(*subject, spelled[..spelled.len() - 1].to_string());
            assert_eq!(serde_json::to_value(subject).unwrap(), *spelled);
        }
    }

    /// A finding serialises its rule as the rule's ID.
    #[test]
    fn a_finding_serialises_its_rule_as_its_id() {
        const RULE: Rule = Rule {
            id: "GATE-IMG-001",
            name: "unpinned-image",
            severity: Severity::Error,
            section: Section::Rules,
            summary: "A test rule",
            explain: "",
        };
        let rule = &RULE;
        let f = Finding {
            rule,
            severity: rule.severity,
            subject: Subject::Reference("nginx".into()),
            location: None,
            message: "m".into(),
            exception: None,
            key: None,
            vulnerability: None,
        };
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["rule"], "GATE-IMG-001");
        assert_eq!(v["subject"], "nginx");
        assert!(f.rule == "GATE-IMG-001" && f.rule != "GATE-IMG-002");
    }
}
