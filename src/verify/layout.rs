//! Where a signature or attestation was found (its layout), and which admission verifiers can
//! find each layout. cosign v1/v2 write `sha256-<hex>.sig` / `.att` tags; cosign v3 and GitHub
//! artifact attestations write Sigstore bundles as OCI 1.1 referrers, listed by the registry's
//! referrers API or, on registries without it, in the referrers tag schema's index
//! (`sha256-<hex>`). Admission controllers in the field read only some of these, so a digest
//! gate accepts may still be refused at deploy time: the policy's `admission:` key names the
//! verifiers that must be able to find a valid signature ([`Admission`]).
//!
//! The compatibility table ([`Verifier::reads`]) is built from the verifiers' own trackers;
//! `docs/admission-compat.md` cites each row.

use serde::Serialize;

/// Where a verified signature or attestation was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Layout {
    /// cosign's `sha256-<hex>.sig` tag (simple signing layers).
    SigTag,
    /// cosign's `sha256-<hex>.att` tag (DSSE layers).
    AttTag,
    /// A Sigstore bundle referrer listed by the registry's OCI 1.1 referrers API.
    ReferrersApi {
        /// The bundle media type's version (`v0.3`).
        bundle: String,
    },
    /// A Sigstore bundle referrer listed in the referrers tag schema's index (`sha256-<hex>`).
    ReferrersTag { bundle: String },
}

impl Layout {
    /// The layout of a bundle referrer of media type `media_type`, found through the API or
    /// the tag schema.
    pub fn referrer(source: ReferrersSource, media_type: &str) -> Self {
        let bundle = media_type
            .strip_prefix("application/vnd.dev.sigstore.bundle.")
            .and_then(|v| v.strip_suffix("+json"))
            .unwrap_or(media_type)
            .to_string();
        match source {
            ReferrersSource::Api => Layout::ReferrersApi { bundle },
            ReferrersSource::TagSchema => Layout::ReferrersTag { bundle },
        }
    }

    /// `sig-tag`, `att-tag`, `referrers-api`, `referrers-tag`.
    pub fn kind(&self) -> &'static str {
        match self {
            Layout::SigTag => "sig-tag",
            Layout::AttTag => "att-tag",
            Layout::ReferrersApi { .. } => "referrers-api",
            Layout::ReferrersTag { .. } => "referrers-tag",
        }
    }
}

impl std::fmt::Display for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Layout::SigTag => f.write_str("`.sig` tag"),
            Layout::AttTag => f.write_str("`.att` tag"),
            Layout::ReferrersApi { bundle } => write!(f, "bundle {bundle} via the referrers API"),
            Layout::ReferrersTag { bundle } => {
                write!(f, "bundle {bundle} via the referrers tag schema")
            }
        }
    }
}

/// How the referrers of a digest were listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferrersSource {
    /// `GET /v2/<name>/referrers/<digest>`.
    Api,
    /// The `sha256-<hex>` tag's index (OCI 1.1 fallback).
    TagSchema,
}

/// An admission verifier whose ability to find signatures the policy cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifierKind {
    /// Kyverno `verifyImages` / `ImageValidatingPolicy`.
    Kyverno,
    /// Sigstore policy-controller (`ClusterImagePolicy`).
    PolicyController,
}

impl VerifierKind {
    pub fn name(self) -> &'static str {
        match self {
            VerifierKind::Kyverno => "kyverno",
            VerifierKind::PolicyController => "policy-controller",
        }
    }
}

/// A named verifier at a version (`major.minor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verifier {
    pub kind: VerifierKind,
    pub version: (u32, u32),
}

/// A verifier version that is not `MAJOR.MINOR[.PATCH]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a version (`MAJOR.MINOR`, e.g. `1.15`)")]
pub struct BadVersion(pub String);

impl Verifier {
    /// `kind` at `version` (`1.15`, `v0.13.1`).
    pub fn new(kind: VerifierKind, version: &str) -> Result<Self, BadVersion> {
        let bad = || BadVersion(version.to_string());
        let mut parts = version.trim_start_matches('v').split('.');
        let major = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minor = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        if parts.any(|p| p.parse::<u32>().is_err()) {
            return Err(bad());
        }
        Ok(Self {
            kind,
            version: (major, minor),
        })
    }

    /// Can this verifier find an image *signature* in `layout`? Conservative: a layout counts
    /// only where the verifier's own tracker shows it working (docs/admission-compat.md).
    pub fn reads_signature(&self, layout: &Layout) -> bool {
        match (self.kind, layout) {
            (_, Layout::SigTag) => true,
            // Kyverno reads bundles through `type: SigstoreBundle` since 1.13
            // (kyverno/kyverno#10567), through the referrers API only: descriptors of the
            // referrers tag schema are typed `oci.empty` and filtered out
            // (kyverno/kyverno#16664).
            (VerifierKind::Kyverno, Layout::ReferrersApi { .. }) => self.version >= (1, 13),
            // policy-controller finds no cosign v3 bundle signatures (sigstore/policy-controller
            // #1899, #1958, open).
            _ => false,
        }
    }

    /// Can this verifier find an *attestation* in `layout`?
    pub fn reads_attestation(&self, layout: &Layout) -> bool {
        match (self.kind, layout) {
            (_, Layout::AttTag) => true,
            (VerifierKind::Kyverno, Layout::ReferrersApi { .. }) => self.version >= (1, 13),
            // `signatureFormat: bundle` since v0.13.0 (sigstore/policy-controller#1725); the tag
            // schema is not counted: no report shows it working.
            (VerifierKind::PolicyController, Layout::ReferrersApi { .. }) => {
                self.version >= (0, 13)
            }
            _ => false,
        }
    }
}

/// The policy's `admission:` key: verifiers, and the severity of their finding (`None`: off).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Admission {
    pub verifiers: Vec<Verifier>,
    pub severity: Option<crate::finding::Severity>,
}

impl Admission {
    /// From the policy file's versions (either may be absent).
    pub fn new(
        kyverno: Option<&str>,
        policy_controller: Option<&str>,
        severity: Option<crate::finding::Severity>,
    ) -> Result<Self, BadVersion> {
        let mut verifiers = Vec::new();
        for (kind, version) in [
            (VerifierKind::Kyverno, kyverno),
            (VerifierKind::PolicyController, policy_controller),
        ] {
            if let Some(v) = version {
                verifiers.push(Verifier::new(kind, v)?);
            }
        }
        Ok(Self {
            verifiers,
            severity,
        })
    }
}

impl std::fmt::Display for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}.{}",
            self.kind.name(),
            self.version.0,
            self.version.1
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(kind: VerifierKind, version: &str) -> Verifier {
        Verifier::new(kind, version).unwrap()
    }

    #[test]
    fn versions_parse_and_refuse_junk() {
        assert_eq!(v(VerifierKind::Kyverno, "1.15").version, (1, 15));
        assert_eq!(v(VerifierKind::Kyverno, "v1.18.2").version, (1, 18));
        for bad in ["", "1", "x.1", "1.x", "1.2.x"] {
            assert!(Verifier::new(VerifierKind::Kyverno, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_table_follows_the_trackers() {
        let api = Layout::referrer(
            ReferrersSource::Api,
            "application/vnd.dev.sigstore.bundle.v0.3+json",
        );
        let tag = Layout::referrer(
            ReferrersSource::TagSchema,
            "application/vnd.dev.sigstore.bundle.v0.3+json",
        );
        assert_eq!(
            api,
            Layout::ReferrersApi {
                bundle: "v0.3".into()
            }
        );
        let old = v(VerifierKind::Kyverno, "1.12");
        let new = v(VerifierKind::Kyverno, "1.15");
        assert!(old.reads_signature(&Layout::SigTag) && new.reads_signature(&Layout::SigTag));
        assert!(!old.reads_signature(&api) && new.reads_signature(&api));
        assert!(!new.reads_signature(&tag));
        let pc = v(VerifierKind::PolicyController, "0.13");
        assert!(!pc.reads_signature(&api) && !pc.reads_signature(&tag));
        assert!(!pc.reads_attestation(&tag) && pc.reads_attestation(&api));
        assert!(!v(VerifierKind::PolicyController, "0.12").reads_attestation(&api));
    }
}
