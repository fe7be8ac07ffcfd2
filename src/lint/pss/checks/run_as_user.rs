//! PSS restricted `runAsUser` (policy v1.23+): no `runAsUser: 0`. From policy v1.35 pods in a user
//! namespace are exempt.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, int, PodView};
use crate::lint::pss::{Check, Level, Violation};
use crate::yaml::Node;

pub const RULE: Rule = Rule {
    id: "GATE-PSS-016",
    name: "run-as-root-user",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Pod or container sets runAsUser to 0",
    explain: r#"## What it checks
Pod Security Standards, restricted (policy v1.23 and later): `securityContext.runAsUser` of the pod
and of every container must be unset or non-zero. From policy v1.35 a pod with `hostUsers: false`
is exempt.

## Why it matters
"Containers must not set `runAsUser` to 0" (Kubernetes, Pod Security Standards): user 0 is root on
the node unless the pod runs in a user namespace.

## How to fix
Failing:
```yaml
securityContext:
  runAsUser: 0
```
Fixed:
```yaml
securityContext:
  runAsUser: 10001
  runAsNonRoot: true
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
"#,
};

pub const CHECK: Check = Check {
    id: "runAsUser",
    rule: &RULE,
    level: Level::Restricted,
    since: 23,
    overrides: &[],
    run,
};

fn is_root(sc: Option<&Node>) -> Option<&Node> {
    let n = field(sc, "runAsUser")?;
    matches!(int(Some(n)), Ok(Some(0)) | Err(_)).then_some(n)
}

fn run(pod: &PodView<'_>, minor: u32, out: &mut Vec<Violation>) {
    if minor >= 35 && pod.in_user_namespace() {
        return;
    }
    if let Some(n) = is_root(pod.security_context()) {
        out.push(Violation::new(
            &RULE,
            pod.path("securityContext.runAsUser"),
            n,
            "Pod must not set `securityContext.runAsUser=0`".to_string(),
        ));
    }
    for c in pod.containers() {
        if let Some(n) = is_root(c.security_context()) {
            out.push(Violation::new(
                &RULE,
                c.field_path("securityContext.runAsUser"),
                n,
                format!(
                    "Container `{}` must not set `securityContext.runAsUser=0`",
                    c.name()
                ),
            ));
        }
    }
}
