//! `secret-in-env`: a container environment variable with a literal value that is a secret by
//! its name or by its format.

use crate::finding::Severity;
use crate::lint::pod::{field, items};
use crate::lint::rules::pods;
use crate::lint::rules::secret_patterns::{literal_value, secret_name, token_format};
use crate::lint::{Context, Hit};
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    id: "GATE-K8S-050",
    name: "secret-in-env",
    severity: Severity::Error,
    summary: "Container has a secret as a literal environment value",
    explain: r#"## What it checks
Every `env[*]` of every container: a literal `value` is not allowed when the name looks like a
secret (`PASSWORD`, `TOKEN`, `SECRET`, `API_KEY`, `ACCESS_KEY`, `PRIVATE_KEY`, `CREDENTIAL`, …)
or the value matches a known token format (AWS keys, GitHub/GitLab/Slack/Stripe/npm tokens,
Google API keys, private keys, JSON Web Tokens, URLs with a password). The value is never printed.

## Why it matters
"A Secret is an object that contains a small amount of sensitive data such as a password, a
token, or a key … Using a Secret means that you don't need to include confidential data in your
application code." A literal in a manifest is in Git history and readable by everyone who can
read the workload. (Kubernetes, Secrets)

## How to fix
Failing:
```yaml
env:
- name: DB_PASSWORD
  value: hunter2
```
Fixed:
```yaml
env:
- name: DB_PASSWORD
  valueFrom:
    secretKeyRef: {name: db, key: password}
```

## References
- https://kubernetes.io/docs/concepts/configuration/secret/
- https://kubernetes.io/docs/tasks/inject-data-application/distribute-credentials-secure/
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, o, pod) in pods(cx) {
        for c in pod.containers() {
            for (e, env) in items(Some(c.node), "env").iter().enumerate() {
                let Some(value) = field(Some(env), "value") else {
                    continue;
                };
                let name = env.get_str("name").unwrap_or("");
                let text = value.as_str().unwrap_or("");
                let why = match token_format(text) {
                    Some(format) => format!("holds what looks like {format}"),
                    None if secret_name(name) && literal_value(text) => {
                        "has a secret-looking name and a literal value".to_string()
                    }
                    None => continue,
                };
                out.push(cx.hit(
                    &RULE,
                    i,
                    value,
                    format!(
                        "`{}` of {} `{}`: env `{name}` {why}; use `valueFrom.secretKeyRef`",
                        c.field_path(&format!("env[{e}].value")),
                        o.kind,
                        o.name
                    ),
                ));
            }
        }
    }
}
