//! `cluster-admin-binding`: a ClusterRoleBinding or RoleBinding that gives `cluster-admin`, or
//! any ClusterRole with wildcards, to a subject that is not part of the system. The groups that
//! mean "everybody" (`system:anonymous`, `system:unauthenticated`, `system:authenticated`, all
//! service accounts) are not system subjects.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, items};
use crate::lint::{Context, Hit};
use crate::yaml::Node;

pub const RULE: Rule = Rule {
    id: "GATE-K8S-011",
    name: "cluster-admin-binding",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Binding grants cluster-admin or a wildcard ClusterRole to a non-system subject",
    explain: r#"## What it checks
Every `ClusterRoleBinding` and `RoleBinding` whose `roleRef` is the ClusterRole `cluster-admin`,
or a ClusterRole of the same run that grants `*`: each subject must be a system component
(`system:*` users and groups such as `system:kube-controller-manager` or `system:masters`, service
accounts of `kube-system`). A RoleBinding to `cluster-admin` is full control of its namespace,
Secrets included. The groups that stand for everybody are never system subjects and are always
reported: `system:anonymous`, `system:unauthenticated`, `system:authenticated`,
`system:serviceaccounts` and `system:serviceaccounts:<namespace>`.

## Why it matters
"The cluster-admin role … allows super-user access to perform any action on any resource. When
used in a ClusterRoleBinding, it gives full control over every resource in the cluster and in all
namespaces." and "Avoid adding users to the system:masters group"; "Ideally, minimal RBAC rights
should be assigned to users and service accounts." (Kubernetes, Using RBAC Authorization and RBAC
Good Practices)

## How to fix
Failing:
```yaml
kind: ClusterRoleBinding
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: ServiceAccount, name: ci, namespace: tools}
```
Fixed: bind a narrow role in the namespace that needs it:
```yaml
kind: RoleBinding
metadata: {name: ci-deployer, namespace: apps}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects:
- {kind: ServiceAccount, name: ci, namespace: tools}
```

## References
- https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles
- https://kubernetes.io/docs/concepts/security/rbac-good-practices/
"#,
};

/// `system:` names that stand for every user, every caller or every service account.
fn is_everybody(name: &str) -> bool {
    matches!(
        name,
        "system:anonymous"
            | "system:unauthenticated"
            | "system:authenticated"
            | "system:serviceaccounts"
    ) || name.starts_with("system:serviceaccounts:")
}

fn is_system(subject: &Node) -> bool {
    let name = subject.get_str("name").unwrap_or("");
    (name.starts_with("system:") && !is_everybody(name))
        || (subject.get_str("kind") == Some("ServiceAccount")
            && subject.get_str("namespace") == Some("kube-system"))
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    let bindings = cx
        .of_kind("ClusterRoleBinding")
        .chain(cx.of_kind("RoleBinding"))
        .filter(|(_, o)| o.group() == "rbac.authorization.k8s.io");
    for (i, o) in bindings {
        let role_ref = field(Some(o.node), "roleRef");
        if field(role_ref, "kind").and_then(Node::as_str) != Some("ClusterRole") {
            continue;
        }
        let role = field(role_ref, "name").and_then(Node::as_str).unwrap_or("");
        if role != "cluster-admin" && !cx.facts.wildcard_cluster_roles.contains(role) {
            continue;
        }
        for s in items(Some(o.node), "subjects")
            .iter()
            .filter(|s| !is_system(s))
        {
            out.push(cx.hit(
                &RULE,
                i,
                s,
                format!(
                    "{} `{}` grants `{role}`{} to {} `{}`",
                    o.kind,
                    o.name,
                    if o.kind == "RoleBinding" {
                        format!(" in namespace `{}`", o.ns())
                    } else {
                        String::new()
                    },
                    s.get_str("kind").unwrap_or("subject"),
                    s.get_str("name").unwrap_or("")
                ),
            ));
        }
    }
}
