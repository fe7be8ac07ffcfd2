//! `network-policy-selects-nothing`: a NetworkPolicy whose `podSelector` selects no pod of the
//! change in a namespace whose workloads the change defines. Cross-object: it reads the pod labels
//! of every file of the run.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::field;
use crate::lint::rules::missing_default_deny::selects_all;
use crate::lint::rules::network::{has_pods, selects_some};
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-032",
    name: "network-policy-selects-nothing",
    severity: Severity::Note,
    section: crate::finding::Section::Rules,
    summary: "NetworkPolicy selects no pod of this change",
    explain: r#"## What it checks
Every `NetworkPolicy` whose namespace has workloads in this change (gate reads every file of the
run first): its `spec.podSelector` (`matchLabels` and `matchExpressions`, evaluated as the API
server does) selects the pod template of at least one of them. A policy that selects none is
reported as selecting no pod *of this change*: its pods may be deployed from elsewhere, which gate
cannot see, so the default severity is `note`.

## Why it matters
"If no policies select a pod, all traffic to and from the pod is allowed." A policy with a typo
in its selector (`app: web` for pods labelled `app: webapp`) protects nothing and looks like it
does: a dangling policy is a silent hole. (Kubernetes, Network Policies)

## How to fix
Failing (the Deployment's pods are labelled `app: webapp`):
```yaml
kind: NetworkPolicy
metadata: {name: web-ingress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
```
Fixed:
```yaml
kind: NetworkPolicy
metadata: {name: web-ingress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: webapp}}
```

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/
- https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, np) in cx.of_kind("NetworkPolicy") {
        let ns = np.ns();
        if np.group() != "networking.k8s.io" || selects_all(np) || !has_pods(cx, ns) {
            continue;
        }
        let Some(sel) = field(field(Some(np.node), "spec"), "podSelector") else {
            continue;
        };
        if selects_some(cx, ns, sel) {
            continue;
        }
        out.push(cx.hit(
            &RULE,
            i,
            sel,
            format!(
                "NetworkPolicy `{}` selects no pod of this change in namespace `{ns}`: check its `podSelector`, or make sure its pods are deployed from elsewhere",
                np.name
            ),
        ));
    }
}
