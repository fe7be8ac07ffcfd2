//! `network-policy-peer-selects-nothing`: a NetworkPolicy `from`/`to` peer whose `podSelector`
//! (in the policy's own namespace) selects no pod of the change, in a namespace whose workloads
//! the change defines.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, items};
use crate::lint::rules::network::{has_pods, selects_some};
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-033",
    name: "network-policy-peer-selects-nothing",
    severity: Severity::Note,
    section: crate::finding::Section::Rules,
    summary: "NetworkPolicy peer selects no pod of this change",
    explain: r#"## What it checks
Every `ingress[*].from[*]` and `egress[*].to[*]` peer of a `NetworkPolicy` that has a
`podSelector` and no `namespaceSelector` (so it means pods of the policy's own namespace), when
that namespace has workloads in this change: the selector selects at least one of their pod
templates. Peers with a `namespaceSelector` name other namespaces, which gate cannot see, and are
not checked. The finding says the peer selects no pod *of this change*; the default severity is
`note`.

## Why it matters
A peer that selects nothing allows nothing: the traffic the author meant to allow is dropped
(an outage found in production), or, read the other way, the policy does not say what reviewers
think it says. (Kubernetes, Network Policies: Behavior of to and from selectors)

## How to fix
Failing (the frontend pods are labelled `app: frontend`):
```yaml
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: front}}
```
Fixed:
```yaml
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: frontend}}
```

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/
- https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, np) in cx.of_kind("NetworkPolicy") {
        let ns = np.ns();
        if np.group() != "networking.k8s.io" || !has_pods(cx, ns) {
            continue;
        }
        let spec = field(Some(np.node), "spec");
        for (dir, peers) in [("ingress", "from"), ("egress", "to")] {
            for (r, rule) in items(spec, dir).iter().enumerate() {
                for (p, peer) in items(Some(rule), peers).iter().enumerate() {
                    let Some(sel) = field(Some(peer), "podSelector") else {
                        continue;
                    };
                    if field(Some(peer), "namespaceSelector").is_some() || selects_some(cx, ns, sel)
                    {
                        continue;
                    }
                    out.push(cx.hit(
                        &RULE,
                        i,
                        sel,
                        format!(
                            "`spec.{dir}[{r}].{peers}[{p}].podSelector` of NetworkPolicy `{}` selects no pod of this change in namespace `{ns}`",
                            np.name
                        ),
                    ));
                }
            }
        }
    }
}
