//! `namespace-pss-weaker-than-policy`: a Namespace that enforces a weaker Pod Security level
//! than the policy requires.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::context::ENFORCE_LABEL;
use crate::lint::pss::Level;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-041",
    name: "namespace-pss-weaker-than-policy",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Namespace enforces a weaker Pod Security level than the policy",
    explain: r#"## What it checks
Every `Namespace` object with a `pod-security.kubernetes.io/enforce` label: the level is at least
the policy's Pod Security level (`restricted` by default).

## Why it matters
"The Restricted policy is aimed at enforcing current Pod hardening best practices", while
"Privileged" is "Unrestricted policy, providing the widest possible level of permissions. This
policy allows for known privilege escalations." A namespace label weaker than the policy lets
pods in that namespace past admission that the policy means to forbid. (Kubernetes, Pod Security
Standards)

## How to fix
Failing:
```yaml
metadata:
  labels:
    pod-security.kubernetes.io/enforce: privileged
```
Fixed:
```yaml
metadata:
  labels:
    pod-security.kubernetes.io/enforce: restricted
```
If the namespace really needs it (e.g. a CNI or CSI driver), add an exception with a reason.

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/
- https://kubernetes.io/docs/concepts/security/pod-security-admission/
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, o) in cx.of_kind("Namespace") {
        let Some(node) = o.label(ENFORCE_LABEL) else {
            continue;
        };
        let Some(level) = node.as_str().and_then(|s| s.parse::<Level>().ok()) else {
            continue;
        };
        if level < cx.cfg.level {
            out.push(cx.hit(
                &RULE,
                i,
                node,
                format!(
                    "Namespace `{}` enforces `{level}`, weaker than the policy's `{}`",
                    o.name, cx.cfg.level
                ),
            ));
        }
    }
}
