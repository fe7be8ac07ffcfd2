//! Per-image evidence: where a reference came from, what it resolved to, and what the scanner
//! and the signature check said about that digest.
//!
//! These are summaries in the record's own small types, so the schema stays stable while the
//! stage modules evolve; `gate check` converts each stage's result into them.

use super::Verdict;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Where a reference was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Source {
    /// A file position (1-based line and column).
    File {
        file: PathBuf,
        line: usize,
        column: usize,
    },
    /// Given as an argument to `gate check`.
    CommandLine,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File { file, line, .. } => write!(f, "{}:{line}", file.display()),
            Source::CommandLine => f.write_str("command line"),
        }
    }
}

/// Something that could not be checked (exit 2): which stage, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckError {
    /// `discover`, `resolve`, `scan`, `verify`, `lint`, `pin`, …
    pub stage: String,
    /// The full error chain, one line.
    pub message: String,
}

impl CheckError {
    pub fn new(stage: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            stage: stage.into(),
            message: message.into(),
        }
    }
}

/// What the vulnerability scanner reported for one digest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanSummary {
    /// `trivy`, or `replay` in tests.
    pub scanner: String,
    pub scanner_version: String,
    /// When the vulnerability database was last updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_updated_at: Option<DateTime<Utc>>,
    /// Platforms scanned (`linux/amd64`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    /// Vulnerability counts by scanner severity (`CRITICAL`, `HIGH`, `MEDIUM`, `LOW`, `UNKNOWN`),
    /// before exceptions.
    #[serde(default)]
    pub counts: BTreeMap<String, usize>,
    /// SBOM files written for this digest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sbom: Vec<PathBuf>,
    /// Served from the on-disk cache rather than a fresh scanner run.
    #[serde(default)]
    pub cached: bool,
    /// For an index: every child, whether it was scanned (by its own digest) and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<IndexChild>,
}

/// One child of an index, and what the scan did with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexChild {
    /// `sha256:…` of the child manifest.
    pub digest: String,
    /// Its platform as the index writes it (`linux/arm/v7`); absent when the index gives none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Scanned (a node in scope may run it), or left out.
    pub scanned: bool,
    /// Why: which nodes run it (`` `linux/amd64` nodes fall back to it ``), or why none does.
    pub reason: String,
}

/// Who signed: a public key or a keyless (Fulcio) identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Signer {
    /// `sha256:` fingerprint of the public key (DER SubjectPublicKeyInfo).
    Key { fingerprint: String },
    /// Certificate subject (email or URI SAN) and OIDC issuer.
    Identity { identity: String, issuer: String },
}

impl fmt::Display for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signer::Key { fingerprint } => write!(f, "key {fingerprint}"),
            Signer::Identity { identity, issuer } => write!(f, "{identity} ({issuer})"),
        }
    }
}

/// A transparency log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RekorEntry {
    pub log_index: u64,
    pub integrated_time: DateTime<Utc>,
}

/// Where a signature or attestation was found: cosign's `.sig`/`.att` tags, or a Sigstore
/// bundle referrer listed by the OCI 1.1 referrers API or the referrers tag schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Layout {
    SigTag,
    AttTag,
    /// `bundle`: the bundle media type's version (`v0.3`).
    ReferrersApi {
        bundle: String,
    },
    ReferrersTag {
        bundle: String,
    },
}

/// One signature that verified against the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub signer: Signer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rekor: Option<RekorEntry>,
    /// Where it was found (absent in records written before layouts were recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<Layout>,
}

/// One attestation that verified against the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    /// In-toto predicate type (`https://slsa.dev/provenance/v1`).
    pub predicate_type: String,
    pub signer: Signer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rekor: Option<RekorEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<Layout>,
    /// For a SLSA provenance: what it says about the build (what slsa-verifier users check).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slsa: Option<SlsaProvenance>,
}

/// The build facts of a SLSA provenance attestation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlsaProvenance {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub builder_id: Option<String>,
    /// Normalised (`github.com/acme/app`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<String>,
}

/// Everything known about one distinct reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageEvidence {
    /// As the user wrote it (`nginx:1.27`).
    pub reference: String,
    /// Every place it was found, in discovery order.
    #[serde(default)]
    pub sources: Vec<Source>,
    /// `docker.io/library/nginx@sha256:…`; absent when it could not be resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Platforms of an index (`linux/amd64`); empty for a single manifest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan: Option<ScanSummary>,
    /// Signatures that verified (empty: none did).
    #[serde(default)]
    pub signatures: Vec<Signature>,
    #[serde(default)]
    pub attestations: Vec<Attestation>,
    /// Why parts of this image could not be checked.
    #[serde(default)]
    pub errors: Vec<CheckError>,
    pub verdict: Verdict,
}

impl ImageEvidence {
    /// A reference not yet resolved; fill the rest as stages report.
    pub fn new(reference: impl Into<String>) -> Self {
        Self {
            reference: reference.into(),
            sources: Vec::new(),
            canonical: None,
            digest: None,
            media_type: None,
            platforms: Vec::new(),
            scan: None,
            signatures: Vec::new(),
            attestations: Vec::new(),
            errors: Vec::new(),
            verdict: Verdict::Incomplete,
        }
    }

    /// Is `subject` (a finding's subject) this image?
    pub fn is_subject(&self, subject: &str) -> bool {
        self.canonical.as_deref() == Some(subject) || self.reference == subject
    }

    /// The first file position that names this image.
    pub fn first_file(&self) -> Option<(&PathBuf, usize, usize)> {
        self.sources.iter().find_map(|s| match s {
            Source::File { file, line, column } => Some((file, *line, *column)),
            Source::CommandLine => None,
        })
    }

    /// The repository part of the reference (`docker.io/library/nginx`), without tag or digest.
    pub fn repository(&self) -> &str {
        let name = self.canonical.as_deref().unwrap_or(&self.reference);
        let name = name.split('@').next().unwrap_or(name);
        // A `:` after the last `/` starts a tag; one before it is a registry port.
        match name.rfind(':') {
            Some(i) if !name[i..].contains('/') => &name[..i],
            _ => name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_strips_tag_and_digest_but_not_port() {
        let mut i = ImageEvidence::new("localhost:5000/a/b:1.0");
        assert_eq!(i.repository(), "localhost:5000/a/b");
        i.canonical = Some("localhost:5000/a/b@sha256:ab".into());
        assert_eq!(i.repository(), "localhost:5000/a/b");
        assert_eq!(ImageEvidence::new("nginx").repository(), "nginx");
    }
}
