//! `anonymous-binding` and `authenticated-binding`: a RoleBinding or ClusterRoleBinding that
//! grants any role to the subjects that stand for callers nobody authenticated
//! (`system:anonymous`, `system:unauthenticated`: an error), or to every authenticated caller
//! (`system:authenticated`: a warning). Whatever the role, `view` included.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, items};
use crate::lint::{Context, Hit};
use crate::yaml::Node;

pub const RULE: Rule = Rule {
    id: "GATE-K8S-018",
    name: "anonymous-binding",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Role binding grants a role to unauthenticated callers",
    explain: r#"## What it checks
Every `subjects[*]` of a `RoleBinding` or `ClusterRoleBinding` (`rbac.authorization.k8s.io`),
whatever role it binds (the built-in `view` too): no `User` `system:anonymous` and no `Group`
`system:unauthenticated`. Those two subjects are every request that carries no credential.
Granting to every *authenticated* caller (`Group` `system:authenticated`) is
GATE-K8S-018's sibling GATE-K8S-019 (a warning).

## Why it matters
"Requests that are not rejected by other configured authentication methods are treated as
anonymous requests, and given a username of `system:anonymous` and a group of
`system:unauthenticated`." A binding to them gives the role to anyone who can reach the API
server. The RBAC good practices ask that "minimal RBAC rights should be assigned to users and
service accounts", and the CIS Kubernetes Benchmark (5.1) asks to avoid bindings to these
groups; kubesec reports them too.

## How to fix
Failing:
```yaml
kind: RoleBinding
metadata: {name: public-view, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:unauthenticated}
```
Fixed: bind the role to the callers that need it:
```yaml
kind: RoleBinding
metadata: {name: dashboard-view, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: ServiceAccount, name: dashboard, namespace: monitoring}
```

## References
- https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests
- https://kubernetes.io/docs/concepts/security/rbac-good-practices/
"#,
};

pub const AUTHENTICATED: Rule = Rule {
    id: "GATE-K8S-019",
    name: "authenticated-binding",
    severity: Severity::Warning,
    section: crate::finding::Section::Rules,
    summary: "Role binding grants a role to every authenticated caller",
    explain: r#"## What it checks
Every `subjects[*]` of a `RoleBinding` or `ClusterRoleBinding` (`rbac.authorization.k8s.io`),
whatever role it binds: no `Group` `system:authenticated`. (Bindings to unauthenticated
callers are GATE-K8S-018, an error.)

## Why it matters
Every user and every ServiceAccount token of every namespace is in `system:authenticated`
("All authenticated users are added to the `system:authenticated` group"), and with some
identity providers that is anyone with an account at the provider. A role bound to it is
granted cluster-wide to every workload and person; the RBAC good practices ask that "minimal
RBAC rights should be assigned to users and service accounts".

## How to fix
Failing:
```yaml
kind: ClusterRoleBinding
metadata: {name: all-view}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:authenticated}
```
Fixed: bind the role to a group of the people who need it:
```yaml
kind: ClusterRoleBinding
metadata: {name: sre-view}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: acme:sre}
```

## References
- https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-subjects
- https://kubernetes.io/docs/concepts/security/rbac-good-practices/
"#,
};

/// The rule a subject falls under, if any: the API server names anonymous requests
/// `User system:anonymous` in `Group system:unauthenticated`, and every authenticated one is in
/// `Group system:authenticated`.
fn rule_for(subject: &Node) -> Option<&'static Rule> {
    match (subject.get_str("kind")?, subject.get_str("name")?) {
        ("User", "system:anonymous") | ("Group", "system:unauthenticated") => Some(&RULE),
        ("Group", "system:authenticated") => Some(&AUTHENTICATED),
        _ => None,
    }
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    let bindings = cx
        .of_kind("ClusterRoleBinding")
        .chain(cx.of_kind("RoleBinding"))
        .filter(|(_, o)| o.group() == "rbac.authorization.k8s.io");
    for (i, o) in bindings {
        let role_ref = field(Some(o.node), "roleRef");
        let role = format!(
            "{} `{}`",
            field(role_ref, "kind")
                .and_then(Node::as_str)
                .unwrap_or("role"),
            field(role_ref, "name").and_then(Node::as_str).unwrap_or("")
        );
        for s in items(Some(o.node), "subjects") {
            let Some(rule) = rule_for(s) else { continue };
            let whom = if std::ptr::eq(rule, &AUTHENTICATED) {
                "every authenticated caller"
            } else {
                "callers nobody authenticated"
            };
            out.push(cx.hit(
                rule,
                i,
                s,
                format!(
                    "{} `{}` grants {role} to {} `{}` ({whom})",
                    o.kind,
                    o.name,
                    s.get_str("kind").unwrap_or(""),
                    s.get_str("name").unwrap_or("")
                ),
            ));
        }
    }
}
