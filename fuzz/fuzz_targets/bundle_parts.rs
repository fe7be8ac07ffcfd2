//! The hand-written parsers under Sigstore verification, fed directly because the `bundle` target
//! cannot reach most of them (they sit behind signatures it cannot forge): RFC 3161 timestamp
//! tokens (a minimal DER/CMS walk), certificates with their embedded SCT lists, PEM chains,
//! signed-note checkpoints, Merkle inclusion proofs, cosign Rekor bundle annotations and Rekor
//! entry bodies. Property: none of them panics; the inclusion-proof root agrees with an
//! independent implementation of RFC 9162 §2.1.3.2 (both fail, or both give the same root); a
//! timestamp never verifies against the embedded public-good root, which lists no timestamp
//! authority.
//!
//! Input: one byte choosing the parser (modulo 6), then its input: `u16 BE length, signature,
//! token` (timestamp); DER or PEM (certificate); text (checkpoint); `u64 BE index, u64 BE size,
//! 32-byte leaf hash, 32-byte proof hashes` (inclusion proof); JSON (cosign Rekor bundle, Rekor
//! body).
#![no_main]
use chrono::{DateTime, Utc};
use gate::verify::bundle::{merkle, sct, tsa};
use gate::verify::cert;
use gate::verify::rekor::{self, Expected};
use gate::verify::TrustRoot;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

struct Setup {
    trust: TrustRoot,
    now: DateTime<Utc>,
}

fn setup() -> &'static Setup {
    static S: OnceLock<Setup> = OnceLock::new();
    S.get_or_init(|| Setup {
        trust: TrustRoot::public_good().expect("embedded public-good root"),
        now: DateTime::from_timestamp(1_767_225_600, 0).expect("2026-01-01"),
    })
}

fn node(left: &[u8], right: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// RFC 9162 §2.1.3.2, step by step as the RFC words it.
fn reference_root(index: u64, size: u64, leaf: [u8; 32], proof: &[[u8; 32]]) -> Option<[u8; 32]> {
    if index >= size {
        return None;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = leaf;
    for p in proof {
        if sn == 0 {
            return None;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    (sn == 0).then_some(r)
}

fn timestamp(data: &[u8]) {
    let s = setup();
    let len = data
        .get(..2)
        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]) as usize);
    let rest = data.get(2..).unwrap_or_default();
    let (signature, token) = rest.split_at(len.min(rest.len()));
    let out = tsa::verify_timestamp(token, signature, &s.trust.timestamp_authorities);
    assert!(
        out.is_err(),
        "a timestamp verified without a timestamp authority"
    );
}

fn certificate(data: &[u8]) {
    let s = setup();
    let mut ders = cert::pem_chain(data).unwrap_or_default();
    ders.push(data.to_vec());
    for der in &ders {
        let _ = cert::is_self_signed(der);
        let _ = sct::verify_embedded_scts(der, &s.trust.certificate_authorities, &s.trust.ctlogs);
        if let Ok(leaf) = cert::parse(der) {
            let at = leaf.not_before;
            let cas = &s.trust.certificate_authorities;
            let _ = cert::verify_chain(&leaf, &ders, cas, at, cert::EKU_CODE_SIGNING, false);
        }
    }
}

fn checkpoint(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for log in &setup().trust.tlogs {
        let _ = merkle::verify_checkpoint(&text, log);
    }
}

fn inclusion(data: &[u8]) {
    let number = |range: std::ops::Range<usize>| {
        data.get(range)
            .map_or(0, |b| u64::from_be_bytes(b.try_into().expect("8 bytes")))
    };
    let (index, size) = (number(0..8), number(8..16));
    let hashes: Vec<[u8; 32]> = data
        .get(16..)
        .unwrap_or_default()
        .chunks_exact(32)
        .map(|c| c.try_into().expect("32 bytes"))
        .collect();
    let Some((leaf, proof)) = hashes.split_first() else {
        return;
    };
    let ours = merkle::root_from_proof(index, size, *leaf, proof).ok();
    let reference = reference_root(index, size, *leaf, proof);
    assert_eq!(
        ours,
        reference,
        "index {index}, size {size}, {} hashes",
        proof.len()
    );
}

fn rekor_bundle(data: &[u8]) {
    let s = setup();
    let text = String::from_utf8_lossy(data);
    if let Ok(entry) = rekor::verify_cosign_bundle(&text, &s.trust, s.now) {
        body(&entry.body);
    }
}

fn body(data: &[u8]) {
    let zero = [0u8; 32];
    let _ = rekor::check_body(
        data,
        &Expected {
            signature: b"signature",
            material_der: b"material",
            signed_sha256: &zero,
            payload_sha256: &zero,
        },
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((which, rest)) = data.split_first() else {
        return;
    };
    match which % 6 {
        0 => timestamp(rest),
        1 => certificate(rest),
        2 => checkpoint(rest),
        3 => inclusion(rest),
        4 => rekor_bundle(rest),
        _ => body(rest),
    }
});
