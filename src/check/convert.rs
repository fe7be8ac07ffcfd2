//! Stage results into the evidence record's own types, and resolved images into scan targets.

use crate::evidence::{self, ImageEvidence, RekorEntry, ScanSummary};
use crate::registry::Repo;
use crate::resolve::ResolveConfig;
use crate::scan::{ScanResult, ScanTarget};
use crate::verify::{Signer, Verification};
use std::collections::BTreeMap;

/// What Trivy is asked to scan: one manifest by digest (a single image, or one child of an
/// index), pulled from where it really lives (the mirror, when one was used), with the
/// registry's credential passed through the environment.
pub fn scan_target(repo: Repo, cfg: &ResolveConfig, digest: &str) -> ScanTarget {
    let credential = cfg
        .client
        .auth
        .lookup(&repo.domain, &repo.path)
        .ok()
        .flatten();
    ScanTarget {
        image: format!("{}/{}@{}", repo.domain, repo.path, digest),
        digest: digest.to_string(),
        credential,
        insecure: cfg.client.insecure.contains(&repo.domain),
    }
}

pub fn scan_summary(result: &ScanResult, platforms: &[String]) -> ScanSummary {
    let mut counts = BTreeMap::new();
    for v in &result.vulnerabilities {
        *counts.entry(v.severity.clone()).or_insert(0) += 1;
    }
    ScanSummary {
        scanner: result.scanner.clone(),
        scanner_version: result.scanner_version.clone(),
        db_updated_at: result
            .db_updated_at
            .as_deref()
            .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
            .map(|d| d.with_timezone(&chrono::Utc)),
        platforms: platforms.to_vec(),
        counts,
        sbom: result.sboms.clone(),
        cached: result.cached,
        children: Vec::new(),
    }
}

fn signer(s: &Signer) -> evidence::Signer {
    match s {
        Signer::Key { fingerprint, .. } => evidence::Signer::Key {
            fingerprint: fingerprint.clone(),
        },
        Signer::Certificate(id) => evidence::Signer::Identity {
            identity: id.sans.join(", "),
            issuer: id.issuer.clone().unwrap_or_default(),
        },
    }
}

fn layout(l: &crate::verify::Layout) -> evidence::Layout {
    use crate::verify::Layout as L;
    match l {
        L::SigTag => evidence::Layout::SigTag,
        L::AttTag => evidence::Layout::AttTag,
        L::ReferrersApi { bundle } => evidence::Layout::ReferrersApi {
            bundle: bundle.clone(),
        },
        L::ReferrersTag { bundle } => evidence::Layout::ReferrersTag {
            bundle: bundle.clone(),
        },
    }
}

/// Record the signatures and attestations that verified, with where each was found.
pub fn signatures(v: &Verification, img: &mut ImageEvidence) {
    img.signatures = v
        .signatures
        .iter()
        .map(|s| evidence::Signature {
            signer: signer(&s.signer),
            rekor: s.rekor.as_ref().map(|r| RekorEntry {
                log_index: r.log_index.max(0) as u64,
                integrated_time: r.integrated_time,
            }),
            layout: Some(layout(&s.layout)),
        })
        .collect();
    img.attestations = v
        .attestations
        .iter()
        .map(|a| evidence::Attestation {
            predicate_type: a.predicate_type.clone(),
            signer: signer(&a.signer),
            rekor: a.rekor.as_ref().map(|r| RekorEntry {
                log_index: r.log_index.max(0) as u64,
                integrated_time: r.integrated_time,
            }),
            layout: Some(layout(&a.layout)),
            slsa: a.slsa.as_ref().map(|s| evidence::SlsaProvenance {
                builder_id: s.builder_id.clone(),
                source_uri: s.source_uri.clone(),
                source_ref: s.source_ref.clone(),
            }),
        })
        .collect();
}
