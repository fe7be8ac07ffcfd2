//! The Sigstore bundle JSON (v0.1, v0.2, v0.3), as a small serde model: only what verification
//! reads. Byte fields stay base64 text here and are decoded where they are checked.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    pub media_type: String,
    pub verification_material: VerificationMaterial,
    pub message_signature: Option<MessageSignature>,
    pub dsse_envelope: Option<crate::verify::attestation::Envelope>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMaterial {
    pub x509_certificate_chain: Option<CertificateChain>,
    pub certificate: Option<RawBytes>,
    pub public_key: Option<PublicKeyHint>,
    #[serde(default)]
    pub tlog_entries: Vec<TlogEntry>,
    pub timestamp_verification_data: Option<TimestampData>,
}

#[derive(Debug, Deserialize)]
pub struct CertificateChain {
    #[serde(default)]
    pub certificates: Vec<RawBytes>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawBytes {
    pub raw_bytes: String,
}

#[derive(Debug, Deserialize)]
pub struct PublicKeyHint {
    #[serde(default)]
    pub hint: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimestampData {
    #[serde(default)]
    pub rfc3161_timestamps: Vec<SignedTimestamp>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedTimestamp {
    pub signed_timestamp: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSignature {
    pub message_digest: Option<MessageDigest>,
    pub signature: String,
}

#[derive(Debug, Deserialize)]
pub struct MessageDigest {
    pub algorithm: String,
    pub digest: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TlogEntry {
    /// Protobuf JSON leaves out a zero: an absent index is 0.
    #[serde(default = "zero")]
    pub log_index: String,
    pub log_id: LogId,
    pub kind_version: KindVersion,
    #[serde(default)]
    pub integrated_time: Option<String>,
    pub inclusion_promise: Option<InclusionPromise>,
    pub inclusion_proof: Option<InclusionProof>,
    pub canonicalized_body: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogId {
    pub key_id: String,
}

#[derive(Debug, Deserialize)]
pub struct KindVersion {
    pub kind: String,
    pub version: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionPromise {
    pub signed_entry_timestamp: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionProof {
    /// Protobuf JSON leaves out a zero (sigstore-js writes no `logIndex` for the first entry
    /// of a shard): an absent index is 0.
    #[serde(default = "zero")]
    pub log_index: String,
    pub root_hash: String,
    pub tree_size: String,
    #[serde(default)]
    pub hashes: Vec<String>,
    pub checkpoint: Option<Checkpoint>,
}

#[derive(Debug, Deserialize)]
pub struct Checkpoint {
    pub envelope: String,
}

fn zero() -> String {
    "0".to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Protobuf JSON (sigstore-js's bundleToJSON) leaves out zero values: an inclusion proof of
    /// the first entry of a shard has no `logIndex`.
    #[test]
    fn an_absent_log_index_is_zero() {
        let entry: TlogEntry = serde_json::from_str(
            r#"{"logId":{"keyId":"AA=="},"kindVersion":{"kind":"dsse","version":"0.0.1"},
            "inclusionProof":{"rootHash":"AA==","treeSize":"1"},"canonicalizedBody":"e30="}"#,
        )
        .unwrap();
        assert_eq!(entry.log_index, "0");
        assert_eq!(entry.inclusion_proof.unwrap().log_index, "0");
    }
}
