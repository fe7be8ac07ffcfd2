//! PSS restricted `capabilities_restricted` (policy v1.22+): every container drops `ALL` and adds
//! at most `NET_BIND_SERVICE`. Windows pods are exempt from v1.25.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, items, PodView};
use crate::lint::pss::{Check, Level, Violation};

pub const RULE: Rule = Rule {
    id: "GATE-PSS-018",
    name: "capabilities-not-dropped",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Container does not drop ALL capabilities or adds one besides NET_BIND_SERVICE",
    explain: r#"## What it checks
Pod Security Standards, restricted (policy v1.22 and later): `securityContext.capabilities.drop`
of every container must include `ALL`, and `capabilities.add` may only name
`NET_BIND_SERVICE`. Pods with `spec.os.name: windows` are exempt from policy v1.25.

This check subsumes the baseline rule `GATE-PSS-003`. At the restricted level both run and report
the same field, so turning one of them `off` never hides the other's finding.

## Why it matters
"Containers must drop `ALL` capabilities, and are only permitted to add back the
`NET_BIND_SERVICE` capability." (Kubernetes, Pod Security Standards)

## How to fix
Failing:
```yaml
securityContext:
  capabilities:
    add: ["NET_ADMIN"]
```
Fixed:
```yaml
securityContext:
  capabilities:
    drop: ["ALL"]
    add: ["NET_BIND_SERVICE"]
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
"#,
};

pub const CHECK: Check = Check {
    id: "capabilities_restricted",
    rule: &RULE,
    level: Level::Restricted,
    since: 22,
    overrides: &["capabilities_baseline"],
    run,
};

fn run(pod: &PodView<'_>, minor: u32, out: &mut Vec<Violation>) {
    if minor >= 25 && pod.is_windows() {
        return;
    }
    for c in pod.containers() {
        let caps = c.sc_field("capabilities");
        let drops_all = items(caps, "drop")
            .iter()
            .any(|d| d.as_str() == Some("ALL"));
        if !drops_all {
            out.push(Violation::new(
                &RULE,
                c.field_path("securityContext.capabilities.drop"),
                field(caps, "drop")
                    .or(caps)
                    .unwrap_or(c.sc_anchor("capabilities")),
                format!(
                    "Container `{}` must set `securityContext.capabilities.drop=[\"ALL\"]`",
                    c.name()
                ),
            ));
        }
        for (i, cap) in items(caps, "add").iter().enumerate() {
            if cap.as_str() == Some("NET_BIND_SERVICE") {
                continue;
            }
            out.push(Violation::new(
                &RULE,
                c.field_path(&format!("securityContext.capabilities.add[{i}]")),
                cap,
                format!(
                    "Container `{}` must not include `{}` in `securityContext.capabilities.add`",
                    c.name(),
                    cap.as_str().unwrap_or("?")
                ),
            ));
        }
        if let Some(add) = field(caps, "add").filter(|a| a.as_seq().is_none()) {
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
