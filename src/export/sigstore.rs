//! Sigstore policy-controller (`policy.sigstore.dev/v1beta1` `ClusterImagePolicy`): one policy
//! for the image signers and one per required attestation. policy-controller admits an image when
//! every matching policy has one authority satisfied, so signers are authorities of one policy
//! (any of them) and each attestation is a policy of its own (all of them).

use super::{Cx, Engine, Export, ExportError};
use crate::policy::file::{Identity, KeyRef};
use serde_json::{json, Value};

const API_VERSION: &str = "policy.sigstore.dev/v1beta1";

pub(super) fn export(cx: &Cx<'_>, out: &mut Export) -> Result<(), ExportError> {
    let p = &cx.policy.settings;
    let sig = &p.signatures;
    if sig.required
        && sig
            .level
            .unwrap_or(crate::policy::file::Level::Error)
            .severity()
            .is_some()
    {
        let authorities = authorities(cx, out, &sig.keys, &sig.identities, None)?;
        if authorities.is_empty() {
            out.gap(
                Engine::PolicyController,
                "GATE-SIG-001",
                "the policy names no signers, so there is nothing to verify at admission",
            );
        } else {
            let rules = vec!["GATE-SIG-001".to_string()];
            out.push(
                Engine::PolicyController,
                rules.clone(),
                json!({
                    "apiVersion": API_VERSION,
                    "kind": "ClusterImagePolicy",
                    "metadata": cx.metadata("gate-sig-001-image-signatures", &rules),
                    "spec": {"images": [{"glob": "**"}], "authorities": authorities},
                }),
            );
        }
    }
    for (i, a) in p.attestations.iter().enumerate() {
        if a.level.severity().is_none() {
            continue;
        }
        let predicate = crate::verify::policy::predicate_type_alias(&a.predicate_type);
        let (keys, ids) = if a.keys.is_empty() && a.identities.is_empty() {
            (sig.keys.as_slice(), sig.identities.as_slice())
        } else {
            (a.keys.as_slice(), a.identities.as_slice())
        };
        let mut attestation = json!({"name": "required", "predicateType": predicate});
        if let Some(v) = &a.vsa {
            let digest = v.policy_sha256.clone().unwrap_or_else(|| cx.sha256.clone());
            attestation["policy"] = json!({
                "type": "cue",
                "data": format!(
                    "predicateType: \"{}\"\npredicate: verificationResult: \"PASSED\"\npredicate: policy: digest: sha256: \"{}\"\n",
                    crate::verify::vsa::PREDICATE_TYPE,
                    digest.trim_start_matches("sha256:")
                ),
            });
            if v.max_age.is_some() {
                out.gap(
                    Engine::PolicyController,
                    format!("attestations[{i}].vsa.max-age"),
                    "a CUE policy has no clock to compare `timeVerified` with; gate refuses a stale summary, admission does not",
                );
            }
        }
        if a.slsa.is_some() {
            out.gap(
                Engine::PolicyController,
                format!("attestations[{i}].slsa"),
                "the SLSA provenance fields are checked by gate only; admission checks the attestation's signer",
            );
        }
        let authorities = authorities(cx, out, keys, ids, Some(attestation))?;
        if authorities.is_empty() {
            out.gap(
                Engine::PolicyController,
                format!("attestations[{i}]"),
                "no signers for this attestation, so there is nothing to verify at admission",
            );
            continue;
        }
        let images: Vec<Value> = if a.images.is_empty() {
            vec![json!({"glob": "**"})]
        } else {
            a.images.iter().map(|g| json!({"glob": g})).collect()
        };
        let rules = vec!["GATE-ATT-001".to_string()];
        out.push(
            Engine::PolicyController,
            rules.clone(),
            json!({
                "apiVersion": API_VERSION,
                "kind": "ClusterImagePolicy",
                "metadata": cx.metadata(&format!("gate-att-001-attestation-{i}"), &rules),
                "spec": {"images": images, "authorities": authorities},
            }),
        );
    }
    if !cx.policy.exceptions.is_empty() {
        out.gap(
            Engine::PolicyController,
            "exceptions",
            "policy-controller has no exceptions; an excepted image is admitted only if it passes anyway",
        );
    }
    Ok(())
}

/// One authority per key and one per keyless identity (any one satisfies the policy).
fn authorities(
    cx: &Cx<'_>,
    out: &mut Export,
    keys: &[KeyRef],
    ids: &[Identity],
    attestation: Option<Value>,
) -> Result<Vec<Value>, ExportError> {
    let mut list = Vec::new();
    let with = |mut a: Value| {
        if let Some(att) = &attestation {
            a["attestations"] = json!([att]);
        }
        a
    };
    for k in keys {
        list.push(with(json!({
            "name": format!("key{}", list.len()),
            "key": {"data": cx.key_pem(k)?, "hashAlgorithm": "sha256"},
        })));
    }
    for id in ids {
        if id.github.is_some() {
            out.gap(
                Engine::PolicyController,
                "GATE-SIG-002",
                "the GitHub certificate claims (`github:`) of a keyless identity are checked by gate only",
            );
        }
        let mut identity = serde_json::Map::new();
        if let Some(s) = &id.issuer {
            identity.insert("issuer".into(), json!(s));
        }
        if let Some(s) = &id.issuer_regexp {
            identity.insert("issuerRegExp".into(), json!(format!("^(?:{s})$")));
        }
        if let Some(s) = &id.identity {
            identity.insert("subject".into(), json!(s));
        }
        if let Some(s) = &id.identity_regexp {
            identity.insert("subjectRegExp".into(), json!(format!("^(?:{s})$")));
        }
        list.push(with(json!({
            "name": format!("keyless{}", list.len()),
            "keyless": {"url": "https://fulcio.sigstore.dev", "identities": [identity]},
        })));
    }
    Ok(list)
}
