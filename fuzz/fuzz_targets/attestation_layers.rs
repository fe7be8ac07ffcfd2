//! DSSE attestation layers from a hostile registry, verified against a policy with one real
//! trusted key. The target wraps the fuzzed in-toto statement in an envelope it signs itself, so
//! the signature check passes and the statement parser and subject binding run. Property:
//! verification never panics; an envelope signed by the trusted key is accepted only as that
//! key's attestation, only when some statement subject has the image digest as its `sha256`, and
//! reports the statement's `predicateType`; an envelope signed by another key, or taken verbatim
//! from the input, is never accepted.
//!
//! The library does not validate UTF-8 in statement fields it ignores (the predicate); the target
//! reads an accepted statement lossily to check it.
//!
//! Input: `statement \0 envelope`; without a NUL the whole input is both.
#![no_main]
mod common;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use common::setup;
use gate::verify::attestation::{
    pae, verify_attestation_layers_at, Envelope, EnvelopeSignature, VerifiedAttestation,
    DSSE_MEDIA_TYPE, IN_TOTO_PAYLOAD_TYPE,
};
use gate::verify::keys::SigningKey;
use gate::verify::simple_signing::SignatureLayer;
use gate::verify::Signer;
use libfuzzer_sys::fuzz_target;

/// The subject digest of the cosign `oci-attestation` fixture, so real statements can match.
const DIGEST: &str = "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4";

fn accepted(payload: Vec<u8>) -> Vec<VerifiedAttestation> {
    let s = setup();
    let layer = SignatureLayer {
        media_type: DSSE_MEDIA_TYPE.to_string(),
        payload,
        annotations: Default::default(),
    };
    verify_attestation_layers_at(DIGEST, &[layer], &s.policy, s.now)
        .expect("one small layer and a valid digest are within the limits")
        .0
}

/// An envelope of `statement` signed by `key`.
fn envelope(statement: &[u8], key: &SigningKey) -> Vec<u8> {
    let sig = key
        .sign(&pae(IN_TOTO_PAYLOAD_TYPE, statement))
        .expect("sign");
    let envelope = Envelope {
        payload_type: IN_TOTO_PAYLOAD_TYPE.to_string(),
        payload: STANDARD.encode(statement),
        signatures: vec![EnvelopeSignature {
            keyid: String::new(),
            sig: STANDARD.encode(sig),
        }],
    };
    serde_json::to_vec(&envelope).expect("encode the envelope")
}

fuzz_target!(|data: &[u8]| {
    let s = setup();
    let (statement, raw_envelope) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, data),
    };

    // Signed by the trusted key: accepted only for a statement about the digest.
    if let Some(a) = accepted(envelope(statement, &s.trusted)).first() {
        assert_eq!(
            a.signer,
            Signer::Key {
                fingerprint: s.trusted.public.fingerprint.clone(),
                origin: "fuzz".to_string(),
            },
            "accepted as another signer"
        );
        let json: serde_json::Value = serde_json::from_str(&String::from_utf8_lossy(statement))
            .expect("an accepted statement is JSON");
        let hex = DIGEST.trim_start_matches("sha256:");
        let subjects = json.get("subject").and_then(|s| s.as_array());
        assert!(
            subjects.is_some_and(|subjects| subjects
                .iter()
                .any(|s| s.pointer("/digest/sha256").and_then(|d| d.as_str()) == Some(hex))),
            "accepted a statement about another digest"
        );
        assert_eq!(
            json.get("predicateType").and_then(|p| p.as_str()),
            Some(a.predicate_type.as_str()),
            "reported another predicate type"
        );
    }

    // Signed by a key the policy does not trust.
    assert!(
        accepted(envelope(statement, &s.other)).is_empty(),
        "accepted an envelope signed by an untrusted key"
    );

    // An envelope from the input: no signature in it can be the trusted key's.
    assert!(
        accepted(raw_envelope.to_vec()).is_empty(),
        "accepted an envelope the trusted key did not sign"
    );
});
