//! From verification outcomes to findings (pure, no I/O): distinct findings for "no signature",
//! "no trusted signature", "payload for another digest" and missing required attestations, each
//! naming the image. What could not be checked at all (signatures that could not be fetched or
//! exceed the limits) is no finding but a reason the gate could not check ([`unchecked`]).

use crate::finding::Rule;
use crate::finding::{Finding, Severity};

use super::error::VerifyError;
use super::policy::VerifyPolicy;
use super::rules::{
    ADMISSION_LAYOUT, MISSING_ATTESTATION, OTHER_DIGEST, UNSIGNED_IMAGE, UNSIGNED_PLATFORM,
    UNTRUSTED_SIGNATURE,
};
use super::simple_signing::Rejection;
use super::Verification;

fn finding(rule: &'static Rule, image: &str, message: String) -> Finding {
    Finding {
        rule,
        severity: rule.severity,
        // The pipeline names the image's digest target ([`Subject::Image`]) when it attributes.
        subject: crate::finding::Subject::Reference(image.to_string()),
        location: None,
        message,
        exception: None,
        key: None,
        vulnerability: None,
    }
}

/// Why the signatures of `image` could not be checked (exit 2): the verification itself, or
/// one of its platforms. Empty when everything was examined.
pub fn unchecked(v: &Result<Verification, VerifyError>, image: &str) -> Vec<String> {
    match v {
        Err(err) => vec![format!(
            "signatures of `{image}` could not be checked: {}",
            crate::errors::chain_text(err)
        )],
        Ok(v) => v
            .platforms
            .iter()
            .filter_map(|p| {
                p.outcome.as_ref().err().map(|reason| {
                    format!(
                        "signatures of `{image} ({})` could not be checked: {reason}",
                        p.platform
                    )
                })
            })
            .collect(),
    }
}

/// The findings for `image` (reported as `name@digest`) given its verification outcome. A
/// verification that could not be done gives none: see [`unchecked`].
pub fn evaluate(
    v: &Result<Verification, VerifyError>,
    image: &str,
    policy: &VerifyPolicy,
) -> Vec<Finding> {
    let Ok(v) = v else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if policy.require_signature && !policy.image_accepted(image, v) {
        let other_digest = v.rejected.iter().find_map(|(_, r)| match r {
            Rejection::OtherDigest(d) => Some(d.clone()),
            _ => None,
        });
        let is_signature = |r: &Rejection| {
            !matches!(
                r,
                Rejection::NotASignature(_) | Rejection::NoSignatureAnnotation
            )
        };
        let f = if !v.signatures.is_empty() {
            let signers: Vec<String> = v.signatures.iter().map(|s| s.signer.to_string()).collect();
            finding(
                UNTRUSTED_SIGNATURE,
                image,
                format!(
                    "`{image}` is signed by {}, which the policy does not trust for this image",
                    signers.join(", ")
                ),
            )
        } else if let Some(other) = other_digest {
            finding(
                OTHER_DIGEST,
                image,
                format!("`{image}` has a trusted signature, but for digest `{other}`"),
            )
        } else if !v.rejected.iter().any(|(_, r)| is_signature(r)) {
            finding(
                UNSIGNED_IMAGE,
                image,
                format!("`{image}` has no cosign signature"),
            )
        } else {
            let reasons: Vec<String> = v
                .rejected
                .iter()
                .filter(|(_, r)| is_signature(r))
                .map(|(i, r)| format!("signature {}: {r}", i + 1))
                .collect();
            finding(
                UNTRUSTED_SIGNATURE,
                image,
                format!(
                    "`{image}` has no trusted signature ({})",
                    reasons.join("; ")
                ),
            )
        };
        out.push(f);
    }
    for p in &v.platforms {
        match &p.outcome {
            Ok(pv) if policy.image_accepted(image, pv) => {}
            Ok(_) => out.push(finding(
                UNSIGNED_PLATFORM,
                image,
                format!(
                    "Platform `{}` of `{image}` (`{}`) has no trusted signature",
                    p.platform, p.digest
                ),
            )),
            Err(_) => {} // See `unchecked`.
        }
    }
    for required in policy.attestations.iter().filter(|r| r.applies_to(image)) {
        if let Some(message) = missing_attestation(image, v, policy, required) {
            out.push(finding(MISSING_ATTESTATION, image, message));
        }
    }
    out.extend(admission(image, v, policy));
    out
}

/// Why `required` is not met for `image`, or `None` when a trusted attestation of its type
/// says what the policy requires of it.
fn missing_attestation(
    image: &str,
    v: &Verification,
    policy: &VerifyPolicy,
    required: &crate::verify::RequiredAttestation,
) -> Option<String> {
    let trusted = trusted_attestations(image, v, policy, required);
    let mut mismatch = None;
    for a in &trusted {
        match required.slsa.check(a.slsa.as_ref()) {
            Ok(()) => return None,
            Err(why) => {
                mismatch.get_or_insert(why);
            }
        }
    }
    Some(match mismatch {
        Some(why) => format!(
            "`{image}` has a trusted `{}` attestation, but {why}",
            required.predicate_type
        ),
        None => format!(
            "`{image}` has no trusted attestation of type `{}`",
            required.predicate_type
        ),
    })
}

/// The attestations of `image` of `required`'s predicate type whose signer it trusts.
fn trusted_attestations<'a>(
    image: &str,
    v: &'a Verification,
    policy: &VerifyPolicy,
    required: &crate::verify::RequiredAttestation,
) -> Vec<&'a crate::verify::VerifiedAttestation> {
    v.attestations
        .iter()
        .filter(|a| {
            a.predicate_type == required.predicate_type
                && required.accepts(policy, image, &a.signer)
        })
        .collect()
}

/// GATE-ADM-001: for each admission verifier the policy names, a trusted signature (and each
/// required attestation) that gate accepted but only in layouts that verifier cannot find.
fn admission(image: &str, v: &Verification, policy: &VerifyPolicy) -> Vec<Finding> {
    let Some(severity) = policy.admission.severity else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut push = |message: String| {
        let mut f = finding(ADMISSION_LAYOUT, image, message);
        f.severity = severity;
        out.push(f);
    };
    let layouts = |found: Vec<&super::Layout>| {
        let mut names: Vec<String> = found.iter().map(|l| l.to_string()).collect();
        names.dedup();
        names.join(", ")
    };
    for verifier in &policy.admission.verifiers {
        let trusted: Vec<_> = v
            .signatures
            .iter()
            .filter(|s| policy.accepts(image, &s.signer))
            .collect();
        if !trusted.is_empty() && !trusted.iter().any(|s| verifier.reads_signature(&s.layout)) {
            push(format!(
                "{verifier} cannot find the trusted signature of `{image}`: it is only in {}",
                layouts(trusted.iter().map(|s| &s.layout).collect())
            ));
        }
        for required in policy.attestations.iter().filter(|r| r.applies_to(image)) {
            let trusted = trusted_attestations(image, v, policy, required);
            if !trusted.is_empty()
                && !trusted
                    .iter()
                    .any(|a| verifier.reads_attestation(&a.layout))
            {
                push(format!(
                    "{verifier} cannot find the `{}` attestation of `{image}`: it is only in {}",
                    required.predicate_type,
                    layouts(trusted.iter().map(|a| &a.layout).collect())
                ));
            }
        }
    }
    out
}

/// True when no finding at `Error` fails the gate.
pub fn passed(findings: &[Finding]) -> bool {
    findings.iter().all(|f| f.severity < Severity::Error)
}
