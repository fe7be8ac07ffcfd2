//! PSS restricted `seccompProfile_restricted` (policy v1.19+): seccomp must be set, to
//! `RuntimeDefault` or `Localhost`, on the pod or on every container. Windows pods are exempt from
//! v1.25.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, PodView};
use crate::lint::pss::checks::seccomp_baseline::{bad_type, fields};
use crate::lint::pss::{Check, Level, Violation};

pub const RULE: Rule = Rule {
    id: "GATE-PSS-017",
    name: "missing-seccomp-profile",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Pod does not set a RuntimeDefault or Localhost seccomp profile",
    explain: r#"## What it checks
Pod Security Standards, restricted (policy v1.19 and later): `securityContext.seccompProfile.type`
must be `RuntimeDefault` or `Localhost`, set on the pod or on every container. Pods with
`spec.os.name: windows` are exempt from policy v1.25.

This check subsumes the baseline rule `GATE-PSS-009`. At the restricted level both run and report
the same field, so turning one of them `off` never hides the other's finding.

## Why it matters
"Seccomp profile must be explicitly set to one of the allowed values. Both the `Unconfined`
profile and the *absence* of a profile are prohibited." (Kubernetes, Pod Security Standards)

## How to fix
Failing:
```yaml
spec:
  containers:
  - name: app
    image: registry.example/app:1.0
```
Fixed:
```yaml
spec:
  securityContext:
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: app
    image: registry.example/app:1.0
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
- https://kubernetes.io/docs/tutorials/security/seccomp/
"#,
};

pub const CHECK: Check = Check {
    id: "seccompProfile_restricted",
    rule: &RULE,
    level: Level::Restricted,
    since: 19,
    overrides: &["seccompProfile_baseline"],
    run,
};

fn run(pod: &PodView<'_>, minor: u32, out: &mut Vec<Violation>) {
    if minor >= 25 && pod.is_windows() {
        return;
    }
    let before = out.len();
    fields(pod, &RULE, out);
    if out.len() > before {
        return;
    }
    let pod_sc = pod.security_context();
    let pod_set = field(pod_sc, "seccompProfile").is_some() && bad_type(pod_sc).is_none();
    if pod_set {
        return;
    }
    for c in pod.containers() {
        if field(c.security_context(), "seccompProfile").is_none() {
            out.push(Violation::new(
                &RULE,
                c.field_path("securityContext.seccompProfile.type"),
                c.sc_anchor("seccompProfile"),
                format!(
                    "Pod or container `{}` must set `securityContext.seccompProfile.type` to `RuntimeDefault` or `Localhost`",
                    c.name()
                ),
            ));
        }
    }
}
