//! `rbac-secrets-read`: role grants read access to Secrets.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::rules::rbac;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-014",
    name: "rbac-secrets-read",
    severity: Severity::Warning,
    section: crate::finding::Section::Rules,
    summary: "Role grants read access to Secrets",
    explain: r#"## What it checks
Every `rules[*]` of a `Role` or `ClusterRole` in the core API group: no `get`, `list` or `watch`
on `secrets`. A `get` narrowed by `resourceNames` to named Secrets is allowed; `list` and `watch`
return every Secret whatever `resourceNames` say.

## Why it matters
"It is important to note that `list` and `watch` access also effectively allow users to read
Secret contents." and "Granting get access to Secrets allows a user to read their contents."
Secrets hold service account tokens and credentials: reading them is a step to every privilege
they carry. (Kubernetes, RBAC Good Practices)

## How to fix
Failing:
```yaml
kind: Role
rules:
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch"]
```
Fixed: grant what the subject needs and nothing that leads further:
```yaml
kind: Role
rules:
- apiGroups: [""]
  resources: ["secrets"]
  resourceNames: ["app-config"]
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
            resources: &["secrets"],
            verbs: &["get", "list", "watch"],
            narrowed: true,
            what: "reads every Secret of its scope, including service account tokens",
        },
    );
}
