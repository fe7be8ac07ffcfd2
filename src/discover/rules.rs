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
        .map(|n| {
            let at = (n.file.as_path(), n.line, n.column);
            file_finding(&UNRESOLVABLE_REFERENCE, at, n.message.clone(), None)
        })
        .collect()
}

/// A finding of a discovery rule at a place in a file (the subject: the file).
fn file_finding(
    rule: &'static Rule,
    (file, line, column): (&std::path::Path, usize, usize),
    message: String,
    key: Option<String>,
) -> crate::finding::Finding {
    crate::finding::Finding {
        rule,
        severity: rule.severity,
        subject: crate::finding::Subject::file(file),
        location: Some(crate::finding::Location {
            file: file.to_path_buf(),
            line,
            column,
        }),
        message,
        exception: None,
        key,
        vulnerability: None,
    }
}

/// A string shaped like an image reference that is neither checked nor known not to be one.
pub const UNACCOUNTED_REFERENCE: Rule = Rule {
    id: "GATE-IMG-005",
    name: "unaccounted-reference",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Image-like reference is neither checked nor known not to be deployed",
    explain: "## What it checks\nEvery file the gate reads is also read as plain text, \
independently of its format: bare words and quoted strings (escapes decoded, continued lines \
joined), comments included. Each string shaped like an image reference (a digest \
`sha256:<64 hex>`, a registry host with a path such as `ghcr.io/acme/app`, or a `name:tag` under \
a key or instruction that names an image) must be accounted for: checked as an image (discovery \
found it at that place), or known not to be one (a URL, a comment, the value of a key such as \
`apiVersion` that is never an image, a compose service's build name, the input of a render whose \
output is checked). Anything else is this finding, with its file and line.\n\n## Why it \
matters\nThe gate decides what a file means with its own parsers. Where they and the deployer's \
disagree (a custom resource that runs a pod in a shape the gate does not know, a field the gate \
does not read, bytes two parsers split differently), an image could run unchecked. This check \
does not depend on understanding the structure, so such a disagreement cannot pass \
silently.\n\n## How to fix\n- If it is an image the deployer runs: make the gate check it. Add \
a search rule for the custom resource (`manifests: {search-rules: [{kind: …, paths: \
[spec.….image]}]}` in the trusted policy), or move the image to a field the gate reads.\n- If it is \
not an image (documentation, an identifier that looks like one): write it as a URL, move it to a \
comment, or add an exception to the trusted policy: `exceptions: [{rules: [GATE-IMG-005], \
subject: \"path/to/file.yaml\", ids: [\"the-string\"], reason: \"…\"}]` (the finding's \
key, `ids`, is the string).\n\n## References\n- \
https://github.com/distribution/reference\n",
};

/// One `GATE-IMG-005` finding per reference-shaped string nothing accounts for.
pub fn unaccounted_findings(outcome: &super::DiscoverOutcome) -> Vec<crate::finding::Finding> {
    outcome
        .unaccounted()
        .map(|a| {
            let message = format!(
                "`{}` looks like an image reference, but it is not checked and not known not to \
                 be deployed",
                a.text
            );
            let at = (a.file.as_path(), a.line, a.column);
            file_finding(&UNACCOUNTED_REFERENCE, at, message, Some(a.text.clone()))
        })
        .collect()
}
