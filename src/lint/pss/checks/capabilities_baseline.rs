//! PSS baseline `capabilities_baseline`: only the container runtime's default capabilities may be
//! added.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, items, PodView};
use crate::lint::pss::{Check, Level, Violation};

pub const RULE: Rule = Rule {
    id: "GATE-PSS-003",
    name: "non-default-capabilities",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Container adds capabilities beyond the default set",
    explain: r#"## What it checks
Pod Security Standards, baseline: `securityContext.capabilities.add` of every container may only
name capabilities from the default set: `AUDIT_WRITE`, `CHOWN`, `DAC_OVERRIDE`, `FOWNER`,
`FSETID`, `KILL`, `MKNOD`, `NET_BIND_SERVICE`, `SETFCAP`, `SETGID`, `SETPCAP`, `SETUID`,
`SYS_CHROOT`.

## Why it matters
"Adding additional capabilities beyond those listed below must be disallowed." (Kubernetes, Pod
Security Standards). Capabilities such as `SYS_ADMIN` or `NET_ADMIN` give a container
root-equivalent power over the node.

## How to fix
Failing:
```yaml
securityContext:
  capabilities:
    add: ["SYS_ADMIN"]
```
Fixed:
```yaml
securityContext:
  capabilities:
    drop: ["ALL"]
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
"#,
};

pub const CHECK: Check = Check {
    id: "capabilities_baseline",
    rule: &RULE,
    level: Level::Baseline,
    since: 0,
    overrides: &[],
    run,
};

/// The capabilities a container runtime grants by default.
pub const DEFAULT_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn run(pod: &PodView<'_>, _minor: u32, out: &mut Vec<Violation>) {
    for c in pod.containers() {
        let caps = c.sc_field("capabilities");
        let add = field(caps, "add");
        for (i, cap) in items(caps, "add").iter().enumerate() {
            let name = cap.as_str();
            if name.is_some_and(|n| DEFAULT_CAPABILITIES.contains(&n)) {
                continue;
            }
            out.push(Violation::new(
                &RULE,
                c.field_path(&format!("securityContext.capabilities.add[{i}]")),
                cap,
                format!(
                    "Container `{}` must not include `{}` in `securityContext.capabilities.add`",
                    c.name(),
                    name.unwrap_or("?")
                ),
            ));
        }
        if let Some(add) = add.filter(|a| a.as_seq().is_none()) {
            out.push(Violation::new(
                &RULE,
                c.field_path("securityContext.capabilities.add"),
                add,
                format!(
                    "Container `{}` has a `securityContext.capabilities.add` that is not a list",
                    c.name()
                ),
            ));
        }
    }
}
