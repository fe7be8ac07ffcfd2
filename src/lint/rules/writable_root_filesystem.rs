//! `writable-root-filesystem`: a container whose root file system is writable.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{flag, Flag};
use crate::lint::rules::pods;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-062",
    name: "writable-root-filesystem",
    severity: Severity::Warning,
    section: crate::finding::Section::Rules,
    summary: "Container root file system is writable",
    explain: r#"## What it checks
Every container and init container of a Linux pod: `securityContext.readOnlyRootFilesystem` is
`true`.

## Why it matters
`readOnlyRootFilesystem` "mounts the container's root filesystem as read-only" (Kubernetes,
Configure a Security Context). An attacker who gets code execution cannot then drop tools or
change binaries in the image; the application writes only to the volumes it declares.

## How to fix
Failing:
```yaml
securityContext:
  allowPrivilegeEscalation: false
```
Fixed (mount an `emptyDir` where the app needs to write):
```yaml
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
volumeMounts:
- {name: tmp, mountPath: /tmp}
```

## References
- https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
- https://kubernetes.io/docs/concepts/security/security-checklist/#pod-security
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, _, pod) in pods(cx) {
        if pod.is_windows() {
            continue;
        }
        for c in pod.containers().filter(|c| c.list != "ephemeralContainers") {
            if flag(c.sc_field("readOnlyRootFilesystem")) == Flag::True {
                continue;
            }
            out.push(
                cx.hit(
                    &RULE,
                    i,
                    c.sc_anchor("readOnlyRootFilesystem"),
                    format!(
                        "Container `{}` must set `{}=true`",
                        c.name(),
                        c.field_path("securityContext.readOnlyRootFilesystem")
                    ),
                )
                .in_container(&c),
            );
        }
    }
}
