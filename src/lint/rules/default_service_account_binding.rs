//! `default-service-account-binding`: a RoleBinding or ClusterRoleBinding that grants a role to
//! a namespace's `default` ServiceAccount.

use crate::finding::Severity;
use crate::lint::pod::items;
use crate::lint::{Context, Hit};
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    id: "GATE-K8S-012",
    name: "default-service-account-binding",
    severity: Severity::Warning,
    summary: "Role binding grants permissions to a `default` ServiceAccount",
    explain: r#"## What it checks
Every `subjects[*]` of a `RoleBinding` or `ClusterRoleBinding`: no ServiceAccount named `default`.

## Why it matters
"Every namespace has a `default` service account … Granting permissions to the default service
account … grants them to every pod in the namespace that does not name another service account."
The RBAC good practices ask that workloads that need rights get a dedicated service account.
(Kubernetes, Service Accounts and RBAC Good Practices)

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
