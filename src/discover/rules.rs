//! The rules discovery and pin report: unpinned images, stale pins and references that cannot
//! be resolved statically.

use crate::finding::Rule;
use crate::finding::Severity;

/// An image reference that names a tag (or nothing) instead of a digest.
pub const UNPINNED_IMAGE: Rule = Rule {
    id: "GATE-IMG-001",
    name: "unpinned-image",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Image is referenced by tag, not by digest",
    explain: "## What it checks\nEvery image reference the gate discovers must carry a digest \
(`name:tag@sha256:…`), wherever the tag is written: `gate check` and `gate pin --check` report \
it alike for Kubernetes pod templates, Dockerfile `FROM` lines, Compose `image:` keys, \
workflow and action images, kustomize and Helm image entries. `gate lint` runs offline over \
Kubernetes objects only, so it reports it for pod templates and says nothing about Dockerfiles \
or Compose files (it skips them with a note); check those with `gate check` or \
`gate pin --check`. With `gate check --pin` the references of images that passed are pinned \
instead of reported.\n\n## Why it matters\nA tag can be moved to other bytes at any time; only \
a digest names exactly what was scanned and verified.\n\n## How to fix\nRun `gate pin -f PATH` (or \
`gate check --pin`) to rewrite references to `name:tag@sha256:…`.\n\n## References\n- \
https://kubernetes.io/docs/concepts/containers/images/#image-names\n",
};

/// A reference pinned as `name:tag@digest` whose tag now points at another digest.
pub const STALE_PIN: Rule = Rule {
    id: "GATE-IMG-002",
    name: "stale-pin",
    severity: Severity::Warning,
    section: crate::finding::Section::Rules,
    summary: "Pinned digest is no longer what the tag points to",
    explain: "## What it checks\nFor every reference written as `name:tag@sha256:…`, the gate \
resolves `name:tag` in the registry and compares the digest with the pinned one.\n\n## Why it \
matters\nThe digest still names the same bytes (that is the point of pinning), but the tag has \
moved on: the file says it runs `tag` while it runs an older build, which usually lacks fixes the \
new one has.\n\n## How to fix\nRun `gate pin --update -f PATH` to re-pin to the digest the tag \
points to now, or drop the tag if the old build is intended.\n\n## References\n- \
https://github.com/distribution/reference\n",
};

/// An image named through a variable, template or placeholder discovery does not expand.
pub const UNRESOLVABLE_REFERENCE: Rule = Rule {
    id: "GATE-IMG-003",
    name: "unresolvable-reference",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Image reference cannot be resolved statically",
    explain: "## What it checks\nImage fields whose value is a variable without a default \
(`FROM ${BASE}`), a template (`${{ env.KIND_IMAGE }}`, `{{ .Values.image }}`), a placeholder \
(`newTag: CONTAINER_IMAGES_TAG`), or Helm and kustomize image parts that do not make a reference. \
(Literal text that is not a valid reference is not this warning: the gate could not check that \
image, and says so as an error.)\n\n## Why it matters\nThe \
gate cannot scan, verify or pin what it cannot name, and the deployer is about to run it: \
every command reports it, and `gate check` fails unless the policy lowers the rule \
(`manifests: {rules: {GATE-IMG-003: warn}}`).\n\n## How to fix\nGive the variable a default (`ARG BASE=nginx:1.27`), \
write the reference literally, or check the rendered output (`helm template`, `kustomize build`) \
with `gate check -f -`.\n\n## References\n- \
https://docs.docker.com/reference/dockerfile/#understand-how-arg-and-from-interact\n",
};

/// One `GATE-IMG-003` finding per use discovery could not resolve statically, whether or not
/// anything else resolved: every command reports them.
pub fn unresolvable_findings(outcome: &super::DiscoverOutcome) -> Vec<crate::finding::Finding> {
    outcome
        .notices
        .iter()
        .filter(|n| n.kind == super::NoticeKind::Unresolvable)
        .map(|n| crate::finding::Finding {
            rule: &UNRESOLVABLE_REFERENCE,
            severity: UNRESOLVABLE_REFERENCE.severity,
            subject: crate::finding::Subject::file(&n.file),
            location: Some(crate::finding::Location {
                file: n.file.clone(),
                line: n.line,
                column: n.column,
            }),
            message: n.message.clone(),
            exception: None,
            key: None,
            vulnerability: None,
        })
        .collect()
}
