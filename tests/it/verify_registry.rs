//! Signatures in a real registry: gate signs and appends, finds `.sig` manifests, refuses
//! oversized attachments before fetching them, and reaches the containers-image expectations
//! with those fixtures seeded byte-exact into the registry's storage.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use gate::registry::auth::AuthSources;
use gate::registry::{ClientConfig, Repo};
use gate::verify::sign::{append_signature, sign_digest, signature_tag, Manifest};
use gate::verify::{
    self, keys::signing_key_from_pem, trust_root::TrustRoot, KeylessIdentity, Matcher,
    RegistryFetcher, SignatureLayer, TrustedKey, VerifyError, VerifyPolicy,
};

use crate::harness::{sha256, Options, Registry, OCI_MANIFEST};

fn fetcher(reg: &Registry) -> RegistryFetcher {
    RegistryFetcher::new(ClientConfig {
        insecure: vec![reg.addr.clone()],
        timeout: Duration::from_secs(20),
        auth: AuthSources::default(),
        ..ClientConfig::default()
    })
    .unwrap()
}

fn repo(reg: &Registry, path: &str) -> Repo {
    Repo {
        domain: reg.addr.clone(),
        path: path.to_string(),
    }
}

/// A fetcher that reaches the registry through `proxy`, and `repo_path` there.
fn through(proxy: &crate::proxy::FaultProxy, repo_path: &str) -> (RegistryFetcher, Repo) {
    let f = RegistryFetcher::new(ClientConfig {
        insecure: vec![proxy.addr.clone()],
        timeout: Duration::from_secs(20),
        auth: AuthSources::default(),
        ..ClientConfig::default()
    })
    .unwrap();
    let r = Repo {
        domain: proxy.addr.clone(),
        path: repo_path.to_string(),
    };
    (f, r)
}

/// Pushes `layers` as a cosign `.sig` manifest for `digest`, appending to what is there.
async fn push_signatures(reg: &Registry, repo_path: &str, digest: &str, layers: &[SignatureLayer]) {
    let r = repo(reg, repo_path);
    let f = fetcher(reg);
    for layer in layers {
        let existing = verify::Fetcher::manifest(&f, &r, &signature_tag(digest))
            .await
            .unwrap();
        let artifact = append_signature(existing.as_deref(), layer).unwrap();
        let blobs: Vec<Vec<u8>> = artifact.blobs.iter().map(|(_, b)| b.clone()).collect();
        reg.push_raw(
            repo_path,
            &signature_tag(digest),
            &blobs,
            &artifact.manifest,
            OCI_MANIFEST,
        )
        .await;
    }
}

/// Writes a manifest straight into the registry's filesystem storage under `tag`, so that
/// manifests whose blobs do not exist (fixtures, hostile ones) are served byte-exact.
fn seed_manifest(reg: &Registry, repo_path: &str, tag: &str, bytes: &[u8]) -> String {
    let digest = sha256(bytes);
    let hex = &digest[7..];
    let v2 = store_blob(reg, hex, bytes);
    let manifests = v2.join(format!("repositories/{repo_path}/_manifests"));
    for dir in [
        manifests.join(format!("revisions/sha256/{hex}")),
        manifests.join(format!("tags/{tag}/current")),
        manifests.join(format!("tags/{tag}/index/sha256/{hex}")),
    ] {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("link"), &digest).unwrap();
    }
    digest
}

/// Writes `bytes` as the blob `sha256:<hex>` in the registry's storage; returns its `v2` root.
fn store_blob(reg: &Registry, hex: &str, bytes: &[u8]) -> std::path::PathBuf {
    let v2 = reg.storage().join("docker/registry/v2");
    let blob = v2.join(format!("blobs/sha256/{}/{hex}", &hex[..2]));
    std::fs::create_dir_all(&blob).unwrap();
    std::fs::write(blob.join("data"), bytes).unwrap();
    v2
}

/// Writes a blob of `size` zero bytes into storage (sparse: no memory, little disk).
fn seed_zero_blob(reg: &Registry, repo_path: &str, size: u64) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    let chunk = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        h.update(&chunk[..n]);
        left -= n as u64;
    }
    let hex = hex::encode(h.finalize());
    let v2 = reg.storage().join("docker/registry/v2");
    let blob = v2.join(format!("blobs/sha256/{}/{hex}", &hex[..2]));
    std::fs::create_dir_all(&blob).unwrap();
    std::fs::File::create(blob.join("data"))
        .unwrap()
        .set_len(size)
        .unwrap();
    let link = v2.join(format!("repositories/{repo_path}/_layers/sha256/{hex}"));
    std::fs::create_dir_all(&link).unwrap();
    std::fs::write(link.join("link"), format!("sha256:{hex}")).unwrap();
    format!("sha256:{hex}")
}

fn key_pair(password: &[u8]) -> (verify::SigningKey, TrustedKey) {
    let (private, public) = verify::generate_key_pair(password).unwrap();
    (
        signing_key_from_pem(&private, password, "test.key").unwrap(),
        TrustedKey::from_bytes(&public, "test.pub").unwrap(),
    )
}

#[tokio::test]
async fn signs_appends_and_verifies_through_a_registry() {
    let reg = Registry::start();
    let digest = reg.push_image("team/app", "v1").await;
    let unsigned = reg.push_image("team/other", "v1").await;
    let (key_a, pub_a) = key_pair(b"a");
    let (key_b, pub_b) = key_pair(b"");
    let reference = format!("{}/team/app", reg.addr);
    push_signatures(
        &reg,
        "team/app",
        &digest,
        &[
            sign_digest(&key_a, &reference, &digest).unwrap(),
            sign_digest(&key_b, &reference, &digest).unwrap(),
        ],
    )
    .await;
    let f = fetcher(&reg);
    let policy = VerifyPolicy::new(vec![pub_a.clone()], vec![], None).unwrap();
    let v = verify::verify_image(&f, &repo(&reg, "team/app"), &digest, &policy)
        .await
        .unwrap();
    assert_eq!(v.signatures.len(), 1, "{:?}", v.rejected);
    assert_eq!(v.rejected.len(), 1, "the second key is not trusted");
    let image = format!("{reference}@{digest}");
    assert!(verify::evaluate(&Ok(v), &image, &policy).is_empty());

    // Appended, not replaced: both keys verify.
    let both = VerifyPolicy::new(vec![pub_a.clone(), pub_b], vec![], None).unwrap();
    let v = verify::verify_image(&f, &repo(&reg, "team/app"), &digest, &both)
        .await
        .unwrap();
    assert_eq!(v.signatures.len(), 2);

    // Per-image requirements: images under `*/team/*` need key B only.
    let mut scoped = VerifyPolicy::new(vec![pub_a.clone()], vec![], None).unwrap();
    scoped.requirements.push(
        verify::ImageRequirement::new("*/team/*", vec![key_b.public.clone()], vec![]).unwrap(),
    );
    let v = verify::verify_image(&f, &repo(&reg, "team/app"), &digest, &scoped)
        .await
        .unwrap();
    assert!(verify::evaluate(&Ok(v.clone()), &image, &scoped).is_empty());
    let only_a = VerifyPolicy {
        requirements: vec![
            verify::ImageRequirement::new("*/team/*", vec![pub_a.clone()], vec![]).unwrap(),
        ],
        ..VerifyPolicy::new(vec![key_b.public.clone()], vec![], None).unwrap()
    };
    assert!(verify::evaluate(&Ok(v.clone()), &image, &only_a).is_empty());
    let (_, pub_c) = key_pair(b"");
    let needs_c = VerifyPolicy {
        requirements: vec![verify::ImageRequirement::new("*/team/*", vec![pub_c], vec![]).unwrap()],
        ..VerifyPolicy::new(vec![pub_a.clone()], vec![], None).unwrap()
    };
    let findings = verify::evaluate(&Ok(v), &image, &needs_c);
    assert_eq!(findings[0].rule, "GATE-SIG-002", "{findings:?}");
    assert!(findings[0].message.contains(&image));

    // Unsigned image: a distinct finding naming it.
    let v = verify::verify_image(&f, &repo(&reg, "team/other"), &unsigned, &policy)
        .await
        .unwrap();
    let findings = verify::evaluate(&Ok(v), "team/other", &policy);
    assert_eq!(findings[0].rule, "GATE-SIG-001");

    // Many digests concurrently, in order.
    let images = vec![
        (repo(&reg, "team/app"), digest.clone()),
        (repo(&reg, "team/other"), unsigned.clone()),
    ];
    let out = verify::verify_many(&f, &images, &policy, 8).await;
    assert_eq!(out[0].as_ref().unwrap().signatures.len(), 1);
    assert!(out[1].as_ref().unwrap().signatures.is_empty());
}

#[tokio::test]
async fn hostile_signature_manifests_fail_fast() {
    let reg = Registry::with(Options {
        access_log: true,
        ..Options::default()
    });
    let digest = reg.push_image("evil/app", "v1").await;
    let (_, pub_a) = key_pair(b"");
    let policy = VerifyPolicy::new(vec![pub_a], vec![], None).unwrap();
    let f = fetcher(&reg);
    let layer = |digest: String, size: u64| {
        serde_json::json!({
            "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
            "digest": digest, "size": size,
            "annotations": {"dev.cosignproject.cosign/signature": "AAAA"}
        })
    };
    let manifest = |layers: Vec<serde_json::Value>| {
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": format!("sha256:{}", "0".repeat(64)), "size": 2},
            "layers": layers,
        }))
        .unwrap()
    };
    // 5,000 layers (none of whose blobs exist): refused on the manifest alone.
    let many: Vec<_> = (0..5000)
        .map(|i| layer(format!("sha256:{i:064x}"), 100))
        .collect();
    seed_manifest(&reg, "evil/app", &signature_tag(&digest), &manifest(many));
    let err = verify::verify_image(&f, &repo(&reg, "evil/app"), &digest, &policy)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::TooMany {
                count: 5000,
                limit: 1000,
                ..
            }
        ),
        "{err:#}"
    );
    // Not a finding: the gate could not check (exit 2), and says why.
    let err = Err(err);
    assert!(verify::evaluate(&err, "evil/app", &policy).is_empty());
    let unchecked = verify::unchecked(&err, "evil/app");
    assert!(
        unchecked.len() == 1 && unchecked[0].contains("5000"),
        "{unchecked:?}"
    );

    // One layer of 200 MiB, honestly described: refused before fetching.
    let big = seed_zero_blob(&reg, "evil/big", 200 << 20);
    let digest2 = reg.push_image("evil/big", "v1").await;
    seed_manifest(
        &reg,
        "evil/big",
        &signature_tag(&digest2),
        &manifest(vec![layer(big.clone(), 200 << 20)]),
    );
    let err = verify::verify_image(&f, &repo(&reg, "evil/big"), &digest2, &policy)
        .await
        .unwrap_err();
    assert!(matches!(err, VerifyError::TooLarge { .. }), "{err:#}");

    // The same blob described as 100 bytes: the stream is cut off at the stated size.
    seed_manifest(
        &reg,
        "evil/big",
        &signature_tag(&digest2),
        &manifest(vec![layer(big, 100)]),
    );
    let err = verify::verify_image(&f, &repo(&reg, "evil/big"), &digest2, &policy)
        .await
        .unwrap_err();
    let text = format!("{:#}", anyhow_chain(&err));
    assert!(text.contains("exceeds 100 bytes"), "{text}");

    // A blob whose stored bytes are not those of its digest: fetched, hashed, refused.
    let honest = b"gate test signature payload".to_vec();
    let swapped = seed_blob(&reg, "evil/big", &honest, b"gate test signature PAYLOAD");
    seed_manifest(
        &reg,
        "evil/big",
        &signature_tag(&digest2),
        &manifest(vec![layer(swapped.clone(), honest.len() as u64)]),
    );
    let before = reg.requests().len();
    let err = verify::verify_image(&f, &repo(&reg, "evil/big"), &digest2, &policy)
        .await
        .unwrap_err();
    let text = anyhow_chain(&err);
    assert!(
        text.contains(&format!("does not match its digest `{swapped}`")),
        "{text}"
    );
    // The registry did serve it (one GET, no ping): the refusal is gate's own check.
    let blob_gets: Vec<String> = reg.requests()[before..]
        .iter()
        .filter(|r| r.contains(&swapped) || r.starts_with("GET /v2/ "))
        .cloned()
        .collect();
    assert_eq!(blob_gets.len(), 1, "{blob_gets:#?}");
    assert!(blob_gets[0].contains(" 200 "), "{blob_gets:#?}");

    // A layer digest that is no sha256 digest (here one that would walk the URL's path) is
    // refused without a request.
    let before = reg.requests().len();
    seed_manifest(
        &reg,
        "evil/big",
        &signature_tag(&digest2),
        &manifest(vec![layer(format!("{}/../../../x", &swapped[..40]), 10)]),
    );
    let err = verify::verify_image(&f, &repo(&reg, "evil/big"), &digest2, &policy)
        .await
        .unwrap_err();
    let text = anyhow_chain(&err);
    assert!(text.contains("is not a sha256 digest"), "{text}");
    assert!(
        !reg.requests()[before..]
            .iter()
            .any(|r| r.contains("/blobs/")),
        "{:#?}",
        reg.requests()
    );
}

/// Writes `stored` into storage as the blob whose digest is that of `claimed` (a registry whose
/// storage was tampered with, or one that lies); returns that digest.
fn seed_blob(reg: &Registry, repo_path: &str, claimed: &[u8], stored: &[u8]) -> String {
    let digest = sha256(claimed);
    let hex = &digest[7..];
    let v2 = store_blob(reg, hex, stored);
    let link = v2.join(format!("repositories/{repo_path}/_layers/sha256/{hex}"));
    std::fs::create_dir_all(&link).unwrap();
    std::fs::write(link.join("link"), &digest).unwrap();
    digest
}

fn anyhow_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        s.push_str(": ");
        s.push_str(&x.to_string());
        src = x.source();
    }
    s
}

/// Reads a containers/image `dir:` signature file (`\x00sigstore-json\n` + JSON).
fn read_dir_signature(path: &Path) -> SignatureLayer {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Sig {
        mime_type: String,
        payload: String,
        annotations: BTreeMap<String, String>,
    }
    let bytes = std::fs::read(path).unwrap();
    let sig: Sig =
        serde_json::from_slice(bytes.strip_prefix(b"\x00sigstore-json\n").unwrap()).unwrap();
    use base64::Engine as _;
    SignatureLayer {
        media_type: sig.mime_type,
        payload: base64::engine::general_purpose::STANDARD
            .decode(sig.payload)
            .unwrap(),
        annotations: sig.annotations,
    }
}

/// The containers-image fixtures, seeded byte-exact into a registry with their signatures laid
/// out as cosign does, reach the upstream expectation through the registry path.
#[tokio::test]
async fn conformance_cosign_containers_image_fixtures_through_a_registry() {
    let root = crate::fixtures::dir(crate::fixtures::Set::Cosign);
    let ci = root.join("containers-image");
    let reg = Registry::start();
    let f = fetcher(&reg);
    let key = |file: &str| TrustedKey::load(ci.join(file).to_str().unwrap()).unwrap();
    let rekor = key("rekor.pub");
    let fulcio = std::fs::read(ci.join("fulcio_v1.crt.pem")).unwrap();
    let pki_root = std::fs::read(ci.join("pki_root_crts.pem")).unwrap();
    let mut policy =
        VerifyPolicy::new(vec![key("cosign.pub"), key("cosign2.pub")], vec![], None).unwrap();
    policy.identities = vec![
        KeylessIdentity::exact("https://github.com/login/oauth", "mitr@redhat.com"),
        KeylessIdentity {
            issuer: None,
            subject: Matcher::Exact("qiwan@redhat.com".into()),
            github_repository: None,
            github_ref: None,
            github_trigger: None,
        },
    ];
    policy.trust = TrustRoot::from_pem(&[&fulcio, &pki_root], &[rekor]).unwrap();
    // Upstream's PKI row verifies without a transparency log (its `pki` policy consults none);
    // with logs in the trust root, gate asks for that waiver explicitly (cosign's
    // `--insecure-ignore-tlog`), and refuses the row without it (checked after the table).
    let mut no_tlog = policy.clone();
    no_tlog.insecure_ignore_tlog = true;

    // (fixture, expected rule or None for accepted)
    let table: &[(&str, Option<&str>)] = &[
        ("dir-img-cosign-valid", None),
        ("dir-img-cosign-valid-2", None),
        ("dir-img-cosign-mixed", None),
        ("dir-img-cosign-valid-with-tag", None),
        ("dir-img-cosign-key-rekor-valid", None),
        ("dir-img-cosign-fulcio-rekor-valid", None),
        ("dir-img-cosign-pki-valid", None),
        ("dir-img-cosign-modified-manifest", Some("GATE-SIG-003")),
        ("dir-img-cosign-manifest-digest-error", Some("GATE-SIG-003")),
        ("dir-img-cosign-other-attachment", Some("GATE-SIG-001")),
        ("dir-img-unsigned", Some("GATE-SIG-001")),
    ];
    for (name, expected) in table {
        let dir = ci.join(name);
        let repo_path = format!("ci/{}", name.trim_start_matches("dir-img-"));
        let manifest = std::fs::read(dir.join("manifest.json")).unwrap();
        let digest = seed_manifest(&reg, &repo_path, "latest", &manifest);
        let layers: Vec<SignatureLayer> = (1..)
            .map(|n| dir.join(format!("signature-{n}")))
            .take_while(|p| p.exists())
            .map(|p| read_dir_signature(&p))
            .collect();
        push_signatures(&reg, &repo_path, &digest, &layers).await;
        let image = format!("{}/{repo_path}@{digest}", reg.addr);
        let pki = *name == "dir-img-cosign-pki-valid";
        let row = if pki { &no_tlog } else { &policy };
        let v = verify::verify_image(&f, &repo(&reg, &repo_path), &digest, row).await;
        let findings = verify::evaluate(&v, &image, row);
        let got = findings.first().map(|f| f.rule.id);
        assert_eq!(got, *expected, "{name}: {findings:?}");
        if pki {
            let v = verify::verify_image(&f, &repo(&reg, &repo_path), &digest, &policy).await;
            let findings = verify::evaluate(&v, &image, &policy);
            assert_eq!(
                findings.first().map(|f| f.rule.id),
                Some("GATE-SIG-002"),
                "{name} without a log entry: {findings:?}"
            );
            assert!(
                findings[0].message.contains("transparency-log"),
                "{findings:?}"
            );
        }
    }
    // Unknown key: the signature of another key on the valid image.
    let dir = ci.join("dir-img-cosign-valid");
    let manifest = std::fs::read(dir.join("manifest.json")).unwrap();
    let digest = seed_manifest(&reg, "ci/unknown-key", "latest", &manifest);
    let unknown = read_dir_signature(&ci.join("unknown-cosign-key.signature"));
    push_signatures(&reg, "ci/unknown-key", &digest, &[unknown]).await;
    let v = verify::verify_image(&f, &repo(&reg, "ci/unknown-key"), &digest, &policy).await;
    let findings = verify::evaluate(&v, "ci/unknown-key", &policy);
    assert_eq!(findings[0].rule, "GATE-SIG-002", "{findings:?}");
}

#[tokio::test]
async fn verify_platforms_requires_each_child() {
    let reg = Registry::with(Options {
        access_log: true,
        ..Options::default()
    });
    let (index, children) = reg.push_index("team/multi", "1.0").await;
    let (key, public) = key_pair(b"");
    let reference = format!("{}/team/multi", reg.addr);
    for d in [&index, &children[0]] {
        push_signatures(
            &reg,
            "team/multi",
            d,
            &[sign_digest(&key, &reference, d).unwrap()],
        )
        .await;
    }
    let f = fetcher(&reg);
    let mut policy = VerifyPolicy::new(vec![public], vec![], None).unwrap();
    let image = format!("{reference}@{index}");
    let v = verify::verify_image(&f, &repo(&reg, "team/multi"), &index, &policy).await;
    assert!(
        verify::evaluate(&v, &image, &policy).is_empty(),
        "index signed"
    );
    policy.verify_platforms = true;
    let v = verify::verify_image(&f, &repo(&reg, "team/multi"), &index, &policy).await;
    let findings = verify::evaluate(&v, &image, &policy);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].rule, "GATE-SIG-005");
    assert!(
        findings[0].message.contains("linux/arm64"),
        "{}",
        findings[0].message
    );
    push_signatures(
        &reg,
        "team/multi",
        &children[1],
        &[sign_digest(&key, &reference, &children[1]).unwrap()],
    )
    .await;
    let v = verify::verify_image(&f, &repo(&reg, "team/multi"), &index, &policy).await;
    assert!(verify::evaluate(&v, &image, &policy).is_empty());
    // The index was walked twice, and read once: the client keeps what it fetched by digest.
    let by_digest = format!("GET /v2/team/multi/manifests/{index} ");
    let reads: Vec<String> = reg
        .requests()
        .into_iter()
        .filter(|r| r.starts_with(&by_digest))
        .collect();
    assert_eq!(reads.len(), 1, "{reads:#?}");
}

#[test]
fn signature_manifest_shape() {
    let (key, _) = key_pair(b"");
    let d = format!("sha256:{}", "a".repeat(64));
    let layer = sign_digest(&key, "example.com/app", &d).unwrap();
    let m: Manifest =
        serde_json::from_slice(&append_signature(None, &layer).unwrap().manifest).unwrap();
    assert_eq!(
        m.layers[0].media_type,
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );
    assert!(m.layers[0]
        .annotations
        .contains_key("dev.cosignproject.cosign/signature"));
}

/// A cosign v3 style bundle (DSSE statement with the cosign signing predicate, key material, a
/// tlog entry with SET, inclusion proof and checkpoint by a test "Rekor" key) attached through
/// the referrers tag schema: found and verified; tampered or by an unknown key, refused.
#[tokio::test]
async fn cosign_v3_bundle_referrers() {
    use base64::engine::general_purpose::STANDARD as B64;
    use base64::Engine as _;
    use sha2::Digest as _;
    let reg = Registry::start();
    let digest = reg.push_image("v3/app", "v1").await;
    let (signer, signer_pub) = key_pair(b"");
    let (rekor, rekor_pub) = key_pair(b"");

    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": format!("{}/v3/app", reg.addr), "digest": {"sha256": &digest[7..]}}],
        "predicateType": "https://sigstore.dev/cosign/sign/v1",
        "predicate": {},
    })
    .to_string();
    let pae = verify::attestation::pae("application/vnd.in-toto+json", statement.as_bytes());
    let sig = signer.sign(&pae).unwrap();
    let pem = pem::encode(&pem::Pem::new("PUBLIC KEY", signer_pub.spki_der.clone()));
    let body = serde_json::json!({
        "apiVersion": "0.0.1", "kind": "dsse",
        "spec": {
            "payloadHash": {"algorithm": "sha256", "value": hex::encode(sha2::Sha256::digest(statement.as_bytes()))},
            "signatures": [{"signature": B64.encode(&sig), "verifier": B64.encode(pem.as_bytes())}],
        }
    })
    .to_string();
    let body_b64 = B64.encode(body.as_bytes());
    let log_id = sha2::Sha256::digest(&rekor_pub.spki_der).to_vec();
    let integrated = chrono::Utc::now().timestamp() - 60;
    let set_message = serde_json::to_vec(&serde_json::json!({
        "body": body_b64, "integratedTime": integrated, "logID": hex::encode(&log_id), "logIndex": 0,
    }))
    .unwrap();
    let set = rekor.sign(&set_message).unwrap();
    // A one-leaf tree: the root is the leaf hash; the checkpoint is signed by the log key.
    let mut leaf = sha2::Sha256::new();
    leaf.update([0u8]);
    leaf.update(body.as_bytes());
    let root = B64.encode(leaf.finalize());
    let note = format!("test-log\n1\n{root}\n");
    let mut note_sig = log_id[..4].to_vec();
    note_sig.extend(rekor.sign(note.as_bytes()).unwrap());
    let checkpoint = format!("{note}\n\u{2014} test-log {}\n", B64.encode(note_sig));
    let bundle = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "publicKey": {"hint": ""},
            "tlogEntries": [{
                "logIndex": "0", "logId": {"keyId": B64.encode(&log_id)},
                "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                "integratedTime": integrated.to_string(),
                "inclusionPromise": {"signedEntryTimestamp": B64.encode(&set)},
                "inclusionProof": {"logIndex": "0", "rootHash": root, "treeSize": "1", "hashes": [],
                                   "checkpoint": {"envelope": checkpoint}},
                "canonicalizedBody": body_b64,
            }],
        },
        "dsseEnvelope": {
            "payload": B64.encode(statement.as_bytes()),
            "payloadType": "application/vnd.in-toto+json",
            "signatures": [{"sig": B64.encode(&sig), "keyid": ""}],
        },
    });
    let attach = |bundle: &serde_json::Value, tag: &str| {
        let bundle = serde_json::to_vec(bundle).unwrap();
        let empty = b"{}".to_vec();
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha256(&empty), "size": 2},
            "layers": [{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                        "digest": sha256(&bundle), "size": bundle.len()}],
            "subject": {"mediaType": OCI_MANIFEST, "digest": &digest, "size": 1},
        }))
        .unwrap();
        (vec![empty, bundle], manifest, tag.to_string())
    };
    let push_index = |entries: Vec<String>| {
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": entries.iter().map(|d| serde_json::json!({
                "mediaType": OCI_MANIFEST, "digest": d, "size": 1,
                "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json"})).collect::<Vec<_>>(),
        }))
        .unwrap()
    };
    let (blobs, manifest, tag) = attach(&bundle, "bundle-good");
    let good = reg
        .push_raw("v3/app", &tag, &blobs, &manifest, OCI_MANIFEST)
        .await;
    let mut tampered = bundle.clone();
    tampered["dsseEnvelope"]["signatures"][0]["sig"] = serde_json::json!(B64.encode(vec![1u8; 70]));
    let (blobs, manifest, tag) = attach(&tampered, "bundle-bad");
    let bad = reg
        .push_raw("v3/app", &tag, &blobs, &manifest, OCI_MANIFEST)
        .await;
    let index = push_index(vec![bad, good]);
    reg.push_raw(
        "v3/app",
        &digest.replacen(':', "-", 1),
        &[],
        &index,
        "application/vnd.oci.image.index.v1+json",
    )
    .await;

    let f = fetcher(&reg);
    let mut policy = VerifyPolicy::new(vec![signer_pub], vec![], None).unwrap();
    policy.trust = TrustRoot::from_pem(&[], std::slice::from_ref(&rekor_pub)).unwrap();
    let v = verify::verify_image(&f, &repo(&reg, "v3/app"), &digest, &policy)
        .await
        .unwrap();
    assert_eq!(v.signatures.len(), 1, "{:?}", v.rejected);
    assert_eq!(v.rejected.len(), 1, "the tampered bundle is refused");
    let image = format!("{}/v3/app@{digest}", reg.addr);
    assert!(verify::evaluate(&Ok(v), &image, &policy).is_empty());

    // Another key: no trusted signature.
    let (_, stranger) = key_pair(b"");
    let mut other = VerifyPolicy::new(vec![stranger], vec![], None).unwrap();
    other.trust = TrustRoot::from_pem(&[], &[rekor_pub]).unwrap();
    let v = verify::verify_image(&f, &repo(&reg, "v3/app"), &digest, &other).await;
    let findings = verify::evaluate(&v, &image, &other);
    assert_eq!(findings[0].rule, "GATE-SIG-002", "{findings:?}");
}

/// On a registry with the OCI referrers API (go-containerregistry's), its answer is the list of
/// bundle referrers, as cosign reads it: the referrers tag schema is not asked as well. Counted
/// through the proxy in front of it.
#[tokio::test]
async fn the_referrers_api_answers_alone_where_there_is_one() {
    let Some(reg) = Registry::referrers() else {
        return;
    };
    let digest = reg.push_image("team/app", "v1").await;
    let proxy = crate::proxy::FaultProxy::start(&reg.addr).await;
    let paths = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = paths.clone();
    proxy.on_request(Some(std::sync::Arc::new(move |p: &str| {
        seen.lock().unwrap().push(p.to_string())
    })));
    let (f, r) = through(&proxy, "team/app");
    let (source, listed) = verify::Fetcher::referrers(&f, &r, &digest).await.unwrap();
    assert_eq!(
        (source, listed),
        (verify::ReferrersSource::Api, Vec::<String>::new())
    );
    let seen = paths.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:#?}");
    assert!(seen[0].contains("/referrers/"), "{seen:#?}");
}

/// A registry whose referrers API answers 400 or 406 has none, to go-containerregistry as to
/// gate: the referrers tag schema is asked and its index read. A 500 still fails closed. The
/// real registry behind a proxy that gives those answers for the API alone.
#[tokio::test]
async fn a_referrers_api_answering_400_or_406_falls_back_to_the_tag_schema() {
    let reg = Registry::start();
    let digest = reg.push_image("team/app", "v1").await;
    let listed = format!("sha256:{}", "ab".repeat(32));
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": listed,
            "size": 10,
            "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        }],
    })
    .to_string();
    seed_manifest(
        &reg,
        "team/app",
        &digest.replacen(':', "-", 1),
        index.as_bytes(),
    );
    let proxy = crate::proxy::FaultProxy::start(&reg.addr).await;
    let (f, r) = through(&proxy, "team/app");
    for code in [404, 400, 406] {
        let status = crate::proxy::Fault::Status {
            code,
            retry_after: None,
            times: usize::MAX,
        };
        proxy.set(status, Some("/referrers/"));
        let (source, got) = verify::Fetcher::referrers(&f, &r, &digest)
            .await
            .unwrap_or_else(|e| panic!("{code}: {e}"));
        assert_eq!(
            (source, got),
            (verify::ReferrersSource::TagSchema, vec![listed.clone()]),
            "{code}"
        );
    }
    let status = crate::proxy::Fault::Status {
        code: 500,
        retry_after: None,
        times: usize::MAX,
    };
    proxy.set(status, Some("/referrers/"));
    assert!(
        verify::Fetcher::referrers(&f, &r, &digest).await.is_err(),
        "a 500 from the referrers API must not read as no referrers"
    );
}
