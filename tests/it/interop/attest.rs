//! `cosign attest --type slsaprovenance1|spdxjson|cyclonedx|openvex` (v2: `.att` tag; v3: bundle
//! referrer) → `gate check` with the matching attestation policy passes; the wrong predicate
//! type or another signer fails with GATE-ATT-001; on both registries. And multi-arch indexes
//! signed at the index only or at every platform (`--recursive`) against `verify-platforms`.

use super::cosign::{Cell, V3_SIGN_ARGS};
use super::peers::{rules, Cosign, RegistryKind, REGISTRIES};

/// `(--type, predicate)` pairs: the short names cosign and gate share.
const PREDICATES: [(&str, &str); 4] = [
    (
        "slsaprovenance1",
        r#"{"buildDefinition":{"buildType":"https://example.com/build/v1","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/builder"}}}"#,
    ),
    (
        "spdxjson",
        r#"{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"app","dataLicense":"CC0-1.0","documentNamespace":"https://example.com/app","creationInfo":{"created":"2026-01-01T00:00:00Z","creators":["Tool: gate-test"]},"packages":[]}"#,
    ),
    (
        "cyclonedx",
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[]}"#,
    ),
    (
        "openvex",
        r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/1","author":"gate-test","timestamp":"2026-01-01T00:00:00Z","version":1,"statements":[]}"#,
    ),
];

/// A policy trusting `signer.pub` and requiring attestations of `types`.
fn policy(cell: &Cell, types: &[&str]) -> String {
    let mut p = format!(
        "signatures:\n  keys: [{}]\nattestations:\n",
        cell.path().join("signer.pub").display()
    );
    for t in types {
        p.push_str(&format!("  - predicate-type: {t}\n"));
    }
    let file = cell.path().join(format!("policy-{}.yaml", types.join("-")));
    std::fs::write(&file, p).unwrap();
    file.display().to_string()
}

fn attest(cosign: &Cosign, cell: &Cell, key: &str, kind: &str, predicate: &str, v3: bool) {
    let file = cell.path().join(format!("{kind}.json"));
    std::fs::write(&file, predicate).unwrap();
    let file = file.display().to_string();
    let mut args = vec![
        "attest",
        "--key",
        key,
        "--type",
        kind,
        "--predicate",
        &file,
        "--tlog-upload=false",
        "-y",
    ];
    if v3 {
        args.push("--use-signing-config=false");
    }
    args.push(&cell.image);
    cosign.ok(cell.path(), &args);
}

async fn attestations_cell(cosign: &Cosign, v3: bool) {
    for kind in REGISTRIES {
        let Some(cell) = Cell::new(kind).await else {
            return;
        };
        cosign.key_pair(cell.path(), "signer");
        cosign.key_pair(cell.path(), "stranger");
        let mut sign = if v3 {
            V3_SIGN_ARGS.to_vec()
        } else {
            vec!["sign", "--key", "signer.key", "--tlog-upload=false", "-y"]
        };
        sign.push(&cell.image);
        cosign.ok(cell.path(), &sign);
        for (t, predicate) in PREDICATES {
            attest(cosign, &cell, "signer.key", t, predicate, v3);
        }
        // A provenance by a key the policy does not trust.
        let v02 = r#"{"builder":{"id":"https://example.com/builder"},"buildType":"https://example.com/build/v1"}"#;
        attest(cosign, &cell, "stranger.key", "slsaprovenance", v02, v3);

        let all: Vec<&str> = PREDICATES.iter().map(|(t, _)| *t).collect();
        let (code, report) = cell.check(&cell.image, &["--policy", &policy(&cell, &all)]);
        assert_eq!(
            (code, rules(&report)),
            (Some(0), vec![]),
            "cosign {} {kind:?}: {report}",
            cosign.version
        );
        let atts = report["images"][0]["attestations"].as_array().unwrap();
        let expected_layout = match (v3, kind) {
            (false, _) => "att-tag",
            (true, RegistryKind::TagFallback) => "referrers-tag",
            (true, RegistryKind::ReferrersApi) => "referrers-api",
        };
        assert!(
            !atts.is_empty() && atts.iter().all(|a| a["layout"]["kind"] == expected_layout),
            "cosign {} {kind:?}: {report}",
            cosign.version
        );
        // The wrong predicate: nothing attests a link; the only v0.2 provenance is a stranger's.
        for wrong in ["link", "slsaprovenance02"] {
            let (code, report) = cell.check(&cell.image, &["--policy", &policy(&cell, &[wrong])]);
            assert_eq!(
                (code, rules(&report)),
                (Some(1), vec!["GATE-ATT-001".to_string()]),
                "cosign {} {kind:?} {wrong}: {report}",
                cosign.version
            );
        }
    }
}

#[tokio::test]
async fn cosign_v2_attestations_meet_the_attestation_policy() {
    let Some(cosign) = Cosign::v2() else { return };
    attestations_cell(&cosign, false).await;
}

#[tokio::test]
async fn cosign_v3_attestations_meet_the_attestation_policy() {
    let Some(cosign) = Cosign::v3() else { return };
    attestations_cell(&cosign, true).await;
}

/// An index signed at the index only passes by default and fails `verify-platforms` with
/// GATE-SIG-005 per platform; signed with `--recursive` it passes both; on both registries.
#[tokio::test]
async fn multi_arch_index_signed_at_index_or_every_platform() {
    let Some(cosign) = Cosign::v2() else { return };
    for kind in REGISTRIES {
        let Some(cell) = Cell::new(kind).await else {
            return;
        };
        cosign.key_pair(cell.path(), "signer");
        let (index, _children) = cell.reg.push_index("team/multi", "1").await;
        let image = format!("{}/team/multi@{index}", cell.reg.addr);
        let strict = cell.path().join("platforms.yaml");
        std::fs::write(
            &strict,
            format!(
                "signatures:\n  keys: [{}]\n  verify-platforms: true\n",
                cell.path().join("signer.pub").display()
            ),
        )
        .unwrap();
        let strict = strict.display().to_string();

        cosign.ok(
            cell.path(),
            &[
                "sign",
                "--key",
                "signer.key",
                "--tlog-upload=false",
                "-y",
                &image,
            ],
        );
        let (code, report) = cell.check(&image, &["--key", "signer.pub"]);
        assert_eq!(
            (code, rules(&report)),
            (Some(0), vec![]),
            "{kind:?}: {report}"
        );
        let (code, report) = cell.check(&image, &["--policy", &strict]);
        assert_eq!(
            (code, rules(&report)),
            (
                Some(1),
                vec!["GATE-SIG-005".to_string(), "GATE-SIG-005".to_string()]
            ),
            "{kind:?} index only: {report}"
        );

        cosign.ok(
            cell.path(),
            &[
                "sign",
                "--recursive",
                "--key",
                "signer.key",
                "--tlog-upload=false",
                "-y",
                &image,
            ],
        );
        let (code, report) = cell.check(&image, &["--policy", &strict]);
        assert_eq!(
            (code, rules(&report)),
            (Some(0), vec![]),
            "{kind:?} recursive: {report}"
        );
    }
}
