//! `missing-service-account`: a workload names a ServiceAccount that no manifest of the change
//! defines. Cross-object: it reads the ServiceAccounts of every file of the run (the facts of
//! the first pass). The account may well exist in the cluster, so the finding is a note that
//! says "not in this change", not a violation.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::rules::default_service_account::service_account;
use crate::lint::rules::pods;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-022",
    name: "missing-service-account",
    severity: Severity::Note,
    section: crate::finding::Section::Rules,
    summary: "Workload names a ServiceAccount that is not in this change",
    explain: r#"## What it checks
Every object with a pod that sets `serviceAccountName` (or the deprecated `serviceAccount`) to
an account other than `default`: some manifest of the same run defines that `ServiceAccount` in
the workload's namespace. gate reads every file of the run before it reports, so the account may
be in any of them. When it is not, the finding says the account is *not in this change*: it may
exist in the cluster already, which gate cannot see, so the default severity is `note`. Raise it
(`GATE-K8S-022: error`) where every account must be declared next to its workloads.

## Why it matters
"If the ServiceAccount does not exist, the Pod is not created" — or it runs under an account
someone else created, with permissions this change does not show. Declaring the account with the
workload makes its RBAC and its `automountServiceAccountToken` reviewable in the same change.
(Kubernetes, Configure Service Accounts for Pods)

## How to fix
Failing (no `ServiceAccount/shop/api` anywhere in the change):
```yaml
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      serviceAccountName: api
```
Fixed: add the account to the change:
```yaml
apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: shop}
automountServiceAccountToken: false
```

## References
- https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/
- https://kubernetes.io/docs/concepts/security/service-accounts/
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, o, pod) in pods(cx) {
        let (sa, Some(node)) = service_account(pod.spec) else {
            continue;
        };
        if sa == "default" || sa.is_empty() {
            continue;
        }
        let key = (o.ns().to_string(), sa.to_string());
        if cx.facts.accounts.contains_key(&key) {
            continue;
        }
        out.push(cx.hit(
            &RULE,
            i,
            node,
            format!(
                "{} `{}` runs as ServiceAccount `{sa}`, which is not in this change: make sure it exists in namespace `{}` of the cluster, or add it",
                o.kind,
                o.name,
                o.ns()
            ),
        ));
    }
}
