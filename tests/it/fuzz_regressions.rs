//! Inputs the fuzz targets in `fuzz/` found crashing gate, kept as plain tests so they stay fixed
//! without a nightly toolchain.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use chrono::Utc;
use gate::discover::{discover_sources, SearchRules};
use gate::pin::{self, PinOptions};
use gate::verify::bundle::merkle::{root_from_proof, InclusionError};
use gate::verify::bundle::{model::Bundle, verify_bundle, BundleError, Expectation, Subject};
use gate::verify::keys::{generate_key_pair, signing_key_from_pem};
use gate::verify::TrustRoot;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;

/// `bundle_parts` (inclusion proof), minimised: index `0x0000ffffffffffff` in a tree of
/// `0xffff000000000000` leaves. Past 2^63 leaves the proof's inner part is 64 levels deep, and
/// `root_from_proof` shifted the index right by 64: "attempt to shift right with overflow" with
/// overflow checks (debug builds, tests), and in release a wrong expected proof length.
#[test]
fn inclusion_proof_in_a_tree_of_more_than_2_pow_63_leaves() {
    let (index, size) = (0x0000_ffff_ffff_ffff_u64, 0xffff_0000_0000_0000_u64);
    let leaf = [1u8; 32];
    // The fuzzer's input had a single proof hash.
    assert_eq!(
        root_from_proof(index, size, leaf, &[[2u8; 32]]),
        Err(InclusionError::Malformed)
    );
    // RFC 9162 §2.1.3.2: 64 inner hashes and no border ones.
    assert!(root_from_proof(index, size, leaf, &[[2u8; 32]; 64]).is_ok());
    assert_eq!(
        root_from_proof(index, size, leaf, &[[2u8; 32]; 65]),
        Err(InclusionError::Malformed)
    );
}

/// The same proof reached through `verify_bundle`, as a hostile bundle delivers it: the
/// inclusion proof is computed before the checkpoint's signature is checked, so a bundle signed
/// with the expected key (or any Fulcio certificate) and without an inclusion promise gets there.
#[test]
fn bundle_with_an_inclusion_proof_in_a_tree_of_more_than_2_pow_63_leaves() {
    let (private, _public) = generate_key_pair(b"").unwrap();
    let key = signing_key_from_pem(&private, b"", "test").unwrap();
    let artifact = b"artifact";
    let signature = STANDARD.encode(key.sign(artifact).unwrap());
    let body = serde_json::json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": { "hash": { "algorithm": "sha256", "value": hex::encode(Sha256::digest(artifact)) } },
            "signature": {
                "content": signature,
                "publicKey": { "content": STANDARD.encode(&key.public.spki_der) },
            },
        },
    });
    let trust = TrustRoot::public_good().unwrap();
    let bundle = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "publicKey": { "hint": "" },
            "tlogEntries": [{
                "logIndex": "1",
                "logId": { "keyId": STANDARD.encode(&trust.tlogs[0].log_id) },
                "kindVersion": { "kind": "hashedrekord", "version": "0.0.1" },
                "canonicalizedBody": STANDARD.encode(body.to_string()),
                "inclusionProof": {
                    "logIndex": (0x0000_ffff_ffff_ffff_u64).to_string(),
                    "treeSize": (0xffff_0000_0000_0000_u64).to_string(),
                    "rootHash": STANDARD.encode([0u8; 32]),
                    "hashes": [STANDARD.encode([2u8; 32])],
                    "checkpoint": { "envelope": "" },
                },
            }],
        },
        "messageSignature": { "signature": signature },
    });
    let bundle: Bundle = serde_json::from_value(bundle).unwrap();
    let out = verify_bundle(
        Subject::Artifact(artifact),
        &bundle,
        &Expectation::Key(&key.public),
        &trust,
        Utc::now(),
    );
    assert_eq!(out, Err(BundleError::Inclusion(InclusionError::Malformed)));
}

/// Discovers and pins a Dockerfile (every image to one digest): the number of image uses, the
/// number of notices, and the pinned text.
fn pin_dockerfile(text: &str) -> (usize, usize, String) {
    let path = PathBuf::from("Dockerfile");
    let outcome = discover_sources(&[(path.clone(), text.to_string())], &SearchRules::default());
    let digest = format!("sha256:{}", "a".repeat(64));
    let digests: HashMap<String, String> = pin::to_resolve(&outcome)
        .iter()
        .map(|r| (pin::lookup_key(r), digest.clone()))
        .collect();
    let plan = pin::plan(&outcome, &digests, &PinOptions::default()).unwrap();
    let updated = plan
        .updated(&path)
        .unwrap()
        .unwrap_or_else(|| text.to_string());
    (outcome.uses.len(), outcome.notices.len(), updated)
}

/// `discover_pin`, minimised: `ARG BASE=d`, `FROM ${BASE}`, `FROM ${BASE}c`. The lone `${BASE}`
/// was pinned where its default is written (`ARG BASE=d@sha256:…`), which also turned
/// `${BASE}c` into `d@sha256:…c@sha256:…`: the pinned Dockerfile no longer builds, and discovery
/// of it drops that image as an invalid reference. The second case is the same bug as written in
/// practice (`node:20@sha256:…-alpine`).
#[test]
fn dockerfile_arg_default_also_used_inside_a_longer_image_word() {
    for text in [
        "ARG BASE=d\nFROM ${BASE}\nFROM ${BASE}c",
        "ARG NODE=node:20\nFROM $NODE AS build\nFROM ${NODE}-alpine\n",
    ] {
        let (uses, notices, once) = pin_dockerfile(text);
        assert_eq!((uses, notices), (2, 0), "{text}");
        let (uses_again, notices_again, twice) = pin_dockerfile(&once);
        assert_eq!((uses_again, notices_again), (2, 0), "pinned:\n{once}");
        assert_eq!(once, twice, "pinning again changed the file");
    }
}
