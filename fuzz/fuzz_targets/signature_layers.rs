//! Simple-signing layers from a hostile registry, verified against a policy with one real
//! trusted key. The target signs the fuzzed payload itself, so the signature check passes and the
//! payload parser and digest binding run. Property: verification never panics; a layer signed by
//! the trusted key is accepted only as that key's signature, only when the payload's
//! `critical.image.docker-manifest-digest` is the expected digest and `critical.type` is cosign's,
//! and never with a Rekor bundle (no log entry can bind a signature made during this run); a layer
//! signed by another key, or carrying a signature taken from the input, is never accepted.
//!
//! The library, like cosign, does not validate UTF-8 in payload fields it ignores; the target
//! reads an accepted payload lossily to check it.
//!
//! Input: `payload \0 rekor-bundle \0 certificate \0 chain \0 signature`; empty or missing parts
//! leave the annotation out.
#![no_main]
mod common;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use common::setup;
use gate::verify::simple_signing::{
    verify_signature_layers_at, SignatureLayer, ANNOTATION_BUNDLE, ANNOTATION_CERTIFICATE,
    ANNOTATION_CHAIN, ANNOTATION_SIGNATURE, COSIGN_SIGNATURE_TYPE, SIMPLE_SIGNING_MEDIA_TYPE,
};
use gate::verify::Signer;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

/// The digest of the `cosign-signed-single-sample` fixture payloads, so real payloads can match.
const DIGEST: &str = "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";

fn layer(payload: &[u8], signature: String, parts: &[&[u8]]) -> SignatureLayer {
    let mut annotations = BTreeMap::new();
    annotations.insert(ANNOTATION_SIGNATURE.to_string(), signature);
    for (name, value) in [ANNOTATION_BUNDLE, ANNOTATION_CERTIFICATE, ANNOTATION_CHAIN]
        .into_iter()
        .zip(parts)
    {
        if !value.is_empty() {
            annotations.insert(
                name.to_string(),
                String::from_utf8_lossy(value).into_owned(),
            );
        }
    }
    SignatureLayer {
        media_type: SIMPLE_SIGNING_MEDIA_TYPE.to_string(),
        payload: payload.to_vec(),
        annotations,
    }
}

fn accepted(layer: SignatureLayer) -> Vec<gate::verify::VerifiedSignature> {
    let s = setup();
    verify_signature_layers_at(DIGEST, &[layer], &s.policy, s.now)
        .expect("one small layer and a valid digest are within the limits")
        .signatures
}

fuzz_target!(|data: &[u8]| {
    let s = setup();
    let mut parts = data.split(|b| *b == 0);
    let payload = parts.next().unwrap_or_default();
    let annotations: Vec<&[u8]> = parts.by_ref().take(3).collect();
    let raw_signature = parts.next().unwrap_or_default();

    // Signed by the trusted key: accepted only for the expected digest.
    let sig = s.trusted.sign(payload).expect("sign");
    let ok = accepted(layer(payload, STANDARD.encode(sig), &annotations));
    if let Some(v) = ok.first() {
        assert_eq!(
            v.signer,
            Signer::Key {
                fingerprint: s.trusted.public.fingerprint.clone(),
                origin: "fuzz".to_string(),
            },
            "accepted as another signer"
        );
        assert!(
            annotations.first().is_none_or(|b| b.is_empty()) && v.rekor.is_none(),
            "a Rekor bundle bound a signature made during this run"
        );
        let json: serde_json::Value = serde_json::from_str(&String::from_utf8_lossy(payload))
            .expect("an accepted payload is JSON");
        let digest = json.pointer("/critical/image/docker-manifest-digest");
        assert_eq!(
            digest.and_then(|d| d.as_str()),
            Some(DIGEST),
            "accepted a payload for another digest"
        );
        let kind = json.pointer("/critical/type").and_then(|t| t.as_str());
        assert!(
            kind.is_some_and(|k| k.eq_ignore_ascii_case(COSIGN_SIGNATURE_TYPE)),
            "accepted a payload of another type"
        );
    }

    // Signed by a key the policy does not trust.
    let sig = s.other.sign(payload).expect("sign");
    assert!(
        accepted(layer(payload, STANDARD.encode(sig), &annotations)).is_empty(),
        "accepted a signature by an untrusted key"
    );

    // A signature from the input (real cosign signatures, certificates and bundles in the seeds).
    let raw = String::from_utf8_lossy(raw_signature).into_owned();
    assert!(
        accepted(layer(payload, raw, &annotations)).is_empty(),
        "accepted a signature the trusted key did not make"
    );
});
