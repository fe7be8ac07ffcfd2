//! `secret-in-env`: a container environment variable with a literal value that is a secret by
//! its name or by its format.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, items};
use crate::lint::rules::pods;
use crate::lint::secrets::{detect, evidence_line};
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-050",
    name: "secret-in-env",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Container has a secret as a literal environment value",
    explain: r#"## What it checks
Every `env[*]` of every container: a literal `value` must not be a secret. gate has one secret
detector, shared by this rule, `GATE-K8S-051` (ConfigMaps) and `GATE-K8S-052` (literal Secrets),
so the three never disagree. The value is never printed. It reports a value when:

1. the value contains a known token format: an AWS access key (`AKIA…`/`ASIA…`), a GitHub token
   (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), a GitLab token (`glpat-`), a Slack
   token (`xoxb-`, `xoxp-`, …), a Slack webhook URL, a Google API key (`AIza…`), a Stripe key
   (`sk_live_`, `rk_live_`), an npm token (`npm_`), an OpenAI API key (`sk-…`), a HashiCorp
   Vault token (`hvs.`), a private key (`-----BEGIN … PRIVATE KEY-----`, PGP key blocks), an
   Azure storage key (`AccountKey=`), an Azure shared access key (`SharedAccessKey=`), an Azure
   SAS token (`sig=`), a JSON Web Token (`eyJ….eyJ….…`), a URL with a password
   (`scheme://user:password@`); whatever the variable is called;
2. or the name looks like a secret and the value is a literal (not empty, not a `$VAR` or
   `<placeholder>`): names containing `PASSWORD`, `PASSWD`, `PASSPHRASE`, `SECRET`, `TOKEN`,
   `APIKEY`, `API_KEY`, `ACCESS_KEY`, `PRIVATE_KEY`, `CREDENTIAL`, `KEY_CONTENT`, `KEY_DATA`,
   `KEY_MATERIAL`, `SIGNING_KEY`, `CLIENT_KEY`, `MASTER_KEY`, `ENCRYPTION_KEY`,
   `CONNECTION_STRING`, or the words `PWD`, `AUTH` or `KEY` (`AZURE_BATCH_KEY`; not
   `PUBLIC_KEY`, `PARTITION_KEY`, `SORT_KEY`, …). Names are compared case-insensitively with
   `-`, `.` and camelCase read as `_`. A name whose last word says it is about something else is
   not a secret: `…_FILE`, `…_PATH`, `…_URL`, `…_NAME`, `…_ID`, `…_REF`, …;
3. or a multi-line value embeds a `key=value` / `key: value` line whose key looks like a secret
   (as in 2) with a literal value.

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
                let Some(d) = detect(name, value.as_str().unwrap_or("")) else {
                    continue;
                };
                let mut hit = cx.hit(
                    &RULE,
                    i,
                    value,
                    format!(
                        "`{}` of {} `{}`: env `{name}` {}; use `valueFrom.secretKeyRef`",
                        c.field_path(&format!("env[{e}].value")),
                        o.kind,
                        o.name,
                        d.why
                    ),
                );
                if let Some(l) = hit.finding.location.as_mut() {
                    l.line = evidence_line(value, &d);
                }
                // Two variables of one container are two findings (two SARIF alerts).
                hit.finding.key = Some(format!("{}/{name}", c.key()));
                out.push(hit);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// `gate explain GATE-K8S-050` lists every pattern of the shared detector.
    #[test]
    fn explain_lists_every_pattern() {
        let text = super::RULE
            .explain
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for p in crate::lint::secrets::patterns() {
            let p = p.trim_start_matches("an ").trim_start_matches("a ");
            assert!(text.contains(p), "explain lacks `{p}`");
        }
    }
}
