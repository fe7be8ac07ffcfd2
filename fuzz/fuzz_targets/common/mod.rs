//! What the signature and attestation targets share: one trusted key with a policy that trusts
//! only it, another key nobody trusts, and a fixed verification time. Made once per process.

use chrono::{DateTime, Utc};
use gate::verify::keys::{generate_key_pair, signing_key_from_pem, SigningKey};
use gate::verify::VerifyPolicy;
use std::sync::OnceLock;

pub struct Setup {
    pub trusted: SigningKey,
    pub other: SigningKey,
    pub policy: VerifyPolicy,
    pub now: DateTime<Utc>,
}

fn new_key() -> SigningKey {
    let (private, _public) = generate_key_pair(b"").expect("generate a key pair");
    signing_key_from_pem(&private, b"", "fuzz").expect("load the generated key")
}

pub fn setup() -> &'static Setup {
    static S: OnceLock<Setup> = OnceLock::new();
    S.get_or_init(|| {
        let trusted = new_key();
        let policy = VerifyPolicy::new(vec![trusted.public.clone()], Vec::new(), None)
            .expect("policy with the public-good root");
        Setup {
            trusted,
            other: new_key(),
            policy,
            now: DateTime::from_timestamp(1_735_689_600, 0).expect("2025-01-01"),
        }
    })
}
