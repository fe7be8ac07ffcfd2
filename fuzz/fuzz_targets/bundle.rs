//! Sigstore bundles (v0.1 to v0.3, message signature or DSSE envelope) from a hostile source,
//! parsed as `verify-blob` and the referrer path parse them and verified offline against the
//! public-good trust root. Property: verification never panics and never accepts, because the
//! fuzzer cannot forge a Fulcio certificate, a Rekor SET or checkpoint, or a timestamp:
//! - as given, over an artifact (or its digest) that no real bundle signs, expecting any keyless
//!   identity or a trusted key;
//! - re-signed: the target replaces the certificate with the trusted key, the signature with that
//!   key's signature (over the artifact, or over the fuzzed DSSE payload with the statement's own
//!   subject as the expected digest), and rewrites every tlog body to bind that signature and key,
//!   so the log ID, body, SET and inclusion-proof checks run on fuzzed entries.
//!
//! Input: the bundle JSON.
#![no_main]
use base64::{engine::general_purpose::STANDARD, Engine as _};
use chrono::{DateTime, Utc};
use gate::verify::attestation::pae;
use gate::verify::bundle::model::{Bundle, PublicKeyHint};
use gate::verify::bundle::{verify_bundle, Expectation, Subject};
use gate::verify::cert::{KeylessIdentity, Matcher};
use gate::verify::keys::{generate_key_pair, signing_key_from_pem, SigningKey};
use gate::verify::TrustRoot;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// What the bundles are checked against: signed by no one outside this target.
const ARTIFACT: &[u8] = b"gate fuzz artifact: no real bundle signs this\n";

struct Setup {
    key: SigningKey,
    anyone: Vec<KeylessIdentity>,
    trust: TrustRoot,
    now: DateTime<Utc>,
}

fn setup() -> &'static Setup {
    static S: OnceLock<Setup> = OnceLock::new();
    S.get_or_init(|| {
        let (private, _public) = generate_key_pair(b"").expect("generate a key pair");
        let anyone = KeylessIdentity {
            issuer: None,
            subject: Matcher::regex("(?s).*").expect("regex"),
            github_repository: None,
            github_ref: None,
            github_trigger: None,
        };
        Setup {
            key: signing_key_from_pem(&private, b"", "fuzz").expect("load the generated key"),
            anyone: vec![anyone],
            trust: TrustRoot::public_good().expect("embedded public-good root"),
            now: DateTime::from_timestamp(1_767_225_600, 0).expect("2026-01-01"),
        }
    })
}

/// Base64 as the library reads bundle fields: line breaks ignored.
fn unbase64(text: &str) -> Option<Vec<u8>> {
    let cleaned: String = text.chars().filter(|c| !matches!(c, '\n' | '\r')).collect();
    STANDARD.decode(cleaned).ok()
}

/// Sets the string at `path` (object keys, or array indexes given as numbers), creating what is
/// missing on the way.
fn put(v: &mut Value, path: &[&str], s: String) {
    let Some((first, rest)) = path.split_first() else {
        *v = Value::String(s);
        return;
    };
    let child = match first.parse::<usize>() {
        Ok(i) => {
            if !v.is_array() {
                *v = Value::Array(Vec::new());
            }
            let items = v.as_array_mut().expect("just made an array");
            if items.len() <= i {
                items.resize(i + 1, Value::Null);
            }
            &mut items[i]
        }
        Err(_) => {
            if !v.is_object() {
                *v = Value::Object(Default::default());
            }
            let map = v.as_object_mut().expect("just made an object");
            map.entry(first.to_string()).or_insert(Value::Null)
        }
    };
    put(child, rest, s);
}

fn remove(v: &mut Value, path: &[&str]) {
    if let Some((last, parent)) = path.split_last() {
        let pointer: String = parent.iter().map(|p| format!("/{p}")).collect();
        if let Some(map) = v.pointer_mut(&pointer).and_then(Value::as_object_mut) {
            map.remove(*last);
        }
    }
}

/// What a rewritten tlog body binds.
struct Binding {
    signature: Vec<u8>,
    spki: Vec<u8>,
    signed_sha256: [u8; 32],
    payload_sha256: [u8; 32],
}

/// Rewrites a Rekor body (by its own kind and version) to log `b`, as an honest log would.
fn rebind(body: &mut Value, b: &Binding) {
    let kind = body.get("kind").and_then(Value::as_str).unwrap_or_default();
    let version = body
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (sig, spki) = (STANDARD.encode(&b.signature), STANDARD.encode(&b.spki));
    let (signed_hex, payload_hex) = (hex(&b.signed_sha256), hex(&b.payload_sha256));
    match (kind, version) {
        ("hashedrekord", "0.0.1") => {
            put(body, &["spec", "data", "hash", "value"], signed_hex);
            put(body, &["spec", "signature", "content"], sig);
            put(body, &["spec", "signature", "publicKey", "content"], spki);
        }
        ("hashedrekord", "0.0.2") => {
            let h = ["spec", "hashedRekordV002"];
            put(
                body,
                &[h[0], h[1], "data", "digest"],
                STANDARD.encode(b.signed_sha256),
            );
            put(body, &[h[0], h[1], "signature", "content"], sig);
            remove(
                body,
                &[h[0], h[1], "signature", "verifier", "x509Certificate"],
            );
            let key = [h[0], h[1], "signature", "verifier", "publicKey", "rawBytes"];
            put(body, &key, spki);
        }
        ("intoto", "0.0.2") => {
            put(
                body,
                &["spec", "content", "payloadHash", "value"],
                payload_hex,
            );
            let s = ["spec", "content", "envelope", "signatures", "0"];
            put(
                body,
                &[s[0], s[1], s[2], s[3], s[4], "sig"],
                STANDARD.encode(sig),
            );
            put(body, &[s[0], s[1], s[2], s[3], s[4], "publicKey"], spki);
        }
        ("dsse", "0.0.1") => {
            put(body, &["spec", "payloadHash", "value"], payload_hex);
            put(body, &["spec", "signatures", "0", "signature"], sig);
            put(body, &["spec", "signatures", "0", "verifier"], spki);
        }
        ("dsse", "0.0.2") => {
            let d = ["spec", "dsseV002"];
            put(
                body,
                &[d[0], d[1], "payloadHash", "digest"],
                STANDARD.encode(b.payload_sha256),
            );
            let s = [d[0], d[1], "signatures", "0"];
            put(body, &[s[0], s[1], s[2], s[3], "content"], sig);
            remove(
                body,
                &[s[0], s[1], s[2], s[3], "verifier", "x509Certificate"],
            );
            put(
                body,
                &[s[0], s[1], s[2], s[3], "verifier", "publicKey", "rawBytes"],
                spki,
            );
        }
        _ => {}
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first `sha256` subject digest of an in-toto statement.
fn statement_subject(payload: &[u8]) -> Option<[u8; 32]> {
    let json: Value = serde_json::from_slice(payload).ok()?;
    let subjects = json.get("subject")?.as_array()?;
    subjects.iter().find_map(|s| {
        let text = s.pointer("/digest/sha256")?.as_str()?;
        let bytes: Vec<u8> = (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
            .collect::<Option<_>>()?;
        bytes.try_into().ok()
    })
}

/// Re-signs `bundle` with the trusted key and rebinds its tlog entries; returns the subject to
/// verify it over, or `None` when it has nothing to sign.
fn re_sign(bundle: &mut Bundle, key: &SigningKey) -> Option<Subject<'static>> {
    let (signature, subject, signed_sha256, payload_sha256) =
        if let Some(ms) = bundle.message_signature.as_mut() {
            let signature = key.sign(ARTIFACT).expect("sign");
            ms.signature = STANDARD.encode(&signature);
            ms.message_digest = None;
            let sha: [u8; 32] = Sha256::digest(ARTIFACT).into();
            (signature, Subject::Artifact(ARTIFACT), sha, sha)
        } else if let Some(env) = bundle.dsse_envelope.as_mut() {
            let payload = unbase64(&env.payload)?;
            let message = pae(&env.payload_type, &payload);
            let signature = key.sign(&message).expect("sign");
            if let Some(first) = env.signatures.first_mut() {
                first.sig = STANDARD.encode(&signature);
            }
            let subject = Subject::Sha256(statement_subject(&payload).unwrap_or_default());
            let signed: [u8; 32] = Sha256::digest(&message).into();
            (signature, subject, signed, Sha256::digest(&payload).into())
        } else {
            return None;
        };
    let material = &mut bundle.verification_material;
    material.x509_certificate_chain = None;
    material.certificate = None;
    material.public_key = Some(PublicKeyHint {
        hint: String::new(),
    });
    let binding = Binding {
        signature,
        spki: key.public.spki_der.clone(),
        signed_sha256,
        payload_sha256,
    };
    for entry in &mut material.tlog_entries {
        let Some(mut body) = unbase64(&entry.canonicalized_body)
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        else {
            continue;
        };
        rebind(&mut body, &binding);
        entry.canonicalized_body = STANDARD.encode(body.to_string());
    }
    Some(subject)
}

fuzz_target!(|data: &[u8]| {
    let s = setup();
    let Ok(mut bundle) = serde_json::from_slice::<Bundle>(data) else {
        return;
    };
    let digest: [u8; 32] = Sha256::digest(ARTIFACT).into();
    for subject in [Subject::Artifact(ARTIFACT), Subject::Sha256(digest)] {
        for expect in [
            Expectation::AnyIdentity(&s.anyone),
            Expectation::Key(&s.key.public),
        ] {
            let out = verify_bundle(subject, &bundle, &expect, &s.trust, s.now);
            assert!(out.is_err(), "accepted a bundle as given: {out:?}");
        }
    }
    if let Some(subject) = re_sign(&mut bundle, &s.key) {
        let expect = Expectation::Key(&s.key.public);
        let out = verify_bundle(subject, &bundle, &expect, &s.trust, s.now);
        assert!(out.is_err(), "accepted a re-signed bundle: {out:?}");
    }
});
