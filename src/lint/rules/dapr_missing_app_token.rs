//! `dapr-missing-app-token`: a Dapr-enabled pod without API token annotations, when the policy
//! requires them.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::PodView;
use crate::lint::rules::pods;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-DAPR-003",
    name: "dapr-missing-app-token",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Dapr-enabled pod has no API token annotations",
    explain: r#"## What it checks
When the policy requires Dapr API tokens: every pod template annotated `dapr.io/enabled: "true"`
also carries `dapr.io/app-token-secret` (Dapr authenticates to the app) and
`dapr.io/api-token-secret` (the app authenticates to Dapr).

## Why it matters
By default Dapr relies on the network boundary to protect its API; the Dapr docs advise token
authentication when a deployment needs more (Dapr, Enable API token authentication). The app
token works the other way: Dapr sends it with every call so the app can tell the call came from
its sidecar (Dapr, Authenticate requests from Dapr using token authentication).

## How to fix
Failing:
```yaml
annotations:
  dapr.io/enabled: "true"
  dapr.io/app-id: orders
```
Fixed:
```yaml
annotations:
  dapr.io/enabled: "true"
  dapr.io/app-id: orders
  dapr.io/api-token-secret: dapr-api-token
  dapr.io/app-token-secret: dapr-app-token
```

## References
- https://docs.dapr.io/operations/security/api-token/
- https://docs.dapr.io/operations/security/app-api-token/
"#,
};

const TOKENS: &[&str] = &["dapr.io/app-token-secret", "dapr.io/api-token-secret"];

/// Is the pod annotated `dapr.io/enabled: "true"`?
pub fn dapr_enabled(pod: &PodView<'_>) -> bool {
    pod.annotation("dapr.io/enabled")
        .and_then(|n| n.as_str())
        .is_some_and(|s| s.eq_ignore_ascii_case("true"))
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    if !cx.cfg.require_dapr_app_token {
        return;
    }
    for (i, o, pod) in pods(cx) {
        if !dapr_enabled(&pod) {
            continue;
        }
        let missing: Vec<String> = TOKENS
            .iter()
            .filter(|k| {
                pod.annotation(k)
                    .and_then(|n| n.as_str())
                    .is_none_or(str::is_empty)
            })
            .map(|k| format!("`{k}`"))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let at = pod.annotation("dapr.io/enabled").unwrap_or(pod.spec);
        out.push(cx.hit(
            &RULE,
            i,
            at,
            format!(
                "Dapr-enabled {} `{}` has no {} annotation",
                o.kind,
                o.name,
                missing.join(" or ")
            ),
        ));
    }
}
