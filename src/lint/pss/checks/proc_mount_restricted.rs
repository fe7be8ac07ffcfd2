//! PSS restricted `procMount_restricted` (policy v1.35+): the default `/proc` masks, even in a
//! user namespace.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::PodView;
use crate::lint::pss::checks::proc_mount_baseline::default_proc_mount;
use crate::lint::pss::{Check, Level, Violation};

pub const RULE: Rule = Rule {
    id: "GATE-PSS-019",
    name: "proc-mount-not-default",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Container does not use the default /proc mount",
    explain: r#"## What it checks
Pod Security Standards, restricted (policy v1.35 and later): `securityContext.procMount` of every
container must be unset or `Default`, also when the pod runs in a user namespace
(`hostUsers: false`), which baseline allows.

This check subsumes the baseline rule `GATE-PSS-008`. At the restricted level both run and report
the same field, so turning one of them `off` never hides the other's finding.

## Why it matters
"The default `/proc` masks are set up to reduce attack surface, and should be required."
(Kubernetes, Pod Security Standards). The restricted profile keeps that requirement for every
pod.

## How to fix
Failing:
```yaml
spec:
  hostUsers: false
  containers:
  - name: app
    securityContext:
      procMount: Unmasked
```
Fixed:
```yaml
spec:
  hostUsers: false
  containers:
  - name: app
    securityContext:
      procMount: Default
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
"#,
};

pub const CHECK: Check = Check {
    id: "procMount_restricted",
    rule: &RULE,
    level: Level::Restricted,
    since: 35,
    overrides: &["procMount"],
    run,
};

fn run(pod: &PodView<'_>, _minor: u32, out: &mut Vec<Violation>) {
    default_proc_mount(pod, &RULE, out);
}
