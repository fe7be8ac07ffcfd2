//! PSS baseline `windowsHostProcess`: no Windows HostProcess pods or containers.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, flag, Flag, PodView};
use crate::lint::pss::{Check, Level, Violation};
use crate::yaml::Node;

pub const RULE: Rule = Rule {
    id: "GATE-PSS-011",
    name: "windows-host-process",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Pod or container runs as a Windows HostProcess",
    explain: r#"## What it checks
Pod Security Standards, baseline: `securityContext.windowsOptions.hostProcess` of the pod and of
every container must be unset or `false`.

## Why it matters
"Windows pods offer the ability to run HostProcess containers which enables privileged access to
the Windows host machine. Privileged access to the host is disallowed in the baseline policy."
(Kubernetes, Pod Security Standards)

## How to fix
Failing:
```yaml
securityContext:
  windowsOptions:
    hostProcess: true
```
Fixed:
```yaml
securityContext:
  windowsOptions:
    hostProcess: false
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
"#,
};

pub const CHECK: Check = Check {
    id: "windowsHostProcess",
    rule: &RULE,
    level: Level::Baseline,
    since: 0,
    overrides: &[],
    run,
};

fn bad(sc: Option<&Node>) -> Option<&Node> {
    let opts = field(sc, "windowsOptions")?;
    let n = field(Some(opts), "hostProcess");
    matches!(flag(n), Flag::True | Flag::Invalid).then(|| n.unwrap_or(opts))
}

fn run(pod: &PodView<'_>, _minor: u32, out: &mut Vec<Violation>) {
    if let Some(n) = bad(pod.security_context()) {
        out.push(Violation::new(
            &RULE,
            pod.path("securityContext.windowsOptions.hostProcess"),
            n,
            "Pod must not set `securityContext.windowsOptions.hostProcess=true`".to_string(),
        ));
    }
    for c in pod.containers() {
        if let Some(n) = bad(c.security_context()) {
            out.push(Violation::new(
                &RULE,
                c.field_path("securityContext.windowsOptions.hostProcess"),
                n,
                format!(
                    "Container `{}` must not set `securityContext.windowsOptions.hostProcess=true`",
                    c.name()
                ),
            ));
        }
    }
}
