//! The Pod Security checks gate runs, as CEL over a Pod (`object`), at a policy version: what the
//! exported Kyverno `ValidatingPolicy`s evaluate. Kyverno's `policies.kyverno.io` kinds have no
//! `podSecurity` shorthand (only the deprecated `ClusterPolicy` has), so each check is spelled out
//! here with the same version semantics as `crate::lint::pss::checks`; the checks not listed are
//! gaps (enforced by the exported Pod Security Admission labels instead) and the agreement tests
//! (`tests/it/export_agreement.rs`) hold these expressions to gate's verdicts on one corpus.

use crate::lint::pss::Level;

/// Every container of the pod, in the variable `containers`.
pub const CONTAINERS: &str = "object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers : []) + (has(object.spec.ephemeralContainers) ? object.spec.ephemeralContainers : [])";
/// `spec.os.name` is `windows`, in the variable `windows`.
pub const WINDOWS: &str =
    "has(object.spec.os) && has(object.spec.os.name) && object.spec.os.name == 'windows'";

/// One check as CEL.
pub struct CelCheck {
    /// The gate rule (`GATE-PSS-001`).
    pub rule: &'static str,
    pub name: &'static str,
    pub level: Level,
    /// First policy minor version it applies to.
    pub since: u32,
    pub message: &'static str,
    /// The expression at policy minor version `minor`: true admits the pod.
    pub expression: fn(u32) -> String,
}

/// `prefix` (an exemption) before `body` from `minor` on.
fn exempt(minor: u32, from: u32, prefix: &str, body: &str) -> String {
    if minor >= from {
        format!("{prefix} || ({body})")
    } else {
        body.to_string()
    }
}

const ALLOWED_SECCOMP: &str = "['RuntimeDefault', 'Localhost']";

pub static CHECKS: &[CelCheck] = &[
    CelCheck {
        rule: "GATE-PSS-001",
        name: "host-namespaces",
        level: Level::Baseline,
        since: 0,
        message: "Pod must not set hostNetwork, hostPID or hostIPC to true",
        expression: |_| {
            ["hostNetwork", "hostPID", "hostIPC"]
                .iter()
                .map(|k| format!("!(has(object.spec.{k}) && object.spec.{k})"))
                .collect::<Vec<_>>()
                .join(" && ")
        },
    },
    CelCheck {
        rule: "GATE-PSS-002",
        name: "privileged-container",
        level: Level::Baseline,
        since: 0,
        message: "Containers must not set securityContext.privileged=true",
        expression: |_| {
            "variables.containers.all(c, !(has(c.securityContext) && has(c.securityContext.privileged) && c.securityContext.privileged))".to_string()
        },
    },
    CelCheck {
        rule: "GATE-PSS-004",
        name: "hostpath-volume",
        level: Level::Baseline,
        since: 0,
        message: "Volumes must not be hostPath volumes",
        expression: |_| "!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))".to_string(),
    },
    CelCheck {
        rule: "GATE-PSS-005",
        name: "host-port",
        level: Level::Baseline,
        since: 0,
        message: "Containers must not use host ports",
        expression: |_| {
            "variables.containers.all(c, !has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0))".to_string()
        },
    },
    CelCheck {
        rule: "GATE-PSS-014",
        name: "privilege-escalation-allowed",
        level: Level::Restricted,
        since: 8,
        message: "Containers must set securityContext.allowPrivilegeEscalation=false",
        expression: |minor| {
            exempt(minor, 25, "variables.windows", "variables.containers.all(c, has(c.securityContext) && has(c.securityContext.allowPrivilegeEscalation) && c.securityContext.allowPrivilegeEscalation == false)")
        },
    },
    CelCheck {
        rule: "GATE-PSS-015",
        name: "missing-run-as-non-root",
        level: Level::Restricted,
        since: 0,
        message: "Pod or containers must set securityContext.runAsNonRoot=true",
        expression: |minor| {
            let pod_true = "has(object.spec.securityContext) && has(object.spec.securityContext.runAsNonRoot) && object.spec.securityContext.runAsNonRoot == true";
            let body = format!(
                "!(has(object.spec.securityContext) && has(object.spec.securityContext.runAsNonRoot) && object.spec.securityContext.runAsNonRoot == false) && variables.containers.all(c, has(c.securityContext) && has(c.securityContext.runAsNonRoot) ? c.securityContext.runAsNonRoot == true : ({pod_true}))"
            );
            exempt(minor, 35, "(has(object.spec.hostUsers) && object.spec.hostUsers == false)", &body)
        },
    },
    CelCheck {
        rule: "GATE-PSS-017",
        name: "missing-seccomp-profile",
        level: Level::Restricted,
        since: 19,
        message: "Pod or containers must set securityContext.seccompProfile.type to RuntimeDefault or Localhost",
        expression: |minor| {
            let pod = "has(object.spec.securityContext) && has(object.spec.securityContext.seccompProfile)";
            let body = format!(
                "(!({pod}) || (has(object.spec.securityContext.seccompProfile.type) && object.spec.securityContext.seccompProfile.type in {ALLOWED_SECCOMP})) && variables.containers.all(c, !(has(c.securityContext) && has(c.securityContext.seccompProfile)) || (has(c.securityContext.seccompProfile.type) && c.securityContext.seccompProfile.type in {ALLOWED_SECCOMP})) && (({pod}) || variables.containers.all(c, has(c.securityContext) && has(c.securityContext.seccompProfile)))"
            );
            exempt(minor, 25, "variables.windows", &body)
        },
    },
    CelCheck {
        rule: "GATE-PSS-018",
        name: "capabilities-not-dropped",
        level: Level::Restricted,
        since: 22,
        message: "Containers must drop ALL capabilities and add only NET_BIND_SERVICE",
        expression: |minor| {
            exempt(minor, 25, "variables.windows", "variables.containers.all(c, has(c.securityContext) && has(c.securityContext.capabilities) && has(c.securityContext.capabilities.drop) && 'ALL' in c.securityContext.capabilities.drop && (!has(c.securityContext.capabilities.add) || c.securityContext.capabilities.add.all(a, a == 'NET_BIND_SERVICE')))")
        },
    },
];

/// The checks that apply at `level` and policy minor version `minor`.
pub fn applicable(level: Level, minor: u32) -> impl Iterator<Item = &'static CelCheck> {
    CHECKS.iter().filter(move |c| {
        level != Level::Privileged
            && c.since <= minor
            && (c.level == Level::Baseline || level == Level::Restricted)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cel_check_is_a_gate_pss_check_of_the_same_level_and_version() {
        for c in CHECKS {
            let gate = crate::lint::pss::checks::ALL
                .iter()
                .find(|g| g.rule.id == c.rule)
                .unwrap_or_else(|| panic!("{} is not a Pod Security check", c.rule));
            assert_eq!(gate.rule.name, c.name);
            assert_eq!(gate.level, c.level, "{}", c.rule);
            assert_eq!(gate.since, c.since, "{}", c.rule);
        }
    }
}
