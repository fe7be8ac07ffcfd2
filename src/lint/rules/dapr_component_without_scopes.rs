//! `dapr-component-without-scopes`: a Dapr `Component` that every app in the namespace can use.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::items;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-DAPR-001",
    name: "dapr-component-without-scopes",
    severity: Severity::Warning,
    section: crate::finding::Section::Rules,
    summary: "Dapr component is not limited to named apps with `scopes`",
    explain: r#"## What it checks
Every `Component` of `dapr.io`: `scopes` lists the app IDs allowed to use it.

## Why it matters
Dapr components are namespaced, and without `scopes` every application in the namespace can load
them; scopes limit a component to the app IDs listed (Dapr, How-To: Scope components to one or
more applications). A state store or secret store open to every app turns one compromised app
into access to all of their data.

## How to fix
Failing:
```yaml
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: orders-db}
spec:
  type: state.postgresql
```
Fixed:
```yaml
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: orders-db}
spec:
  type: state.postgresql
scopes: [orders]
```

## References
- https://docs.dapr.io/operations/components/component-scopes/
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, o) in cx
        .of_kind("Component")
        .filter(|(_, o)| o.group() == "dapr.io")
    {
        if items(Some(o.node), "scopes").is_empty() {
            let at = o.node.get("scopes").unwrap_or(o.node);
            out.push(cx.hit(
                &RULE,
                i,
                at,
                format!(
                    "Dapr component `{}` has no `scopes`: every app in `{}` can use it",
                    o.name,
                    o.ns()
                ),
            ));
        }
    }
}
