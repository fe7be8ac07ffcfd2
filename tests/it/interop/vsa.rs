//! `gate check --attest KEY`: the SLSA verification summary gate signs for an image that passed
//! is accepted by the real `cosign verify-attestation --type
//! https://slsa.dev/verification_summary/v1 --key`, and by gate's own `attestations:` rule with
//! `vsa:`; a summary for another digest, under another policy or older than `max-age` is
//! refused (GATE-ATT-001 naming why), made with the real `cosign attest`.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde_json::Value;

use super::cosign::Cell;
use super::peers::{gate, rules, Cosign, RegistryKind, COSIGN_V3, REGISTRIES};
use crate::harness::sha256;
use gate::verify::sign::attestation_tag;

const VSA: &str = "https://slsa.dev/verification_summary/v1";

/// The in-toto statements `cosign verify-attestation` printed (one DSSE envelope per line).
fn statements(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|env| {
            let payload = STANDARD.decode(env["payload"].as_str()?).ok()?;
            serde_json::from_slice(&payload).ok()
        })
        .collect()
}

/// A VSA policy trusting `signer.pub` for the image and for the summary.
fn vsa_policy(cell: &Cell, name: &str, vsa: &str) -> String {
    let key = cell.path().join("signer.pub");
    let text = format!(
        "signatures:\n  keys: ['{k}']\nattestations:\n  - predicate-type: {VSA}\n    keys: ['{k}']\n    vsa:\n{vsa}",
        k = key.display()
    );
    let file = cell.path().join(name);
    std::fs::write(&file, text).unwrap();
    file.display().to_string()
}

/// `cosign attest` of a hand-made summary predicate on `image`, in cosign's layout for its
/// version (`.att` for v2, a bundle referrer for v3).
fn cosign_attest(cosign: &Cosign, cell: &Cell, image: &str, predicate: &Value, name: &str) {
    let file = cell.path().join(name);
    std::fs::write(&file, predicate.to_string()).unwrap();
    let file = file.display().to_string();
    let mut args = vec![
        "attest",
        "--key",
        "signer.key",
        "--type",
        VSA,
        "--predicate",
        &file,
        "--tlog-upload=false",
        "-y",
    ];
    if cosign.version == COSIGN_V3 {
        args.extend(["--new-bundle-format", "--use-signing-config=false"]);
    }
    args.push(image);
    cosign.ok(cell.path(), &args);
}

/// `cosign sign --key signer.key` of `image`, offline (no Rekor; v3: no signing config).
fn cosign_sign(cosign: &Cosign, cell: &Cell, image: &str) {
    let mut args = vec!["sign", "--key", "signer.key", "--tlog-upload=false", "-y"];
    if cosign.version == COSIGN_V3 {
        args.push("--use-signing-config=false");
    }
    args.push(image);
    cosign.ok(cell.path(), &args);
}

/// `gate check --skip-scan --policy POLICY --attest signer.key EXTRA cell.image` with `text`
/// as the policy: it passes and attests; returns the policy's digest and gate's stderr.
fn gate_attests(cell: &Cell, text: &str, extra: &[&str]) -> (String, String) {
    let policy = cell.path().join("policy.yaml");
    std::fs::write(&policy, text).unwrap();
    let policy_sha = sha256(&std::fs::read(&policy).unwrap());
    let out = gate(
        cell.path(),
        &cell.reg,
        &["check", "--skip-scan", "--policy"],
    )
    .arg(&policy)
    .args(["--attest", "signer.key"])
    .args(extra)
    .arg(&cell.image)
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{:?}: {stderr}", cell.kind);
    assert!(stderr.contains("attested"), "{stderr}");
    (policy_sha, stderr)
}

/// `cosign verify-attestation --type VSA --key signer.pub` of `image` (the bundle referrer
/// with v3).
fn cosign_verify(cosign: &Cosign, cell: &Cell, image: &str) -> std::process::Output {
    let mut args = vec![
        "verify-attestation",
        "--key",
        "signer.pub",
        "--type",
        VSA,
        "--insecure-ignore-tlog=true",
    ];
    if cosign.version == COSIGN_V3 {
        args.push("--new-bundle-format");
    }
    args.push(image);
    cosign.run(cell.path(), &args)
}

/// What gate wrote says what gate verified: the image's digest, gate as verifier, the policy's
/// digest, a UTC time.
fn assert_says_what_gate_verified(
    out: &std::process::Output,
    cell: &Cell,
    policy_sha: &str,
) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let st = statements(&out.stdout);
    assert_eq!(st.len(), 1, "{}", String::from_utf8_lossy(&out.stdout));
    let p = &st[0]["predicate"];
    assert_eq!(st[0]["predicateType"], VSA);
    assert_eq!(
        st[0]["subject"][0]["digest"]["sha256"],
        cell.digest.trim_start_matches("sha256:")
    );
    assert_eq!(p["verifier"]["id"], "https://github.com/gate-dev/gate");
    assert_eq!(p["verificationResult"], "PASSED");
    assert_eq!(p["resourceUri"], cell.image.as_str());
    assert_eq!(
        p["policy"]["digest"]["sha256"],
        policy_sha.trim_start_matches("sha256:")
    );
    assert!(
        p["timeVerified"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{p}"
    );
    p.clone()
}

/// gate's own verify accepts the summary `p` gate signed on `cell.image` under the policy of
/// digest `policy_sha` (with a max age), and refuses it under another policy digest, copied to
/// another digest, or too old (the last two written by the real `cosign attest` in its
/// version's layout). Returns the accepted report.
async fn gate_reads_and_refuses(
    cosign: &Cosign,
    cell: &Cell,
    p: &Value,
    policy_sha: &str,
) -> Value {
    let ok_policy = vsa_policy(
        cell,
        "vsa-ok.yaml",
        &format!("      policy-sha256: {policy_sha}\n      max-age: 1h\n"),
    );
    let (code, accepted) = cell.check(&cell.image, &["--policy", &ok_policy]);
    assert_eq!(code, Some(0), "{accepted}");
    // Under another policy digest: refused.
    let other = format!("sha256:{}", "ab".repeat(32));
    let other_policy = vsa_policy(
        cell,
        "vsa-other-policy.yaml",
        &format!("      policy-sha256: {other}\n"),
    );
    let (code, report) = cell.check(&cell.image, &["--policy", &other_policy]);
    assert_eq!(
        (code, rules(&report)),
        (Some(1), vec!["GATE-ATT-001".to_string()])
    );
    assert!(
        report.to_string().contains("verified under policy"),
        "{report}"
    );

    // A summary on the other image that names the first image's digest: refused.
    let mut copied = p.clone();
    cosign_attest(cosign, cell, &cell.other, &copied, "copied.json");
    let (code, report) = cell.check(&cell.other, &["--policy", &ok_policy]);
    assert_eq!(
        (code, rules(&report)),
        (Some(1), vec!["GATE-ATT-001".to_string()])
    );
    assert!(report.to_string().contains("resourceUri"), "{report}");
    // One for its own digest but two days old (on a fresh image, since cosign appends to the
    // `.att` tag): refused by `max-age`, accepted without one.
    copied["timeVerified"] = Value::String(
        (chrono::Utc::now() - chrono::Duration::days(2))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    let stale_digest = cell.reg.push_image("team/stale", "a").await;
    let stale = format!("{}/team/stale@{stale_digest}", cell.reg.addr);
    cosign_sign(cosign, cell, &stale);
    copied["resourceUri"] = Value::String(stale.clone());
    cosign_attest(cosign, cell, &stale, &copied, "stale.json");
    let (code, report) = cell.check(&stale, &["--policy", &ok_policy]);
    assert_eq!(
        (code, rules(&report)),
        (Some(1), vec!["GATE-ATT-001".to_string()])
    );
    assert!(report.to_string().contains("max-age"), "{report}");
    let no_age = vsa_policy(
        cell,
        "vsa-no-age.yaml",
        &format!("      policy-sha256: {policy_sha}\n"),
    );
    let (code, report) = cell.check(&stale, &["--policy", &no_age]);
    assert_eq!(code, Some(0), "{report}");
    accepted
}

#[tokio::test]
async fn cosign_verifies_gates_summary_and_gate_refuses_other_digest_policy_and_age() {
    let Some(cosign) = Cosign::v2() else {
        return;
    };
    let Some(cell) = Cell::new(RegistryKind::TagFallback).await else {
        return;
    };
    cosign.key_pair(cell.path(), "signer");
    for image in [&cell.image, &cell.other] {
        cosign_sign(&cosign, &cell, image);
    }
    // The run that attests: the image passes under `policy.yaml`.
    let text = format!(
        "signatures:\n  keys: ['{}']\n",
        cell.path().join("signer.pub").display()
    );
    let (policy_sha, _) = gate_attests(&cell, &text, &[]);

    // The real cosign accepts it, and it says what gate verified.
    let out = cosign_verify(&cosign, &cell, &cell.image);
    let p = assert_says_what_gate_verified(&out, &cell, &policy_sha);
    // The other image did not go through gate: cosign finds no summary there.
    assert!(!cosign_verify(&cosign, &cell, &cell.other).status.success());
    gate_reads_and_refuses(&cosign, &cell, &p, &policy_sha).await;
}

/// `gate check --attest KEY` with the referrer layout (policy `attest.layout: referrer` on the
/// referrers-API registry, `--attest-layout referrer` on the tag-schema one): a Sigstore bundle
/// v0.3 as an OCI 1.1 referrer of the digest, which the real cosign v3 `verify-attestation
/// --new-bundle-format` accepts, and which gate's own verify reads (recording the layout) and
/// refuses for another digest, another policy digest or too old.
#[tokio::test]
async fn cosign_v3_verifies_gates_referrer_summary_and_gate_refuses_other_digest_policy_and_age() {
    let Some(cosign) = Cosign::v3() else {
        return;
    };
    for kind in REGISTRIES {
        let Some(cell) = Cell::new(kind).await else {
            return;
        };
        cosign.key_pair(cell.path(), "signer");
        for image in [&cell.image, &cell.other] {
            cosign_sign(&cosign, &cell, image);
        }
        let signer = cell.path().join("signer.pub");
        let (text, flag): (String, &[&str]) = match kind {
            RegistryKind::ReferrersApi => (
                format!(
                    "signatures:\n  keys: ['{}']\nattest:\n  layout: referrer\n",
                    signer.display()
                ),
                &[],
            ),
            RegistryKind::TagFallback => (
                format!("signatures:\n  keys: ['{}']\n", signer.display()),
                &["--attest-layout", "referrer"],
            ),
        };
        let (policy_sha, stderr) = gate_attests(&cell, &text, flag);
        assert!(stderr.contains("@sha256:"), "{stderr}");
        // Nothing went to the `.att` tag: the referrer is the only copy.
        let att = attestation_tag(&cell.digest);
        let url = format!("http://{}/v2/team/app/manifests/{att}", cell.reg.addr);
        let status = reqwest::get(&url).await.unwrap().status();
        assert_eq!(status, reqwest::StatusCode::NOT_FOUND, "{kind:?}: {url}");

        let out = cosign_verify(&cosign, &cell, &cell.image);
        let p = assert_says_what_gate_verified(&out, &cell, &policy_sha);
        assert!(!cosign_verify(&cosign, &cell, &cell.other).status.success());

        let accepted = gate_reads_and_refuses(&cosign, &cell, &p, &policy_sha).await;
        let expected = match kind {
            RegistryKind::TagFallback => "referrers-tag",
            RegistryKind::ReferrersApi => "referrers-api",
        };
        let atts = &accepted["images"][0]["attestations"];
        assert_eq!(atts[0]["layout"]["kind"], expected, "{kind:?}: {accepted}");
        assert_eq!(atts[0]["layout"]["bundle"], "v0.3", "{kind:?}: {accepted}");
    }
}
