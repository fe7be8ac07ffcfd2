//! `rbac-workload-create`: role grants create on pods or workloads.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::rules::rbac;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-015",
    name: "rbac-workload-create",
    severity: Severity::Warning,
    section: crate::finding::Section::Rules,
    summary: "Role grants create on pods or workloads",
    explain: r#"## What it checks
Every `rules[*]` of a `Role` or `ClusterRole`: no `create` on `pods` or on the workloads that
create pods (`deployments`, `daemonsets`, `statefulsets`, `replicasets`, `jobs`, `cronjobs`,
`replicationcontrollers`).

## Why it matters
"Users with the ability to create workloads in a namespace … have implicit access to many other
resources in that namespace, such as Secrets, ConfigMaps, and PersistentVolumes that can be
mounted in Pods" and they can run as any ServiceAccount of the namespace. (Kubernetes, RBAC Good
Practices: Workload creation) Grant it to deployment pipelines only, in the namespaces they
deploy, with Pod Security enforced there.

## How to fix
Failing:
```yaml
kind: Role
rules:
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["create", "update", "patch"]
```
Fixed: grant what the subject needs and nothing that leads further:
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

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    rbac::report(
        cx,
        out,
        &RULE,
        &rbac::Wanted {
            group: None,
            resources: &[
                "pods",
                "deployments",
                "daemonsets",
                "statefulsets",
                "replicasets",
                "jobs",
                "cronjobs",
                "replicationcontrollers",
            ],
            verbs: &["create"],
            narrowed: false,
            what: "can run a pod as any service account of the namespace and mount its Secrets",
        },
    );
}
