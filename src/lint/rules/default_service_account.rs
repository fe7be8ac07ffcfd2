//! `default-service-account`: a workload that runs as its namespace's `default` ServiceAccount.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::field;
use crate::lint::rules::pods;
use crate::lint::{Context, Hit};
use crate::yaml::Node;

pub const RULE: Rule = Rule {
    id: "GATE-K8S-020",
    name: "default-service-account",
    severity: Severity::Warning,
    section: crate::finding::Section::Rules,
    summary: "Workload runs as the `default` ServiceAccount",
    explain: r#"## What it checks
The pod template of every workload: `serviceAccountName` must be set, and not to `default`.

## Why it matters
"If you deploy a Pod in a namespace, and you don't manually assign a ServiceAccount to the Pod,
Kubernetes assigns the default ServiceAccount for that namespace to the Pod." Every workload that
shares it shares its permissions; a dedicated ServiceAccount per workload keeps RBAC least
privilege. (Kubernetes, Service Accounts)

## How to fix
Failing:
```yaml
spec:
  template:
    spec:
      containers: [...]
```
Fixed:
```yaml
spec:
  template:
    spec:
      serviceAccountName: checkout
      containers: [...]
```

## References
- https://kubernetes.io/docs/concepts/security/service-accounts/#default-service-accounts
- https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/
"#,
};

/// The ServiceAccount a pod spec runs as (`serviceAccountName`, the deprecated
/// `serviceAccount`, else `default`), with the node that names it.
pub fn service_account(spec: &Node) -> (&str, Option<&Node>) {
    let n = field(Some(spec), "serviceAccountName").or_else(|| field(Some(spec), "serviceAccount"));
    (n.and_then(Node::as_str).unwrap_or("default"), n)
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, o, pod) in pods(cx) {
        let (sa, node) = service_account(pod.spec);
        if sa != "default" {
            continue;
        }
        let message = match node {
            Some(_) => format!("{} `{}` sets `serviceAccountName: default`", o.kind, o.name),
            None => format!(
                "{} `{}` sets no `serviceAccountName`, so it runs as `default`",
                o.kind, o.name
            ),
        };
        out.push(cx.hit(&RULE, i, node.unwrap_or(pod.spec), message));
    }
}
