//! `ValidatingAdmissionPolicy` (`admissionregistration.k8s.io/v1`) with a binding, one pair per
//! lint rule that CEL over a single Pod can express. The other lint rules are gaps, each with why:
//! admission sees one object at a time (rules about the rest of the change), the Pod Security
//! checks belong to Pod Security Admission, and the secret detectors need more than CEL's regular
//! expressions.

use super::pss_cel::CONTAINERS;
use super::{Cx, Engine, Export};
use serde_json::json;

/// Containers without ephemeral ones (the resource and root-filesystem rules skip those).
const RUNNING: &str =
    "object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers : [])";

struct VapRule {
    rule: &'static str,
    name: &'static str,
    message: &'static str,
    expression: String,
}

fn rules() -> Vec<VapRule> {
    let resource = |rule, name, kind: &str, res: &str, message| {
        VapRule {
        rule,
        name,
        message,
        expression: format!(
            "variables.running.all(c, has(c.resources) && has(c.resources.{kind}) && '{res}' in c.resources.{kind})"
        ),
    }
    };
    vec![
        VapRule {
            rule: "GATE-IMG-001",
            name: "unpinned-image",
            message: "Container images must be referenced by digest",
            expression: "variables.containers.all(c, c.image.contains('@sha256:'))".into(),
        },
        VapRule {
            rule: "GATE-K8S-060",
            name: "image-latest-tag",
            message: "Container images must not use the `latest` tag or no tag",
            expression: "variables.containers.all(c, c.image.contains('@') || (c.image.substring(c.image.lastIndexOf('/') + 1).contains(':') && !c.image.endsWith(':latest')))".into(),
        },
        resource("GATE-K8S-061", "missing-memory-limit", "limits", "memory", "Containers must set resources.limits.memory"),
        VapRule {
            rule: "GATE-K8S-062",
            name: "writable-root-filesystem",
            message: "Containers must set securityContext.readOnlyRootFilesystem=true",
            expression: "(has(object.spec.os) && has(object.spec.os.name) && object.spec.os.name == 'windows') || variables.running.all(c, has(c.securityContext) && has(c.securityContext.readOnlyRootFilesystem) && c.securityContext.readOnlyRootFilesystem == true)".into(),
        },
        resource("GATE-K8S-063", "missing-memory-request", "requests", "memory", "Containers must set resources.requests.memory"),
        resource("GATE-K8S-064", "missing-cpu-limit", "limits", "cpu", "Containers must set resources.limits.cpu"),
        resource("GATE-K8S-065", "missing-cpu-request", "requests", "cpu", "Containers must set resources.requests.cpu"),
    ]
}

/// Why a lint rule is not a `ValidatingAdmissionPolicy`.
fn why_not(id: &str) -> &'static str {
    match id {
        "GATE-K8S-012" | "GATE-K8S-020" | "GATE-K8S-022" | "GATE-K8S-030" | "GATE-K8S-031"
        | "GATE-K8S-032" | "GATE-K8S-033" | "GATE-K8S-034" | "GATE-K8S-040" | "GATE-K8S-041"
        | "GATE-K8S-043" => {
            "it judges an object against the rest of the change (other objects), and admission sees one object at a time"
        }
        "GATE-K8S-050" | "GATE-K8S-051" | "GATE-K8S-052" => {
            "secret detection uses entropy and provider patterns that CEL cannot compute"
        }
        "GATE-LINT-001" | "GATE-LINT-002" | "GATE-K8S-042" => {
            "it is about gate's own exceptions and annotations, not about what admission admits"
        }
        id if crate::lint::pss::checks::RULES.iter().any(|r| r.id == id) => {
            "Pod Security is enforced by the exported Pod Security Admission labels and Kyverno policies"
        }
        _ => "not written in CEL by this export",
    }
}

pub(super) fn export(cx: &Cx<'_>, out: &mut Export) {
    let exported = rules();
    for r in crate::lint::RULES {
        if !exported.iter().any(|v| v.rule == r.id) {
            out.gap(Engine::ValidatingAdmissionPolicy, r.id, why_not(r.id));
        }
    }
    for r in exported {
        let name = super::kyverno::policy_name(r.rule, r.name);
        let rules = vec![r.rule.to_string()];
        out.push(
            Engine::ValidatingAdmissionPolicy,
            rules.clone(),
            json!({
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "ValidatingAdmissionPolicy",
                "metadata": cx.metadata(&name, &rules),
                "spec": {
                    "failurePolicy": "Fail",
                    "matchConstraints": {"resourceRules": [{
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["pods"],
                    }]},
                    "variables": [
                        {"name": "containers", "expression": CONTAINERS},
                        {"name": "running", "expression": RUNNING},
                    ],
                    "validations": [{
                        "expression": r.expression,
                        "message": format!("{} (gate {})", r.message, r.rule),
                    }],
                },
            }),
        );
        out.push(
            Engine::ValidatingAdmissionPolicy,
            rules.clone(),
            json!({
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "ValidatingAdmissionPolicyBinding",
                "metadata": cx.metadata(&name, &rules),
                "spec": {"policyName": name, "validationActions": ["Deny"]},
            }),
        );
    }
}
