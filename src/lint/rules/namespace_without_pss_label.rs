//! `namespace-without-pss-label`: a Namespace that does not enforce a Pod Security level.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::context::ENFORCE_LABEL;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-040",
    name: "namespace-without-pss-label",
    severity: Severity::Warning,
    section: crate::finding::Section::Rules,
    summary: "Namespace has no `pod-security.kubernetes.io/enforce` label",
    explain: r#"## What it checks
Every `Namespace` object: it carries the label `pod-security.kubernetes.io/enforce`.

## Why it matters
"Kubernetes defines a set of labels that you can set to define which of the predefined Pod
Security Standard levels you want to use for a namespace." Without the `enforce` label the
cluster's default applies, which is `privileged` (no checks) unless an administrator changed it.
(Kubernetes, Pod Security Admission)

## How to fix
Failing:
```yaml
kind: Namespace
metadata:
  name: shop
```
Fixed:
```yaml
kind: Namespace
metadata:
  name: shop
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-admission-labels-for-namespaces
- https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-namespace-labels/
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, o) in cx.of_kind("Namespace") {
        if o.label(ENFORCE_LABEL).is_none() {
            let at = o.metadata().unwrap_or(o.node);
            out.push(cx.hit(
                &RULE,
                i,
                at,
                format!("Namespace `{}` has no `{ENFORCE_LABEL}` label", o.name),
            ));
        }
    }
}
