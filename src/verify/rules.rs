//! The verify stage's rules and their explain texts. Signatures that could not be fetched or
//! examined within the limits (100 signatures, 1,000 layers, 128 MiB per attachment) are no
//! rule's finding: the gate could not check them (exit 2; `verify::unchecked`).

use crate::finding::Rule;
use crate::finding::Severity;

pub const UNSIGNED_IMAGE: &Rule = &RULES[0];
pub const UNTRUSTED_SIGNATURE: &Rule = &RULES[1];
pub const OTHER_DIGEST: &Rule = &RULES[2];
pub const MISSING_ATTESTATION: &Rule = &RULES[3];
pub const UNSIGNED_PLATFORM: &Rule = &RULES[4];
pub const ADMISSION_LAYOUT: &Rule = &RULES[5];

pub const RULES: &[Rule] = &[
    Rule {
        id: "GATE-SIG-001",
        name: "unsigned-image",
        severity: Severity::Error,
        section: crate::finding::Section::Signatures,
        summary: "Image digest carries no cosign signature",
        explain: "## What it checks\nThat the resolved digest has at least one cosign signature \
(a `sha256-<hex>.sig` manifest with simple-signing layers).\n\n## Why it matters\nAn unsigned \
image has no provenance: anyone who can push to the repository can replace it.\n\n## How to fix\n\
Sign the digest in the release pipeline: `gate sign --key cosign.key IMAGE@DIGEST` or \
`cosign sign`.\n\n## References\n- https://docs.sigstore.dev/cosign/signing/signing_with_containers/\n",
    },
    Rule {
        id: "GATE-SIG-002",
        name: "untrusted-signature",
        severity: Severity::Error,
        section: crate::finding::Section::Signatures,
        summary: "Image is signed, but by no key or identity the policy trusts",
        explain: "## What it checks\nThat some signature on the digest verifies with a key or \
keyless identity the policy trusts for this image.\n\n## Why it matters\nA signature by an \
unknown key proves only that someone signed it, not that your release pipeline did.\n\n## How to \
fix\nSign with a trusted key, or add the signer's public key or identity (issuer and subject) \
to the policy.\n\n## References\n- https://docs.sigstore.dev/cosign/verifying/verify/\n",
    },
    Rule {
        id: "GATE-SIG-003",
        name: "signature-for-other-digest",
        severity: Severity::Error,
        section: crate::finding::Section::Signatures,
        summary: "A trusted signature names another digest than the image's",
        explain: "## What it checks\nThat the signed payload's `critical.image.docker-manifest-digest` \
equals the resolved digest.\n\n## Why it matters\nA signature copied from another image, or an \
image modified after signing, must not pass.\n\n## How to fix\nSign the digest you deploy; rebuild \
and re-sign if the manifest changed.\n\n## References\n- \
https://github.com/containers/image/blob/main/docs/containers-signature.5.md\n",
    },
    Rule {
        id: "GATE-ATT-001",
        name: "missing-attestation",
        severity: Severity::Error,
        section: crate::finding::Section::Attestations,
        summary: "A required attestation is missing or not trusted",
        explain: "## What it checks\nThat the digest carries a DSSE in-toto attestation of each \
required `predicateType` (`attestations[].predicate-type`), whose subject is the digest, signed by \
the attestation's own `keys`/`identities` when it names some (a build system's identity, such as a \
GitHub workflow) or else by a signer trusted for the image; found in a cosign `.att` tag or as a \
Sigstore bundle referrer (cosign v3, GitHub artifact attestations pushed to the registry). For a \
SLSA provenance, `attestations[].slsa` checks what slsa-verifier checks: `builder-id` \
(`runDetails.builder.id`; without `@…` any version of that builder), `source-uri` \
(`github.com/acme/app`; scheme, `git+` and `.git` ignored) and one of `source-ref` \
(`refs/heads/main`), `source-branch` or `source-tag`; the message names the field that differs.\n\n\
## Why it matters\nProvenance (SLSA), SBOMs and vulnerability reports only count when bound to the \
exact image and made by your pipeline: a provenance by another repository, workflow, branch or \
builder says nothing about how your image was built.\n\n## How to fix\nAttest the digest in the \
release pipeline: `actions/attest-build-provenance` with `push-to-registry: true`, or `cosign \
attest --type slsaprovenance1 --predicate provenance.json IMAGE@DIGEST`; build from the branch or \
tag and with the workflow the policy names.\n\n## References\n- \
https://docs.sigstore.dev/cosign/verifying/attestation/\n- \
https://github.com/slsa-framework/slsa-verifier#option-list\n- \
https://docs.github.com/en/actions/security-for-github-actions/using-artifact-attestations\n",
    },
    Rule {
        id: "GATE-SIG-005",
        name: "unsigned-platform",
        severity: Severity::Error,
        section: crate::finding::Section::Signatures,
        summary: "A platform manifest of a signed index carries no trusted signature",
        explain: "## What it checks\nWith `verify_platforms`, that each platform manifest of a \
multi-platform index carries a trusted signature of its own, besides the index.\n\n## Why it \
matters\nRuntimes pull the platform manifest, not the index: a policy that verifies by platform \
digest (admission controllers do) rejects what only the index signature covers.\n\n## How to fix\n\
Sign recursively: `cosign sign --recursive IMAGE@DIGEST`.\n\n## References\n- \
https://docs.sigstore.dev/cosign/signing/signing_with_containers/\n",
    },
    Rule {
        id: "GATE-ADM-001",
        name: "admission-cannot-find-signature",
        severity: Severity::Warning,
        section: crate::finding::Section::Admission,
        summary: "An admission verifier the policy names cannot find the image's valid signature",
        explain: "## What it checks\nWith `admission:` (e.g. `{kyverno: \"1.15\"}`), that each \
named admission verifier can find a trusted signature, and each required attestation, in the \
layout gate found it in: cosign's `.sig`/`.att` tags, or a Sigstore bundle referrer through the \
OCI referrers API or the referrers tag schema. The evidence records each layout.\n\n## Why it \
matters\ncosign v3 writes bundles as OCI referrers by default; Kyverno and policy-controller \
versions in the field cannot read every layout, so an image gate accepts is refused at deploy \
time.\n\n## How to fix\nSign in a layout the verifier reads (cosign v3: `--new-bundle-format=false \
--use-signing-config=false` writes the `.sig` tag), push to a registry with the referrers API, \
or upgrade the verifier. The table and its sources: docs/admission-compat.md.\n\n## References\n\
- https://github.com/kyverno/kyverno/issues/16664\n- https://github.com/sigstore/policy-controller/issues/1899\n",
    },
];
