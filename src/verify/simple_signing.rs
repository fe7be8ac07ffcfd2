//! Cosign image signatures: simple-signing payload layers of a `sha256-<hex>.sig` manifest,
//! verified as a pure function over bytes. A layer counts only when its signature verifies with
//! a trusted key or a certificate chaining to the trust root (at the Rekor integrated time), its
//! Rekor evidence (when present) verifies and binds this signature, and its payload names the
//! resolved digest with the cosign container image signature type.

use std::collections::BTreeMap;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::cert::{self, CertError};
use super::error::VerifyError;
use super::policy::VerifyPolicy;
use super::rekor::{self, RekorError};
use super::{RekorInfo, Signer, Verification, VerifiedSignature};

/// Media type of a cosign simple-signing payload layer.
pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// `critical.type` of a cosign image signature.
pub const COSIGN_SIGNATURE_TYPE: &str = "cosign container image signature";
pub const ANNOTATION_SIGNATURE: &str = "dev.cosignproject.cosign/signature";
pub const ANNOTATION_CERTIFICATE: &str = "dev.sigstore.cosign/certificate";
pub const ANNOTATION_CHAIN: &str = "dev.sigstore.cosign/chain";
pub const ANNOTATION_BUNDLE: &str = "dev.sigstore.cosign/bundle";
/// cosign's RFC 3161 timestamp of a layer: `{"SignedRFC3161Timestamp": base64 of the DER
/// `TimeStampResp`}`.
pub const ANNOTATION_TIMESTAMP: &str = "dev.sigstore.cosign/rfc3161timestamp";

/// One layer of a signature (or attestation) manifest: its media type, its payload bytes (the
/// blob, already fetched within the size limit) and the layer's annotations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignatureLayer {
    pub media_type: String,
    pub payload: Vec<u8>,
    pub annotations: BTreeMap<String, String>,
}

/// Why one layer did not count as a trusted signature of the digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error(
        "certificate signature has no transparency-log entry, and the trusted root lists logs \
         (`signatures.insecure-ignore-tlog` in a trusted policy waives this)"
    )]
    NoTlogEntry,
    #[error("layer of media type `{0}` is not a cosign signature")]
    NotASignature(String),
    #[error("layer has no `dev.cosignproject.cosign/signature` annotation")]
    NoSignatureAnnotation,
    #[error("signature annotation is not base64")]
    BadSignatureEncoding,
    #[error("signature does not verify with any trusted key")]
    UntrustedKey,
    #[error("signature does not verify with its certificate's key")]
    BadCertificateSignature,
    #[error(transparent)]
    Certificate(#[from] CertError),
    #[error("certificate identity {0} is not trusted")]
    UntrustedIdentity(String),
    #[error(transparent)]
    Rekor(#[from] RekorError),
    #[error(transparent)]
    Sct(#[from] super::bundle::sct::SctError),
    #[error("payload is not a simple-signing JSON document")]
    BadPayload,
    #[error("payload type `{0}` is not `cosign container image signature`")]
    WrongType(String),
    #[error("payload is for digest `{0}`")]
    OtherDigest(String),
    #[error("Sigstore bundle does not verify: {0}")]
    Bundle(super::bundle::BundleError),
    #[error("referrer is not a Sigstore bundle: {0}")]
    NotABundle(String),
}

#[derive(Deserialize)]
struct Payload {
    critical: Critical,
}

#[derive(Deserialize)]
struct Critical {
    identity: Option<Identity>,
    image: Image,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct Identity {
    #[serde(rename = "docker-reference")]
    docker_reference: Option<String>,
}

#[derive(Deserialize)]
struct Image {
    #[serde(rename = "docker-manifest-digest")]
    docker_manifest_digest: String,
}

/// Decodes base64 ignoring line breaks, as Go's decoder (and so cosign) does.
pub(crate) fn decode_base64_lenient(text: &str) -> Option<Vec<u8>> {
    let cleaned: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b'\n' | b'\r'))
        .collect();
    STANDARD.decode(cleaned).ok()
}

/// Checks `digest` is `sha256:<64 lowercase hex>`.
pub fn check_digest(digest: &str) -> Result<(), VerifyError> {
    let ok = digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    if ok {
        Ok(())
    } else {
        Err(VerifyError::BadDigest {
            digest: digest.to_string(),
        })
    }
}

/// Verifies the signature layers found for `digest`. Pure: no I/O. Errors only for limits and a
/// malformed digest; every layer's outcome is in the returned value.
pub fn verify_signature_layers(
    digest: &str,
    layers: &[SignatureLayer],
    policy: &VerifyPolicy,
) -> Result<Verification, VerifyError> {
    verify_signature_layers_at(digest, layers, policy, Utc::now())
}

/// [`verify_signature_layers`] with an explicit "now" (for certificates without Rekor evidence).
pub fn verify_signature_layers_at(
    digest: &str,
    layers: &[SignatureLayer],
    policy: &VerifyPolicy,
    now: DateTime<Utc>,
) -> Result<Verification, VerifyError> {
    check_digest(digest)?;
    check_limits(digest, layers, policy)?;
    let mut v = Verification {
        digest: digest.to_string(),
        ..Verification::default()
    };
    for (index, layer) in layers.iter().enumerate() {
        match verify_layer(digest, layer, policy, now) {
            Ok(sig) => v.signatures.push(sig),
            Err(reason) => v.rejected.push((index, reason)),
        }
    }
    Ok(v)
}

/// Fails fast on more layers than allowed or an oversized payload.
pub(crate) fn check_limits(
    digest: &str,
    layers: &[SignatureLayer],
    policy: &VerifyPolicy,
) -> Result<(), VerifyError> {
    let limits = &policy.limits;
    if layers.len() > limits.max_signatures {
        return Err(VerifyError::TooMany {
            what: "signatures",
            digest: digest.to_string(),
            count: layers.len(),
            limit: limits.max_signatures,
        });
    }
    for layer in layers {
        if layer.payload.len() as u64 > limits.max_attachment_bytes {
            return Err(VerifyError::TooLarge {
                what: "a signature payload",
                digest: digest.to_string(),
                size: layer.payload.len() as u64,
                limit: limits.max_attachment_bytes,
            });
        }
    }
    Ok(())
}

fn verify_layer(
    digest: &str,
    layer: &SignatureLayer,
    policy: &VerifyPolicy,
    now: DateTime<Utc>,
) -> Result<VerifiedSignature, Rejection> {
    if layer.media_type != SIMPLE_SIGNING_MEDIA_TYPE {
        return Err(Rejection::NotASignature(layer.media_type.clone()));
    }
    let sig_b64 = layer
        .annotations
        .get(ANNOTATION_SIGNATURE)
        .ok_or(Rejection::NoSignatureAnnotation)?;
    let signature = decode_base64_lenient(sig_b64).ok_or(Rejection::BadSignatureEncoding)?;
    let (signer, rekor) = verify_signer(
        &signature,
        &layer.payload,
        &layer.payload,
        &layer.annotations,
        policy,
        now,
    )?;
    let payload: Payload =
        serde_json::from_slice(&layer.payload).map_err(|_bad_json| Rejection::BadPayload)?;
    if !payload
        .critical
        .kind
        .eq_ignore_ascii_case(COSIGN_SIGNATURE_TYPE)
    {
        return Err(Rejection::WrongType(payload.critical.kind));
    }
    if payload.critical.image.docker_manifest_digest != digest {
        return Err(Rejection::OtherDigest(
            payload.critical.image.docker_manifest_digest,
        ));
    }
    Ok(VerifiedSignature {
        signer,
        rekor,
        docker_reference: payload.critical.identity.and_then(|i| i.docker_reference),
        layout: super::Layout::SigTag,
    })
}

/// Establishes who signed `message` with `signature`: a trusted key, or a certificate (from the
/// annotations) chaining to the trust root and matching a trusted identity. Verifies the Rekor
/// bundle annotation when present; the logged entry must record the SHA-256 of `logged_content`
/// (the message itself for signatures, the in-toto statement for DSSE).
pub(crate) fn verify_signer(
    signature: &[u8],
    message: &[u8],
    logged_content: &[u8],
    annotations: &BTreeMap<String, String>,
    policy: &VerifyPolicy,
    now: DateTime<Utc>,
) -> Result<(Signer, Option<RekorInfo>), Rejection> {
    let signed_sha256 = rekor::sha256(message);
    let payload_sha256 = rekor::sha256(logged_content);
    let logged = |material_der: &[u8]| -> Result<Option<rekor::LoggedEntry>, Rejection> {
        let Some(bundle) = annotations.get(ANNOTATION_BUNDLE) else {
            return Ok(None);
        };
        let entry = rekor::verify_cosign_bundle(bundle, &policy.trust, now)?;
        rekor::check_body(
            &entry.body,
            &rekor::Expected {
                signature,
                material_der,
                signed_sha256: &signed_sha256,
                payload_sha256: &payload_sha256,
            },
        )?;
        Ok(Some(entry))
    };
    let info = |e: rekor::LoggedEntry| RekorInfo {
        log_index: e.log_index,
        integrated_time: e.integrated_time,
    };
    if let Some(cert_pem) = annotations.get(ANNOTATION_CERTIFICATE) {
        let leaf_der = cert::pem_chain(cert_pem.as_bytes())?
            .into_iter()
            .next()
            .ok_or(CertError::Malformed)?;
        let leaf = cert::parse(&leaf_der)?;
        let chain = match annotations.get(ANNOTATION_CHAIN) {
            Some(pem) => cert::pem_chain(pem.as_bytes())?,
            None => Vec::new(),
        };
        if !leaf.key.verifies(signature, message) {
            return Err(Rejection::BadCertificateSignature);
        }
        let entry = logged(&leaf.der)?;
        // A short-lived certificate proves nothing after it expires unless a log saw the
        // signature while it was valid: with logs in the trust root, one must have (cosign).
        if entry.is_none() && !policy.trust.tlogs.is_empty() && !policy.insecure_ignore_tlog {
            return Err(Rejection::NoTlogEntry);
        }
        let at = entry.as_ref().map_or(now, |e| e.integrated_time);
        cert::verify_chain(
            &leaf,
            &chain,
            &policy.trust.certificate_authorities,
            at,
            cert::EKU_CODE_SIGNING,
            false,
        )?;
        // With CT logs in the trust root (Fulcio), the certificate must carry a valid SCT.
        if !policy.trust.ctlogs.is_empty() {
            super::bundle::sct::verify_embedded_scts(
                &leaf.der,
                &policy.trust.certificate_authorities,
                &policy.trust.ctlogs,
            )?;
        }
        if !policy.all_identities().any(|i| i.matches(&leaf.identity)) {
            return Err(Rejection::UntrustedIdentity(format!(
                "`{}` from `{}`",
                leaf.identity.sans.join("`, `"),
                leaf.identity.issuer.as_deref().unwrap_or("no issuer")
            )));
        }
        return Ok((Signer::Certificate(leaf.identity), entry.map(info)));
    }
    let key = policy
        .all_keys()
        .find(|k| k.verifies(signature, message))
        .ok_or(Rejection::UntrustedKey)?;
    let entry = logged(&key.spki_der)?;
    Ok((
        Signer::Key {
            fingerprint: key.fingerprint.clone(),
            origin: key.origin.clone(),
        },
        entry.map(info),
    ))
}
