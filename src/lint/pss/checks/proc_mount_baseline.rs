//! PSS baseline `procMount`: the default `/proc` masks, unless the pod runs in a user namespace
//! (from policy v1.35).

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{text, PodView};
use crate::lint::pss::{Check, Level, Violation};

pub const RULE: Rule = Rule {
    id: "GATE-PSS-008",
    name: "unmasked-proc-mount",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Container unmasks /proc outside a user namespace",
    explain: r#"## What it checks
Pod Security Standards, baseline: `securityContext.procMount` of every container must be unset or
`Default`. From policy v1.35 any value is allowed when the pod sets `hostUsers: false`.

## Why it matters
"The default `/proc` masks are set up to reduce attack surface, and should be required."
(Kubernetes, Pod Security Standards). An unmasked `/proc` exposes kernel interfaces that let a
container read or change node state.

## How to fix
Failing:
```yaml
securityContext:
  procMount: Unmasked
```
Fixed:
```yaml
securityContext:
  procMount: Default
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
"#,
};

pub const CHECK: Check = Check {
    id: "procMount",
    rule: &RULE,
    level: Level::Baseline,
    since: 0,
    overrides: &[],
    run,
};

fn run(pod: &PodView<'_>, minor: u32, out: &mut Vec<Violation>) {
    if minor >= 35 && pod.in_user_namespace() {
        return;
    }
    default_proc_mount(pod, &RULE, out);
}

/// Every container whose `procMount` is set to something other than `Default`.
pub fn default_proc_mount(pod: &PodView<'_>, rule: &'static Rule, out: &mut Vec<Violation>) {
    for c in pod.containers() {
        let n = c.sc_field("procMount");
        let v = match text(n) {
            Ok(None) | Ok(Some("Default")) => continue,
            Ok(Some(v)) => v,
            Err(_) => "?",
        };
        out.push(Violation::new(
            rule,
            c.field_path("securityContext.procMount"),
            c.sc_anchor("procMount"),
            format!(
                "Container `{}` must not set `securityContext.procMount` to `{v}`",
                c.name()
            ),
        ));
    }
}
