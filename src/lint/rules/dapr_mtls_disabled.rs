//! `dapr-mtls-disabled`: a Dapr `Configuration` that turns mutual TLS off.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, flag, Flag};
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-DAPR-002",
    name: "dapr-mtls-disabled",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Dapr configuration disables mTLS",
    explain: r#"## What it checks
Every `Configuration` of `dapr.io`: `spec.mtls.enabled` is not `false`.

## Why it matters
Dapr encrypts and authenticates traffic between sidecars with mutual TLS, using certificates from
its Sentry service, and turns it on by default (Dapr, Setup & configure mTLS certificates). With
it off, sidecars talk in clear text and do not authenticate each other, so any pod can
impersonate an app.

## How to fix
Failing:
```yaml
kind: Configuration
spec:
  mtls:
    enabled: false
```
Fixed:
```yaml
kind: Configuration
spec:
  mtls:
    enabled: true
```

## References
- https://docs.dapr.io/operations/security/mtls/
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, o) in cx
        .of_kind("Configuration")
        .filter(|(_, o)| o.group() == "dapr.io")
    {
        let node = field(field(field(Some(o.node), "spec"), "mtls"), "enabled");
        if let (Flag::False | Flag::Invalid, Some(n)) = (flag(node), node) {
            out.push(cx.hit(
                &RULE,
                i,
                n,
                format!(
                    "Dapr configuration `{}` sets `spec.mtls.enabled: false`",
                    o.name
                ),
            ));
        }
    }
}
