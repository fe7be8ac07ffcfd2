//! GitHub-style build provenance, keyless and offline: `@actions/attest` (what
//! actions/attest-build-provenance runs) signs a SLSA v1 provenance of the image digest with a
//! Fulcio certificate carrying GitHub Actions OIDC claims, from `@sigstore/mock`'s CA and
//! timestamp authority (GitHub's Sigstore instance), and `@sigstore/oci` pushes the bundle as an
//! OCI referrer (what `push-to-registry` does); on both registries. gate checks it against the
//! trusted root the script wrote: identity (SAN, issuer, repository, ref), predicate type, the
//! digest, and the SLSA policy keys (builder id, source URI, source ref).

use super::cosign::Cell;
use super::peers::{github_attest, rules, RegistryKind, REGISTRIES};

/// One policy: an attestation-only requirement (`signatures.required: false`) with its own
/// keyless signer, as a team verifying GitHub attestations writes it.
struct Want<'a> {
    predicate: &'a str,
    identity: &'a str,
    repository: &'a str,
    git_ref: &'a str,
    slsa: &'a str,
}

const OK: Want<'static> = Want {
    predicate: "slsaprovenance1",
    identity: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main",
    repository: "acme/app",
    git_ref: "refs/heads/main",
    slsa: "    slsa:\n      builder-id: https://github.com/acme/app/.github/workflows/release.yml\n      source-uri: github.com/acme/app\n      source-branch: main\n",
};

fn policy(cell: &Cell, name: &str, issuer: &str, w: &Want<'_>) -> String {
    let file = cell.path().join(format!("{name}.yaml"));
    std::fs::write(
        &file,
        format!(
            "signatures:\n  required: false\nattestations:\n  - predicate-type: {}\n    identities:\n      - issuer: {issuer}\n        identity: {}\n        github: {{repository: {}, ref: {}}}\n{}",
            w.predicate, w.identity, w.repository, w.git_ref, w.slsa
        ),
    )
    .unwrap();
    file.display().to_string()
}

#[tokio::test]
async fn github_provenance_passes_and_each_mismatch_fails() {
    for kind in REGISTRIES {
        let Some(cell) = Cell::new(kind).await else {
            return;
        };
        // One provenance of the first image, pushed as a referrer of it and (copied, as an
        // attacker would) of the other image.
        let Some(att) = github_attest(
            cell.path(),
            &cell.reg,
            "team/app",
            &cell.digest,
            &[&cell.digest, &cell.other_digest],
        ) else {
            return;
        };
        assert_eq!(att.identity, OK.identity);
        let root = att.trusted_root.display().to_string();
        let issuer = att.issuer.as_str();
        let check = |image: &str, name: &str, w: &Want<'_>| {
            let p = policy(&cell, name, issuer, w);
            cell.check(image, &["--policy", &p, "--trusted-root", &root])
        };

        let (code, report) = check(&cell.image, "ok", &OK);
        assert_eq!(
            (code, rules(&report)),
            (Some(0), vec![]),
            "{kind:?}: {report}"
        );
        let atts = report["images"][0]["attestations"].as_array().unwrap();
        assert_eq!(atts.len(), 1, "{kind:?}: {report}");
        assert_eq!(
            atts[0]["predicate_type"], "https://slsa.dev/provenance/v1",
            "{kind:?}: {report}"
        );
        // @sigstore/oci writes the referrers tag schema whenever the registry answers the
        // manifest PUT without an `OCI-Subject` header, which go-containerregistry's registry
        // does although it serves the referrers API: there the bundle is in both, and gate,
        // like cosign, reads the API (the tag schema only where there is no API).
        let layout = match kind {
            RegistryKind::TagFallback => "referrers-tag",
            RegistryKind::ReferrersApi => "referrers-api",
        };
        assert_eq!(atts[0]["layout"]["kind"], layout, "{kind:?}: {report}");
        assert_eq!(atts[0]["layout"]["bundle"], "v0.3", "{kind:?}: {report}");
        // The build facts the SLSA keys compared are in the evidence.
        assert_eq!(
            atts[0]["slsa"],
            serde_json::json!({
                "builder_id": "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main",
                "source_uri": "github.com/acme/app",
                "source_ref": "refs/heads/main",
            }),
            "{kind:?}: {report}"
        );
        if kind == RegistryKind::ReferrersApi {
            let url = format!(
                "http://{}/v2/team/app/referrers/{}",
                cell.reg.addr, cell.digest
            );
            let index: serde_json::Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
            let listed = index["manifests"].as_array().map(Vec::len);
            assert_eq!(listed, Some(1), "{kind:?}: the referrers API: {index}");
        }

        // Each mismatch: GATE-ATT-001, and the message says which.
        let cases: [(&str, Want<'_>, &str, &str); 8] = [
            (
                "repository",
                Want { repository: "acme/other", ..OK },
                &cell.image,
                "has no trusted attestation of type `https://slsa.dev/provenance/v1`",
            ),
            (
                "ref",
                Want { git_ref: "refs/heads/dev", ..OK },
                &cell.image,
                "has no trusted attestation",
            ),
            (
                "workflow",
                Want {
                    identity: "https://github.com/acme/app/.github/workflows/other.yml@refs/heads/main",
                    ..OK
                },
                &cell.image,
                "has no trusted attestation",
            ),
            (
                "predicate",
                Want { predicate: "slsaprovenance02", slsa: "", ..OK },
                &cell.image,
                "has no trusted attestation of type `https://slsa.dev/provenance/v0.2`",
            ),
            ("other-digest", OK, &cell.other, "has no trusted attestation"),
            (
                "builder",
                Want {
                    slsa: "    slsa:\n      builder-id: https://github.com/acme/app/.github/workflows/other.yml\n",
                    ..OK
                },
                &cell.image,
                "but its builder id is `https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main`, not `https://github.com/acme/app/.github/workflows/other.yml`",
            ),
            (
                "source",
                Want { slsa: "    slsa:\n      source-uri: https://github.com/acme/other\n", ..OK },
                &cell.image,
                "but its source repository is `github.com/acme/app`, not `https://github.com/acme/other`",
            ),
            (
                "tag",
                Want { slsa: "    slsa:\n      source-tag: v1.0.0\n", ..OK },
                &cell.image,
                "but its source ref is `refs/heads/main`, not `refs/tags/v1.0.0`",
            ),
        ];
        // cosign's flags name the signer instead: the provenance counts (no GATE-ATT-001) when
        // the certificate's ref matches, though the image then also needs a signature, which a
        // GitHub attestation is not (GATE-SIG-001); with another ref the bundle's signer is not
        // trusted at all (GATE-SIG-002, naming the certificate's identity) and the provenance
        // does not count.
        let require = cell.path().join("require.yaml");
        std::fs::write(
            &require,
            "attestations:\n  - predicate-type: slsaprovenance1\n",
        )
        .unwrap();
        let require = require.display().to_string();
        for (git_ref, expected) in [
            ("refs/heads/main", vec!["GATE-SIG-001"]),
            ("refs/heads/dev", vec!["GATE-ATT-001", "GATE-SIG-002"]),
        ] {
            let (code, report) = cell.check(
                &cell.image,
                &[
                    "--policy",
                    &require,
                    "--trusted-root",
                    &root,
                    "--certificate-identity",
                    OK.identity,
                    "--certificate-oidc-issuer",
                    issuer,
                    "--certificate-github-workflow-repository",
                    "acme/app",
                    "--certificate-github-workflow-ref",
                    git_ref,
                ],
            );
            assert_eq!(
                (code, rules(&report)),
                (Some(1), expected.iter().map(|s| s.to_string()).collect()),
                "{kind:?} --certificate-github-workflow-ref {git_ref}: {report}"
            );
        }

        for (name, want, image, message) in cases {
            let (code, report) = check(image, name, &want);
            assert_eq!(
                (code, rules(&report)),
                (Some(1), vec!["GATE-ATT-001".to_string()]),
                "{kind:?} {name}: {report}"
            );
            let text = report["findings"][0]["message"]
                .as_str()
                .unwrap_or_default();
            assert!(
                text.contains(message) && !text.contains('\n'),
                "{kind:?} {name}: {text}"
            );
        }
    }
}
