//! PSS restricted `restrictedVolumes`: only the volume types that cannot reach the node or
//! unmanaged storage.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{items, PodView};
use crate::lint::pss::{Check, Level, Violation};

pub const RULE: Rule = Rule {
    id: "GATE-PSS-013",
    name: "restricted-volume-type",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Pod uses a volume type the restricted profile forbids",
    explain: r#"## What it checks
Pod Security Standards, restricted: every entry of `spec.volumes` must be one of `configMap`,
`csi`, `downwardAPI`, `emptyDir`, `ephemeral`, `image`, `persistentVolumeClaim`, `projected`,
`secret`. gate also rejects a volume that names an allowed type *and* another one (the API server
rejects those too).

This check subsumes the baseline rule `GATE-PSS-004`. At the restricted level both run and report
the same field, so turning one of them `off` never hides the other's finding.

## Why it matters
"The Restricted policy only permits the following volume types." (Kubernetes, Pod Security
Standards). Inline volume sources such as `hostPath`, `nfs` or `rbd` reach the node or storage
that the cluster does not manage; persistent volumes set up by an administrator are the safe way.

## How to fix
Failing:
```yaml
volumes:
- name: shared
  nfs:
    server: nfs.example
    path: /exports
```
Fixed:
```yaml
volumes:
- name: shared
  persistentVolumeClaim:
    claimName: shared
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
"#,
};

pub const CHECK: Check = Check {
    id: "restrictedVolumes",
    rule: &RULE,
    level: Level::Restricted,
    since: 0,
    overrides: &["hostPathVolumes"],
    run,
};

const ALLOWED: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

fn run(pod: &PodView<'_>, _minor: u32, out: &mut Vec<Violation>) {
    for (i, v) in items(Some(pod.spec), "volumes").iter().enumerate() {
        let Some(pairs) = v.as_map() else {
            out.push(Violation::new(
                &RULE,
                pod.path(&format!("volumes[{i}]")),
                v,
                "Volume is not a mapping".to_string(),
            ));
            continue;
        };
        // A volume without a source defaults to `emptyDir`; any other source key is forbidden.
        for (k, val) in pairs {
            let key = k.as_str().unwrap_or("");
            if key == "name" || val.is_null() || ALLOWED.contains(&key) {
                continue;
            }
            out.push(Violation::new(
                &RULE,
                pod.path(&format!("volumes[{i}].{key}")),
                k,
                format!(
                    "Volume `{}` must not use volume type `{key}`",
                    v.get_str("name").unwrap_or("")
                ),
            ));
        }
    }
}
