//! `exposed-service-without-policy`: a Service of type NodePort or LoadBalancer whose pods no
//! NetworkPolicy of the change explicitly opens to ingress from outside.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::facts::Labels;
use crate::lint::pod::{field, items};
use crate::lint::rules::missing_default_deny::{policies_of, types};
use crate::lint::rules::network::{pods_in, selects};
use crate::lint::{Context, Hit};
use crate::yaml::Node;
use std::collections::HashMap;

pub const RULE: Rule = Rule {
    id: "GATE-K8S-034",
    name: "exposed-service-without-policy",
    severity: Severity::Warning,
    section: crate::finding::Section::Rules,
    summary: "NodePort or LoadBalancer Service has no NetworkPolicy allowing its ingress",
    explain: r#"## What it checks
Every core `Service` of `type: NodePort` or `type: LoadBalancer` with a `selector`: some
`NetworkPolicy` of this change in the Service's namespace has the `Ingress` type, selects the
Service's pods, and has an ingress rule open to outside the cluster (no `from`, an empty `from`,
or an `ipBlock` peer). gate reads every file of the run; when no such policy is found, the message
says none is *in this change*.

## Why it matters
A NodePort or LoadBalancer Service takes traffic from outside the cluster. Without a policy that
allows it explicitly, either a default-deny policy blocks it (the Service does not work) or
nothing restricts it (every port of the pods is reachable, not only the Service's). An explicit
allowance documents what is exposed and from where. (Kubernetes, Service and Network Policies)

## How to fix
Failing:
```yaml
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 443, targetPort: 8443}]
```
Fixed: allow the ingress explicitly, only to the Service's port:
```yaml
kind: NetworkPolicy
metadata: {name: web-from-internet, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from: [{ipBlock: {cidr: 0.0.0.0/0}}]
    ports: [{port: 8443}]
```

## References
- https://kubernetes.io/docs/concepts/services-networking/service/#type-loadbalancer
- https://kubernetes.io/docs/concepts/services-networking/network-policies/
"#,
};

/// An ingress rule open to outside the cluster: no or an empty `from`, or an `ipBlock` peer.
fn open_to_outside(rule: &Node) -> bool {
    let from = items(Some(rule), "from");
    from.is_empty() || from.iter().any(|p| field(Some(p), "ipBlock").is_some())
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    // The pod selectors of the policies that open ingress to outside, by namespace.
    let mut opening: HashMap<&str, Vec<&Node>> = HashMap::new();
    for (_, np) in policies_of(cx) {
        let spec = field(Some(np.node), "spec");
        if types(np).0 && items(spec, "ingress").iter().any(open_to_outside) {
            if let Some(sel) = field(spec, "podSelector") {
                opening.entry(np.ns()).or_default().push(sel);
            }
        }
    }
    // Services alike (namespace and selector) are judged once.
    let mut judged: HashMap<(&str, Labels), bool> = HashMap::new();
    for (i, svc) in cx.of_kind("Service").filter(|(_, o)| o.api_version == "v1") {
        let spec = field(Some(svc.node), "spec");
        let Some(kind) = field(spec, "type").and_then(Node::as_str) else {
            continue;
        };
        if !matches!(kind, "NodePort" | "LoadBalancer") {
            continue;
        }
        let Some(selector) = field(spec, "selector").and_then(Node::as_map) else {
            continue;
        };
        let wanted: Labels = selector
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
            .collect();
        let allowed = *judged
            .entry((svc.ns(), wanted))
            .or_insert_with_key(|(ns, wanted)| {
                // The Service's pods in this change, or (none there) pods carrying just its
                // selector; copies of one pod's labels select alike.
                let mut pods: Vec<&Labels> = pods_in(cx, ns)
                    .filter(|l| wanted.iter().all(|w| l.contains(w)))
                    .collect();
                if pods.is_empty() {
                    pods.push(wanted);
                }
                pods.sort_unstable();
                pods.dedup();
                opening
                    .get(ns)
                    .is_some_and(|sels| sels.iter().any(|sel| pods.iter().all(|l| selects(sel, l))))
            });
        if allowed {
            continue;
        }
        out.push(cx.hit(
            &RULE,
            i,
            field(spec, "type").unwrap_or(svc.node),
            format!(
                "Service `{}` of type `{kind}` takes traffic from outside the cluster, and no NetworkPolicy in this change allows ingress to its pods explicitly",
                svc.name
            ),
        ));
    }
}
