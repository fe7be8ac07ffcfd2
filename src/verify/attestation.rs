//! Cosign attestations: layers of a `sha256-<hex>.att` manifest holding DSSE envelopes of in-toto
//! statements (SLSA provenance v0.2/v1, CycloneDX, SPDX, cosign vuln, …). One counts when a DSSE
//! signature over the pre-authentication encoding verifies with a trusted key or identity (with
//! its Rekor evidence when present) and a statement subject carries the image digest.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::VerifyError;
use super::policy::VerifyPolicy;
use super::simple_signing::{check_digest, check_limits, verify_signer, Rejection, SignatureLayer};
use super::{RekorInfo, Signer};

/// Media type of a DSSE envelope layer.
pub const DSSE_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";
/// DSSE payload type of in-toto statements.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// An attestation that verified and names the digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedAttestation {
    pub predicate_type: String,
    pub signer: Signer,
    pub rekor: Option<RekorInfo>,
    /// Where it was found.
    pub layout: super::Layout,
    /// What a SLSA provenance says about the build (`None` for other predicates).
    pub slsa: Option<super::slsa::SlsaFacts>,
    /// What a verification summary says (`None` for other predicates).
    pub vsa: Option<super::vsa::VsaFacts>,
}

/// Why an attestation layer did not count.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttestationRejection {
    #[error("layer of media type `{0}` is not a DSSE envelope")]
    NotDsse(String),
    #[error("DSSE envelope is malformed")]
    BadEnvelope,
    #[error("DSSE payload type `{0}` is not in-toto")]
    NotInToto(String),
    #[error("in-toto statement is malformed")]
    BadStatement,
    #[error("no DSSE signature is trusted: {0}")]
    Signature(Rejection),
    #[error("no statement subject has digest `{0}`")]
    OtherSubject(String),
}

/// A DSSE envelope.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub payload_type: String,
    pub payload: String,
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct EnvelopeSignature {
    #[serde(default)]
    pub keyid: String,
    pub sig: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Statement {
    predicate_type: String,
    subject: Vec<Subject>,
    #[serde(default)]
    predicate: serde_json::Value,
}

#[derive(Deserialize)]
struct Subject {
    digest: std::collections::BTreeMap<String, String>,
}

/// Verified attestations and the layers that did not count, by index.
pub type AttestationOutcome = (Vec<VerifiedAttestation>, Vec<(usize, AttestationRejection)>);

/// DSSE pre-authentication encoding: `DSSEv1 <len> <type> <len> <body>`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// Verifies the attestation layers found for `digest`. Pure: no I/O.
pub fn verify_attestation_layers(
    digest: &str,
    layers: &[SignatureLayer],
    policy: &VerifyPolicy,
) -> Result<AttestationOutcome, VerifyError> {
    verify_attestation_layers_at(digest, layers, policy, Utc::now())
}

/// [`verify_attestation_layers`] with an explicit "now".
pub fn verify_attestation_layers_at(
    digest: &str,
    layers: &[SignatureLayer],
    policy: &VerifyPolicy,
    now: DateTime<Utc>,
) -> Result<AttestationOutcome, VerifyError> {
    check_digest(digest)?;
    check_limits(digest, layers, policy)?;
    let mut verified = Vec::new();
    let mut rejected = Vec::new();
    for (index, layer) in layers.iter().enumerate() {
        match verify_layer(digest, layer, policy, now) {
            Ok(a) => verified.push(a),
            Err(reason) => rejected.push((index, reason)),
        }
    }
    Ok((verified, rejected))
}

fn verify_layer(
    digest: &str,
    layer: &SignatureLayer,
    policy: &VerifyPolicy,
    now: DateTime<Utc>,
) -> Result<VerifiedAttestation, AttestationRejection> {
    if layer.media_type != DSSE_MEDIA_TYPE {
        return Err(AttestationRejection::NotDsse(layer.media_type.clone()));
    }
    let envelope: Envelope = serde_json::from_slice(&layer.payload)
        .map_err(|_bad_json| AttestationRejection::BadEnvelope)?;
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(AttestationRejection::NotInToto(envelope.payload_type));
    }
    let statement_bytes = STANDARD
        .decode(&envelope.payload)
        .map_err(|_bad_base64| AttestationRejection::BadEnvelope)?;
    let message = pae(&envelope.payload_type, &statement_bytes);
    let mut last = Rejection::UntrustedKey;
    let mut found = None;
    for sig in &envelope.signatures {
        let Ok(signature) = STANDARD.decode(&sig.sig) else {
            last = Rejection::BadSignatureEncoding;
            continue;
        };
        // The Rekor intoto entry logs the payload, not the PAE: check it against that.
        match verify_signer(
            &signature,
            &message,
            &statement_bytes,
            &layer.annotations,
            policy,
            now,
        ) {
            Ok(ok) => {
                found = Some(ok);
                break;
            }
            Err(reason) => last = reason,
        }
    }
    let (signer, rekor) = found.ok_or(AttestationRejection::Signature(last))?;
    let statement: Statement = serde_json::from_slice(&statement_bytes)
        .map_err(|_bad_json| AttestationRejection::BadStatement)?;
    let hex = digest.trim_start_matches("sha256:");
    if !statement
        .subject
        .iter()
        .any(|s| s.digest.get("sha256").map(String::as_str) == Some(hex))
    {
        return Err(AttestationRejection::OtherSubject(digest.to_string()));
    }
    Ok(VerifiedAttestation {
        slsa: super::slsa::facts(&statement.predicate_type, &statement.predicate),
        vsa: super::vsa::facts(&statement.predicate_type, &statement.predicate),
        predicate_type: statement.predicate_type,
        signer,
        rekor,
        layout: super::Layout::AttTag,
    })
}
