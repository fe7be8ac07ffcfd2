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
        // does although it serves the referrers API: there the bundle is in both, and gate
        // reads the tag first.
        assert_eq!(
            atts[0]["layout"]["kind"], "referrers-tag",
            "{kind:?}: {report}"
        );
        assert_eq!(atts[0]["layout"]["bundle"], "v0.3", "{kind:?}: {report}");
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
