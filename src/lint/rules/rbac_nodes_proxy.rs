//! `rbac-nodes-proxy`: role grants access to the nodes/proxy subresource.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::rules::rbac;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-017",
    name: "rbac-nodes-proxy",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Role grants access to the nodes/proxy subresource",
    explain: r#"## What it checks
Every `rules[*]` of a `Role` or `ClusterRole` in the core API group: no verb on `nodes/proxy`.

## Why it matters
"Users with access to the sub-resource `proxy` of node objects have rights to the Kubelet API,
which allows for command execution on every pod on the node(s) to which they have rights. This
access bypasses audit logging and admission control." (Kubernetes, RBAC Good Practices)

## How to fix
Failing:
```yaml
kind: Role
rules:
- apiGroups: [""]
  resources: ["nodes/proxy"]
  verbs: ["get"]
```
Fixed: grant what the subject needs and nothing that leads further:
```yaml
kind: Role
rules:
- apiGroups: [""]
  resources: ["nodes", "nodes/metrics"]
  verbs: ["get"]
```

## References
- https://kubernetes.io/docs/concepts/security/rbac-good-practices/
- https://kubernetes.io/docs/reference/access-authn-authz/rbac/
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    rbac::report(
        cx,
        out,
        &RULE,
        &rbac::Wanted {
            group: Some(""),
            resources: &["nodes/proxy"],
            verbs: &[
                "get", "create", "update", "patch", "delete", "list", "watch",
            ],
            narrowed: false,
            what:
                "talks to the kubelet API directly, bypassing audit logging and admission control",
        },
    );
}
