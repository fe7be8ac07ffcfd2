//! Attaching a signed in-toto statement as cosign v3 does: a Sigstore bundle v0.3 holding the
//! DSSE envelope, as the one layer of an OCI 1.1 referrer manifest whose `subject` is the image
//! and whose `artifactType` is the bundle's media type. A registry with the referrers API lists
//! it by its `subject`; on one without, the referrers tag schema's index (`sha256-<hex>`) must
//! name it, which [`add_to_referrers_index`] writes.

use std::collections::BTreeMap;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::attestation::Envelope;
use super::fetch::BUNDLE_ARTIFACT_TYPE;
use super::keys::TrustedKey;
use super::sign::OCI_MANIFEST_MEDIA_TYPE;
use super::sign::{sha256_digest, Descriptor, Manifest, SignError, SignatureArtifact};

/// The OCI empty descriptor's media type (the config of an artifact manifest).
pub const OCI_EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
/// An OCI image index (the referrers tag schema's index).
pub const OCI_INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";
/// The OCI empty JSON blob.
const EMPTY_CONFIG: &[u8] = b"{}";

/// What signed the bundle, as its `verificationMaterial` says.
pub enum Material<'a> {
    /// A key: only its hint (base64 of the SHA-256 of its SubjectPublicKeyInfo), as cosign
    /// writes it; the verifier supplies the key.
    Key(&'a TrustedKey),
    /// A Fulcio certificate (DER), and the transparency log entries for it (protobuf JSON of
    /// `TransparencyLogEntry`; none for a tlog-less bundle).
    Certificate {
        der: &'a [u8],
        tlog_entries: Vec<serde_json::Value>,
    },
}

/// The referrer manifest as cosign v3 writes it (field order included).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReferrerManifest {
    schema_version: u32,
    media_type: &'static str,
    config: Descriptor,
    layers: Vec<Descriptor>,
    annotations: BTreeMap<String, String>,
    subject: Descriptor,
    artifact_type: &'static str,
}

/// The Sigstore bundle v0.3 JSON of `envelope` signed as `material` says, with `timestamps`
/// (DER `TimeStampResp`s over the signature) as its `timestampVerificationData`.
pub fn bundle_json(
    envelope: &Envelope,
    material: &Material<'_>,
    timestamps: &[Vec<u8>],
) -> Result<Vec<u8>, SignError> {
    let mut verification_material = match material {
        Material::Key(key) => {
            let hex = key
                .fingerprint
                .strip_prefix("sha256:")
                .unwrap_or(&key.fingerprint);
            let raw = hex::decode(hex).unwrap_or_default();
            serde_json::json!({ "publicKey": { "hint": STANDARD.encode(raw) } })
        }
        Material::Certificate { der, tlog_entries } => {
            let mut m = serde_json::json!({ "certificate": { "rawBytes": STANDARD.encode(der) } });
            if !tlog_entries.is_empty() {
                m["tlogEntries"] = serde_json::Value::Array(tlog_entries.clone());
            }
            m
        }
    };
    if !timestamps.is_empty() {
        let signed: Vec<serde_json::Value> = timestamps
            .iter()
            .map(|t| serde_json::json!({ "signedTimestamp": STANDARD.encode(t) }))
            .collect();
        verification_material["timestampVerificationData"] =
            serde_json::json!({ "rfc3161Timestamps": signed });
    }
    let signatures: Vec<serde_json::Value> = envelope
        .signatures
        .iter()
        .map(|s| serde_json::json!({ "sig": s.sig }))
        .collect();
    let bundle = serde_json::json!({
        "mediaType": BUNDLE_ARTIFACT_TYPE,
        "verificationMaterial": verification_material,
        "dsseEnvelope": {
            "payload": envelope.payload,
            "payloadType": envelope.payload_type,
            "signatures": signatures,
        },
    });
    serde_json::to_vec(&bundle).map_err(SignError::Encode)
}

/// The referrer manifest holding `bundle` (a [`bundle_json`]) for the image `subject`, with
/// cosign v3's annotations (`dev.sigstore.bundle.content`, `.predicateType`, created time).
pub fn bundle_referrer(
    bundle: &[u8],
    subject: Descriptor,
    predicate_type: &str,
    created: DateTime<Utc>,
) -> Result<SignatureArtifact, SignError> {
    let annotations = BTreeMap::from([
        (
            "dev.sigstore.bundle.content".to_string(),
            "dsse-envelope".to_string(),
        ),
        (
            "dev.sigstore.bundle.predicateType".to_string(),
            predicate_type.to_string(),
        ),
        (
            "org.opencontainers.image.created".to_string(),
            created.to_rfc3339_opts(SecondsFormat::Secs, true),
        ),
    ]);
    let descriptor = |media_type: &str, bytes: &[u8]| Descriptor {
        media_type: media_type.to_string(),
        size: bytes.len() as u64,
        digest: sha256_digest(bytes),
        artifact_type: None,
        annotations: BTreeMap::new(),
    };
    let manifest = ReferrerManifest {
        schema_version: 2,
        media_type: OCI_MANIFEST_MEDIA_TYPE,
        config: descriptor(OCI_EMPTY_MEDIA_TYPE, EMPTY_CONFIG),
        layers: vec![descriptor(BUNDLE_ARTIFACT_TYPE, bundle)],
        annotations,
        subject,
        artifact_type: BUNDLE_ARTIFACT_TYPE,
    };
    let bytes = serde_json::to_vec(&manifest).map_err(SignError::Encode)?;
    Ok(SignatureArtifact {
        blobs: vec![
            (manifest.config.digest.clone(), EMPTY_CONFIG.to_vec()),
            (manifest.layers[0].digest.clone(), bundle.to_vec()),
        ],
        manifest_digest: sha256_digest(&bytes),
        manifest: bytes,
    })
}

/// The referrers tag schema's index for a registry without the referrers API: `existing` (the
/// index under `sha256-<hex>`, if any) with the referrer `manifest` added (once).
pub fn add_to_referrers_index(
    existing: Option<&[u8]>,
    manifest: &[u8],
) -> Result<Vec<u8>, SignError> {
    #[derive(serde::Deserialize, Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Index {
        schema_version: u32,
        #[serde(default)]
        media_type: Option<String>,
        #[serde(default)]
        manifests: Vec<Descriptor>,
    }
    let mut index = match existing {
        Some(bytes) => serde_json::from_slice(bytes).map_err(SignError::ExistingIndex)?,
        None => Index {
            schema_version: 2,
            media_type: Some(OCI_INDEX_MEDIA_TYPE.to_string()),
            manifests: Vec::new(),
        },
    };
    let parsed: Manifest = serde_json::from_slice(manifest).map_err(SignError::ExistingManifest)?;
    let entry = Descriptor {
        media_type: OCI_MANIFEST_MEDIA_TYPE.to_string(),
        size: manifest.len() as u64,
        digest: sha256_digest(manifest),
        artifact_type: parsed.artifact_type,
        annotations: parsed.annotations,
    };
    if !index.manifests.iter().any(|m| m.digest == entry.digest) {
        index.manifests.push(entry);
    }
    serde_json::to_vec(&index).map_err(SignError::Encode)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::verify::keys::{generate_key_pair, signing_key_from_pem};
    use crate::verify::sign::dsse_statement;

    const DIGEST: &str = "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";

    #[test]
    fn referrer_names_its_subject_and_the_bundle_verifies_with_the_key() {
        let (private, _) = generate_key_pair(b"").unwrap();
        let key = signing_key_from_pem(&private, b"", "k").unwrap();
        let predicate = serde_json::json!({ "verificationResult": "PASSED" });
        let env = dsse_statement(&key, "example.com/app", DIGEST, "urn:t", &predicate).unwrap();
        let bundle = bundle_json(&env, &Material::Key(&key.public), &[]).unwrap();
        let subject = Descriptor {
            media_type: OCI_MANIFEST_MEDIA_TYPE.to_string(),
            size: 400,
            digest: DIGEST.to_string(),
            artifact_type: None,
            annotations: BTreeMap::new(),
        };
        let art = bundle_referrer(&bundle, subject, "urn:t", Utc::now()).unwrap();
        let m: serde_json::Value = serde_json::from_slice(&art.manifest).unwrap();
        assert_eq!(m["subject"]["digest"], DIGEST);
        assert_eq!(m["artifactType"], BUNDLE_ARTIFACT_TYPE);
        assert_eq!(m["layers"][0]["mediaType"], BUNDLE_ARTIFACT_TYPE);
        assert_eq!(art.blobs.len(), 2);
        // gate's own bundle verifier accepts it with the key, for this digest only.
        let parsed: crate::verify::bundle::model::Bundle = serde_json::from_slice(&bundle).unwrap();
        let sha: [u8; 32] = hex::decode(&DIGEST[7..]).unwrap().try_into().unwrap();
        let trust = crate::verify::VerifyPolicy::new(vec![key.public.clone()], vec![], None)
            .unwrap()
            .trust;
        let ok = crate::verify::bundle::verify_bundle(
            crate::verify::bundle::Subject::Sha256(sha),
            &parsed,
            &crate::verify::bundle::Expectation::KeyOptionalTlog(&key.public),
            &trust,
            Utc::now(),
        );
        assert!(ok.is_ok(), "{ok:?}");
        let index = add_to_referrers_index(None, &art.manifest).unwrap();
        let again = add_to_referrers_index(Some(&index), &art.manifest).unwrap();
        assert_eq!(index, again, "a referrer is listed once");
        let i: serde_json::Value = serde_json::from_slice(&index).unwrap();
        assert_eq!(i["manifests"][0]["digest"], art.manifest_digest);
        assert_eq!(i["manifests"][0]["artifactType"], BUNDLE_ARTIFACT_TYPE);
    }
}
