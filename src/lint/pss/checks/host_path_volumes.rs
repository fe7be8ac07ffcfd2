//! PSS baseline `hostPathVolumes`: no hostPath volumes.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, items, PodView};
use crate::lint::pss::{Check, Level, Violation};

pub const RULE: Rule = Rule {
    id: "GATE-PSS-004",
    name: "hostpath-volume",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Pod mounts a hostPath volume",
    explain: r#"## What it checks
Pod Security Standards, baseline: no entry of `spec.volumes` may be a `hostPath` volume.

## Why it matters
"HostPath volumes must be forbidden." (Kubernetes, Pod Security Standards). A hostPath volume
exposes the node's file system to the pod: writing to `/etc`, the kubelet's directories or the
container runtime's socket takes over the node.

## How to fix
Failing:
```yaml
volumes:
- name: data
  hostPath:
    path: /var/lib/app
```
Fixed:
```yaml
volumes:
- name: data
  persistentVolumeClaim:
    claimName: app-data
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
- https://kubernetes.io/docs/concepts/storage/volumes/#hostpath
"#,
};

pub const CHECK: Check = Check {
    id: "hostPathVolumes",
    rule: &RULE,
    level: Level::Baseline,
    since: 0,
    overrides: &[],
    run,
};

fn run(pod: &PodView<'_>, _minor: u32, out: &mut Vec<Violation>) {
    for (i, v) in items(Some(pod.spec), "volumes").iter().enumerate() {
        if let Some(h) = field(Some(v), "hostPath") {
            out.push(Violation::new(
                &RULE,
                pod.path(&format!("volumes[{i}].hostPath")),
                h,
                format!(
                    "Volume `{}` must not be a `hostPath` volume",
                    v.get_str("name").unwrap_or("")
                ),
            ));
        }
    }
}
