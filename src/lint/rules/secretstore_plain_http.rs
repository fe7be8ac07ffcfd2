//! `secretstore-plain-http`: an External Secrets `SecretStore` or `ClusterSecretStore` that talks
//! to its provider over plain HTTP.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::field;
use crate::lint::{Context, Hit};
use crate::yaml::{Node, Value};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-053",
    name: "secretstore-plain-http",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "SecretStore reaches its provider over plain HTTP",
    explain: r#"## What it checks
Every `SecretStore` and `ClusterSecretStore` of `external-secrets.io`: no URL under
`spec.provider` starts with `http://`.

## Why it matters
The store's provider (Vault, a webhook, …) returns the secret values and receives the store's own
credentials. Over plain HTTP both cross the network in clear text and can be read or changed by
anyone on the path. "Kubernetes expects that all API communication in the cluster is encrypted by
default with TLS" (Kubernetes, Controlling Access to the Kubernetes API); secrets deserve the same.

## How to fix
Failing:
```yaml
spec:
  provider:
    vault:
      server: http://vault.vault:8200
```
Fixed:
```yaml
spec:
  provider:
    vault:
      server: https://vault.vault:8200
      caProvider: {type: ConfigMap, name: vault-ca, key: ca.crt}
```

## References
- https://external-secrets.io/latest/api/secretstore/
- https://kubernetes.io/docs/concepts/security/controlling-access/#transport-security
"#,
};

fn walk<'a>(n: &'a Node, path: &mut Vec<String>, out: &mut Vec<(String, &'a Node)>) {
    match &n.value {
        Value::Scalar(s, _) if s.trim_start().to_ascii_lowercase().starts_with("http://") => {
            out.push((path.join("."), n))
        }
        Value::Scalar(..) => {}
        Value::Seq(items) => {
            for (i, it) in items.iter().enumerate() {
                path.push(format!("[{i}]"));
                walk(it, path, out);
                path.pop();
            }
        }
        Value::Map(pairs) => {
            for (k, v) in pairs {
                path.push(k.as_str().unwrap_or("?").to_string());
                walk(v, path, out);
                path.pop();
            }
        }
    }
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    let stores = cx.iter().filter(|(_, o)| {
        matches!(o.kind, "SecretStore" | "ClusterSecretStore") && o.group() == "external-secrets.io"
    });
    for (i, o) in stores {
        let Some(provider) = field(field(Some(o.node), "spec"), "provider") else {
            continue;
        };
        let mut urls = Vec::new();
        walk(provider, &mut vec!["spec.provider".to_string()], &mut urls);
        for (path, node) in urls {
            out.push(cx.hit(
                &RULE,
                i,
                node,
                format!(
                    "{} `{}` reaches its provider over plain HTTP at `{}`",
                    o.kind,
                    o.name,
                    path.replace(".[", "[")
                ),
            ));
        }
    }
}
