//! PSS baseline `privileged`: no privileged containers.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{flag, Flag, PodView};
use crate::lint::pss::{Check, Level, Violation};

pub const RULE: Rule = Rule {
    id: "GATE-PSS-002",
    name: "privileged-container",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Container runs privileged",
    explain: r#"## What it checks
Pod Security Standards, baseline: `securityContext.privileged` of every container, init container
and ephemeral container must be unset or `false`.

## Why it matters
"Privileged Pods disable most security mechanisms and must be disallowed." (Kubernetes, Pod
Security Standards). A privileged container has every capability and full access to the host's
devices: escaping to the node is trivial.

## How to fix
Failing:
```yaml
containers:
- name: app
  image: registry.example/app:1.0
  securityContext:
    privileged: true
```
Fixed:
```yaml
containers:
- name: app
  image: registry.example/app:1.0
  securityContext:
    privileged: false
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
"#,
};

pub const CHECK: Check = Check {
    id: "privileged",
    rule: &RULE,
    level: Level::Baseline,
    since: 0,
    overrides: &[],
    run,
};

fn run(pod: &PodView<'_>, _minor: u32, out: &mut Vec<Violation>) {
    for c in pod.containers() {
        if matches!(flag(c.sc_field("privileged")), Flag::True | Flag::Invalid) {
            out.push(Violation::new(
                &RULE,
                c.field_path("securityContext.privileged"),
                c.sc_anchor("privileged"),
                format!(
                    "Container `{}` must not set `securityContext.privileged=true`",
                    c.name()
                ),
            ));
        }
    }
}
