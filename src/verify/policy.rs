//! What the verify stage trusts and requires, as one typed value built once from the policy file
//! and command line: trusted keys, keyless identities, the trust root, required attestations,
//! per-image-pattern requirements and the hostile-input limits.

use std::path::PathBuf;

use globset::{Glob, GlobMatcher};

use super::cert::KeylessIdentity;
use super::error::VerifyError;
use super::keys::TrustedKey;
use super::slsa::SlsaRequirement;
use super::trust_root::TrustRoot;
use super::{Signer, Verification};

/// Limits like cosign's (CVE-2023-46737, CVE-2024-29902/29903): beyond them the image fails fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Signatures or attestations considered per image.
    pub max_signatures: usize,
    /// Layers in one signature or attestation manifest.
    pub max_layers: usize,
    /// Bytes of one attachment (payload layer).
    pub max_attachment_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_signatures: 100,
            max_layers: 1_000,
            max_attachment_bytes: 128 * 1024 * 1024,
        }
    }
}

/// A required DSSE in-toto attestation.
#[derive(Debug, Clone, Default)]
pub struct RequiredAttestation {
    /// The in-toto `predicateType`, e.g. `https://slsa.dev/provenance/v1`.
    pub predicate_type: String,
    /// Its own signers (a build system's identity); both empty: the image's signers.
    pub keys: Vec<TrustedKey>,
    pub identities: Vec<KeylessIdentity>,
    /// Image globs it applies to; empty: every image.
    pub images: Vec<GlobMatcher>,
    /// What a SLSA provenance must say (builder id, source repository, ref).
    pub slsa: SlsaRequirement,
    /// What a verification summary must say (`attestations[].vsa`).
    pub vsa: Option<super::vsa::VsaRequirement>,
}

impl RequiredAttestation {
    /// A requirement of `predicate_type` for every image, signed by the image's signers.
    pub fn of_type(predicate_type: &str) -> Self {
        Self {
            predicate_type: predicate_type.to_string(),
            ..Self::default()
        }
    }

    pub fn applies_to(&self, image: &str) -> bool {
        self.images.is_empty() || self.images.iter().any(|g| g.is_match(image))
    }

    /// Whether `signer` may make this attestation for `image`.
    pub fn accepts(&self, policy: &VerifyPolicy, image: &str, signer: &Signer) -> bool {
        if self.keys.is_empty() && self.identities.is_empty() {
            return policy.accepts(image, signer);
        }
        match signer {
            Signer::Key { fingerprint, .. } => {
                self.keys.iter().any(|k| &k.fingerprint == fingerprint)
            }
            Signer::Certificate(id) => self.identities.iter().any(|i| i.matches(id)),
        }
    }
}

/// Well-known predicate types, by the short names cosign accepts for `--type`.
pub fn predicate_type_alias(name: &str) -> &str {
    match name {
        "slsaprovenance" | "slsaprovenance02" => "https://slsa.dev/provenance/v0.2",
        "slsaprovenance1" => "https://slsa.dev/provenance/v1",
        "cyclonedx" => "https://cyclonedx.org/bom",
        "spdx" => "https://spdx.dev/Document",
        "spdxjson" => "https://spdx.dev/Document",
        "vuln" => "https://cosign.sigstore.dev/attestation/vuln/v1",
        "openvex" => "https://openvex.dev/ns",
        "link" => "https://in-toto.io/Link/v1",
        "custom" => "https://cosign.sigstore.dev/attestation/v1",
        other => other,
    }
}

/// Signers accepted for images whose reference matches `pattern` (a glob such as
/// `ghcr.io/acme/*`). The first matching requirement wins; images matching none use the policy's
/// top-level keys and identities.
#[derive(Debug, Clone)]
pub struct ImageRequirement {
    pub pattern: String,
    matcher: GlobMatcher,
    pub keys: Vec<TrustedKey>,
    pub identities: Vec<KeylessIdentity>,
}

impl ImageRequirement {
    pub fn new(
        pattern: &str,
        keys: Vec<TrustedKey>,
        identities: Vec<KeylessIdentity>,
    ) -> Result<Self, globset::Error> {
        Ok(Self {
            pattern: pattern.to_string(),
            matcher: Glob::new(pattern)?.compile_matcher(),
            keys,
            identities,
        })
    }

    /// A requirement for images matching `matcher` (compiled from `pattern`).
    pub fn compiled(
        pattern: &str,
        matcher: GlobMatcher,
        keys: Vec<TrustedKey>,
        identities: Vec<KeylessIdentity>,
    ) -> Self {
        Self {
            pattern: pattern.to_string(),
            matcher,
            keys,
            identities,
        }
    }

    pub fn applies_to(&self, image: &str) -> bool {
        self.matcher.is_match(image)
    }
}

/// The verify stage's policy.
#[derive(Debug, Clone)]
pub struct VerifyPolicy {
    /// Any-of: a signature by one of these keys counts.
    pub keys: Vec<TrustedKey>,
    /// Any-of: a certificate matching one of these identities counts.
    pub identities: Vec<KeylessIdentity>,
    /// Where the trust root came from (`None`: the public-good root).
    pub trusted_root: Option<PathBuf>,
    /// The loaded trust root.
    pub trust: TrustRoot,
    pub attestations: Vec<RequiredAttestation>,
    /// An image without a trusted signature is a finding (`signatures.required`); off, only
    /// the required attestations are checked.
    pub require_signature: bool,
    /// Also require a signature on each platform manifest of an index.
    pub verify_platforms: bool,
    pub limits: Limits,
    pub requirements: Vec<ImageRequirement>,
    /// Admission verifiers that must be able to find what gate accepted.
    pub admission: super::layout::Admission,
    /// Accept a certificate signature without a transparency-log entry although the trust root
    /// lists logs (cosign's `--insecure-ignore-tlog`).
    pub insecure_ignore_tlog: bool,
}

impl VerifyPolicy {
    /// A policy with the given keys and identities, trusting `trusted_root` (or public good).
    pub fn new(
        keys: Vec<TrustedKey>,
        identities: Vec<KeylessIdentity>,
        trusted_root: Option<PathBuf>,
    ) -> Result<Self, VerifyError> {
        let trust = TrustRoot::load(trusted_root.as_deref())?;
        Ok(Self {
            keys,
            identities,
            trusted_root,
            trust,
            attestations: Vec::new(),
            require_signature: true,
            verify_platforms: false,
            limits: Limits::default(),
            requirements: Vec::new(),
            admission: super::layout::Admission::default(),
            insecure_ignore_tlog: false,
        })
    }

    /// Every key any requirement trusts (verification tries them all; `evaluate` then checks
    /// the signer against the image's own requirement).
    pub fn all_keys(&self) -> impl Iterator<Item = &TrustedKey> {
        self.keys
            .iter()
            .chain(self.requirements.iter().flat_map(|r| r.keys.iter()))
            .chain(self.attestations.iter().flat_map(|a| a.keys.iter()))
    }

    /// Every identity any requirement trusts.
    pub fn all_identities(&self) -> impl Iterator<Item = &KeylessIdentity> {
        self.identities
            .iter()
            .chain(self.requirements.iter().flat_map(|r| r.identities.iter()))
            .chain(self.attestations.iter().flat_map(|a| a.identities.iter()))
    }

    /// The keys and identities that count for `image`.
    pub fn signers_for(&self, image: &str) -> (&[TrustedKey], &[KeylessIdentity]) {
        match self.requirements.iter().find(|r| r.applies_to(image)) {
            Some(r) => (&r.keys, &r.identities),
            None => (&self.keys, &self.identities),
        }
    }

    /// True when `signer` is accepted for `image`.
    pub fn accepts(&self, image: &str, signer: &Signer) -> bool {
        let (keys, identities) = self.signers_for(image);
        match signer {
            Signer::Key { fingerprint, .. } => keys.iter().any(|k| &k.fingerprint == fingerprint),
            Signer::Certificate(id) => identities.iter().any(|i| i.matches(id)),
        }
    }

    /// True when some signature in `v` is accepted for `image`.
    pub fn image_accepted(&self, image: &str, v: &Verification) -> bool {
        v.signatures.iter().any(|s| self.accepts(image, &s.signer))
    }
}
