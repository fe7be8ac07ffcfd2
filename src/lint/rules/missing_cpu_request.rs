//! `missing-cpu-request`: a container without `resources.requests.cpu`.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::rules::resources;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-065",
    name: "missing-cpu-request",
    severity: Severity::Warning,
    section: crate::finding::Section::Rules,
    summary: "Container has no CPU request",
    explain: r#"## What it checks
Every container and init container (not ephemeral containers): `resources.requests.cpu` is set.
CPU and memory requests and limits are four rules (`GATE-K8S-061` memory limit, `GATE-K8S-063`
memory request, `GATE-K8S-064` CPU limit, `GATE-K8S-065` CPU request), so each can be turned off
on its own; together they replace the former `missing-resource-limits`.

## Why it matters
"When you specify the resource request for containers in a Pod, the kube-scheduler uses this
information to decide which node to place the Pod on." (Kubernetes, Resource Management for Pods
and Containers) Without a CPU request the scheduler may pack the pod onto a busy node and the
pod gets the smallest CPU share under contention.

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
    requests: {cpu: 100m}
```

## References
- https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
- https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/
- https://kubernetes.io/docs/tasks/configure-pod-container/assign-cpu-resource/
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    resources::check(cx, out, &RULE, "requests", "cpu");
}
