//! `automount-service-account-token`: a workload whose pods get an API token mounted, because
//! neither the pod nor its ServiceAccount (when in the input) sets
//! `automountServiceAccountToken: false`.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, flag, Flag};
use crate::lint::rules::default_service_account::service_account;
use crate::lint::rules::pods;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-021",
    name: "automount-service-account-token",
    severity: Severity::Warning,
    section: crate::finding::Section::Rules,
    summary: "Pod mounts a service account token it may not need",
    explain: r#"## What it checks
The pod template of every workload: `automountServiceAccountToken: false` on the pod, or, when the
pod leaves it unset, on its ServiceAccount (if that object is in the input). A pod that sets it to
`true` is reported even when its ServiceAccount disables it.

## Why it matters
Kubernetes mounts an API token for the pod's ServiceAccount into every container unless the pod
or the ServiceAccount opts out (Kubernetes, Configure Service Accounts for Pods); the RBAC good
practices advise turning automounting off for pods that do not need the API. A mounted token is
the first thing an attacker in the container uses against the API server.

## How to fix
Failing:
```yaml
spec:
  serviceAccountName: web
  containers: [...]
```
Fixed:
```yaml
spec:
  serviceAccountName: web
  automountServiceAccountToken: false
  containers: [...]
```

## References
- https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting
- https://kubernetes.io/docs/concepts/security/rbac-good-practices/
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, o, pod) in pods(cx) {
        let node = field(Some(pod.spec), "automountServiceAccountToken");
        let message = match flag(node) {
            Flag::False => continue,
            Flag::True | Flag::Invalid => format!(
                "{} `{}` sets `automountServiceAccountToken: true`",
                o.kind, o.name
            ),
            Flag::Unset => {
                let (sa, _) = service_account(pod.spec);
                let sa_flag = cx.facts.accounts.get(&(o.ns().to_string(), sa.to_string()));
                if sa_flag == Some(&Flag::False) {
                    continue;
                }
                format!(
                    "{} `{}` does not set `automountServiceAccountToken: false`, nor does its ServiceAccount `{sa}`{}",
                    o.kind,
                    o.name,
                    if sa_flag.is_none() { " (not in the input)" } else { "" }
                )
            }
        };
        out.push(cx.hit(&RULE, i, node.unwrap_or(pod.spec), message));
    }
}
