//! `invalid-pss-label`: a Namespace whose Pod Security enforce labels do not parse.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::context::{ENFORCE_LABEL, ENFORCE_VERSION_LABEL};
use crate::lint::pss::{Level, Version};
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-042",
    name: "invalid-pss-label",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Namespace has an invalid Pod Security label value",
    explain: r#"## What it checks
Every `Namespace` object: `pod-security.kubernetes.io/enforce` is `privileged`, `baseline` or
`restricted`, and `pod-security.kubernetes.io/enforce-version` is `latest` or `v1.N`.

## Why it matters
Pod Security admission treats an invalid level as `restricted` and an invalid version as `latest`
(Kubernetes, pod-security-admission `PolicyToEvaluate`), so the namespace does not get what its
author meant. gate evaluates the namespace's pods the same way, and reports the label.

## How to fix
Failing:
```yaml
labels:
  pod-security.kubernetes.io/enforce: Restricted
  pod-security.kubernetes.io/enforce-version: "1.29"
```
Fixed:
```yaml
labels:
  pod-security.kubernetes.io/enforce: restricted
  pod-security.kubernetes.io/enforce-version: v1.29
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-admission-labels-for-namespaces
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, o) in cx.of_kind("Namespace") {
        if let Some(n) = o.label(ENFORCE_LABEL) {
            if n.as_str().and_then(|s| s.parse::<Level>().ok()).is_none() {
                out.push(cx.hit(
                    &RULE,
                    i,
                    n,
                    format!("Namespace `{}` has an invalid `{ENFORCE_LABEL}` value; admission enforces `restricted`", o.name),
                ));
            }
        }
        if let Some(n) = o.label(ENFORCE_VERSION_LABEL) {
            if n.as_str().and_then(|s| s.parse::<Version>().ok()).is_none() {
                out.push(cx.hit(
                    &RULE,
                    i,
                    n,
                    format!("Namespace `{}` has an invalid `{ENFORCE_VERSION_LABEL}` value; admission uses `latest`", o.name),
                ));
            }
        }
    }
}
