//! Findings are data: what a stage observed that the policy judges. Errors are for when a stage
//! could not do its job; a finding is for when it did the job and saw something wrong.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

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
    /// Stable rule ID, e.g. `GATE-K8S-010`.
    pub rule: &'static str,
    pub severity: Severity,
    /// What the finding is about: an image (`name@sha256:…`) or an object (`Kind/namespace/name`).
    pub subject: String,
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
    /// The vulnerability behind a scanner finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vulnerability: Option<Vulnerability>,
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
}
