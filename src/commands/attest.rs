//! `gate check --attest KEY`: for each image that passed, a SLSA verification summary
//! (`https://slsa.dev/verification_summary/v1`) signed with a cosign key as a DSSE in-toto
//! statement and appended to the digest's cosign `.att` tag, where `cosign verify-attestation`,
//! Kyverno and policy-controller read attestations, and where gate's own `attestations:` rules
//! with `vsa:` accept it in a later run.

use super::sign::append_and_push;
use crate::evidence::image::Layout;
use crate::evidence::{CheckError, Evidence, Verdict};
use crate::policy::file::Policy;
use crate::reference::Reference;
use crate::resolve::{chain_text, ResolveConfig, Resolver};
use crate::verify::sign::{attest_digest, attestation_tag};
use crate::verify::vsa::{self, Input, VsaFacts};
use crate::verify::SigningKey;

/// Attests every image of `ev` that passed; what could not be attested is an error in `ev`
/// (the run is then incomplete: exit 2).
pub(super) async fn attest_passed(
    ev: &mut Evidence,
    key: &SigningKey,
    resolve: &ResolveConfig,
    policy: &Policy,
    quiet: bool,
) {
    let resolver = match Resolver::new(resolve.clone()) {
        Ok(r) => r,
        Err(e) => {
            ev.errors.push(CheckError::new("attest", chain_text(&e)));
            ev.finish(ev.finished_at);
            return;
        }
    };
    let oci = super::sign::push_client(resolve);
    let auth = &resolve.client.auth;
    let mut errors = Vec::new();
    for image in ev.images.iter().filter(|i| i.verdict == Verdict::Passed) {
        let (Some(canonical), Some(digest)) = (&image.canonical, &image.digest) else {
            continue;
        };
        let result = async {
            let r = Reference::parse(canonical).map_err(|e| e.to_string())?;
            let (repo, _) = resolver.repo_for(&r);
            let tag = attestation_tag(digest);
            let inputs: Vec<Input> = image
                .attestations
                .iter()
                .map(|a| Input {
                    uri: match &a.layout {
                        Some(Layout::AttTag) | None => {
                            format!("{}/{}:{tag}", repo.domain, repo.path)
                        }
                        Some(_) => format!("{}/{}@{digest}", repo.domain, repo.path),
                    },
                    predicate_type: a.predicate_type.clone(),
                })
                .collect();
            let mut levels = vec!["GATE_POLICY_PASSED".to_string()];
            if image
                .attestations
                .iter()
                .any(|a| crate::verify::slsa::is_provenance(&a.predicate_type))
            {
                levels.push("SLSA_BUILD_LEVEL_1".to_string());
            }
            let facts = VsaFacts {
                verifier_id: vsa::VERIFIER_ID.to_string(),
                verifier_version: Some(env!("CARGO_PKG_VERSION").to_string()),
                time_verified: ev.finished_at,
                resource_uri: canonical.clone(),
                policy_uri: policy.source.to_string(),
                policy_digest: policy.sha256(),
                result: "PASSED".to_string(),
                verified_levels: levels,
            };
            let layer = attest_digest(
                key,
                &r.name(),
                digest,
                vsa::PREDICATE_TYPE,
                &vsa::predicate(&facts, &inputs),
            )
            .map_err(|e| chain_text(&e))?;
            append_and_push(&resolver, &oci, auth, &repo, &tag, &layer).await?;
            Ok::<_, String>(format!("{}/{}:{tag}", repo.domain, repo.path))
        }
        .await;
        match result {
            Ok(at) if !quiet => eprintln!("attested {canonical}: verification summary at {at}"),
            Ok(_) => {}
            Err(e) => errors.push(CheckError::new(
                "attest",
                format!("cannot attach the verification summary of `{canonical}`: {e}"),
            )),
        }
    }
    if !errors.is_empty() {
        ev.errors.extend(errors);
        ev.finish(ev.finished_at);
    }
}
