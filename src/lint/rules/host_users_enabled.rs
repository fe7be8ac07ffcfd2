//! `host-users-enabled`: a pod that could run in its own user namespace (`hostUsers: false`)
//! but does not.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, flag, Flag};
use crate::lint::rules::pods;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-066",
    name: "host-users-enabled",
    severity: Severity::Note,
    section: crate::finding::Section::Rules,
    summary: "Pod shares the host's user namespace where it could have its own",
    explain: r#"## What it checks
Every Linux pod that uses none of the host namespaces (`hostNetwork`, `hostPID`, `hostIPC`, which
are incompatible with user namespaces): `spec.hostUsers: false` is set. Informational (`note`):
user namespaces need Kubernetes 1.33+ (on by default) and a runtime and filesystem that support
ID-mapped mounts.

## Why it matters
"A process running as root in a container can run as a different (non-root) user in the host; in
other words, the process has full privileges for operations inside the user namespace, but is
unprivileged for operations outside the namespace." Several container-breakout CVEs are not
exploitable from a pod with `hostUsers: false`. Pod Security restricted also relaxes its
`runAsNonRoot` and `runAsUser` checks for such pods. (Kubernetes, User Namespaces)

## How to fix
Failing:
```yaml
kind: Pod
spec:
  containers:
  - {name: app, image: registry.example/app:1.0}
```
Fixed:
```yaml
kind: Pod
spec:
  hostUsers: false
  containers:
  - {name: app, image: registry.example/app:1.0}
```

## References
- https://kubernetes.io/docs/concepts/workloads/pods/user-namespaces/
- https://kubernetes.io/docs/tasks/configure-pod-container/user-namespaces/
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, o, pod) in pods(cx) {
        let host = ["hostNetwork", "hostPID", "hostIPC"]
            .iter()
            .any(|k| flag(field(Some(pod.spec), k)) == Flag::True);
        let users = field(Some(pod.spec), "hostUsers");
        if host || pod.is_windows() || flag(users) == Flag::False {
            continue;
        }
        out.push(cx.hit(
            &RULE,
            i,
            users.unwrap_or(pod.spec),
            format!(
                "{} `{}` does not set `{}: false`: it shares the host's user namespace",
                o.kind,
                o.name,
                pod.path("hostUsers")
            ),
        ));
    }
}
