//! `secret-in-configmap`: a ConfigMap that holds a secret, by key name, by token format, or as a
//! `password=…` line in an embedded file.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::field;
use crate::lint::secrets::{detect, evidence_line};
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-051",
    name: "secret-in-configmap",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "ConfigMap holds a secret",
    explain: r#"## What it checks
Every `data` entry of a `ConfigMap`, with the shared secret detector that `gate explain
GATE-K8S-050` describes: the value contains no known token format, the key does not look like a
secret with a literal value, and an embedded file has no `password=…`/`token: …` lines with
literal values. Values are never printed.

## Why it matters
"ConfigMap does not provide secrecy or encryption. If the data you want to store are
confidential, use a Secret rather than a ConfigMap, or use additional (third party) tools to keep
your data private." (Kubernetes, ConfigMaps)

## How to fix
Failing:
```yaml
kind: ConfigMap
data:
  DB_PASSWORD: hunter2
```
Fixed: keep the value in a Secret managed outside Git (Sealed Secrets, External Secrets) and
reference it:
```yaml
kind: ConfigMap
data:
  DB_USER: app
---
kind: ExternalSecret
spec:
  target: {name: db}
  data:
  - secretKey: password
    remoteRef: {key: shop/db, property: password}
```

## References
- https://kubernetes.io/docs/concepts/configuration/configmap/
- https://kubernetes.io/docs/concepts/configuration/secret/
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, o) in cx.of_kind("ConfigMap") {
        let Some(data) = field(Some(o.node), "data").and_then(|d| d.as_map()) else {
            continue;
        };
        for (k, v) in data {
            let key = k.as_str().unwrap_or("");
            let text = v.as_str().unwrap_or("");
            let Some(d) = detect(key, text) else {
                continue;
            };
            let (why, line) = (&d.why, evidence_line(v, &d));
            let mut hit = cx.hit(
                &RULE,
                i,
                v,
                format!(
                    "ConfigMap `{}` key `{key}` {why}; move it to a Secret",
                    o.name
                ),
            );
            if let Some(l) = hit.finding.location.as_mut() {
                l.line = line;
            }
            out.push(hit);
        }
    }
}
