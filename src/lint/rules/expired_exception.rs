//! `expired-exception`: an exception (policy or inline) matched a finding after its date; the
//! finding stands and this one says why.

use crate::finding::Rule;
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "GATE-LINT-001",
    name: "expired-exception",
    severity: Severity::Warning,
    section: crate::finding::Section::Rules,
    summary: "An exception matched a finding but has expired",
    explain: r#"## What it checks
Every exception that matches a lint finding, from the policy file (`exceptions:`) or from an
object's `gate.dev/ignore` annotation (`expires=YYYY-MM-DD`, where the trusted policy allows
inline exceptions: `manifests.inline-exceptions`): its `expires` date has not passed.

## Why it matters
An exception is a promise to fix something by a date. Once the date passes, the exception stops
applying, so the finding it covered fails the gate again; this finding says which exception ran
out, so the owner can fix the object or renew the exception on purpose.

## How to fix
Failing:
```yaml
metadata:
  annotations:
    gate.dev/ignore: "GATE-PSS-002 expires=2025-01-31 reason=driver needs it until v2"
```
Fixed: fix the object, or renew the exception with a new date and reason:
```yaml
metadata:
  annotations:
    gate.dev/ignore: "GATE-PSS-002 expires=2026-06-30 reason=driver v2 ships in June"
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-admission/#exemptions
"#,
};
