//! The rules stage `scan` reports, with their explain texts.

use crate::finding::Rule;
use crate::finding::Severity;

pub const VULNERABLE_PACKAGE: Rule = Rule {
    id: "GATE-VULN-001",
    name: "vulnerable-package",
    severity: Severity::Error,
    section: crate::finding::Section::Vulnerabilities,
    summary: "An image contains a package with a vulnerability at a failing severity",
    explain: "## What it checks\n\
Trivy scans the image by digest; for a multi-platform index, each child a node may run (by \
containerd's matching, with its fallbacks; narrowed only by a trusted `scanner.platforms`), each \
by its own digest. Every vulnerability whose severity is in the policy's \
`vulnerabilities.severities` (default `HIGH` and `CRITICAL`) is a finding at \
`vulnerabilities.level` (default `error`), unless `vulnerabilities.ignore-unfixed` is `true` \
and no fix exists, or an entry of the ignore file that `--ignorefile PATH` or the trusted \
policy's `vulnerabilities.trivyignore` names (`.trivyignore`/`.trivyignore.yaml`) or a gate \
exception (`exceptions:`) covers it; an ignore file the tree merely holds is not applied. \
Trivy's `--severity` and `--ignore-unfixed` are these policy keys.\n\n\
## Why it matters\n\
A known, rated vulnerability in a shipped package is the most common way into a container. \
Gating on the digest means the bytes you deploy are the bytes that were scanned.\n\n\
## How to fix\n\
Rebuild on a patched base image or upgrade the package to the fixed version named in the \
message, then pin the new digest. If the vulnerability does not affect you, add an exception \
with a `reason` and an `expires` date (or a `.trivyignore.yaml` entry with a `statement`).\n\n\
## References\n\
- https://trivy.dev/latest/docs/scanner/vulnerability/\n\
- https://trivy.dev/latest/docs/configuration/filtering/\n",
};

pub const EXPIRED_EXCEPTION: Rule = Rule {
    id: "GATE-VULN-002",
    name: "expired-vulnerability-exception",
    severity: Severity::Warning,
    section: crate::finding::Section::Rules,
    summary: "A vulnerability exception or ignore entry has expired and no longer applies",
    explain: "## What it checks\n\
An exception in the gate policy, or an entry in `.trivyignore` (`exp:YYYY-MM-DD`) or \
`.trivyignore.yaml` (`expired_at`), would cover a vulnerability but its date has passed. The \
vulnerability is reported again as `GATE-VULN-001`. Trivy's entries stop applying on their \
date; gate exceptions apply through the day of `expires`.\n\n\
## Why it matters\n\
Exceptions are promises to fix later. An expired one means the promise is due; silently \
keeping it would hide a known vulnerability forever.\n\n\
## How to fix\n\
Fix the vulnerability, or, if the reason still holds, renew the exception with a new date and \
an updated reason.\n\n\
## References\n\
- https://trivy.dev/latest/docs/configuration/filtering/#trivyignore\n",
};

pub const UNUSED_EXCEPTION: Rule = Rule {
    id: "GATE-VULN-003",
    name: "unused-vulnerability-exception",
    severity: Severity::Warning,
    section: crate::finding::Section::Rules,
    summary: "A vulnerability exception or ignore entry matched nothing",
    explain: "## What it checks\n\
After every image was judged, each gate exception about vulnerabilities and each entry of the \
ignore file that matched no finding is reported, as is an ignore-file line Trivy would skip \
(an invalid `exp:` date).\n\n\
## Why it matters\n\
Stale exceptions accumulate and later hide a new, unrelated finding with the same ID, or give \
a false sense that a risk is tracked.\n\n\
## How to fix\n\
Delete the entry, or correct its ID, paths, package URLs or image pattern.\n\n\
## References\n\
- https://trivy.dev/latest/docs/configuration/filtering/\n",
};
