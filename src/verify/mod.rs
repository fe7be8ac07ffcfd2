//! Stage `verify`: cosign signatures and attestations checked in-process, bound to the resolved
//! digest (DESIGN.md invariant 4). Keys (`keys`), trust roots (`trust_root`, through TUF: `tuf`),
//! certificates and keyless identities (`cert`), Rekor evidence (`rekor`), image signatures
//! (`simple_signing`), attestations (`attestation`), Sigstore bundles for `verify-blob`
//! (`bundle`), and the findings the policy judges (`evaluate`). Verification is pure over bytes; fetching them is the
//! registry's job.

pub mod attestation;
pub mod bundle;
pub mod cert;
pub mod config;
mod error;
pub mod evaluate;
pub mod fetch;
mod fulcio;
pub mod keys;
mod layout;
pub mod policy;
mod referrer;
pub mod rekor;
mod rules;
pub mod sign;
pub mod simple_signing;
pub mod slsa;
pub mod trust_root;
pub mod tuf;
pub mod vsa;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use attestation::{verify_attestation_layers, VerifiedAttestation};
pub use bundle::{rfc3161_timestamp, verify_blob, BlobOptions, TimestampRequestError};
pub use cert::{CertIdentity, KeylessIdentity, Matcher};
pub use error::{KeyError, VerifyError};
pub use evaluate::{evaluate, unchecked};
pub use fetch::{verify_image, verify_many, Fetcher, RegistryFetcher};
pub use fulcio::{
    http_client as fulcio_client, signing_cert as fulcio_signing_cert,
    token_in_env as id_token_in_env, Certificate as FulcioCertificate, FulcioError, IdToken,
    PUBLIC_FULCIO,
};
pub use keys::{generate_key_pair, load_signing_key, SigningKey, TrustedKey};
pub use layout::{Layout, ReferrersSource};
pub use policy::{ImageRequirement, Limits, RequiredAttestation, VerifyPolicy};
pub use referrer::{
    add_to_referrers_index, bundle_json, bundle_referrer, Material as BundleMaterial,
    OCI_INDEX_MEDIA_TYPE,
};
pub use simple_signing::{verify_signature_layers, Rejection, SignatureLayer};
pub use trust_root::TrustRoot;

/// The rules this stage reports.
pub const RULES: &[crate::finding::Rule] = rules::RULES;

/// Who made a signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Signer {
    /// A trusted public key, by fingerprint (`sha256:` of its DER SPKI) and origin.
    Key { fingerprint: String, origin: String },
    /// A certificate that chained to the trust root, with the identity it carries.
    Certificate(CertIdentity),
}

impl std::fmt::Display for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signer::Key {
                fingerprint,
                origin,
            } => write!(f, "key `{origin}` ({fingerprint})"),
            Signer::Certificate(id) => write!(
                f,
                "`{}` issued by `{}`",
                id.sans.join("`, `"),
                id.issuer.as_deref().unwrap_or("a private CA")
            ),
        }
    }
}

/// Rekor evidence of a signature: where and when it was logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RekorInfo {
    pub log_index: i64,
    pub integrated_time: DateTime<Utc>,
}

/// A signature that verified and names the digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedSignature {
    pub signer: Signer,
    pub rekor: Option<RekorInfo>,
    /// The payload's `critical.identity.docker-reference`, informational only.
    pub docker_reference: Option<String>,
    /// Where it was found.
    pub layout: Layout,
}

/// The outcome of verifying one digest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    pub digest: String,
    pub signatures: Vec<VerifiedSignature>,
    /// Layers that did not count, by index, with the reason.
    pub rejected: Vec<(usize, Rejection)>,
    pub attestations: Vec<VerifiedAttestation>,
    /// Attestation layers that did not count, by index, with the reason.
    pub rejected_attestations: Vec<(usize, attestation::AttestationRejection)>,
    /// With `verify_platforms`: each platform manifest of an index, verified on its own.
    pub platforms: Vec<PlatformVerification>,
}

/// The signatures of one platform manifest of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformVerification {
    /// `os/arch[/variant]`.
    pub platform: String,
    pub digest: String,
    /// The verification, or why it could not be done (the error's text).
    pub outcome: Result<Verification, String>,
}
