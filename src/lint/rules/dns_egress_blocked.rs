//! `dns-egress-blocked`: a namespace whose default-deny egress policy leaves no way to reach DNS
//! in `kube-system` on UDP and TCP port 53.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, items};
use crate::lint::rules::missing_default_deny::{denies_egress, policies, selects_all, types};
use crate::lint::{Context, Hit};
use crate::yaml::Node;

pub const RULE: Rule = Rule {
    id: "GATE-K8S-031",
    name: "dns-egress-blocked",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Egress is denied but DNS to kube-system is not allowed",
    explain: r#"## What it checks
In every namespace where a NetworkPolicy denies egress for all pods: some NetworkPolicy that
selects all pods allows egress on UDP port 53 and TCP port 53 to `kube-system` (a
`namespaceSelector` matching `kube-system`, an empty one, an `ipBlock`, or no `to` at all).

## Why it matters
Once a policy of type `Egress` selects a pod, "the only allowed connections from the pod are
those allowed by the egress list" (Kubernetes, Network Policies). Cluster DNS runs in
`kube-system`; without an explicit allowance the pods cannot resolve any name, Services included,
and fail in ways that look like outages. DNS uses UDP, and TCP for large answers.

## How to fix
Failing: only a default-deny policy.
```yaml
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
```
Fixed: add
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-dns, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: kube-system}
    ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
```

## References
- https://kubernetes.io/docs/concepts/services-networking/network-policies/
- https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/
"#,
};

/// Does the port list of an egress rule open port 53 for `proto`?
fn opens_53(rule: &Node, proto: &str) -> bool {
    let ports = items(Some(rule), "ports");
    ports.is_empty()
        || ports.iter().any(|p| {
            let protocol = p.get_str("protocol").unwrap_or("TCP");
            let port = field(Some(p), "port");
            let end = field(Some(p), "endPort").and_then(Node::as_i64);
            protocol == proto
                && match port {
                    None => true,
                    Some(n) => match (n.as_i64(), end) {
                        (Some(s), Some(e)) => s <= 53 && 53 <= e,
                        (Some(s), None) => s == 53,
                        (None, _) => matches!(n.as_str(), Some("dns" | "dns-tcp" | "domain")),
                    },
                }
        })
}

/// Does a peer reach kube-system?
fn reaches_kube_system(peer: &Node, own_ns: &str) -> bool {
    if field(Some(peer), "ipBlock").is_some() {
        return true;
    }
    let Some(sel) = field(Some(peer), "namespaceSelector") else {
        return own_ns == "kube-system";
    };
    let labels = field(Some(sel), "matchLabels").and_then(Node::as_map);
    let exprs = items(Some(sel), "matchExpressions");
    if labels.is_none_or(<[_]>::is_empty) && exprs.is_empty() {
        return true;
    }
    labels.is_some_and(|l| l.iter().any(|(_, v)| v.as_str() == Some("kube-system")))
        || exprs.iter().any(|e| {
            items(Some(e), "values")
                .iter()
                .any(|v| v.as_str() == Some("kube-system"))
        })
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    let mut seen: Vec<&str> = Vec::new();
    for (i, np) in cx
        .of_kind("NetworkPolicy")
        .filter(|(_, o)| o.group() == "networking.k8s.io")
    {
        let ns = np.ns();
        if seen.contains(&ns) || !denies_egress(np) {
            continue;
        }
        seen.push(ns);
        let rules: Vec<&Node> = policies(cx, ns)
            .filter(|(_, p)| selects_all(p) && types(p).1)
            .flat_map(|(_, p)| items(field(Some(p.node), "spec"), "egress"))
            .filter(|r| {
                let to = items(Some(r), "to");
                to.is_empty() || to.iter().any(|peer| reaches_kube_system(peer, ns))
            })
            .collect();
        let missing: Vec<&str> = ["UDP", "TCP"]
            .into_iter()
            .filter(|proto| !rules.iter().any(|r| opens_53(r, proto)))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let anchor = field(Some(np.node), "spec").unwrap_or(np.node);
        out.push(cx.hit(
            &RULE,
            i,
            anchor,
            format!(
                "NetworkPolicy `{}` denies egress in `{ns}` but no policy allows DNS ({} port 53) to `kube-system`: pods cannot resolve names",
                np.name,
                missing.join("/")
            ),
        ));
    }
}
