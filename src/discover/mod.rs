//! Stage `discover`: find image references in files (see DESIGN.md). Work in progress.

use crate::finding::Severity;
use crate::rules::Rule;

/// The rules this stage reports.
pub const RULES: &[Rule] = &[UNPINNED_IMAGE];

/// An image reference that names a tag (or nothing) instead of a digest.
pub const UNPINNED_IMAGE: Rule = Rule {
    id: "GATE-IMG-001",
    name: "unpinned-image",
    severity: Severity::Error,
    summary: "Image is referenced by tag, not by digest",
    explain: "## What it checks\nEvery image reference the gate discovers must carry a digest \
(`name:tag@sha256:…`).\n\n## Why it matters\nA tag can be moved to other bytes at any time; only \
a digest names exactly what was scanned and verified.\n\n## How to fix\nRun `gate pin -f PATH` (or \
`gate check --pin`) to rewrite references to `name:tag@sha256:…`.\n\n## References\n- \
https://kubernetes.io/docs/concepts/containers/images/#image-names\n",
};
