//! Attribution: each image's evidence and findings come from the results of its own digest
//! target, looked up by key. An image whose target has no result for a stage that ran is an
//! error on that image (could not check), never a pass.

use super::keys::{DigestTarget, ImageId};
use super::stages::{Discovered, Inspected, Resolution, Scans, Verifications};
use super::{convert, CheckSettings};
use crate::discover::UNPINNED_IMAGE;
use crate::evidence::{CheckError, ImageEvidence};
use crate::finding::{Finding, Subject};
use crate::pin::{self, PinOptions};
use crate::registry::chain_text;
use crate::resolve::Resolved;
use std::collections::BTreeMap;

/// Every image's evidence (verdicts are set when the evidence finishes).
pub fn images(
    s: &CheckSettings,
    d: &Discovered,
    res: &Resolution,
    inspected: &Inspected,
    scans: Option<&Scans>,
    verifications: Option<&Verifications>,
) -> BTreeMap<ImageId, ImageEvidence> {
    let mut out = BTreeMap::new();
    for (id, img) in d.images.iter() {
        let mut ev = ImageEvidence::new(img.reference.original());
        ev.sources = img.sources.clone();
        let mut error = |stage: &str, msg: String| ev.errors.push(CheckError::new(stage, msg));
        let r = match res.images.get(&id) {
            Some(Ok(r)) => r,
            Some(Err(e)) => {
                error("resolve", chain_text(e));
                out.insert(id, ev);
                continue;
            }
            None => {
                error("resolve", format!("`{}` was not resolved", img.reference));
                out.insert(id, ev);
                continue;
            }
        };
        let t = DigestTarget::of(r);
        ev.canonical = Some(t.to_string());
        ev.digest = Some(r.digest.clone());
        ev.media_type = r.media_type.clone();
        match inspected.get(&t) {
            Some(Ok(p)) => ev.platforms = p.clone(),
            Some(Err(e)) => ev.errors.push(CheckError::new("resolve", e.clone())),
            None => ev.errors.push(CheckError::new(
                "resolve",
                format!("the manifest of `{t}` was not inspected"),
            )),
        }
        if !ev.errors.is_empty() {
            out.insert(id, ev);
            continue;
        }
        if let Some(scans) = scans {
            match scans.get(&t.digest) {
                Some(Ok(result)) => {
                    // The platforms scanned, not every platform of the index.
                    let scanned = super::platforms::select(&ev.platforms, &s.scan_platforms);
                    ev.scan = Some(convert::scan_summary(result, &scanned));
                }
                Some(Err(e)) => ev.errors.push(CheckError::new("scan", chain_text(e))),
                None => ev
                    .errors
                    .push(CheckError::new("scan", format!("`{t}` was not scanned"))),
            }
        }
        if let Some(verifications) = verifications {
            match verifications.get(&t) {
                Some(v) => {
                    for msg in crate::verify::unchecked(v, &t.to_string()) {
                        ev.errors.push(CheckError::new("verify", msg));
                    }
                    if let Ok(v) = v {
                        convert::signatures(v, &mut ev);
                    }
                }
                None => ev.errors.push(CheckError::new(
                    "verify",
                    format!("the signatures of `{t}` were not checked"),
                )),
            }
        }
        out.insert(id, ev);
    }
    out
}

/// The scan and signature findings of every checked digest target, its subject the target
/// ([`Subject::Image`], so every image that resolves to the target carries them).
pub fn image_findings(
    s: &CheckSettings,
    checked: &BTreeMap<DigestTarget, &Resolved>,
    scans: Option<&Scans>,
    verifications: Option<&Verifications>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(scans) = scans {
        for t in checked.keys() {
            if let Some(Ok(result)) = scans.get(&t.digest) {
                let found = crate::scan::evaluate(result, &t.to_string(), &s.vuln, s.today);
                findings.extend(found.into_iter().map(|f| Finding {
                    subject: t.subject(),
                    ..f
                }));
            }
        }
        findings.extend(crate::scan::unused(&s.vuln));
    }
    if let (Some(policy), Some(verifications)) = (&s.verify, verifications) {
        for t in checked.keys() {
            if let Some(v) = verifications.get(t) {
                let found = crate::verify::evaluate(v, &t.to_string(), policy);
                findings.extend(found.into_iter().map(|f| Finding {
                    subject: t.subject(),
                    ..f
                }));
            }
        }
    }
    findings
}

/// Unpinned and stale references (every file kind), from the plan `gate pin --check` makes, each
/// attached to the image its use names (subject: the image's digest target).
pub fn pin_findings(
    s: &CheckSettings,
    d: &Discovered,
    res: &Resolution,
) -> (Vec<Finding>, Vec<CheckError>) {
    let uses = &d.outcome.uses;
    let resolvable = uses
        .iter()
        .all(|u| res.tags.contains_key(&pin::lookup_key(&u.reference)));
    // Every use nobody could name, whether or not the plan below can be made.
    let unresolvable = crate::discover::unresolvable_findings(&d.outcome);
    if uses.is_empty() || !resolvable {
        return (unresolvable, Vec::new());
    }
    let check = PinOptions {
        check: true,
        ..s.pin.unwrap_or_default()
    };
    let plan = match pin::plan(&d.outcome, &res.tags, &check) {
        Ok(plan) => plan,
        Err(e) => return (Vec::new(), vec![CheckError::new("pin", chain_text(&e))]),
    };
    let findings = plan
        .findings
        .into_iter()
        // With `--pin`, references of passing images are about to be pinned: not a finding.
        .filter(|f| s.pin.is_none() || f.rule.id != UNPINNED_IMAGE.id)
        // Reported from discovery below, whether or not this plan could be made.
        .filter(|f| f.rule.id != crate::discover::UNRESOLVABLE_REFERENCE.id)
        .map(|mut f| {
            let image = f.location.as_ref().and_then(|l| {
                uses.iter()
                    .find(|u| u.file == l.file && u.line == l.line && u.column == l.column)
                    .and_then(|u| d.images.id_of(&u.reference))
            });
            if let Some(id) = image {
                f.subject = match res.target(id) {
                    Some(t) => t.subject(),
                    None => Subject::Reference(d.images.get(id).reference.original().to_string()),
                };
            }
            f
        })
        .chain(unresolvable)
        .collect();
    (findings, Vec::new())
}
