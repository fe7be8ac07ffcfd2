//! `default-service-account-binding`: a RoleBinding or ClusterRoleBinding that grants a role to
//! a namespace's `default` ServiceAccount.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::items;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-012",
    name: "default-service-account-binding",
    severity: Severity::Warning,
    section: crate::finding::Section::Rules,
    summary: "Role binding grants permissions to a `default` ServiceAccount",
    explain: r#"## What it checks
Every `subjects[*]` of a `RoleBinding` or `ClusterRoleBinding`: no ServiceAccount named `default`.

## Why it matters
Every namespace has a `default` ServiceAccount, and every pod that names no other one runs as it
(Kubernetes, Service Accounts). Rights granted to it are granted to all of those pods; the RBAC
good practices ask that "minimal RBAC rights should be assigned to users and service accounts",
so a workload that needs rights gets a ServiceAccount of its own.

## How to fix
Failing:
```yaml
subjects:
- {kind: ServiceAccount, name: default, namespace: apps}
```
Fixed:
```yaml
subjects:
- {kind: ServiceAccount, name: reporter, namespace: apps}
```

## References
- https://kubernetes.io/docs/concepts/security/service-accounts/#default-service-accounts
- https://kubernetes.io/docs/concepts/security/rbac-good-practices/
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    let bindings = cx
        .iter()
        .filter(|(_, o)| matches!(o.kind, "RoleBinding" | "ClusterRoleBinding"));
    for (i, o) in bindings {
        for s in items(Some(o.node), "subjects") {
            if s.get_str("kind") == Some("ServiceAccount") && s.get_str("name") == Some("default") {
                let ns = s.get_str("namespace").unwrap_or(o.ns());
                out.push(cx.hit(
                    &RULE,
                    i,
                    s,
                    format!(
                        "{} `{}` grants permissions to ServiceAccount `{ns}/default`",
                        o.kind, o.name
                    ),
                ));
            }
        }
    }
}
