//! PSS baseline `hostProbesAndHostLifecycle` (policy v1.34+): probes and lifecycle handlers must
//! not name a `host`.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, text, PodView};
use crate::lint::pss::{Check, Level, Violation};

pub const RULE: Rule = Rule {
    id: "GATE-PSS-012",
    name: "probe-or-lifecycle-host",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Probe or lifecycle handler targets another host",
    explain: r#"## What it checks
Pod Security Standards, baseline (policy v1.34 and later): the `httpGet.host` and
`tcpSocket.host` of every container's `livenessProbe`, `readinessProbe`, `startupProbe` and
`lifecycle.postStart`/`lifecycle.preStop` must be unset or empty.

## Why it matters
The Pod Security Standards (baseline, v1.34 and later) disallow the `host` field of probes and
lifecycle hooks: the kubelet makes the request from the node, so a `host` turns a probe into a way
to reach addresses the pod itself could not.

## How to fix
Failing:
```yaml
livenessProbe:
  httpGet:
    host: 10.0.0.1
    path: /healthz
    port: 8080
```
Fixed:
```yaml
livenessProbe:
  httpGet:
    path: /healthz
    port: 8080
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
"#,
};

pub const CHECK: Check = Check {
    id: "hostProbesAndHostLifecycle",
    rule: &RULE,
    level: Level::Baseline,
    since: 34,
    overrides: &[],
    run,
};

const HANDLERS: &[&[&str]] = &[
    &["livenessProbe"],
    &["readinessProbe"],
    &["startupProbe"],
    &["lifecycle", "postStart"],
    &["lifecycle", "preStop"],
];

fn run(pod: &PodView<'_>, _minor: u32, out: &mut Vec<Violation>) {
    for c in pod.containers() {
        for keys in HANDLERS {
            let handler = keys.iter().try_fold(c.node, |n, k| field(Some(n), k));
            for kind in ["httpGet", "tcpSocket"] {
                let n = field(field(handler, kind), "host");
                let host = match text(n) {
                    Ok(None) | Ok(Some("")) => continue,
                    Ok(Some(h)) => h,
                    Err(_) => "?",
                };
                let Some(n) = n else { continue };
                out.push(Violation::new(
                    &RULE,
                    c.field_path(&format!("{}.{kind}.host", keys.join("."))),
                    n,
                    format!(
                        "Container `{}` must not set host `{host}` in a probe or lifecycle handler",
                        c.name()
                    ),
                ));
            }
        }
    }
}
