//! Signature verification and signing against real cosign data (the `cosign` conformance data set) and
//! against keys and signatures made by gate itself (tests/data/verify).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gate::verify::{
    self, cert::Matcher, simple_signing::SignatureLayer, trust_root::TrustRoot, KeylessIdentity,
    Rejection, TrustedKey, VerifyPolicy,
};

fn fixtures() -> PathBuf {
    crate::fixtures::dir(crate::fixtures::Set::Cosign)
}

#[test]
fn conformance_cosign_cosign_key_files_load_with_recorded_passwords() {
    let dir = fixtures();
    let keys = dir.join("keys");
    let cases: &[(&str, &[u8])] = &[
        ("sigstore-rs/ecdsa_encrypted_private.key", b"123"),
        (
            "sigstore-rs/cosign_generated_encrypted_empty_private.key",
            b"",
        ),
        ("sigstore-rs/rsa_encrypted_private.key", b"123"),
        ("sigstore-rs/ed25519_encrypted_private.key", b"123"),
        ("sigstore-rs/ecdsa_private.key", b""),
        ("sigstore-rs/ed25519_private.key", b""),
        ("sigstore-rs/rsa_private.key", b""),
        (
            "sigstore-rs-examples/ECDSA_P256_ASN1_ENCRYPTED_PRIVATE_PEM.key",
            b"password",
        ),
        ("sigstore-rs-examples/ECDSA_P256_ASN1_PRIVATE_PEM.key", b""),
    ];
    for (file, password) in cases {
        let key = verify::load_signing_key(&keys.join(file), password)
            .unwrap_or_else(|e| panic!("{file}: {e:#}"));
        let sig = key.sign(b"payload").unwrap();
        assert!(key.public.verifies(&sig, b"payload"), "{file}");
    }
    // The example files are four independent keys, whatever their names suggest (openssl
    // derives a different public key from each): each loads on its own.
    for file in [
        "ECDSA_P256_ASN1_PUBLIC_DER.pub",
        "ECDSA_P256_ASN1_PUBLIC_PEM.pub",
    ] {
        TrustedKey::load(
            keys.join("sigstore-rs-examples")
                .join(file)
                .to_str()
                .unwrap(),
        )
        .unwrap();
    }
    // The cosign CI key: password unknown, must fail cleanly.
    let err = verify::load_signing_key(&keys.join("cosign/cosign-test.key"), b"").unwrap_err();
    assert!(matches!(err, verify::KeyError::Decrypt { .. }), "{err:#}");
}

#[test]
fn conformance_cosign_cosign_public_keys_load() {
    let dir = fixtures();
    for file in [
        "keys/cosign/cosign-test.pub",
        "keys/cosign/release-cosign.pub",
        "keys/cosign/google.pub.pem",
        "keys/cosign/rsa.pub.pem",
        "keys/cosign/letsencrypt-testflume-2021.pub.der",
        "keys/sigstore-rs-examples/ECDSA_P256_ASN1_PUBLIC_DER.pub",
        "containers-image/cosign.pub",
        "containers-image/some-rsa-key.pub",
    ] {
        TrustedKey::load(dir.join(file).to_str().unwrap())
            .unwrap_or_else(|e| panic!("{file}: {e:#}"));
    }
    std::env::set_var(
        "GATE_TEST_VERIFY_KEY",
        std::fs::read_to_string(dir.join("containers-image/cosign.pub")).unwrap(),
    );
    TrustedKey::load("env://GATE_TEST_VERIFY_KEY").unwrap();
}

/// Reads one containers/image `dir:` signature file: `\x00sigstore-json\n` + JSON.
fn read_dir_signature(path: &Path) -> SignatureLayer {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Sig {
        mime_type: String,
        payload: String,
        annotations: BTreeMap<String, String>,
    }
    let bytes = std::fs::read(path).unwrap();
    let json = bytes.strip_prefix(b"\x00sigstore-json\n").unwrap();
    let sig: Sig = serde_json::from_slice(json).unwrap();
    use base64::Engine as _;
    SignatureLayer {
        media_type: sig.mime_type,
        payload: base64::engine::general_purpose::STANDARD
            .decode(sig.payload)
            .unwrap(),
        annotations: sig.annotations,
    }
}

/// The image of a `dir-img-*` fixture: digest of manifest.json (if any) and its signatures.
fn dir_image(dir: &Path) -> (Option<String>, Vec<SignatureLayer>) {
    use sha2::Digest as _;
    let digest = std::fs::read(dir.join("manifest.json"))
        .ok()
        .map(|m| format!("sha256:{}", hex::encode(sha2::Sha256::digest(m))));
    let mut layers = Vec::new();
    for n in 1.. {
        let path = dir.join(format!("signature-{n}"));
        if !path.exists() {
            break;
        }
        layers.push(read_dir_signature(&path));
    }
    (digest, layers)
}

fn key(dir: &Path, file: &str) -> TrustedKey {
    TrustedKey::load(dir.join(file).to_str().unwrap()).unwrap()
}

fn policy_with(
    keys: Vec<TrustedKey>,
    identities: Vec<KeylessIdentity>,
    trust: TrustRoot,
) -> VerifyPolicy {
    let mut p = VerifyPolicy::new(keys, identities, None).unwrap();
    p.trust = trust;
    p
}

/// Every row of the containers-image table in the `cosign` data set's README.md.
#[test]
fn conformance_cosign_containers_image_fixtures_reach_upstream_expectations() {
    let dir = fixtures();
    let ci = dir.join("containers-image");
    let rekor = key(&ci, "rekor.pub");
    let fulcio = std::fs::read(ci.join("fulcio_v1.crt.pem")).unwrap();
    let pki_root = std::fs::read(ci.join("pki_root_crts.pem")).unwrap();
    let pki_int = std::fs::read(ci.join("pki_intermediate_crts.pem")).unwrap();
    let key_policy = |file: &str| {
        policy_with(
            vec![key(&ci, file)],
            vec![],
            TrustRoot::from_pem(&[], std::slice::from_ref(&rekor)).unwrap(),
        )
    };
    let accepted = |name: &str, policy: &VerifyPolicy| -> Result<(), String> {
        let (digest, layers) = dir_image(&ci.join(name));
        let digest = digest.ok_or("no manifest")?;
        let v = verify::verify_signature_layers(&digest, &layers, policy)
            .map_err(|e| format!("{e:#}"))?;
        let image = format!("example.com/{name}@{digest}");
        let findings = verify::evaluate(&Ok(v.clone()), &image, policy);
        if findings.is_empty() {
            Ok(())
        } else {
            Err(format!("{findings:?} {:?}", v.rejected))
        }
    };
    let cosign = key_policy("cosign.pub");
    for name in [
        "dir-img-cosign-valid",
        "dir-img-cosign-valid-2",
        "dir-img-cosign-mixed",
        "dir-img-cosign-valid-with-tag",
    ] {
        accepted(name, &cosign).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // Modified manifest: the signature is trusted but names the original digest.
    let (digest, layers) = dir_image(&ci.join("dir-img-cosign-modified-manifest"));
    let v = verify::verify_signature_layers(&digest.unwrap(), &layers, &cosign).unwrap();
    assert!(v.signatures.is_empty());
    assert!(
        matches!(v.rejected[0].1, Rejection::OtherDigest(_)),
        "{:?}",
        v.rejected
    );
    let f = verify::evaluate(&Ok(v), "example.com/m@sha256:x", &cosign);
    assert_eq!(f[0].rule, "GATE-SIG-003");
    // No manifest: there is no digest to verify against.
    assert!(dir_image(&ci.join("dir-img-cosign-no-manifest"))
        .0
        .is_none());
    // Manifest digest error: the manifest's digest is not the signed one.
    accepted("dir-img-cosign-manifest-digest-error", &cosign).unwrap_err();
    // Other attachment: not a signature at all.
    let (digest, layers) = dir_image(&ci.join("dir-img-cosign-other-attachment"));
    let v = verify::verify_signature_layers(&digest.unwrap(), &layers, &cosign).unwrap();
    let f = verify::evaluate(&Ok(v), "example.com/o", &cosign);
    assert_eq!(f[0].rule, "GATE-SIG-001", "{f:?}");
    // Unsigned.
    let (digest, layers) = dir_image(&ci.join("dir-img-unsigned"));
    let v = verify::verify_signature_layers(&digest.unwrap(), &layers, &cosign).unwrap();
    let f = verify::evaluate(&Ok(v), "example.com/u", &cosign);
    assert_eq!(f[0].rule, "GATE-SIG-001");
    assert!(f[0].message.contains("example.com/u"));
    // Unknown key.
    let unknown = read_dir_signature(&ci.join("unknown-cosign-key.signature"));
    let (digest, _) = dir_image(&ci.join("dir-img-cosign-valid"));
    let v =
        verify::verify_signature_layers(digest.as_deref().unwrap(), &[unknown], &cosign).unwrap();
    assert_eq!(v.rejected[0].1, Rejection::UntrustedKey);
    let f = verify::evaluate(&Ok(v), "example.com/k", &cosign);
    assert_eq!(f[0].rule, "GATE-SIG-002");
    // Key + Rekor bundle: accepted with cosign2.pub, the SET checked against rekor.pub.
    let cosign2 = key_policy("cosign2.pub");
    accepted("dir-img-cosign-key-rekor-valid", &cosign2).unwrap();
    accepted("dir-img-cosign-key-rekor-valid", &cosign).unwrap_err();
    // ... and refused when the Rekor key is not trusted (an RSA key stands in).
    let wrong_rekor = policy_with(
        vec![key(&ci, "cosign2.pub")],
        vec![],
        TrustRoot::from_pem(&[], &[key(&ci, "some-rsa-key.pub")]).unwrap(),
    );
    accepted("dir-img-cosign-key-rekor-valid", &wrong_rekor).unwrap_err();
    // Fulcio + Rekor: the certificate expired long ago; it was valid at the integrated time.
    let fulcio_trust = TrustRoot::from_pem(&[&fulcio], std::slice::from_ref(&rekor)).unwrap();
    let mitr = KeylessIdentity::exact("https://github.com/login/oauth", "mitr@redhat.com");
    accepted(
        "dir-img-cosign-fulcio-rekor-valid",
        &policy_with(vec![], vec![mitr.clone()], fulcio_trust.clone()),
    )
    .unwrap();
    let mut regex = mitr.clone();
    regex.subject = Matcher::regex(".*@redhat\\.com").unwrap();
    accepted(
        "dir-img-cosign-fulcio-rekor-valid",
        &policy_with(vec![], vec![regex], fulcio_trust.clone()),
    )
    .unwrap();
    let mut partial = mitr.clone();
    partial.subject = Matcher::regex("mitr").unwrap();
    accepted(
        "dir-img-cosign-fulcio-rekor-valid",
        &policy_with(vec![], vec![partial], fulcio_trust.clone()),
    )
    .unwrap_err();
    let other = KeylessIdentity::exact("https://github.com/login/oauth", "someone@redhat.com");
    accepted(
        "dir-img-cosign-fulcio-rekor-valid",
        &policy_with(vec![], vec![other], fulcio_trust),
    )
    .unwrap_err();
    // Against the embedded public-good root (Fulcio CAs, Rekor key, CT logs: the SCT is checked).
    let default_root = VerifyPolicy::new(vec![], vec![mitr.clone()], None).unwrap();
    accepted("dir-img-cosign-fulcio-rekor-valid", &default_root).unwrap();
    // Without the Rekor key, no trusted time: the SET cannot be checked.
    let no_rekor = TrustRoot::from_pem(&[&fulcio], &[]).unwrap();
    accepted(
        "dir-img-cosign-fulcio-rekor-valid",
        &policy_with(vec![], vec![mitr], no_rekor),
    )
    .unwrap_err();
    // Private PKI.
    let pki = TrustRoot::from_pem(&[&pki_int, &pki_root], &[]).unwrap();
    let qiwan = KeylessIdentity {
        issuer: None,
        subject: Matcher::Exact("qiwan@redhat.com".into()),
        github_repository: None,
        github_ref: None,
        github_trigger: None,
    };
    accepted(
        "dir-img-cosign-pki-valid",
        &policy_with(vec![], vec![qiwan.clone()], pki),
    )
    .unwrap();
    let only_root = TrustRoot::from_pem(&[&pki_root], &[]).unwrap();
    // The chain annotation supplies the intermediate, so the root alone suffices.
    accepted(
        "dir-img-cosign-pki-valid",
        &policy_with(vec![], vec![qiwan.clone()], only_root),
    )
    .unwrap();
    let fulcio_only = TrustRoot::from_pem(&[&fulcio], &[]).unwrap();
    accepted(
        "dir-img-cosign-pki-valid",
        &policy_with(vec![], vec![qiwan], fulcio_only),
    )
    .unwrap_err();
}

/// The production trusted root the conformance harness supplies to cases without their own.
/// The suite records it in `trust-root-tlog-validity-end-inclusive`, edited to end the Rekor
/// key's validity at that case's entry; the edit is undone here, in a temporary file (the
/// fixtures stay as they are and nothing is copied into the project).
fn production_root(bundle_verify: &Path, scratch: &Path) -> PathBuf {
    let text = std::fs::read_to_string(
        bundle_verify.join("trust-root-tlog-validity-end-inclusive/trusted_root.json"),
    )
    .unwrap();
    let mut root: serde_json::Value = serde_json::from_str(&text).unwrap();
    for tlog in root["tlogs"].as_array_mut().unwrap() {
        if let Some(v) = tlog["publicKey"]["validFor"].as_object_mut() {
            v.remove("end");
        }
    }
    let out = scratch.join("production_trusted_root.json");
    std::fs::write(&out, root.to_string()).unwrap();
    out
}

/// sigstore-conformance `bundle-verify`: every `_fail` case fails, every other case passes.
#[test]
fn conformance_cosign_sigstore_conformance_bundle_verify() {
    let dir = fixtures();
    let root = dir.join("sigstore-conformance/bundle-verify");
    let scratch = tempfile::tempdir().unwrap();
    let production = production_root(&root, scratch.path());
    conformance_bundle_verify(&root, &production);
}

/// The same cases with the production root obtained through TUF: a repository built by
/// python-tuf serves it as its `trusted_root.json` target on loopback, and gate's TUF client
/// fetches and verifies it from the repository's bootstrap root.
#[test]
fn conformance_cosign_sigstore_conformance_bundle_verify_through_tuf() {
    let dir = fixtures();
    let root = dir.join("sigstore-conformance/bundle-verify");
    let scratch = tempfile::tempdir().unwrap();
    let production = std::fs::read(production_root(&root, scratch.path())).unwrap();
    let mirror = crate::tuf::Mirror::start(&production, 86400);
    let fetched = gate::verify::tuf::trusted_root(&mirror.options()).unwrap();
    assert_eq!(fetched.bytes, production);
    conformance_bundle_verify(&root, &fetched.path);
}

/// Runs every case of `root` (sigstore-conformance `bundle-verify`), with `production` as the
/// trusted root of the cases without their own, and asserts each reaches its expected outcome.
fn conformance_bundle_verify(root: &Path, production: &Path) {
    let outcomes = gate_bundle_verify(root, production);
    let mut wrong = Vec::new();
    for (name, outcome) in &outcomes {
        let detail = outcome.as_ref().err().map_or("verified", String::as_str);
        eprintln!("{name}: {detail}");
        if outcome.is_err() != name.ends_with("_fail") {
            wrong.push(format!("{name}: {detail}"));
        }
    }
    eprintln!(
        "sigstore-conformance bundle-verify: {}/{} as expected",
        outcomes.len() - wrong.len(),
        outcomes.len()
    );
    assert!(
        wrong.is_empty(),
        "unexpected outcomes:\n{}",
        wrong.join("\n")
    );
}

/// gate's outcome on each case of `root`: verified, or the error chain.
fn gate_bundle_verify(root: &Path, production: &Path) -> Vec<(String, Result<(), String>)> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let read = |p: PathBuf, default: &str| {
        std::fs::read_to_string(p).map_or(default.to_string(), |s| s.trim().to_string())
    };
    let mut outcomes = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let identity = read(
            case.join("identity"),
            "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
        );
        let issuer = read(
            case.join("issuer"),
            "https://token.actions.githubusercontent.com",
        );
        let key = case.join("key.pub");
        // A case without its own root uses the production public-good root, as the suite's
        // harness does; see `production_root`.
        let trusted_root = Some(case.join("trusted_root.json"))
            .filter(|p| p.exists())
            .unwrap_or_else(|| production.to_path_buf());
        let opts = verify::BlobOptions {
            key: key.exists().then(|| key.to_string_lossy().to_string()),
            identity: Some(KeylessIdentity::exact(&issuer, &identity)),
            trusted_root: Some(trusted_root),
        };
        let artifact = if case.join("artifact").exists() {
            case.join("artifact")
        } else {
            root.join("a.txt")
        };
        let outcome = verify::verify_blob(&artifact, &case.join("bundle.sigstore.json"), &opts)
            .map(|_| ())
            .map_err(|e| {
                let mut s = e.to_string();
                let mut src = std::error::Error::source(&e);
                while let Some(x) = src {
                    s.push_str(": ");
                    s.push_str(&x.to_string());
                    src = x.source();
                }
                s
            });
        outcomes.push((name, outcome));
    }
    outcomes
}

/// Cases where sigstore-python 4.5.1 (pinned in scripts/install-deps) rejects what the suite
/// expects to verify and gate verifies: `intoto-with-custom-trust-root` ("Integrated time only
/// supported for dsse/hashedrekord 0.0.1 types": it takes no trusted time from an in-toto
/// entry), and `trust-root-tsa-validity-end-inclusive` ("not enough sources of verified time":
/// it does not accept a timestamp at the authority's validity end, which the suite and gate
/// treat as inclusive).
const SIGSTORE_PYTHON_DIFFERS: &[&str] = &[
    "intoto-with-custom-trust-root",
    "trust-root-tsa-validity-end-inclusive",
];

/// A second opinion: sigstore-python, the suite's reference client, on the same cases with the
/// same roots (tests/sigstore_python/verify.py); it and gate agree on every case it supports
/// (it has no key-based verification) except the documented `SIGSTORE_PYTHON_DIFFERS`.
#[test]
fn conformance_cosign_sigstore_python_agrees_with_gate_on_bundle_verify() {
    let dir = fixtures();
    let home = PathBuf::from(std::env::var_os("HOME").unwrap());
    let python = home.join(".cache/gate/venv-sigstore/bin/python");
    assert!(
        python.exists(),
        "sigstore-python is not installed at {}: run scripts/install-deps",
        python.display()
    );
    let root = dir.join("sigstore-conformance/bundle-verify");
    let scratch = tempfile::tempdir().unwrap();
    let production = production_root(&root, scratch.path());
    let out = std::process::Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sigstore_python/verify.py"))
        .args([&root, &production])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: BTreeMap<String, (String, String)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut f = l.splitn(3, '\t');
            let name = f.next().unwrap().to_string();
            let verdict = f.next().unwrap().to_string();
            (name, (verdict, f.next().unwrap_or("").to_string()))
        })
        .collect();
    let ours = gate_bundle_verify(&root, &production);
    assert_eq!(theirs.len(), ours.len(), "both see every case");
    let (mut agree, mut unsupported, mut disagree) = (0, 0, Vec::new());
    for (name, outcome) in &ours {
        let (verdict, detail) = &theirs[name];
        let gate = if outcome.is_ok() {
            "verified"
        } else {
            "rejected"
        };
        if verdict == "unsupported" {
            unsupported += 1;
        } else if verdict == gate {
            agree += 1;
        } else {
            disagree.push(format!(
                "{name}: gate {gate}, sigstore-python {verdict} {detail}"
            ));
        }
    }
    eprintln!(
        "sigstore-python: agrees on {agree}, unsupported {unsupported}, differs on {}",
        disagree.len()
    );
    let unexplained: Vec<_> = disagree
        .iter()
        .filter(|d| {
            !SIGSTORE_PYTHON_DIFFERS
                .iter()
                .any(|k| d.starts_with(&format!("{k}:")))
        })
        .collect();
    assert!(unexplained.is_empty(), "{unexplained:#?}");
    assert!(agree >= 60, "only {agree} cases compared");
}

/// Attestations made by gate: a required predicate type present and trusted passes; missing,
/// untrusted or for another digest, it is a `GATE-ATT-001` finding.
#[test]
fn required_attestations() {
    use gate::verify::attestation::verify_attestation_layers;
    use gate::verify::sign::{attest_digest, sign_digest};
    let (private, public) = verify::generate_key_pair(b"").unwrap();
    let key = verify::keys::signing_key_from_pem(&private, b"", "k").unwrap();
    let (other_private, _) = verify::generate_key_pair(b"").unwrap();
    let other = verify::keys::signing_key_from_pem(&other_private, b"", "o").unwrap();
    let digest = format!("sha256:{}", "ab".repeat(32));
    let mut policy = VerifyPolicy::new(
        vec![TrustedKey::from_bytes(&public, "k.pub").unwrap()],
        vec![],
        None,
    )
    .unwrap();
    policy.attestations = vec![
        verify::RequiredAttestation::of_type(verify::policy::predicate_type_alias(
            "slsaprovenance1",
        )),
        verify::RequiredAttestation::of_type(verify::policy::predicate_type_alias("cyclonedx")),
    ];
    let provenance = serde_json::json!({"buildDefinition": {"buildType": "test"}});
    let layers = vec![
        attest_digest(
            &key,
            "example.com/app",
            &digest,
            "https://slsa.dev/provenance/v1",
            &provenance,
        )
        .unwrap(),
        // CycloneDX, but by an untrusted key.
        attest_digest(
            &other,
            "example.com/app",
            &digest,
            "https://cyclonedx.org/bom",
            &provenance,
        )
        .unwrap(),
        // CycloneDX by the trusted key, but for another digest.
        attest_digest(
            &key,
            "example.com/app",
            &format!("sha256:{}", "cd".repeat(32)),
            "https://cyclonedx.org/bom",
            &provenance,
        )
        .unwrap(),
    ];
    let (verified, rejected) = verify_attestation_layers(&digest, &layers, &policy).unwrap();
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0].predicate_type, "https://slsa.dev/provenance/v1");
    assert_eq!(rejected.len(), 2);
    let sig = sign_digest(&key, "example.com/app", &digest).unwrap();
    let mut v = verify::verify_signature_layers(&digest, &[sig], &policy).unwrap();
    v.attestations = verified;
    let findings = verify::evaluate(&Ok(v), "example.com/app", &policy);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].rule, "GATE-ATT-001");
    assert!(findings[0].message.contains("https://cyclonedx.org/bom"));
}

/// gate's own key and signature, committed in tests/data/verify: they keep verifying, so the key
/// file format and the payload layout stay stable (no conformance data set needed).
#[test]
fn committed_gate_key_and_signature_verify() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/verify");
    let key = verify::load_signing_key(&data.join("cosign.key"), b"gate-test").unwrap();
    let public = TrustedKey::load(data.join("cosign.pub").to_str().unwrap()).unwrap();
    assert_eq!(key.public.fingerprint, public.fingerprint);
    let layer: SignatureLayer = {
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(data.join("signature.json")).unwrap()).unwrap();
        SignatureLayer {
            media_type: json["mediaType"].as_str().unwrap().to_string(),
            payload: json["payload"].as_str().unwrap().as_bytes().to_vec(),
            annotations: serde_json::from_value(json["annotations"].clone()).unwrap(),
        }
    };
    let digest = "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";
    let policy = VerifyPolicy::new(vec![public], vec![], None).unwrap();
    let v = verify::verify_signature_layers(digest, std::slice::from_ref(&layer), &policy).unwrap();
    assert_eq!(v.signatures.len(), 1, "{:?}", v.rejected);
    let mut tampered = layer;
    tampered.payload[10] ^= 1;
    let v = verify::verify_signature_layers(digest, &[tampered], &policy).unwrap();
    assert!(v.signatures.is_empty());
    verify::load_signing_key(&data.join("cosign.key"), b"wrong").unwrap_err();
}

#[test]
#[ignore = "writes tests/data/verify; run once to regenerate"]
fn regenerate_committed_key_and_signature() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/verify");
    std::fs::create_dir_all(&data).unwrap();
    let (private, public) = verify::generate_key_pair(b"gate-test").unwrap();
    std::fs::write(data.join("cosign.key"), &private).unwrap();
    std::fs::write(data.join("cosign.pub"), &public).unwrap();
    let key = verify::keys::signing_key_from_pem(&private, b"gate-test", "k").unwrap();
    let digest = "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";
    let layer = gate::verify::sign::sign_digest(&key, "example.com/gate/app", digest).unwrap();
    let json = serde_json::json!({
        "mediaType": layer.media_type,
        "payload": String::from_utf8(layer.payload).unwrap(),
        "annotations": layer.annotations,
    });
    std::fs::write(
        data.join("signature.json"),
        serde_json::to_string_pretty(&json).unwrap() + "\n",
    )
    .unwrap();
}

/// GitHub workflow claims read from the Fulcio extensions of a real certificate, and matched.
#[test]
fn conformance_cosign_github_workflow_claims_from_fulcio_certificate() {
    let dir = fixtures();
    let bundle: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            dir.join("sigstore-conformance/bundle-verify/rekor2-happy-path/bundle.sigstore.json"),
        )
        .unwrap(),
    )
    .unwrap();
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD
        .decode(
            bundle["verificationMaterial"]["certificate"]["rawBytes"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let cert = verify::cert::parse(&der).unwrap();
    let id = &cert.identity;
    assert_eq!(
        id.issuer.as_deref(),
        Some("https://token.actions.githubusercontent.com")
    );
    assert_eq!(
        id.github_repository.as_deref(),
        Some("sigstore-conformance/extremely-dangerous-public-oidc-beacon")
    );
    assert_eq!(id.github_ref.as_deref(), Some("refs/heads/main"));
    assert_eq!(id.github_trigger.as_deref(), Some("workflow_dispatch"));
    let mut want = KeylessIdentity {
        issuer: Some(Matcher::Exact(
            "https://token.actions.githubusercontent.com".into(),
        )),
        subject: Matcher::regex(
            "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.*",
        )
        .unwrap(),
        github_repository: Some(
            "sigstore-conformance/extremely-dangerous-public-oidc-beacon".into(),
        ),
        github_ref: Some("refs/heads/main".into()),
        github_trigger: Some("workflow_dispatch".into()),
    };
    assert!(want.matches(id));
    want.github_trigger = Some("push".into());
    assert!(!want.matches(id));
    want.github_trigger = None;
    want.github_ref = Some("refs/heads/release".into());
    assert!(!want.matches(id));
    want.github_ref = None;
    want.subject = Matcher::regex("extremely-dangerous").unwrap();
    assert!(!want.matches(id), "regular expressions are anchored");
}
