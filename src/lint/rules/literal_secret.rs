//! `literal-secret`: a `Secret` object committed with its data.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::field;
use crate::lint::secrets::detect;
use crate::lint::{Context, Hit};
use crate::yaml::Node;
use base64::Engine;

pub const RULE: Rule = Rule {
    id: "GATE-K8S-052",
    name: "literal-secret",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Secret object is committed with literal data",
    explain: r#"## What it checks
Every core `Secret` object: `data` and `stringData` are absent or empty. The message names the
first entry the shared secret detector (`gate explain GATE-K8S-050`) recognises, `data` values
decoded from base64 first; the value is never printed.

## Why it matters
"Kubernetes Secrets are, by default, stored unencrypted in the API server's underlying data store
(etcd). Anyone with API access can retrieve or modify a Secret" — and a Secret in a manifest is
also in the repository, where `data` is only base64, not encryption. Create Secrets from an
encrypted or external source instead. (Kubernetes, Secrets and Good practices for Kubernetes
Secrets)

## How to fix
Failing:
```yaml
kind: Secret
metadata: {name: db}
data:
  password: aHVudGVyMg==
```
Fixed, with External Secrets (or commit a `SealedSecret` made by `kubeseal`):
```yaml
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: db}
spec:
  secretStoreRef: {name: vault, kind: SecretStore}
  target: {name: db}
  data:
  - secretKey: password
    remoteRef: {key: shop/db, property: password}
```

## References
- https://kubernetes.io/docs/concepts/configuration/secret/
- https://kubernetes.io/docs/concepts/security/secrets-good-practices/
- https://external-secrets.io/ and https://github.com/bitnami-labs/sealed-secrets
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, o) in cx.of_kind("Secret").filter(|(_, o)| o.api_version == "v1") {
        for key in ["data", "stringData"] {
            let Some(data) = field(Some(o.node), key) else {
                continue;
            };
            let entries = data.as_map().map_or(1, <[_]>::len);
            if entries == 0 {
                continue;
            }
            out.push(cx.hit(
                &RULE,
                i,
                data,
                format!(
                    "Secret `{}` is committed with {entries} literal `{key}` entr{}{}; use Sealed Secrets or External Secrets",
                    o.name,
                    if entries == 1 { "y" } else { "ies" },
                    recognised(data, key == "data")
                ),
            ));
        }
    }
}

/// `` (`password` has a secret-looking name and a literal value)`` for the first entry the shared
/// detector recognises, else nothing.
fn recognised(data: &Node, base64: bool) -> String {
    let entries = data.as_map().map_or(&[][..], |m| m);
    entries
        .iter()
        .find_map(|(k, v)| {
            let key = k.as_str()?;
            let raw = v.as_str()?;
            let value = if base64 {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(raw.split_whitespace().collect::<String>())
                    .ok()?;
                String::from_utf8(bytes).ok()?
            } else {
                raw.to_string()
            };
            detect(key, &value).map(|d| format!(" (`{key}` {})", d.why))
        })
        .unwrap_or_default()
}
