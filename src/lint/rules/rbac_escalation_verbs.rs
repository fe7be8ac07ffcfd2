//! `rbac-escalation-verbs`: role grants the escalate, bind or impersonate verbs.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::rules::rbac;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-016",
    name: "rbac-escalation-verbs",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Role grants the escalate, bind or impersonate verbs",
    explain: r#"## What it checks
Every `rules[*]` of a `Role` or `ClusterRole`: no `escalate`, `bind` or `impersonate` verb (on
any resource; `*` verbs are `GATE-K8S-010`'s).

## Why it matters
"The escalate verb … allows users to bypass the privilege escalation prevention of RBAC"; "the
bind verb … allows users to create bindings to roles with rights they do not already have";
"The impersonate verb allows users to impersonate and gain the rights of other users in the
cluster." (Kubernetes, RBAC Good Practices: Escalation paths)

## How to fix
Failing:
```yaml
kind: Role
rules:
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["clusterroles"]
  verbs: ["bind", "escalate"]
```
Fixed: grant what the subject needs and nothing that leads further:
```yaml
kind: Role
rules:
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["clusterroles"]
  verbs: ["get", "list"]
```

## References
- https://kubernetes.io/docs/concepts/security/rbac-good-practices/
- https://kubernetes.io/docs/reference/access-authn-authz/rbac/
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, o, g) in rbac::grants(cx) {
        let granted: Vec<&str> = ["escalate", "bind", "impersonate"]
            .into_iter()
            .filter(|v| g.verbs.contains(v))
            .collect();
        if granted.is_empty() {
            continue;
        }
        out.push(cx.hit(
            &RULE,
            i,
            g.node,
            format!(
                "`rules[{}]` of {} `{}` grants {}: a path around RBAC's escalation checks",
                g.index,
                o.kind,
                o.name,
                crate::lint::pod::quoted(&granted)
            ),
        ));
    }
}
