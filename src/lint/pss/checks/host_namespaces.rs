//! PSS baseline `hostNamespaces`: no host network, PID or IPC namespace.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, flag, Flag, PodView};
use crate::lint::pss::{Check, Level, Violation};

pub const RULE: Rule = Rule {
    id: "GATE-PSS-001",
    name: "host-namespaces",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Pod shares the host network, PID or IPC namespace",
    explain: r#"## What it checks
Pod Security Standards, baseline: `spec.hostNetwork`, `spec.hostPID` and `spec.hostIPC` must be
unset or `false`.

## Why it matters
"Sharing the host namespaces must be disallowed." (Kubernetes, Pod Security Standards). A pod in
the host's network namespace sees every node interface and can bind node ports; in the host's PID
or IPC namespace it can inspect and signal the node's processes.

## How to fix
Failing:
```yaml
spec:
  hostNetwork: true
```
Fixed:
```yaml
spec:
  hostNetwork: false
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
"#,
};

pub const CHECK: Check = Check {
    id: "hostNamespaces",
    rule: &RULE,
    level: Level::Baseline,
    since: 0,
    overrides: &[],
    run,
};

fn run(pod: &PodView<'_>, _minor: u32, out: &mut Vec<Violation>) {
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        let node = field(Some(pod.spec), key);
        if matches!(flag(node), Flag::True | Flag::Invalid) {
            out.push(Violation::new(
                &RULE,
                pod.path(key),
                node.unwrap_or(pod.spec),
                format!("Pod must not set `{key}=true`"),
            ));
        }
    }
}
