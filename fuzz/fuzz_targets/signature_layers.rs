//! Signature payloads and annotations from a hostile registry: verification never panics and
//! never accepts a payload without a trusted key.
#![no_main]
use gate::verify::{verify_signature_layers, SignatureLayer, VerifyPolicy};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const DIGEST: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn policy() -> &'static VerifyPolicy {
    static P: OnceLock<VerifyPolicy> = OnceLock::new();
    P.get_or_init(|| VerifyPolicy::new(Vec::new(), Vec::new(), None).expect("empty policy"))
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    let (payload, rest) = data.split_at(split);
    let mut annotations = BTreeMap::new();
    annotations.insert(
        "dev.cosignproject.cosign/signature".to_string(),
        String::from_utf8_lossy(rest).into_owned(),
    );
    let layer = SignatureLayer {
        media_type: "application/vnd.dev.cosign.simplesigning.v1+json".to_string(),
        payload: payload.to_vec(),
        annotations,
    };
    if let Ok(v) = verify_signature_layers(DIGEST, &[layer], policy()) {
        assert!(
            v.signatures.is_empty(),
            "accepted a signature without a trusted key"
        );
    }
});
