//! Pod Security Admission: the policy's level and version as the namespace labels admission reads
//! (`enforce`, `warn` and `audit`, each with its `-version`), on a `Namespace` object per
//! `--namespace`. These are the same level and version gate lints pods at
//! ([`crate::lint::LintConfig`]), and what GATE-K8S-041/043 hold a namespace in the change to.

use super::{Cx, Engine, Export};
use serde_json::{json, Map, Value};

/// The label prefix of Pod Security Admission.
pub const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";

/// The six labels for the policy's level and version.
pub fn labels(
    level: crate::lint::pss::Level,
    version: crate::lint::pss::Version,
) -> Map<String, Value> {
    let mut m = Map::new();
    for mode in ["enforce", "warn", "audit"] {
        m.insert(format!("{LABEL_PREFIX}{mode}"), json!(level.to_string()));
        m.insert(
            format!("{LABEL_PREFIX}{mode}-version"),
            json!(version.to_string()),
        );
    }
    m
}

pub(super) fn export(cx: &Cx<'_>, out: &mut Export) {
    let rules = vec!["GATE-K8S-041".to_string(), "GATE-K8S-043".to_string()];
    if cx.cfg.namespaces.is_empty() {
        out.gap(
            Engine::PodSecurityAdmission,
            "GATE-PSS-*",
            "no `--namespace` given: label each namespace with the labels `gate export --namespace NAME` writes",
        );
    }
    for (i, e) in cx.policy.exceptions.iter().enumerate() {
        let pss = e.rules.is_empty()
            || e.rules.iter().any(|r| {
                crate::lint::pss::checks::ALL
                    .iter()
                    .any(|c| r.eq_ignore_ascii_case(c.rule.id) || *r == c.rule.name)
            });
        if pss {
            out.gap(
                Engine::PodSecurityAdmission,
                format!("exceptions[{i}] ({})", e.origin),
                "Pod Security Admission exempts only whole namespaces, users or runtime classes (cluster configuration), not one object: the Kyverno policies carry this exception",
            );
        }
    }
    for ns in &cx.cfg.namespaces {
        let mut metadata = cx.metadata(ns, &rules);
        let mut l = labels(cx.level, cx.version);
        l.insert("app.kubernetes.io/managed-by".into(), json!("gate"));
        metadata["labels"] = Value::Object(l);
        out.push(
            Engine::PodSecurityAdmission,
            rules.clone(),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}),
        );
    }
}
