//! Kyverno (1.17+, `policies.kyverno.io/v1`): one `ValidatingPolicy` per Pod Security check at the
//! policy's level and version (so an exception for one gate rule excepts that rule only), an
//! `ImageValidatingPolicy` for the trusted signers and one per required attestation (the
//! verification summary included), the policy's exceptions as `PolicyException`s with the same
//! expiry and, behind `--kyverno-cluster-policy`, the deprecated `kyverno.io/v1` `ClusterPolicy`
//! with `validate.podSecurity` for older clusters.

use super::pss_cel::{self, CONTAINERS, WINDOWS};
use super::{glob_regex, Cx, Engine, Export, ExportError};
use crate::policy::file::{AttestationRule, Identity, KeyRef};
use serde_json::{json, Value};

const API_VERSION: &str = "policies.kyverno.io/v1";

/// A Kyverno object name from a rule ID and name (`gate-pss-001-host-namespaces`).
pub fn policy_name(rule: &str, name: &str) -> String {
    format!(
        "gate-{}-{name}",
        rule.trim_start_matches("GATE-").to_lowercase()
    )
}

fn pod_rules() -> Value {
    json!({"resourceRules": [{
        "apiGroups": [""],
        "apiVersions": ["v1"],
        "operations": ["CREATE", "UPDATE"],
        "resources": ["pods"],
    }]})
}

/// An exported Kyverno policy that exceptions may name: its kind, name and gate rule.
struct Named {
    kind: &'static str,
    name: String,
    rule: String,
    rule_name: String,
}

pub(super) fn export(cx: &Cx<'_>, out: &mut Export) -> Result<(), ExportError> {
    let minor = cx.version.effective_minor();
    let mut named = Vec::new();
    for c in pss_cel::applicable(cx.level, minor) {
        let name = policy_name(c.rule, c.name);
        let rules = vec![c.rule.to_string()];
        out.push(
            Engine::Kyverno,
            rules.clone(),
            json!({
                "apiVersion": API_VERSION,
                "kind": "ValidatingPolicy",
                "metadata": cx.metadata(&name, &rules),
                "spec": {
                    "validationActions": ["Deny"],
                    "matchConstraints": pod_rules(),
                    "variables": [
                        {"name": "containers", "expression": CONTAINERS},
                        {"name": "windows", "expression": WINDOWS},
                    ],
                    "validations": [{
                        "expression": (c.expression)(minor),
                        "message": format!("{} ({} {}, gate {})", c.message, cx.level, cx.version, c.rule),
                    }],
                },
            }),
        );
        named.push(Named {
            kind: "ValidatingPolicy",
            name,
            rule: c.rule.to_string(),
            rule_name: c.name.to_string(),
        });
    }
    let level = cx.level;
    for g in crate::lint::pss::checks::ALL.iter().filter(|g| {
        level != crate::lint::pss::Level::Privileged
            && g.since <= minor
            && (g.level == crate::lint::pss::Level::Baseline || level == g.level)
            && !pss_cel::CHECKS.iter().any(|c| c.rule == g.rule.id)
    }) {
        out.gap(
            Engine::Kyverno,
            g.rule.id,
            format!(
                "`{}` is not written in CEL by this export; the exported Pod Security Admission labels enforce it",
                g.rule.name
            ),
        );
    }
    images(cx, out, &mut named)?;
    exceptions(cx, out, &named);
    if cx.cfg.kyverno_cluster_policy {
        cluster_policy(cx, out);
    }
    Ok(())
}

/// `ImageValidatingPolicy`s: the image signers, then each required attestation.
fn images(cx: &Cx<'_>, out: &mut Export, named: &mut Vec<Named>) -> Result<(), ExportError> {
    let p = &cx.policy.settings;
    let sig = &p.signatures;
    if !sig.rules.is_empty() {
        out.gap(
            Engine::Kyverno,
            "GATE-SIG-001",
            "per-image signer rules (`signatures.rules`) are not exported; images are held to the section-wide signers",
        );
    }
    let signers = attestors(cx, out, &sig.keys, &sig.identities, "signer")?;
    if sig.required
        && !signers.is_empty()
        && sig
            .level
            .unwrap_or(crate::policy::file::Level::Error)
            .severity()
            .is_some()
    {
        let rule = "GATE-SIG-001".to_string();
        let name = "gate-sig-001-image-signatures".to_string();
        let refs = attestor_refs(&signers);
        out.push(
            Engine::Kyverno,
            vec![rule.clone()],
            image_policy(
                cx,
                &name,
                &rule,
                &[],
                signers,
                Value::Array(vec![]),
                vec![json!({
                    "expression": format!("images.containers.map(image, verifyImageSignatures(image, {refs})).all(e, e > 0)"),
                    "message": "every container image must be signed by a signer the gate policy trusts (gate GATE-SIG-001)",
                })],
            ),
        );
        named.push(Named {
            kind: "ImageValidatingPolicy",
            name,
            rule,
            rule_name: "unsigned-image".into(),
        });
    } else if sig.required && signers.is_empty() {
        out.gap(
            Engine::Kyverno,
            "GATE-SIG-001",
            "the policy names no signers (`signatures.keys`/`identities`), so there is nothing to verify at admission",
        );
    }
    for (i, a) in p.attestations.iter().enumerate() {
        attestation(cx, out, named, i, a, &sig.keys, &sig.identities)?;
    }
    Ok(())
}

fn attestation(
    cx: &Cx<'_>,
    out: &mut Export,
    named: &mut Vec<Named>,
    i: usize,
    a: &AttestationRule,
    image_keys: &[KeyRef],
    image_ids: &[Identity],
) -> Result<(), ExportError> {
    if a.level.severity().is_none() {
        return Ok(());
    }
    let rule = "GATE-ATT-001".to_string();
    let predicate = crate::verify::policy::predicate_type_alias(&a.predicate_type).to_string();
    let (keys, ids) = if a.keys.is_empty() && a.identities.is_empty() {
        (image_keys, image_ids)
    } else {
        (a.keys.as_slice(), a.identities.as_slice())
    };
    let list = attestors(cx, out, keys, ids, "attester")?;
    if list.is_empty() {
        out.gap(
            Engine::Kyverno,
            format!("attestations[{i}]"),
            "no signers for this attestation, so there is nothing to verify at admission",
        );
        return Ok(());
    }
    if a.slsa.is_some() {
        out.gap(
            Engine::Kyverno,
            format!("attestations[{i}].slsa"),
            "the SLSA provenance fields are checked by gate only; admission checks the attestation's signer",
        );
    }
    if !keys.is_empty() {
        out.gap(
            Engine::Kyverno,
            format!("attestations[{i}]"),
            "Kyverno 1.19.1's ImageValidatingPolicy refuses a key-signed attestation without a transparency-log entry even with `insecureIgnoreTlog` (its signature check honours the flag); gate accepts one. Attest with a Rekor entry where Kyverno must verify it",
        );
    }
    let refs = attestor_refs(&list);
    let mut validations = vec![json!({
        "expression": format!("images.containers.map(image, verifyAttestationSignatures(image, attestations.required, {refs})).all(e, e > 0)"),
        "message": format!("every container image must carry a `{predicate}` attestation from a signer the gate policy trusts (gate GATE-ATT-001)"),
    })];
    if let Some(v) = &a.vsa {
        let digest = v.policy_sha256.clone().unwrap_or_else(|| cx.sha256.clone());
        validations.push(json!({
            "expression": format!(
                "images.containers.all(image, extractPayload(image, attestations.required).verificationResult == 'PASSED' && extractPayload(image, attestations.required).policy.digest.sha256 == '{}')",
                digest.trim_start_matches("sha256:")
            ),
            "message": "the verification summary must say PASSED under the gate policy's digest (gate GATE-ATT-001)",
        }));
        if v.max_age.is_some() {
            out.gap(
                Engine::Kyverno,
                format!("attestations[{i}].vsa.max-age"),
                "the summary's age is not exported to Kyverno (unproven: Kyverno's attestation checks cannot run offline, see `attestations`); gate refuses a stale summary, admission does not",
            );
        }
    }
    let name = format!("gate-att-001-attestation-{i}");
    out.push(
        Engine::Kyverno,
        vec![rule.clone()],
        image_policy(
            cx,
            &name,
            &rule,
            &a.images,
            list,
            json!([{"name": "required", "intoto": {"type": predicate}}]),
            validations,
        ),
    );
    named.push(Named {
        kind: "ImageValidatingPolicy",
        name,
        rule,
        rule_name: "missing-attestation".into(),
    });
    Ok(())
}

fn attestor_refs(list: &[Value]) -> String {
    let names: Vec<String> = list
        .iter()
        .filter_map(|a| a["name"].as_str())
        .map(|n| format!("attestors.{n}"))
        .collect();
    format!("[{}]", names.join(", "))
}

fn image_policy(
    cx: &Cx<'_>,
    name: &str,
    rule: &str,
    images: &[String],
    attestors: Vec<Value>,
    attestations: Value,
    validations: Vec<Value>,
) -> Value {
    let globs: Vec<Value> = if images.is_empty() {
        vec![json!({"glob": "*"})]
    } else {
        images.iter().map(|g| json!({"glob": g})).collect()
    };
    let mut spec = json!({
        "validationActions": ["Deny"],
        "matchConstraints": pod_rules(),
        "matchImageReferences": globs,
        "validationConfigurations": {"mutateDigest": false, "verifyDigest": false, "required": true},
        "attestors": attestors,
        "validations": validations,
    });
    if attestations.as_array().is_some_and(|a| !a.is_empty()) {
        spec["attestations"] = attestations;
    }
    if !cx.cfg.insecure_registries.is_empty() {
        spec["credentials"] = json!({"allowInsecureRegistry": true});
    }
    json!({
        "apiVersion": API_VERSION,
        "kind": "ImageValidatingPolicy",
        "metadata": cx.metadata(name, &[rule.to_string()]),
        "spec": spec,
    })
}

/// Kyverno attestors for keys and keyless identities (`signer0`, `signer1`, …).
fn attestors(
    cx: &Cx<'_>,
    out: &mut Export,
    keys: &[KeyRef],
    ids: &[Identity],
    prefix: &str,
) -> Result<Vec<Value>, ExportError> {
    let mut list = Vec::new();
    for k in keys {
        list.push(json!({
            "name": format!("{prefix}{}", list.len()),
            "cosign": {
                "key": {"data": cx.key_pem(k)?},
                // gate verifies key signatures without a transparency-log entry, as cosign
                // does for keys with `--insecure-ignore-tlog`; admission must accept the same.
                "ctlog": {"insecureIgnoreTlog": true, "insecureIgnoreSCT": true},
            },
        }));
    }
    let mut identities = Vec::new();
    for id in ids {
        if id.github.is_some() {
            out.gap(
                Engine::Kyverno,
                "GATE-SIG-002",
                "the GitHub certificate claims (`github:`) of a keyless identity are checked by gate only",
            );
        }
        let mut v = serde_json::Map::new();
        if let Some(s) = &id.issuer {
            v.insert("issuer".into(), json!(s));
        }
        if let Some(s) = &id.issuer_regexp {
            v.insert("issuerRegExp".into(), json!(format!("^(?:{s})$")));
        }
        if let Some(s) = &id.identity {
            v.insert("subject".into(), json!(s));
        }
        if let Some(s) = &id.identity_regexp {
            v.insert("subjectRegExp".into(), json!(format!("^(?:{s})$")));
        }
        identities.push(Value::Object(v));
    }
    if !identities.is_empty() {
        let mut cosign = json!({"keyless": {"identities": identities}});
        if cx.policy.settings.signatures.insecure_ignore_tlog {
            cosign["ctlog"] = json!({"insecureIgnoreTlog": true});
        }
        list.push(json!({"name": format!("{prefix}{}", list.len()), "cosign": cosign}));
    }
    Ok(list)
}

/// The policy's exceptions, for the exported policies they cover, with the same expiry.
fn exceptions(cx: &Cx<'_>, out: &mut Export, named: &[Named]) {
    for (i, e) in cx.policy.exceptions.iter().enumerate() {
        let covered: Vec<&Named> = named
            .iter()
            .filter(|n| {
                e.rules.is_empty()
                    || e.rules
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case(&n.rule) || *r == n.rule_name)
            })
            .collect();
        if covered.is_empty() {
            continue;
        }
        let key = format!("exceptions[{i}] ({})", e.origin);
        if !e.ids.is_empty() {
            out.gap(
                Engine::Kyverno,
                key,
                "an exception for finding IDs (`ids`) cannot name what it excepts in a Kyverno policy; it is not exported",
            );
            continue;
        }
        let mut conditions = Vec::new();
        if let Some(glob) = &e.subject {
            let Some(re) = glob_regex(glob) else {
                out.gap(
                    Engine::Kyverno,
                    key,
                    format!(
                        "the subject glob `{glob}` uses more than `*` and `?`; it is not exported"
                    ),
                );
                continue;
            };
            conditions.push(json!({
                "name": "gate-subject",
                "expression": format!(
                    "(object.kind + '/' + (has(object.metadata.namespace) ? object.metadata.namespace : 'default') + '/' + object.metadata.name).matches('{}')",
                    re.replace('\\', "\\\\").replace('\'', "\\'")
                ),
            }));
        }
        let rules: Vec<String> = covered.iter().map(|n| n.rule.clone()).collect();
        let mut spec = json!({
            "policyRefs": covered.iter().map(|n| json!({"name": n.name, "kind": n.kind})).collect::<Vec<_>>(),
            "properties": {"reason": e.reason, "origin": e.origin},
        });
        if let Some(owner) = &e.owner {
            spec["properties"]["owner"] = json!(owner);
        }
        if let Some(next) = e.expires.and_then(|day| day.succ_opt()) {
            // gate applies an exception through its `expires` day (UTC); Kyverno until
            // `expiresAt`. The Kyverno CLI (1.19.1) ignores `expiresAt` (only the in-cluster
            // exception lister filters on it), so the expiry is also a match condition on CEL's
            // clock, which every Kyverno evaluator has.
            let at = format!("{next}T00:00:00Z");
            conditions.push(json!({
                "name": "gate-expires",
                "expression": format!("time.now() < timestamp('{at}')"),
            }));
            spec["expiresAt"] = json!(at);
        }
        if !conditions.is_empty() {
            spec["matchConditions"] = Value::Array(conditions);
        }
        let mut metadata = cx.metadata(&format!("gate-exception-{i}"), &rules);
        metadata["annotations"]["gate.dev/exception-origin"] = json!(e.origin);
        out.push(
            Engine::KyvernoExceptions,
            rules,
            json!({
                "apiVersion": API_VERSION,
                "kind": "PolicyException",
                "metadata": metadata,
                "spec": spec,
            }),
        );
    }
}

/// The deprecated `ClusterPolicy` with Kyverno's built-in Pod Security rule (Kyverno < 1.17).
fn cluster_policy(cx: &Cx<'_>, out: &mut Export) {
    let rules: Vec<String> = crate::lint::pss::checks::ALL
        .iter()
        .map(|c| c.rule.id.to_string())
        .collect();
    let rules = vec![format!("{}..{}", rules[0], rules[rules.len() - 1])];
    out.push(
        Engine::Kyverno,
        rules.clone(),
        json!({
            "apiVersion": "kyverno.io/v1",
            "kind": "ClusterPolicy",
            "metadata": cx.metadata("gate-pod-security", &rules),
            "spec": {
                "validationFailureAction": "Enforce",
                "background": true,
                "rules": [{
                    "name": "pod-security",
                    "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                    "validate": {"podSecurity": {"level": cx.level.to_string(), "version": cx.version.to_string()}},
                }],
            },
        }),
    );
}
