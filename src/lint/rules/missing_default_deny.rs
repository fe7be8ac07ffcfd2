//! `missing-default-deny`: a namespace with workloads in the input but no default-deny
//! NetworkPolicy (empty `podSelector`, Ingress and Egress) in the input.

use crate::finding::Rule;
use crate::finding::{Finding, Severity};
use crate::lint::object::Object;
use crate::lint::pod::{field, items};
use crate::lint::{Context, Hit};
use crate::yaml::Node;

pub const RULE: Rule = Rule {
    id: "GATE-K8S-030",
    name: "missing-default-deny",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Namespace with workloads has no default-deny NetworkPolicy",
    explain: r#"## What it checks
For every namespace that has workloads in the input: some NetworkPolicy in that namespace selects
all pods (`podSelector: {}`) and denies ingress (policy type `Ingress`, no ingress rules), and
some denies egress (policy type `Egress`, every egress rule limited to named peers or to DNS on
port 53). Only `networking.k8s.io` NetworkPolicies count (not Calico's or Cilium's own kinds).

## Why it matters
Pods not selected by any NetworkPolicy accept traffic from any source and may send to any
destination; the Network Policies page shows "default" policies that select all pods of a
namespace and deny all ingress and all egress (Kubernetes, Network Policies). Without one, a
compromised pod can reach every other pod and anything outside.

## How to fix
Failing: a namespace with a Deployment and no NetworkPolicy.
Fixed:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-all
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
```
Then allow what each workload needs (and DNS, see `dns-egress-blocked`).

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies
"#,
};

/// NetworkPolicies of namespace `ns`.
pub fn policies<'c, 'a>(
    cx: &'c Context<'a>,
    ns: &'c str,
) -> impl Iterator<Item = (usize, &'a Object<'a>)> + 'c {
    policies_of(cx).filter(move |(_, o)| o.ns() == ns)
}

/// The NetworkPolicies of the input, of every namespace.
pub fn policies_of<'c, 'a>(
    cx: &'c Context<'a>,
) -> impl Iterator<Item = (usize, &'a Object<'a>)> + 'c {
    cx.of_kind("NetworkPolicy")
        .filter(|(_, o)| o.group() == "networking.k8s.io")
}

/// Does the policy select every pod of its namespace?
pub fn selects_all(np: &Object<'_>) -> bool {
    let Some(sel) = field(Some(np.node), "spec").and_then(|s| s.get("podSelector")) else {
        return false;
    };
    sel.is_null()
        || sel.as_map().is_some_and(|m| {
            m.iter().all(|(_, v)| {
                v.is_null()
                    || v.as_map().is_some_and(<[_]>::is_empty)
                    || v.as_seq().is_some_and(<[_]>::is_empty)
            })
        })
}

/// The policy's types: `(ingress, egress)`, with the API's defaults when `policyTypes` is unset.
pub fn types(np: &Object<'_>) -> (bool, bool) {
    let spec = field(Some(np.node), "spec");
    match field(spec, "policyTypes").and_then(Node::as_seq) {
        Some(t) => (
            t.iter().any(|x| x.as_str() == Some("Ingress")),
            t.iter().any(|x| x.as_str() == Some("Egress")),
        ),
        None => (true, field(spec, "egress").is_some()),
    }
}

fn denies_ingress(np: &Object<'_>) -> bool {
    selects_all(np) && types(np).0 && items(field(Some(np.node), "spec"), "ingress").is_empty()
}

/// An egress rule that only reaches DNS (every port is 53).
fn dns_only(rule: &Node) -> bool {
    let ports = items(Some(rule), "ports");
    !ports.is_empty()
        && ports
            .iter()
            .all(|p| field(Some(p), "port").and_then(Node::as_i64) == Some(53))
}

/// Does the policy select all pods and deny egress except to named peers or DNS?
pub fn denies_egress(np: &Object<'_>) -> bool {
    selects_all(np)
        && types(np).1
        && items(field(Some(np.node), "spec"), "egress")
            .iter()
            .all(|r| !items(Some(r), "to").is_empty() || dns_only(r))
}

/// Runs over the whole input's facts (namespaces with workloads) and the NetworkPolicies.
pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (ns, first) in &cx.facts.workloads {
        let ns = ns.as_str();
        let ingress = policies(cx, ns).any(|(_, p)| denies_ingress(p));
        let egress = policies(cx, ns).any(|(_, p)| denies_egress(p));
        let missing = match (ingress, egress) {
            (true, true) => continue,
            (false, false) => "ingress and egress",
            (false, true) => "ingress",
            (true, false) => "egress",
        };
        let namespace = cx.namespace(ns);
        let location = match namespace {
            Some((_, n)) => n.location(n.metadata().unwrap_or(n.node)),
            None => first.location.clone(),
        };
        out.push(Hit {
            finding: Finding {
                rule: &RULE,
                severity: RULE.severity,
                subject: crate::finding::Subject::Object {
                    kind: "Namespace".into(),
                    namespace: None,
                    name: ns.to_string(),
                },
                location: Some(location),
                message: format!(
                    "Namespace `{ns}` has workloads (first: {} `{}`) but no default-deny NetworkPolicy for {missing}",
                    first.kind, first.name
                ),
                exception: None,
                key: None,
                vulnerability: None,
            },
            object: namespace.map(|(i, _)| i),
        });
    }
}
