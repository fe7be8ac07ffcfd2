//! `missing-cpu-limit`: a container without `resources.limits.cpu`.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::rules::resources;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-064",
    name: "missing-cpu-limit",
    severity: Severity::Warning,
    section: crate::finding::Section::Rules,
    summary: "Container has no CPU limit",
    explain: r#"## What it checks
Every container and init container (not ephemeral containers): `resources.limits.cpu` is set.
CPU and memory requests and limits are four rules (`GATE-K8S-061` memory limit, `GATE-K8S-063`
memory request, `GATE-K8S-064` CPU limit, `GATE-K8S-065` CPU request), so each can be turned off
on its own; together they replace the former `missing-resource-limits`.

## Why it matters
"If you do not specify a CPU limit for a Container … The Container has no upper bound on the CPU
resources it can use. The Container could use all of the CPU resources available on the Node"
(Kubernetes, Assign CPU Resources). Some teams leave CPU limits out on purpose to avoid CFS
throttling; they can turn off this rule alone (`GATE-K8S-064: off`) and keep the others.

## How to fix
Failing:
```yaml
containers:
- name: app
  image: registry.example/app:1.0
```
Fixed:
```yaml
containers:
- name: app
  image: registry.example/app:1.0
  resources:
    limits: {cpu: 500m}
```

## References
- https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
- https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/
- https://kubernetes.io/docs/tasks/configure-pod-container/assign-cpu-resource/
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    resources::check(cx, out, &RULE, "limits", "cpu");
}
