//! Signing an image digest as cosign does: the simple-signing payload with cosign's exact byte
//! layout, signed with a cosign key, as a layer of the `sha256-<hex>.sig` OCI manifest. A new
//! signature is appended to the signatures already there (an identical one is not duplicated),
//! never replacing them.

use std::collections::BTreeMap;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::attestation::{DSSE_MEDIA_TYPE, IN_TOTO_PAYLOAD_TYPE};
use super::error::{KeyError, VerifyError};
use super::keys::SigningKey;
use super::simple_signing::{
    check_digest, SignatureLayer, ANNOTATION_SIGNATURE, SIMPLE_SIGNING_MEDIA_TYPE,
};

pub const OCI_MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";

/// Signing failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error(transparent)]
    Digest(#[from] VerifyError),
    #[error("cannot sign")]
    Key(#[from] KeyError),
    #[error("existing signature manifest is not an OCI image manifest")]
    ExistingManifest(#[source] serde_json::Error),
    #[error("the referrers tag schema's index already there is not an OCI image index")]
    ExistingIndex(#[source] serde_json::Error),
    #[error("cannot encode the signature manifest")]
    Encode(#[source] serde_json::Error),
}

/// The tag cosign stores signatures of `digest` under: `sha256-<hex>.sig`.
pub fn signature_tag(digest: &str) -> String {
    format!("{}.sig", digest.replacen(':', "-", 1))
}

/// The tag cosign stores attestations of `digest` under: `sha256-<hex>.att`.
pub fn attestation_tag(digest: &str) -> String {
    format!("{}.att", digest.replacen(':', "-", 1))
}

/// The simple-signing payload, byte for byte as cosign writes it.
pub fn simple_signing_payload(docker_reference: &str, digest: &str) -> Vec<u8> {
    let value = serde_json::json!({
        "critical": {
            "identity": { "docker-reference": docker_reference },
            "image": { "docker-manifest-digest": digest },
            "type": super::simple_signing::COSIGN_SIGNATURE_TYPE,
        },
        "optional": null,
    });
    // serde_json orders object keys, which is cosign's (Go struct) order here, with no spaces.
    value.to_string().into_bytes()
}

/// Signs `digest` of the repository `docker_reference` (without tag or digest) with `key`.
pub fn sign_digest(
    key: &SigningKey,
    docker_reference: &str,
    digest: &str,
) -> Result<SignatureLayer, SignError> {
    check_digest(digest)?;
    let payload = simple_signing_payload(docker_reference, digest);
    let signature = key.sign(&payload)?;
    let mut annotations = BTreeMap::new();
    annotations.insert(ANNOTATION_SIGNATURE.to_string(), STANDARD.encode(signature));
    Ok(SignatureLayer {
        media_type: SIMPLE_SIGNING_MEDIA_TYPE.to_string(),
        payload,
        annotations,
    })
}

/// An in-toto statement (subject `name` with `digest`, the given predicate type and predicate)
/// signed with `key` as a DSSE envelope, as cosign signs attestations.
pub fn dsse_statement(
    key: &SigningKey,
    name: &str,
    digest: &str,
    predicate_type: &str,
    predicate: &serde_json::Value,
) -> Result<super::attestation::Envelope, SignError> {
    check_digest(digest)?;
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": predicate_type,
        "subject": [{ "name": name, "digest": { "sha256": digest.trim_start_matches("sha256:") } }],
        "predicate": predicate,
    })
    .to_string();
    let pae = super::attestation::pae(IN_TOTO_PAYLOAD_TYPE, statement.as_bytes());
    let signature = key.sign(&pae)?;
    Ok(super::attestation::Envelope {
        payload_type: IN_TOTO_PAYLOAD_TYPE.to_string(),
        payload: STANDARD.encode(statement.as_bytes()),
        signatures: vec![super::attestation::EnvelopeSignature {
            keyid: String::new(),
            sig: STANDARD.encode(signature),
        }],
    })
}

/// Attests `digest` as cosign does: a DSSE envelope of an in-toto statement (subject `name` with
/// the digest, the given predicate type and predicate) signed with `key`, as a `.att` layer.
pub fn attest_digest(
    key: &SigningKey,
    name: &str,
    digest: &str,
    predicate_type: &str,
    predicate: &serde_json::Value,
) -> Result<SignatureLayer, SignError> {
    let envelope = dsse_statement(key, name, digest, predicate_type, predicate)?;
    let mut annotations = BTreeMap::new();
    annotations.insert(ANNOTATION_SIGNATURE.to_string(), String::new());
    annotations.insert("predicateType".to_string(), predicate_type.to_string());
    Ok(SignatureLayer {
        media_type: DSSE_MEDIA_TYPE.to_string(),
        payload: serde_json::to_vec(&envelope).map_err(SignError::Encode)?,
        annotations,
    })
}

/// An OCI content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub size: u64,
    pub digest: String,
    /// In a referrers index: the referrer's artifact type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An OCI image manifest (only the fields a signature manifest uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// What to push for a signature manifest: the blobs (payloads and config) then the manifest.
#[derive(Debug, Clone)]
pub struct SignatureArtifact {
    /// `(digest, bytes)` of every blob the manifest names that the caller must upload.
    pub blobs: Vec<(String, Vec<u8>)>,
    pub manifest: Vec<u8>,
    pub manifest_digest: String,
}

pub(super) fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Builds the `.sig` manifest holding `existing` (the manifest currently under the signature
/// tag, if any) plus `layer`. Blobs of existing layers are already in the registry; only the new
/// payload and the config are returned for upload.
pub fn append_signature(
    existing: Option<&[u8]>,
    layer: &SignatureLayer,
) -> Result<SignatureArtifact, SignError> {
    let mut layers = match existing {
        Some(bytes) => {
            serde_json::from_slice::<Manifest>(bytes)
                .map_err(SignError::ExistingManifest)?
                .layers
        }
        None => Vec::new(),
    };
    let descriptor = Descriptor {
        media_type: layer.media_type.clone(),
        size: layer.payload.len() as u64,
        digest: sha256_digest(&layer.payload),
        artifact_type: None,
        annotations: layer.annotations.clone(),
    };
    let mut blobs = Vec::new();
    if !layers.contains(&descriptor) {
        blobs.push((descriptor.digest.clone(), layer.payload.clone()));
        layers.push(descriptor);
    }
    let config = serde_json::json!({
        "architecture": "",
        "config": {},
        "created": "0001-01-01T00:00:00Z",
        "history": [{ "created": "0001-01-01T00:00:00Z" }],
        "os": "",
        "rootfs": {
            "type": "layers",
            "diff_ids": layers.iter().map(|l| l.digest.clone()).collect::<Vec<_>>(),
        },
    })
    .to_string()
    .into_bytes();
    let manifest = Manifest {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST_MEDIA_TYPE.to_string()),
        artifact_type: None,
        config: Descriptor {
            media_type: OCI_CONFIG_MEDIA_TYPE.to_string(),
            size: config.len() as u64,
            digest: sha256_digest(&config),
            artifact_type: None,
            annotations: BTreeMap::new(),
        },
        layers,
        annotations: BTreeMap::new(),
    };
    blobs.push((manifest.config.digest.clone(), config));
    let manifest = serde_json::to_vec(&manifest).map_err(SignError::Encode)?;
    Ok(SignatureArtifact {
        manifest_digest: sha256_digest(&manifest),
        blobs,
        manifest,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::verify::keys::{generate_key_pair, signing_key_from_pem, TrustedKey};
    use crate::verify::{verify_signature_layers, VerifyPolicy};

    const DIGEST: &str = "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";

    #[test]
    fn payload_matches_cosign_bytes() {
        let expected = concat!(
            r#"{"critical":{"identity":{"docker-reference":"192.168.64.2:5000/cosign-signed-single-sample"},"#,
            r#""image":{"docker-manifest-digest":"sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00"},"#,
            r#""type":"cosign container image signature"},"optional":null}"#
        );
        let got = simple_signing_payload("192.168.64.2:5000/cosign-signed-single-sample", DIGEST);
        assert_eq!(String::from_utf8(got).unwrap(), expected);
        assert_eq!(
            signature_tag(DIGEST),
            format!("sha256-{}.sig", &DIGEST[7..])
        );
    }

    #[test]
    fn signs_verifies_and_appends() {
        let (private, public) = generate_key_pair(b"").unwrap();
        let key = signing_key_from_pem(&private, b"", "k").unwrap();
        let layer = sign_digest(&key, "example.com/app", DIGEST).unwrap();
        let trusted = TrustedKey::from_bytes(&public, "k.pub").unwrap();
        let policy = VerifyPolicy::new(vec![trusted], vec![], None).unwrap();
        let v = verify_signature_layers(DIGEST, std::slice::from_ref(&layer), &policy).unwrap();
        assert_eq!(v.signatures.len(), 1);
        let first = append_signature(None, &layer).unwrap();
        let again = append_signature(Some(&first.manifest), &layer).unwrap();
        assert_eq!(
            first.manifest, again.manifest,
            "identical signature not duplicated"
        );
        let other = sign_digest(&key, "example.com/other", DIGEST).unwrap();
        let second = append_signature(Some(&first.manifest), &other).unwrap();
        let manifest: Manifest = serde_json::from_slice(&second.manifest).unwrap();
        assert_eq!(manifest.layers.len(), 2);
        assert_eq!(second.blobs.len(), 2, "new payload and config");
    }
}
