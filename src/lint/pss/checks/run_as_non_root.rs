//! PSS restricted `runAsNonRoot`: the pod or every container sets `runAsNonRoot: true`, and none
//! sets it to false. From policy v1.35 pods in a user namespace are exempt.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, flag, Flag, PodView};
use crate::lint::pss::{Check, Level, Violation};

pub const RULE: Rule = Rule {
    id: "GATE-PSS-015",
    name: "missing-run-as-non-root",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Pod may run containers as root",
    explain: r#"## What it checks
Pod Security Standards, restricted: `securityContext.runAsNonRoot` must be `true` on the pod (then
containers may leave it unset) or on every container, and no container may set it to `false`.
From policy v1.35 a pod with `hostUsers: false` is exempt.

## Why it matters
"Containers must be required to run as non-root users." (Kubernetes, Pod Security Standards). With
`runAsNonRoot: true` the kubelet refuses to start a container whose user is root, whatever the
image says.

## How to fix
Failing:
```yaml
spec:
  containers:
  - name: app
    image: registry.example/app:1.0
```
Fixed:
```yaml
spec:
  securityContext:
    runAsNonRoot: true
  containers:
  - name: app
    image: registry.example/app:1.0
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
"#,
};

pub const CHECK: Check = Check {
    id: "runAsNonRoot",
    rule: &RULE,
    level: Level::Restricted,
    since: 0,
    overrides: &[],
    run,
};

fn run(pod: &PodView<'_>, minor: u32, out: &mut Vec<Violation>) {
    if minor >= 35 && pod.in_user_namespace() {
        return;
    }
    let pod_sc = pod.security_context();
    let pod_node = field(pod_sc, "runAsNonRoot");
    let pod_flag = flag(pod_node);
    let mut explicit = false;
    if let (Flag::False | Flag::Invalid, Some(n)) = (pod_flag, pod_node) {
        explicit = true;
        out.push(Violation::new(
            &RULE,
            pod.path("securityContext.runAsNonRoot"),
            n,
            "Pod must not set `securityContext.runAsNonRoot=false`".to_string(),
        ));
    }
    let mut implicit = Vec::new();
    for c in pod.containers() {
        match flag(c.sc_field("runAsNonRoot")) {
            Flag::True => {}
            Flag::Unset if pod_flag == Flag::True => {}
            Flag::Unset => implicit.push(c),
            Flag::False | Flag::Invalid => {
                explicit = true;
                out.push(Violation::new(
                    &RULE,
                    c.field_path("securityContext.runAsNonRoot"),
                    c.sc_anchor("runAsNonRoot"),
                    format!(
                        "Container `{}` must not set `securityContext.runAsNonRoot=false`",
                        c.name()
                    ),
                ));
            }
        }
    }
    if explicit {
        return;
    }
    for c in implicit {
        out.push(Violation::new(
            &RULE,
            c.field_path("securityContext.runAsNonRoot"),
            c.sc_anchor("runAsNonRoot"),
            format!(
                "Pod or container `{}` must set `securityContext.runAsNonRoot=true`",
                c.name()
            ),
        ));
    }
}
