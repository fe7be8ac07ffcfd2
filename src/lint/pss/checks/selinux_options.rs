//! PSS baseline `seLinuxOptions`: only the container SELinux types, no custom user or role.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, text, PodView};
use crate::lint::pss::{Check, Level, Violation};
use crate::yaml::Node;

pub const RULE: Rule = Rule {
    id: "GATE-PSS-007",
    name: "forbidden-selinux-options",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Pod or container sets a custom SELinux type, user or role",
    explain: r#"## What it checks
Pod Security Standards, baseline: `securityContext.seLinuxOptions` of the pod and of every
container may set `type` only to `container_t`, `container_init_t`, `container_kvm_t` (and, from
policy v1.31, `container_engine_t`), and must not set `user` or `role`.

## Why it matters
"Setting the SELinux type is restricted, and setting a custom SELinux user or role option is
forbidden." (Kubernetes, Pod Security Standards). Another SELinux type or user can lift the
confinement that keeps a container away from the node.

## How to fix
Failing:
```yaml
securityContext:
  seLinuxOptions:
    type: spc_t
```
Fixed:
```yaml
securityContext:
  seLinuxOptions:
    type: container_t
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
"#,
};

pub const CHECK: Check = Check {
    id: "seLinuxOptions",
    rule: &RULE,
    level: Level::Baseline,
    since: 0,
    overrides: &[],
    run,
};

fn allowed_type(t: &str, minor: u32) -> bool {
    matches!(
        t,
        "" | "container_t" | "container_init_t" | "container_kvm_t"
    ) || (minor >= 31 && t == "container_engine_t")
}

/// Push a violation for each bad key of the `seLinuxOptions` under `sc`.
fn check(sc: Option<&Node>, base: String, who: &str, minor: u32, out: &mut Vec<Violation>) {
    let Some(opts) = field(sc, "seLinuxOptions") else {
        return;
    };
    let t = field(Some(opts), "type");
    match text(t) {
        Ok(v) if allowed_type(v.unwrap_or(""), minor) => {}
        v => out.push(Violation::new(
            &RULE,
            format!("{base}.seLinuxOptions.type"),
            t.unwrap_or(opts),
            format!(
                "{who} must not set SELinux type `{}`",
                v.ok().flatten().unwrap_or("?")
            ),
        )),
    }
    for key in ["user", "role"] {
        let n = field(Some(opts), key);
        if !matches!(text(n), Ok(None) | Ok(Some(""))) {
            out.push(Violation::new(
                &RULE,
                format!("{base}.seLinuxOptions.{key}"),
                n.unwrap_or(opts),
                format!("{who} must not set SELinux {key}"),
            ));
        }
    }
}

fn run(pod: &PodView<'_>, minor: u32, out: &mut Vec<Violation>) {
    check(
        pod.security_context(),
        pod.path("securityContext"),
        "Pod",
        minor,
        out,
    );
    for c in pod.containers() {
        check(
            c.security_context(),
            c.field_path("securityContext"),
            &format!("Container `{}`", c.name()),
            minor,
            out,
        );
    }
}
