//! PSS baseline `seccompProfile_baseline`: seccomp must not be `Unconfined`. Before policy v1.19
//! the alpha annotations are checked; from v1.19 the `seccompProfile` fields.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, text, PodView};
use crate::lint::pss::{Check, Level, Violation};
use crate::yaml::Node;

pub const RULE: Rule = Rule {
    id: "GATE-PSS-009",
    name: "unconfined-seccomp-profile",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Pod or container sets an unconfined seccomp profile",
    explain: r#"## What it checks
Pod Security Standards, baseline: `securityContext.seccompProfile.type` of the pod and of every
container must be unset, `RuntimeDefault` or `Localhost` (policy v1.19 and later). Before v1.19
the annotations `seccomp.security.alpha.kubernetes.io/pod` and
`container.seccomp.security.alpha.kubernetes.io/<name>` must be `runtime/default`,
`docker/default` or `localhost/*`.

## Why it matters
"Seccomp profile must not be explicitly set to `Unconfined`." (Kubernetes, Pod Security
Standards). Without seccomp every system call of the kernel is open to the container.

## How to fix
Failing:
```yaml
securityContext:
  seccompProfile:
    type: Unconfined
```
Fixed:
```yaml
securityContext:
  seccompProfile:
    type: RuntimeDefault
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
- https://kubernetes.io/docs/tutorials/security/seccomp/
"#,
};

pub const CHECK: Check = Check {
    id: "seccompProfile_baseline",
    rule: &RULE,
    level: Level::Baseline,
    since: 0,
    overrides: &[],
    run,
};

const POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const CONTAINER_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

/// The `seccompProfile.type` under `sc` when it is set to something other than `RuntimeDefault`
/// or `Localhost`: the node to point at and the value.
pub fn bad_type(sc: Option<&Node>) -> Option<(&Node, &str)> {
    let profile = field(sc, "seccompProfile")?;
    let node = field(Some(profile), "type");
    match text(node) {
        Ok(Some("RuntimeDefault" | "Localhost")) => None,
        Ok(t) => Some((node.unwrap_or(profile), t.unwrap_or(""))),
        Err(_) => Some((node.unwrap_or(profile), "?")),
    }
}

fn valid_annotation(v: &Node) -> bool {
    v.as_str().is_some_and(|s| {
        s == "runtime/default" || s == "docker/default" || s.starts_with("localhost/")
    })
}

fn run(pod: &PodView<'_>, minor: u32, out: &mut Vec<Violation>) {
    if minor < 19 {
        let mut keys = vec![POD_ANNOTATION.to_string()];
        keys.extend(
            pod.containers()
                .map(|c| format!("{CONTAINER_PREFIX}{}", c.name())),
        );
        for key in keys {
            if let Some(v) = pod.annotation(&key).filter(|v| !valid_annotation(v)) {
                out.push(Violation::new(
                    &RULE,
                    format!("{}.annotations[{key}]", pod.meta_path),
                    v,
                    format!(
                        "Annotation `{key}` must not set seccomp profile `{}`",
                        v.as_str().unwrap_or("?")
                    ),
                ));
            }
        }
        return;
    }
    fields(pod, &RULE, out);
}

/// The v1.19+ field check, shared with the restricted check.
pub fn fields(pod: &PodView<'_>, rule: &'static Rule, out: &mut Vec<Violation>) {
    if let Some((node, t)) = bad_type(pod.security_context()) {
        out.push(Violation::new(
            rule,
            pod.path("securityContext.seccompProfile.type"),
            node,
            format!("Pod must not set `securityContext.seccompProfile.type` to `{t}`"),
        ));
    }
    for c in pod.containers() {
        if let Some((node, t)) = bad_type(c.security_context()) {
            out.push(Violation::new(
                rule,
                c.field_path("securityContext.seccompProfile.type"),
                node,
                format!(
                    "Container `{}` must not set `securityContext.seccompProfile.type` to `{t}`",
                    c.name()
                ),
            ));
        }
    }
}
