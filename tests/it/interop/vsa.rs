//! `gate check --attest KEY`: the SLSA verification summary gate signs for an image that passed
//! is accepted by the real `cosign verify-attestation --type
//! https://slsa.dev/verification_summary/v1 --key`, and by gate's own `attestations:` rule with
//! `vsa:`; a summary for another digest, under another policy or older than `max-age` is
//! refused (GATE-ATT-001 naming why), made with the real `cosign attest`.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde_json::Value;

use super::cosign::Cell;
use super::peers::{gate, rules, Cosign, RegistryKind};
use crate::harness::sha256;

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

/// `cosign attest` of a hand-made summary predicate on `image`.
fn cosign_attest(cosign: &Cosign, cell: &Cell, image: &str, predicate: &Value, name: &str) {
    let file = cell.path().join(name);
    std::fs::write(&file, predicate.to_string()).unwrap();
    let file = file.display().to_string();
    cosign.ok(
        cell.path(),
        &[
            "attest",
            "--key",
            "signer.key",
            "--type",
            VSA,
            "--predicate",
            &file,
            "--tlog-upload=false",
            "-y",
            image,
        ],
    );
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
        cosign.ok(
            cell.path(),
            &[
                "sign",
                "--key",
                "signer.key",
                "--tlog-upload=false",
                "-y",
                image,
            ],
        );
    }
    // The run that attests: the image passes under `policy.yaml`.
    let policy = cell.path().join("policy.yaml");
    std::fs::write(
        &policy,
        format!(
            "signatures:\n  keys: ['{}']\n",
            cell.path().join("signer.pub").display()
        ),
    )
    .unwrap();
    let policy_sha = sha256(&std::fs::read(&policy).unwrap());
    let out = gate(
        cell.path(),
        &cell.reg,
        &["check", "--skip-scan", "--policy"],
    )
    .arg(&policy)
    .args(["--attest", "signer.key", &cell.image])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("attested"), "{stderr}");

    // The real cosign accepts it, and it says what gate verified.
    let out = cosign.ok(
        cell.path(),
        &[
            "verify-attestation",
            "--key",
            "signer.pub",
            "--type",
            VSA,
            "--insecure-ignore-tlog=true",
            &cell.image,
        ],
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
    // The other image did not go through gate: cosign finds no summary there.
    let none = cosign.run(
        cell.path(),
        &[
            "verify-attestation",
            "--key",
            "signer.pub",
            "--type",
            VSA,
            "--insecure-ignore-tlog=true",
            &cell.other,
        ],
    );
    assert!(!none.status.success());

    // gate's own verify accepts the summary under that policy, with a max age.
    let ok_policy = vsa_policy(
        &cell,
        "vsa-ok.yaml",
        &format!("      policy-sha256: {policy_sha}\n      max-age: 1h\n"),
    );
    let (code, report) = cell.check(&cell.image, &["--policy", &ok_policy]);
    assert_eq!(code, Some(0), "{report}");
    // Under another policy digest: refused.
    let other = format!("sha256:{}", "ab".repeat(32));
    let other_policy = vsa_policy(
        &cell,
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
    cosign_attest(&cosign, &cell, &cell.other, &copied, "copied.json");
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
    cosign.ok(
        cell.path(),
        &[
            "sign",
            "--key",
            "signer.key",
            "--tlog-upload=false",
            "-y",
            &stale,
        ],
    );
    copied["resourceUri"] = Value::String(stale.clone());
    cosign_attest(&cosign, &cell, &stale, &copied, "stale.json");
    let (code, report) = cell.check(&stale, &["--policy", &ok_policy]);
    assert_eq!(
        (code, rules(&report)),
        (Some(1), vec!["GATE-ATT-001".to_string()])
    );
    assert!(report.to_string().contains("max-age"), "{report}");
    let no_age = vsa_policy(
        &cell,
        "vsa-no-age.yaml",
        &format!("      policy-sha256: {policy_sha}\n"),
    );
    let (code, report) = cell.check(&stale, &["--policy", &no_age]);
    assert_eq!(code, Some(0), "{report}");
}
