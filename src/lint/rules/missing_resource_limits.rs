//! `missing-resource-limits`: a container without CPU and memory requests and limits.

use crate::finding::Severity;
use crate::lint::pod::field;
use crate::lint::rules::pods;
use crate::lint::{Context, Hit};
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    id: "GATE-K8S-061",
    name: "missing-resource-limits",
    severity: Severity::Warning,
    summary: "Container has no CPU or memory requests and limits",
    explain: r#"## What it checks
Every container and init container: `resources.requests.cpu`, `resources.requests.memory`,
`resources.limits.cpu` and `resources.limits.memory` are set.

## Why it matters
"If you do not specify a memory limit for a Container … the Container has no upper bound on the
amount of memory it uses. The Container could use all of the memory available on the Node where
it is running" (Kubernetes, Assign Memory Resources). Requests let the scheduler place the pod; a
pod without limits can starve its neighbours, by accident or in a denial-of-service.

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
    requests: {cpu: 100m, memory: 128Mi}
    limits: {cpu: 500m, memory: 256Mi}
```

## References
- https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
- https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, _, pod) in pods(cx) {
        for c in pod.containers().filter(|c| c.list != "ephemeralContainers") {
            let res = field(Some(c.node), "resources");
            let missing: Vec<String> = [
                ("requests", "cpu"),
                ("requests", "memory"),
                ("limits", "cpu"),
                ("limits", "memory"),
            ]
            .iter()
            .filter(|(kind, r)| field(field(res, kind), r).is_none())
            .map(|(kind, r)| format!("`{kind}.{r}`"))
            .collect();
            if missing.is_empty() {
                continue;
            }
            out.push(cx.hit(
                &RULE,
                i,
                res.unwrap_or(c.node),
                format!(
                    "Container `{}` has no resources {} (`{}`)",
                    c.name(),
                    missing.join(", "),
                    c.field_path("resources")
                ),
            ));
        }
    }
}
