//! `rbac-wildcard`: a Role or ClusterRole that grants `*` verbs, resources or API groups.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::items;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-010",
    name: "rbac-wildcard",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Role grants `*` verbs, resources or API groups",
    explain: r#"## What it checks
Every `rules[*]` entry of a `Role` or `ClusterRole`: no `*` in `verbs`, `resources` or `apiGroups`.

## Why it matters
"Assign permissions at the namespace level where possible … avoid providing wildcard permissions
when possible, especially to all resources. As Kubernetes is an extensible system, providing
wildcard access gives rights not just to all object types that currently exist in the cluster,
but also to all object types which are created in the future." (Kubernetes, Role Based Access
Control Good Practices)

## How to fix
Failing:
```yaml
kind: Role
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
```
Fixed:
```yaml
kind: Role
rules:
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch"]
```

## References
- https://kubernetes.io/docs/concepts/security/rbac-good-practices/
- https://kubernetes.io/docs/reference/access-authn-authz/rbac/
"#,
};

/// Is `kind` an RBAC role of the `rbac.authorization.k8s.io` group?
pub fn is_role(o: &crate::lint::object::Object<'_>) -> bool {
    matches!(o.kind, "Role" | "ClusterRole") && o.group() == "rbac.authorization.k8s.io"
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, o) in cx.iter().filter(|(_, o)| is_role(o)) {
        for (r, rule) in items(Some(o.node), "rules").iter().enumerate() {
            for key in ["verbs", "resources", "apiGroups"] {
                for v in items(Some(rule), key) {
                    if v.as_str().is_some_and(|s| s.contains('*')) {
                        out.push(cx.hit(
                            &RULE,
                            i,
                            v,
                            format!(
                                "`rules[{r}].{key}` grants `{}` in {} `{}`",
                                v.as_str().unwrap_or("*"),
                                o.kind,
                                o.name
                            ),
                        ));
                    }
                }
            }
        }
    }
}

/// Does the role grant wildcard verbs or resources anywhere?
pub fn has_wildcard(o: &crate::lint::object::Object<'_>) -> bool {
    items(Some(o.node), "rules").iter().any(|rule| {
        ["verbs", "resources", "apiGroups"].iter().any(|k| {
            items(Some(rule), k)
                .iter()
                .any(|v| v.as_str().is_some_and(|s| s.contains('*')))
        })
    })
}
