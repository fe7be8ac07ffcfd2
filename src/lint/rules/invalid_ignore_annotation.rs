//! `invalid-ignore-annotation`: a `gate.dev/ignore` annotation that cannot be applied.

use crate::finding::Rule;
use crate::finding::Severity;

pub const RULE: Rule = Rule {
    id: "GATE-LINT-002",
    name: "invalid-ignore-annotation",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Inline `gate.dev/ignore` annotation is malformed",
    explain: r#"## What it checks
Every `gate.dev/ignore` annotation: it reads
`<RULE>[,<RULE>] [expires=YYYY-MM-DD] reason=<text>`, names known rules (IDs or names) and has a
non-empty reason. (Whether a well-formed annotation applies is the trusted policy's choice:
`manifests.inline-exceptions`.)

## Why it matters
An exception without a reason cannot be reviewed, and one that names no known rule silently
covers nothing. gate does not apply a malformed annotation, and says so instead of guessing.

## How to fix
Failing:
```yaml
annotations:
  gate.dev/ignore: "GATE-PSS-002"
```
Fixed:
```yaml
annotations:
  gate.dev/ignore: "GATE-PSS-002 reason=CSI node plugin needs privileged mode"
```

## References
- https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations/
"#,
};
