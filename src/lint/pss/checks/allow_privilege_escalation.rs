//! PSS restricted `allowPrivilegeEscalation` (policy v1.8+): every container sets
//! `allowPrivilegeEscalation: false`. Windows pods are exempt from v1.25.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{flag, Flag, PodView};
use crate::lint::pss::{Check, Level, Violation};

pub const RULE: Rule = Rule {
    id: "GATE-PSS-014",
    name: "privilege-escalation-allowed",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Container does not set allowPrivilegeEscalation to false",
    explain: r#"## What it checks
Pod Security Standards, restricted (policy v1.8 and later): `securityContext.allowPrivilegeEscalation`
of every container must be `false`. Pods with `spec.os.name: windows` are exempt from policy v1.25.

## Why it matters
"Privilege escalation (such as via set-user-ID or set-group-ID file mode) should not be allowed."
(Kubernetes, Pod Security Standards). Unset means allowed: a setuid binary in the image can gain
more privileges than the process started with.

## How to fix
Failing:
```yaml
containers:
- name: app
  image: registry.example/app:1.0
```
Fixed:
```yaml
containers:
- name: app
  image: registry.example/app:1.0
  securityContext:
    allowPrivilegeEscalation: false
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
"#,
};

pub const CHECK: Check = Check {
    id: "allowPrivilegeEscalation",
    rule: &RULE,
    level: Level::Restricted,
    since: 8,
    overrides: &[],
    run,
};

fn run(pod: &PodView<'_>, minor: u32, out: &mut Vec<Violation>) {
    if minor >= 25 && pod.is_windows() {
        return;
    }
    for c in pod.containers() {
        if flag(c.sc_field("allowPrivilegeEscalation")) != Flag::False {
            out.push(Violation::new(
                &RULE,
                c.field_path("securityContext.allowPrivilegeEscalation"),
                c.sc_anchor("allowPrivilegeEscalation"),
                format!(
                    "Container `{}` must set `securityContext.allowPrivilegeEscalation=false`",
                    c.name()
                ),
            ));
        }
    }
}
