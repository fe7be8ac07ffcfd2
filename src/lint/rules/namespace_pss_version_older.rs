//! `namespace-pss-version-older-than-policy`: a Namespace that pins its enforced Pod Security
//! version to an older one than the policy's.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::context::{ENFORCE_LABEL, ENFORCE_VERSION_LABEL};
use crate::lint::pss::Version;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-043",
    name: "namespace-pss-version-older-than-policy",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Namespace enforces an older Pod Security version than the policy",
    explain: r#"## What it checks
Every `Namespace` object with a `pod-security.kubernetes.io/enforce` label and a
`pod-security.kubernetes.io/enforce-version` label: the version is not older than the policy's
Pod Security version (`manifests.pss.version`, `latest` by default). `latest` is the newest
version gate knows.

## Why it matters
"`<VERSION>` must be a valid Kubernetes minor version, or `latest`." A namespace pinned to an
older version is checked by the rules of that version: checks added since (for example the
restricted profile's seccomp and capabilities checks, which arrived in v1.19 and v1.22) do not
run, so pods the policy forbids are admitted. The labels `gate export --namespace NAME` writes
carry the policy's own level and version. (Kubernetes, Pod Security Admission)

## How to fix
Failing (policy `version: latest`):
```yaml
metadata:
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: v1.18
```
Fixed:
```yaml
metadata:
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
    let want = cx.cfg.version;
    for (i, o) in cx.of_kind("Namespace") {
        if o.label(ENFORCE_LABEL).is_none() {
            continue;
        }
        let Some(node) = o.label(ENFORCE_VERSION_LABEL) else {
            continue;
        };
        // An invalid version is GATE-K8S-042's; admission reads it as `latest`.
        let Some(have) = node.as_str().and_then(|s| s.parse::<Version>().ok()) else {
            continue;
        };
        if have.effective_minor() < want.effective_minor() {
            out.push(cx.hit(
                &RULE,
                i,
                node,
                format!(
                    "Namespace `{}` enforces Pod Security version `{have}`, older than the policy's `{want}`",
                    o.name
                ),
            ));
        }
    }
}
