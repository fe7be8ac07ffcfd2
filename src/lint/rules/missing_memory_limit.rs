//! `missing-memory-limit`: a container without `resources.limits.memory`.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::rules::resources;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-061",
    name: "missing-memory-limit",
    severity: Severity::Warning,
    section: crate::finding::Section::Rules,
    summary: "Container has no memory limit",
    explain: r#"## What it checks
Every container and init container (not ephemeral containers): `resources.limits.memory` is set.
CPU and memory requests and limits are four rules (`GATE-K8S-061` memory limit, `GATE-K8S-063`
memory request, `GATE-K8S-064` CPU limit, `GATE-K8S-065` CPU request), so each can be turned off
on its own; together they replace the former `missing-resource-limits`.

## Why it matters
"If you do not specify a memory limit for a Container … the Container has no upper bound on the
amount of memory it uses. The Container could use all of the memory available on the Node where
it is running, which in turn could invoke the OOM Killer." (Kubernetes, Assign Memory Resources)
A pod without a memory limit can starve its neighbours, by accident or in a denial-of-service.

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
    limits: {memory: 256Mi}
```

## References
- https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
- https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/
- https://kubernetes.io/docs/tasks/configure-pod-container/assign-cpu-resource/
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    resources::check(cx, out, &RULE, "limits", "memory");
}
