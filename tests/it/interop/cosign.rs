//! cosign CLI ↔ gate on both registries: what cosign signs gate accepts, tampered, re-pointed
//! and foreign-key signatures get the right GATE-SIG rule, and what gate signs cosign verifies.

use std::path::Path;
use std::time::Duration;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use gate::registry::auth::AuthSources;
use gate::registry::{ClientConfig, Repo};
use gate::verify::sign::signature_tag;
use gate::verify::{Fetcher, RegistryFetcher};
use serde_json::Value;

use super::peers::{check, gate, rules, Cosign, RegistryKind, REGISTRIES};
use crate::harness::{sha256, Registry, OCI_INDEX, OCI_MANIFEST};

pub fn fetcher(reg: &Registry) -> RegistryFetcher {
    RegistryFetcher::new(ClientConfig {
        insecure: vec![reg.addr.clone()],
        timeout: Duration::from_secs(20),
        auth: AuthSources::default(),
        ..ClientConfig::default()
    })
    .unwrap()
}

pub fn repo(reg: &Registry, path: &str) -> Repo {
    Repo {
        domain: reg.addr.clone(),
        path: path.to_string(),
    }
}

/// A registry of `kind` with `team/app` (signed by cosign with `signer.key`) and `team/app:b`
/// (unsigned) pushed, keys in a temp dir.
pub struct Cell {
    pub kind: RegistryKind,
    pub reg: Registry,
    pub dir: tempfile::TempDir,
    pub image: String,
    pub digest: String,
    pub other: String,
    pub other_digest: String,
}

impl Cell {
    pub async fn new(kind: RegistryKind) -> Option<Self> {
        let reg = kind.start()?;
        let dir = tempfile::tempdir().unwrap();
        let digest = reg.push_image("team/app", "a").await;
        let other_digest = reg.push_image("team/app", "b").await;
        Some(Self {
            kind,
            image: format!("{}/team/app@{digest}", reg.addr),
            other: format!("{}/team/app@{other_digest}", reg.addr),
            reg,
            dir,
            digest,
            other_digest,
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn check(&self, image: &str, extra: &[&str]) -> (Option<i32>, Value) {
        check(self.path(), &self.reg, image, extra)
    }

    /// `gate check --key PUB IMAGE`: exit code and error rules, labelled for assertions.
    pub fn check_key(&self, image: &str, public: &str) -> (Option<i32>, Vec<String>, Value) {
        let (code, report) = self.check(image, &["--key", public]);
        let r = rules(&report);
        (code, r, report)
    }
}

fn sign_v2(cosign: &Cosign, cell: &Cell, image: &str) {
    cosign.ok(
        cell.path(),
        &[
            "sign",
            "--key",
            "signer.key",
            "--tlog-upload=false",
            "--allow-insecure-registry",
            "-y",
            image,
        ],
    );
}

/// The `.sig` manifest of `digest` as JSON.
async fn sig_manifest(cell: &Cell, digest: &str) -> Value {
    let bytes = fetcher(&cell.reg)
        .manifest(&repo(&cell.reg, "team/app"), &signature_tag(digest))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{:?}: cosign wrote no `.sig` manifest", cell.kind));
    serde_json::from_slice(&bytes).unwrap()
}

/// Rewrites the first signature layer's payload (a field cosign does not check the signature
/// of is impossible: any byte changes the signed payload) and pushes it back under the tag.
async fn tamper_payload(cell: &Cell, digest: &str) {
    let mut manifest = sig_manifest(cell, digest).await;
    let layer = manifest["layers"][0].clone();
    let blob = fetcher(&cell.reg)
        .blob(
            &repo(&cell.reg, "team/app"),
            layer["digest"].as_str().unwrap(),
            1 << 20,
        )
        .await
        .unwrap();
    let mut payload: Value = serde_json::from_slice(&blob).unwrap();
    payload["optional"] = serde_json::json!({"tampered": "yes"});
    let payload = serde_json::to_vec(&payload).unwrap();
    manifest["layers"][0]["digest"] = sha256(&payload).into();
    manifest["layers"][0]["size"] = payload.len().into();
    let bytes = serde_json::to_vec(&manifest).unwrap();
    let config = config_blob(cell, &manifest).await;
    cell.reg
        .push_raw(
            "team/app",
            &signature_tag(digest),
            &[config, payload],
            &bytes,
            OCI_MANIFEST,
        )
        .await;
}

async fn config_blob(cell: &Cell, manifest: &Value) -> Vec<u8> {
    fetcher(&cell.reg)
        .blob(
            &repo(&cell.reg, "team/app"),
            manifest["config"]["digest"].as_str().unwrap(),
            1 << 20,
        )
        .await
        .unwrap()
}

/// Copies the `.sig` manifest of `from` to the `.sig` tag of `to`: a valid signature, for
/// another digest.
async fn copy_signature(cell: &Cell, from: &str, to: &str) {
    let manifest = sig_manifest(cell, from).await;
    let config = config_blob(cell, &manifest).await;
    let bytes = serde_json::to_vec(&manifest).unwrap();
    cell.reg
        .push_raw(
            "team/app",
            &signature_tag(to),
            &[config],
            &bytes,
            OCI_MANIFEST,
        )
        .await;
}

/// cosign v2 `sign --key --tlog-upload=false` → `gate check --key`: passes with the key,
/// GATE-SIG-002 with another key or a tampered payload, GATE-SIG-003 when the signature is
/// for another digest; on both registries.
#[tokio::test]
async fn cosign_v2_signatures_pass_and_fail_with_the_right_rule() {
    let Some(cosign) = Cosign::v2() else { return };
    for kind in REGISTRIES {
        let Some(cell) = Cell::new(kind).await else {
            return;
        };
        cosign.key_pair(cell.path(), "signer");
        cosign.key_pair(cell.path(), "stranger");
        sign_v2(&cosign, &cell, &cell.image);

        let (code, r, report) = cell.check_key(&cell.image, "signer.pub");
        assert_eq!((code, r), (Some(0), vec![]), "{kind:?}: signed by signer");
        let sigs = &report["images"][0]["signatures"];
        assert_eq!(sigs.as_array().map(Vec::len), Some(1), "{kind:?}: {report}");
        assert_eq!(sigs[0]["layout"]["kind"], "sig-tag", "{kind:?}: {report}");

        let (code, r, _) = cell.check_key(&cell.image, "stranger.pub");
        assert_eq!(
            (code, r),
            (Some(1), vec!["GATE-SIG-002".to_string()]),
            "{kind:?}: other key"
        );

        copy_signature(&cell, &cell.digest, &cell.other_digest).await;
        let (code, r, _) = cell.check_key(&cell.other, "signer.pub");
        assert_eq!(
            (code, r),
            (Some(1), vec!["GATE-SIG-003".to_string()]),
            "{kind:?}: other digest"
        );

        tamper_payload(&cell, &cell.digest).await;
        let (code, r, _) = cell.check_key(&cell.image, "signer.pub");
        assert_eq!(
            (code, r),
            (Some(1), vec!["GATE-SIG-002".to_string()]),
            "{kind:?}: tampered payload"
        );
    }
}

/// `gate sign` → `cosign verify --key --insecure-ignore-tlog` (v2 and v3) passes; with another
/// key cosign refuses it.
#[tokio::test]
async fn cosign_verifies_what_gate_signs() {
    let Some(v2) = Cosign::v2() else { return };
    let v3 = Cosign::v3();
    for kind in REGISTRIES {
        let Some(cell) = Cell::new(kind).await else {
            return;
        };
        v2.key_pair(cell.path(), "signer");
        v2.key_pair(cell.path(), "stranger");
        let out = gate(cell.path(), &cell.reg, &["sign", "--key", "signer.key"])
            .arg(&cell.image)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{kind:?}: gate sign: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for cosign in std::iter::once(&v2).chain(v3.as_ref()) {
            let verify = |key: &str| {
                cosign.run(
                    cell.path(),
                    &[
                        "verify",
                        "--key",
                        key,
                        "--insecure-ignore-tlog",
                        "--allow-insecure-registry",
                        &cell.image,
                    ],
                )
            };
            let ok = verify("signer.pub");
            assert!(
                ok.status.success(),
                "{kind:?}: cosign {} verify: {}",
                cosign.version,
                String::from_utf8_lossy(&ok.stderr)
            );
            let claims: Value = serde_json::from_slice(&ok.stdout).unwrap();
            assert_eq!(
                claims[0]["critical"]["image"]["docker-manifest-digest"], cell.digest,
                "{kind:?}: cosign {}",
                cosign.version
            );
            assert!(
                !verify("stranger.pub").status.success(),
                "{kind:?}: cosign {} accepted another key",
                cosign.version
            );
        }
    }
}

/// cosign v3 `sign --key --tlog-upload=false` writes a Sigstore bundle as an OCI referrer:
/// through the referrers API where the registry has one, else the referrers tag schema. gate
/// passes it with the key, records the layout and bundle version, and refuses another key.
#[tokio::test]
async fn cosign_v3_bundle_referrers_pass_with_their_layout() {
    let Some(cosign) = Cosign::v3() else { return };
    for kind in REGISTRIES {
        let Some(cell) = Cell::new(kind).await else {
            return;
        };
        cosign.key_pair(cell.path(), "signer");
        cosign.key_pair(cell.path(), "stranger");
        let mut args = V3_SIGN_ARGS.to_vec();
        args.push(&cell.image);
        cosign.ok(cell.path(), &args);

        let (code, r, report) = cell.check_key(&cell.image, "signer.pub");
        assert_eq!((code, r), (Some(0), vec![]), "{kind:?}: {report}");
        let sigs = &report["images"][0]["signatures"];
        assert_eq!(sigs.as_array().map(Vec::len), Some(1), "{kind:?}: {report}");
        let expected = match kind {
            RegistryKind::TagFallback => "referrers-tag",
            RegistryKind::ReferrersApi => "referrers-api",
        };
        assert_eq!(sigs[0]["layout"]["kind"], expected, "{kind:?}: {report}");
        assert_eq!(sigs[0]["layout"]["bundle"], "v0.3", "{kind:?}: {report}");

        let (code, r, _) = cell.check_key(&cell.image, "stranger.pub");
        assert_eq!(
            (code, r),
            (Some(1), vec!["GATE-SIG-002".to_string()]),
            "{kind:?}: other key"
        );
        // Nothing signed the other image: the referrer of the first does not count for it.
        let (code, r, _) = cell.check_key(&cell.other, "signer.pub");
        assert_eq!(
            (code, r),
            (Some(1), vec!["GATE-SIG-001".to_string()]),
            "{kind:?}: unsigned sibling"
        );
    }
}

/// The one cosign v3 bundle referrer of `digest`: its manifest digest and JSON.
async fn bundle_referrer(cell: &Cell, digest: &str) -> (String, Value) {
    let f = fetcher(&cell.reg);
    let app = repo(&cell.reg, "team/app");
    let (_, referrers) = f.referrers(&app, digest).await.unwrap();
    assert_eq!(referrers.len(), 1, "{:?}: referrers of {digest}", cell.kind);
    let bytes = f.manifest(&app, &referrers[0]).await.unwrap().unwrap();
    (
        referrers[0].clone(),
        serde_json::from_slice(&bytes).unwrap(),
    )
}

/// Pushes `manifest` (a bundle referrer whose blobs are already in `team/app`, except `extra`)
/// so that it is found as a referrer of `subject`, and stops `replaced` from being found: the
/// referrers API registry lists what carries a `subject` (so `replaced` is deleted); on the
/// tag fallback the referrers tag index of `subject` is rewritten to name the new manifest.
async fn put_referrer(
    cell: &Cell,
    subject: &str,
    manifest: &Value,
    extra: Vec<Vec<u8>>,
    replaced: Option<&str>,
) {
    let bytes = serde_json::to_vec(manifest).unwrap();
    let config = config_blob(cell, manifest).await;
    let mut blobs = vec![config];
    blobs.extend(extra);
    let tag = format!("copy-{}", &sha256(&bytes)[7..19]);
    let pushed = cell
        .reg
        .push_raw("team/app", &tag, &blobs, &bytes, OCI_MANIFEST)
        .await;
    match cell.kind {
        RegistryKind::ReferrersApi => {
            if let Some(old) = replaced {
                let url = format!("http://{}/v2/team/app/manifests/{old}", cell.reg.addr);
                let status = reqwest::Client::new()
                    .delete(&url)
                    .send()
                    .await
                    .unwrap()
                    .status();
                assert!(status.is_success(), "DELETE {url}: {status}");
            }
        }
        RegistryKind::TagFallback => {
            let index = serde_json::json!({
                "schemaVersion": 2,
                "mediaType": OCI_INDEX,
                "manifests": [{
                    "mediaType": OCI_MANIFEST,
                    "digest": pushed,
                    "size": bytes.len(),
                    "artifactType": manifest["artifactType"],
                }],
            });
            let tag = subject.replace(':', "-");
            cell.reg
                .push_raw(
                    "team/app",
                    &tag,
                    &[],
                    &serde_json::to_vec(&index).unwrap(),
                    OCI_INDEX,
                )
                .await;
        }
    }
}

/// Rewrites the DSSE payload of the v3 bundle on `digest` (the signature no longer covers it)
/// and puts the tampered bundle in the original's place.
async fn tamper_bundle(cell: &Cell, digest: &str) {
    let (old, mut manifest) = bundle_referrer(cell, digest).await;
    let layer = manifest["layers"][0].clone();
    let blob = fetcher(&cell.reg)
        .blob(
            &repo(&cell.reg, "team/app"),
            layer["digest"].as_str().unwrap(),
            1 << 20,
        )
        .await
        .unwrap();
    let mut bundle: Value = serde_json::from_slice(&blob).unwrap();
    let payload = bundle["dsseEnvelope"]["payload"].as_str().unwrap();
    let mut statement: Value = serde_json::from_slice(&STANDARD.decode(payload).unwrap()).unwrap();
    statement["predicate"]["tampered"] = "yes".into();
    bundle["dsseEnvelope"]["payload"] = STANDARD
        .encode(serde_json::to_vec(&statement).unwrap())
        .into();
    let blob = serde_json::to_vec(&bundle).unwrap();
    manifest["layers"][0]["digest"] = sha256(&blob).into();
    manifest["layers"][0]["size"] = blob.len().into();
    put_referrer(cell, digest, &manifest, vec![blob], Some(&old)).await;
}

/// Copies the v3 bundle referrer of `from` to `to` (same bundle, `subject` re-pointed): a
/// valid signature, for another digest.
async fn copy_bundle(cell: &Cell, from: &str, to: &str) {
    let (_, mut manifest) = bundle_referrer(cell, from).await;
    manifest["subject"]["digest"] = to.into();
    put_referrer(cell, to, &manifest, Vec::new(), None).await;
}

/// cosign v3 bundle referrers, the cells the v2 test has for `.sig`: a bundle copied to
/// another digest is GATE-SIG-003, a tampered payload GATE-SIG-002; on both registries.
#[tokio::test]
async fn cosign_v3_bundles_tampered_or_copied_fail_with_the_right_rule() {
    let Some(cosign) = Cosign::v3() else { return };
    for kind in REGISTRIES {
        let Some(cell) = Cell::new(kind).await else {
            return;
        };
        cosign.key_pair(cell.path(), "signer");
        let mut args = V3_SIGN_ARGS.to_vec();
        args.push(&cell.image);
        cosign.ok(cell.path(), &args);
        let (code, r, _) = cell.check_key(&cell.image, "signer.pub");
        assert_eq!((code, r), (Some(0), vec![]), "{kind:?}: signed");

        copy_bundle(&cell, &cell.digest, &cell.other_digest).await;
        let (code, r, report) = cell.check_key(&cell.other, "signer.pub");
        assert_eq!(
            (code, r),
            (Some(1), vec!["GATE-SIG-003".to_string()]),
            "{kind:?}: other digest: {report}"
        );
        let message = report["findings"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            message.contains(&format!("but for digest `{}`", cell.digest)),
            "{kind:?}: {message}"
        );

        tamper_bundle(&cell, &cell.digest).await;
        let (code, r, report) = cell.check_key(&cell.image, "signer.pub");
        assert_eq!(
            (code, r),
            (Some(1), vec!["GATE-SIG-002".to_string()]),
            "{kind:?}: tampered payload: {report}"
        );
    }
}

/// The offline key-signing arguments of cosign v3 (no Rekor, no TUF signing config).
pub const V3_SIGN_ARGS: [&str; 6] = [
    "sign",
    "--key",
    "signer.key",
    "--tlog-upload=false",
    "--use-signing-config=false",
    "-y",
];

/// The warning-level rules a report's findings name, sorted.
fn warnings(report: &Value) -> Vec<String> {
    let mut out: Vec<String> = report["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter(|x| x["severity"] == "warning")
                .map(|x| x["rule"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// `admission:` against what cosign v2 and v3 really wrote: Kyverno 1.15 finds a v3 bundle
/// through the referrers API but not through the tag schema; policy-controller finds no v3
/// bundle signature; every verifier finds the v2 `.sig` tag; `level: error` fails the gate.
#[tokio::test]
async fn admission_compat_follows_the_recorded_layout() {
    let (Some(v2), Some(v3)) = (Cosign::v2(), Cosign::v3()) else {
        return;
    };
    for kind in REGISTRIES {
        let Some(cell) = Cell::new(kind).await else {
            return;
        };
        v3.key_pair(cell.path(), "signer");
        let mut args = V3_SIGN_ARGS.to_vec();
        args.push(&cell.image);
        v3.ok(cell.path(), &args);
        sign_v2(&v2, &cell, &cell.other);
        let policy = |name: &str, admission: &str| {
            let file = cell.path().join(name);
            std::fs::write(
                &file,
                format!(
                    "signatures:\n  keys: [{}]\nadmission:\n{admission}",
                    cell.path().join("signer.pub").display()
                ),
            )
            .unwrap();
            file.display().to_string()
        };
        let kyverno = policy("kyverno.yaml", "  kyverno: \"1.15\"\n");
        let pc = policy("pc.yaml", "  policy-controller: \"0.13\"\n");
        let strict = policy("strict.yaml", "  kyverno: \"1.15\"\n  level: error\n");
        let sig006 = vec!["GATE-ADM-001".to_string()];

        let (code, report) = cell.check(&cell.image, &["--policy", &kyverno]);
        let expected = match kind {
            RegistryKind::ReferrersApi => vec![],
            RegistryKind::TagFallback => sig006.clone(),
        };
        assert_eq!(code, Some(0), "{kind:?}: {report}");
        assert_eq!(warnings(&report), expected, "{kind:?} kyverno: {report}");

        let (code, report) = cell.check(&cell.image, &["--policy", &pc]);
        assert_eq!(
            (code, warnings(&report)),
            (Some(0), sig006.clone()),
            "{kind:?} policy-controller: {report}"
        );

        let (code, report) = cell.check(&cell.image, &["--policy", &strict]);
        let expected = match kind {
            RegistryKind::ReferrersApi => (Some(0), vec![]),
            RegistryKind::TagFallback => (Some(1), sig006.clone()),
        };
        assert_eq!(
            (code, rules(&report)),
            expected,
            "{kind:?} strict: {report}"
        );

        for p in [&kyverno, &pc, &strict] {
            let (code, report) = cell.check(&cell.other, &["--policy", p]);
            assert_eq!(
                (code, warnings(&report), rules(&report)),
                (Some(0), vec![], vec![]),
                "{kind:?} v2 .sig: {report}"
            );
        }
    }
}
