//! `rbac-pod-exec`: role grants exec, attach or port-forward into pods.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::rules::rbac;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-013",
    name: "rbac-pod-exec",
    severity: Severity::Warning,
    section: crate::finding::Section::Rules,
    summary: "Role grants exec, attach or port-forward into pods",
    explain: r#"## What it checks
Every `rules[*]` of a `Role` or `ClusterRole` in the core API group: no `create` or `get` (the
verbs the API server checks for these subresources) on `pods/exec`, `pods/attach` or
`pods/portforward`.

## Why it matters
"Users with the ability to run `exec`, `attach` or `portforward` on Pods can run commands in
those Pods … and access Secrets and other sensitive data the Pods can reach." Admission
controllers do not see what an exec session does. (Kubernetes, RBAC Good Practices: Escalation
paths)

## How to fix
Failing:
```yaml
kind: Role
rules:
- apiGroups: [""]
  resources: ["pods/exec"]
  verbs: ["create"]
```
Fixed: grant what the subject needs and nothing that leads further:
```yaml
kind: Role
rules:
- apiGroups: [""]
  resources: ["pods", "pods/log"]
  verbs: ["get", "list"]
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
            resources: &["pods/exec", "pods/attach", "pods/portforward"],
            verbs: &["create", "get"],
            narrowed: false,
            what: "a shell or a tunnel into every pod of its scope",
        },
    );
}
