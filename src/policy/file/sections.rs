//! The policy file: the composition of the stages' sections. Each section's struct lives with
//! the stage that owns it (`src/<stage>/config.rs`) and denies unknown keys, so a typo is an
//! error that names the key and its line instead of a setting silently ignored.

use serde::Deserialize;

pub use crate::config::Level;
pub use crate::discover::config::SearchRule;
pub use crate::exception::ExceptionEntry;
pub use crate::lint::config::{Manifests, Pss, PssLevel};
pub use crate::render::config::{ChartRender, Render};
pub use crate::resolve::config::Registries;
pub use crate::scan::config::{Scanner, VulnSeverity, Vulnerabilities};
pub use crate::verify::config::{
    Admission, Attest, AttestLayout, AttestationRule, GithubClaims, Identity, KeyRef, Limits,
    SignatureRule, Signatures, SlsaPolicy,
};

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
    /// The scan stage's: which vulnerabilities fail the gate.
    #[serde(default)]
    pub vulnerabilities: Vulnerabilities,
    /// The verify stage's: who must have signed each image.
    #[serde(default)]
    pub signatures: Signatures,
    /// The verify stage's: the attestations each image must carry.
    #[serde(default)]
    pub attestations: Vec<AttestationRule>,
    /// The lint stage's (and discover's `search-rules`; `rules` sets any rule's level).
    #[serde(default)]
    pub manifests: Manifests,
    /// The resolve stage's: where images may come from and how to reach them.
    #[serde(default)]
    pub registries: Registries,
    /// The scan stage's: how Trivy runs.
    #[serde(default)]
    pub scanner: Scanner,
    /// Accepted findings, for every stage.
    #[serde(default)]
    pub exceptions: Vec<ExceptionEntry>,
    /// The verify stage's: admission verifiers that must find what gate accepted.
    #[serde(default)]
    pub admission: Admission,
    /// The render stage's: how kustomizations and charts are rendered (trusted policy only).
    #[serde(default)]
    pub render: Render,
    /// The verify stage's: how `gate check --attest` attaches the verification summary (trusted
    /// policy only).
    #[serde(default)]
    pub attest: Attest,
}
