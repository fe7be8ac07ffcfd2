//! Rekor transparency-log evidence checked offline: the Signed Entry Timestamp (SET, the log's
//! signature over the canonical JSON of the entry) against the log key of the trust root, and
//! the consistency of the logged body with what it claims to log (CVE-2022-36056: an entry for
//! other bytes or another key proves nothing). Covers cosign's `dev.sigstore.cosign/bundle`
//! annotation and the tlog entries of Sigstore bundles.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::trust_root::TrustRoot;

/// Why Rekor evidence was refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RekorError {
    #[error("Rekor bundle is not valid JSON of the expected shape")]
    Malformed,
    #[error("Rekor log `{0}` is not in the trust root")]
    UnknownLog(String),
    #[error("Rekor log key was not valid at the entry's integrated time")]
    LogKeyExpired,
    #[error("signed entry timestamp does not verify against the Rekor log key")]
    BadSet,
    #[error("Rekor entry logs other content than this signature: {0}")]
    Mismatch(&'static str),
    #[error("Rekor entry kind `{0}` is not supported")]
    UnsupportedKind(String),
    #[error("integrated time {0} is in the future")]
    Future(i64),
    #[error("log index is negative")]
    NegativeIndex,
}

/// cosign's `dev.sigstore.cosign/bundle` annotation.
#[derive(Debug, Deserialize)]
pub struct CosignRekorBundle {
    #[serde(rename = "SignedEntryTimestamp")]
    pub signed_entry_timestamp: String,
    #[serde(rename = "Payload")]
    pub payload: CosignRekorPayload,
}

#[derive(Debug, Deserialize)]
pub struct CosignRekorPayload {
    pub body: String,
    #[serde(rename = "integratedTime")]
    pub integrated_time: i64,
    #[serde(rename = "logIndex")]
    pub log_index: i64,
    #[serde(rename = "logID")]
    pub log_id: String,
}

/// A log entry proven by a verified SET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEntry {
    pub integrated_time: DateTime<Utc>,
    pub log_index: i64,
    /// The decoded canonicalized body.
    pub body: Vec<u8>,
}

/// Verifies the SET of an entry: ECDSA by the log key over the canonical JSON
/// `{"body":…,"integratedTime":…,"logID":…,"logIndex":…}` (keys sorted, no whitespace).
pub fn verify_set(
    body_b64: &str,
    integrated_time: i64,
    log_index: i64,
    log_id: &[u8],
    set: &[u8],
    trust: &TrustRoot,
    now: DateTime<Utc>,
) -> Result<LoggedEntry, RekorError> {
    if log_index < 0 {
        return Err(RekorError::NegativeIndex);
    }
    let log = trust
        .tlog(log_id)
        .ok_or_else(|| RekorError::UnknownLog(hex::encode(log_id)))?;
    let time = DateTime::<Utc>::from_timestamp(integrated_time, 0).ok_or(RekorError::Malformed)?;
    if time > now {
        return Err(RekorError::Future(integrated_time));
    }
    if !log.valid_for.contains(time) {
        return Err(RekorError::LogKeyExpired);
    }
    let canonical = serde_json::json!({
        "body": body_b64,
        "integratedTime": integrated_time,
        "logID": hex::encode(log_id),
        "logIndex": log_index,
    });
    // serde_json's map is ordered by key, and `to_vec` emits no whitespace: canonical JSON.
    let message = serde_json::to_vec(&canonical).map_err(|_unreachable| RekorError::Malformed)?;
    if !log.key.verifies(set, &message) {
        return Err(RekorError::BadSet);
    }
    let body = STANDARD
        .decode(body_b64)
        .map_err(|_bad_base64| RekorError::Malformed)?;
    Ok(LoggedEntry {
        integrated_time: time,
        log_index,
        body,
    })
}

/// Verifies a cosign Rekor bundle annotation.
pub fn verify_cosign_bundle(
    json: &str,
    trust: &TrustRoot,
    now: DateTime<Utc>,
) -> Result<LoggedEntry, RekorError> {
    let bundle: CosignRekorBundle =
        serde_json::from_str(json).map_err(|_bad_json| RekorError::Malformed)?;
    let log_id = hex::decode(&bundle.payload.log_id).map_err(|_bad_hex| RekorError::Malformed)?;
    let set = STANDARD
        .decode(&bundle.signed_entry_timestamp)
        .map_err(|_bad_base64| RekorError::Malformed)?;
    verify_set(
        &bundle.payload.body,
        bundle.payload.integrated_time,
        bundle.payload.log_index,
        &log_id,
        &set,
        trust,
        now,
    )
}

/// What a logged entry must bind: the signature, the verification material (DER of a
/// certificate or SPKI public key) and the signed content.
pub struct Expected<'a> {
    pub signature: &'a [u8],
    pub material_der: &'a [u8],
    /// SHA-256 of the exact signed bytes (the artifact, or the DSSE PAE): what `hashedrekord`
    /// entries record.
    pub signed_sha256: &'a [u8],
    /// SHA-256 of the DSSE payload: what `intoto` and `dsse` entries record. Equal to
    /// `signed_sha256` for plain signatures.
    pub payload_sha256: &'a [u8],
}

#[derive(Deserialize)]
struct Body {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: String,
    spec: serde_json::Value,
}

/// Checks that a logged body (`hashedrekord` 0.0.1/0.0.2, `intoto` 0.0.2, `dsse` 0.0.1/0.0.2)
/// binds exactly the expected signature, material and content.
pub fn check_body(body: &[u8], expected: &Expected<'_>) -> Result<(), RekorError> {
    let body: Body = serde_json::from_slice(body).map_err(|_bad_json| RekorError::Malformed)?;
    let spec = &body.spec;
    let str_at = |path: &str| spec.pointer(path).and_then(|v| v.as_str());
    let b64 = |path: &str| str_at(path).and_then(|s| STANDARD.decode(s).ok());
    let hex_of = |path: &str| str_at(path).and_then(|s| hex::decode(s).ok());
    let (hash, mut sig, material, double_encoded) =
        match (body.kind.as_str(), body.api_version.as_str()) {
            ("hashedrekord", "0.0.1") => (
                hex_of("/data/hash/value").filter(|h| h == expected.signed_sha256),
                b64("/signature/content"),
                b64("/signature/publicKey/content"),
                false,
            ),
            ("hashedrekord", "0.0.2") => (
                b64("/hashedRekordV002/data/digest").filter(|h| h == expected.signed_sha256),
                b64("/hashedRekordV002/signature/content"),
                b64("/hashedRekordV002/signature/verifier/x509Certificate/rawBytes")
                    .or_else(|| b64("/hashedRekordV002/signature/verifier/publicKey/rawBytes")),
                false,
            ),
            ("intoto", "0.0.2") => (
                hex_of("/content/payloadHash/value").filter(|h| h == expected.payload_sha256),
                b64("/content/envelope/signatures/0/sig"),
                b64("/content/envelope/signatures/0/publicKey"),
                true,
            ),
            ("dsse", "0.0.1") => (
                hex_of("/payloadHash/value").filter(|h| h == expected.payload_sha256),
                b64("/signatures/0/signature"),
                b64("/signatures/0/verifier"),
                false,
            ),
            ("dsse", "0.0.2") => (
                b64("/dsseV002/payloadHash/digest").filter(|h| h == expected.payload_sha256),
                b64("/dsseV002/signatures/0/content"),
                b64("/dsseV002/signatures/0/verifier/x509Certificate/rawBytes")
                    .or_else(|| b64("/dsseV002/signatures/0/verifier/publicKey/rawBytes")),
                false,
            ),
            (kind, version) => {
                return Err(RekorError::UnsupportedKind(format!("{kind} {version}")))
            }
        };
    if hash.is_none() {
        return Err(RekorError::Mismatch("content digest"));
    }
    if double_encoded {
        // intoto 0.0.2 base64-encodes the (already base64) signature once more.
        sig = sig.and_then(|s| STANDARD.decode(s).ok());
    }
    if sig.as_deref() != Some(expected.signature) {
        return Err(RekorError::Mismatch("signature"));
    }
    let material = material.ok_or(RekorError::Mismatch("verification material"))?;
    let material_der = match pem::parse(&material) {
        Ok(block) => block.into_contents(),
        Err(_not_pem) => material,
    };
    if material_der != expected.material_der {
        return Err(RekorError::Mismatch("verification material"));
    }
    Ok(())
}

/// SHA-256 helper.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}
