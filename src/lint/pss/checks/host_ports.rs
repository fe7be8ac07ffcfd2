//! PSS baseline `hostPorts`: no host ports.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, int, items, PodView};
use crate::lint::pss::{Check, Level, Violation};

pub const RULE: Rule = Rule {
    id: "GATE-PSS-005",
    name: "host-port",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Container binds a host port",
    explain: r#"## What it checks
Pod Security Standards, baseline: `ports[*].hostPort` of every container must be unset or `0`.

## Why it matters
"HostPorts should be disallowed entirely (recommended) or restricted to a known list."
(Kubernetes, Pod Security Standards). A host port bypasses Services and NetworkPolicies that
select pods, and ties the pod to one node.

## How to fix
Failing:
```yaml
ports:
- containerPort: 8080
  hostPort: 8080
```
Fixed (expose it through a Service instead):
```yaml
ports:
- containerPort: 8080
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
"#,
};

pub const CHECK: Check = Check {
    id: "hostPorts",
    rule: &RULE,
    level: Level::Baseline,
    since: 0,
    overrides: &[],
    run,
};

fn run(pod: &PodView<'_>, _minor: u32, out: &mut Vec<Violation>) {
    for c in pod.containers() {
        for (i, p) in items(Some(c.node), "ports").iter().enumerate() {
            let node = field(Some(p), "hostPort");
            let shown = match int(node) {
                Ok(None) | Ok(Some(0)) => continue,
                Ok(Some(n)) => n.to_string(),
                Err(_) => node.and_then(|n| n.as_str()).unwrap_or("?").to_string(),
            };
            out.push(Violation::new(
                &RULE,
                c.field_path(&format!("ports[{i}].hostPort")),
                node.unwrap_or(p),
                format!("Container `{}` must not use host port `{shown}`", c.name()),
            ));
        }
    }
}
