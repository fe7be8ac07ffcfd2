//! `gate check`: the whole gate in one pass.
//!
//! discover → resolve → inspect → (scan ∥ verify ∥ lint) → evaluate → pin. Every distinct
//! reference is resolved once; every distinct digest is inspected, scanned and verified once,
//! whatever number of files name it; lint runs beside them. What could not be checked goes into
//! the evidence as an error (verdict `incomplete`, exit 2), never silently dropped. `--pin`
//! rewrites only the references whose image passed, with the digest that was checked.

mod convert;
pub mod progress;
pub mod settings;

use crate::discover::{discover_paths, DiscoverOutcome, SearchRules, UNPINNED_IMAGE};
use crate::evidence::{
    CheckError, Evidence, ExceptionRecord, FindingRecord, ImageEvidence, LintSummary, PinnedFile,
    PolicyRef, Source, Verdict,
};
use crate::finding::Finding;
use crate::lint::{lint_paths, LintConfig};
use crate::pin::{self, PinOptions};
use crate::reference::Reference;
use crate::resolve::{chain_text, ResolveConfig, ResolveError, Resolved, Resolver};
use crate::scan::{ScanConfig, ScanTarget, VulnPolicy};
use crate::verify::{RegistryFetcher, VerifyPolicy};
use chrono::{NaiveDate, Utc};
use futures::StreamExt;
use progress::Progress;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Instant;

/// What to check: images named on the command line and files (or directories) to discover in.
#[derive(Debug, Clone, Default)]
pub struct CheckInput {
    pub images: Vec<String>,
    pub files: Vec<PathBuf>,
}

/// Every stage's settings, from the policy and the command line.
pub struct CheckSettings {
    pub resolve: ResolveConfig,
    /// `None`: scanning is switched off.
    pub scan: Option<ScanConfig>,
    pub vuln: VulnPolicy,
    /// `None`: signatures are not required.
    pub verify: Option<VerifyPolicy>,
    /// Shared with the lint thread, which counts exception uses in it.
    pub lint: std::sync::Arc<LintConfig>,
    pub search_rules: SearchRules,
    /// `Some`: rewrite the files after the verdict (`--pin`).
    pub pin: Option<PinOptions>,
    pub policy: PolicyRef,
    pub today: NaiveDate,
    /// The policy's severities, applied to every finding.
    pub levels: settings::Levels,
}

/// Why the check could not even start (exit 2). Stage failures are recorded in the evidence.
#[derive(Debug, thiserror::Error)]
pub enum CheckFailure {
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error("cannot set up signature verification")]
    Verify(#[source] crate::verify::fetch::FetchError),
}

/// One distinct reference as written, with what the stages found.
struct Image {
    reference: Reference,
    evidence: ImageEvidence,
    resolved: Option<Resolved>,
}

fn ms(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}

/// Run the gate. The evidence comes back finished (verdicts computed).
pub async fn run(
    input: &CheckInput,
    s: &CheckSettings,
    progress: &Progress,
) -> Result<Evidence, CheckFailure> {
    let mut ev = Evidence::new(env!("CARGO_PKG_VERSION"), s.policy.clone(), Utc::now());
    ev.working_directory = std::env::current_dir().ok();
    let mut findings: Vec<Finding> = Vec::new();

    // discover
    let t = Instant::now();
    progress.stage("discover");
    let outcome = if input.files.is_empty() {
        DiscoverOutcome::default()
    } else {
        match discover_paths(&input.files, &s.search_rules) {
            Ok(o) => o,
            Err(e) => {
                ev.errors.push(CheckError::new("discover", chain_text(&e)));
                DiscoverOutcome::default()
            }
        }
    };
    for n in outcome.notices.iter().filter(|n| n.kind.is_error()) {
        ev.errors.push(CheckError::new("discover", n.to_string()));
    }
    let mut images: BTreeMap<String, Image> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut add = |images: &mut BTreeMap<String, Image>, r: &Reference, source: Source| {
        let key = r.original().to_string();
        let entry = images.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            Image {
                reference: r.clone(),
                evidence: ImageEvidence::new(r.original()),
                resolved: None,
            }
        });
        entry.evidence.sources.push(source);
    };
    for u in &outcome.uses {
        let source = Source::File {
            file: u.file.clone(),
            line: u.line,
            column: u.column,
        };
        add(&mut images, &u.reference, source);
    }
    for arg in &input.images {
        match Reference::parse(arg) {
            Ok(r) => add(&mut images, &r, Source::CommandLine),
            Err(e) => ev
                .errors
                .push(CheckError::new("discover", format!("`{arg}`: {e}"))),
        }
    }
    ev.time("discover", ms(t));
    progress.done("discover", &format!("{} image reference(s)", images.len()));

    // resolve: every reference as written (a digest is checked to exist), plus the tags of
    // pinned references so stale pins are seen.
    let t = Instant::now();
    progress.stage("resolve");
    let resolver = Resolver::new(s.resolve.clone())?;
    let mut refs: Vec<Reference> = order.iter().map(|k| images[k].reference.clone()).collect();
    let lookups = pin::to_resolve(&outcome);
    let n_images = refs.len();
    refs.extend(lookups.iter().cloned());
    let results = resolver.resolve_all(&refs).await;
    let mut tag_digests: HashMap<String, String> = HashMap::new();
    for (i, (r, res)) in refs.iter().zip(results).enumerate() {
        match (i < n_images, res) {
            (true, Ok(ok)) => {
                let img = images
                    .get_mut(r.original())
                    .expect("every resolved reference is an image");
                img.evidence.canonical = Some(ok.canonical());
                img.evidence.digest = Some(ok.digest.clone());
                img.evidence.media_type = ok.media_type.clone();
                img.resolved = Some(ok);
            }
            (true, Err(e)) => {
                if let Some(img) = images.get_mut(r.original()) {
                    img.evidence
                        .errors
                        .push(CheckError::new("resolve", chain_text(&e)));
                }
            }
            (false, Ok(ok)) => {
                tag_digests.insert(pin::lookup_key(r), ok.digest);
            }
            // The same failure is already on the image when the lookup is its own reference.
            (false, Err(e)) => {
                if !refs[..n_images]
                    .iter()
                    .any(|x| x.to_string() == r.to_string())
                {
                    ev.errors.push(CheckError::new("resolve", chain_text(&e)));
                }
            }
        }
    }
    ev.time("resolve", ms(t));
    progress.done("resolve", &format!("{n_images} distinct reference(s)"));

    // inspect each distinct digest once: platforms, and the manifest bytes verified.
    let t = Instant::now();
    let mut by_digest: BTreeMap<String, Resolved> = BTreeMap::new();
    for img in images.values() {
        if let Some(r) = &img.resolved {
            by_digest.entry(r.canonical()).or_insert_with(|| r.clone());
        }
    }
    let inspected: HashMap<String, Result<Vec<String>, String>> =
        futures::stream::iter(by_digest.iter())
            .map(|(canonical, r)| {
                let resolver = &resolver;
                async move {
                    let res = resolver
                        .inspect(r)
                        .await
                        .map(|i| i.platforms().iter().map(|p| p.to_string()).collect())
                        .map_err(|e| chain_text(&e));
                    (canonical.clone(), res)
                }
            })
            .buffer_unordered(s.resolve.concurrency.max(1))
            .collect()
            .await;
    for img in images.values_mut() {
        let Some(c) = img.evidence.canonical.clone() else {
            continue;
        };
        match inspected.get(&c) {
            Some(Ok(p)) => img.evidence.platforms = p.clone(),
            Some(Err(e)) => img
                .evidence
                .errors
                .push(CheckError::new("resolve", e.clone())),
            None => {}
        }
    }
    ev.time("inspect", ms(t));

    // scan ∥ verify ∥ lint, each on distinct digests.
    let checked: Vec<(&String, &Resolved)> = by_digest
        .iter()
        .filter(|(c, _)| matches!(inspected.get(*c), Some(Ok(_))))
        .collect();
    let scan_fut = async {
        let Some(cfg) = &s.scan else {
            return (Vec::new(), 0);
        };
        let t = Instant::now();
        progress.stage("scan");
        let targets: Vec<ScanTarget> = checked
            .iter()
            .map(|(c, r)| convert::scan_target(&resolver, &s.resolve, r, inspected.get(*c)))
            .collect();
        let out = crate::scan::scan_all(targets, cfg).await;
        progress.done("scan", &format!("{} digest(s)", checked.len()));
        (out, ms(t))
    };
    let verify_fut = async {
        let Some(policy) = &s.verify else {
            return Ok::<_, CheckFailure>((Vec::new(), 0));
        };
        let t = Instant::now();
        progress.stage("verify");
        let fetcher =
            RegistryFetcher::new(s.resolve.client.clone()).map_err(CheckFailure::Verify)?;
        let targets: Vec<_> = checked
            .iter()
            .map(|(_, r)| (resolver.repo_for(&r.reference).0, r.digest.clone()))
            .collect();
        let out =
            crate::verify::verify_many(&fetcher, &targets, policy, s.resolve.concurrency).await;
        progress.done("verify", &format!("{} digest(s)", checked.len()));
        Ok((out, ms(t)))
    };
    let lint_fut = async {
        if input.files.is_empty() {
            return (None, 0);
        }
        let t = Instant::now();
        progress.stage("lint");
        let files = input.files.clone();
        let (cfg, today) = (s.lint.clone(), s.today);
        // Linting is CPU-bound: on its own thread, so the registry requests and Trivy
        // processes of scan and verify go on meanwhile (and no timeout of theirs runs out).
        let out = tokio::task::spawn_blocking(move || lint_paths(&files, &cfg, today))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        progress.done("lint", "");
        (Some(out), ms(t))
    };
    let ((scans, scan_ms), verified, (linted, lint_ms)) =
        tokio::join!(scan_fut, verify_fut, lint_fut);
    let (verifications, verify_ms) = verified?;
    if s.scan.is_some() {
        ev.time("scan", scan_ms);
    }
    if s.verify.is_some() {
        ev.time("verify", verify_ms);
    }

    // evaluate
    for ((canonical, r), res) in checked.iter().zip(&scans) {
        match res {
            Ok(result) => {
                findings.extend(crate::scan::evaluate(result, canonical, &s.vuln, s.today));
                for img in images
                    .values_mut()
                    .filter(|i| i.evidence.canonical.as_ref() == Some(*canonical))
                {
                    img.evidence.scan =
                        Some(convert::scan_summary(result, &img.evidence.platforms));
                }
            }
            Err(e) => {
                let msg = chain_text(e);
                for img in images
                    .values_mut()
                    .filter(|i| i.resolved.as_ref().map(|x| &x.digest) == Some(&r.digest))
                {
                    img.evidence
                        .errors
                        .push(CheckError::new("scan", msg.clone()));
                }
            }
        }
    }
    if s.scan.is_some() {
        findings.extend(crate::scan::unused(&s.vuln));
    }
    if let Some(policy) = &s.verify {
        for ((canonical, _), res) in checked.iter().zip(&verifications) {
            findings.extend(crate::verify::evaluate(res, canonical, policy));
            let unchecked = crate::verify::unchecked(res, canonical);
            for img in images
                .values_mut()
                .filter(|i| i.evidence.canonical.as_ref() == Some(*canonical))
            {
                for msg in &unchecked {
                    img.evidence
                        .errors
                        .push(CheckError::new("verify", msg.clone()));
                }
                if let Ok(v) = res {
                    convert::signatures(v, &mut img.evidence);
                }
            }
        }
    }
    if let Some(outcome) = linted {
        match outcome {
            Ok(l) => {
                ev.time("lint", lint_ms);
                for n in &l.notices {
                    if n.severity == crate::finding::Severity::Error {
                        ev.errors.push(CheckError::new("lint", n.to_string()));
                    }
                }
                ev.lint = Some(LintSummary {
                    files: input.files.clone(),
                    objects: l.objects,
                    notices: l
                        .notices
                        .iter()
                        .filter(|n| n.severity != crate::finding::Severity::Error)
                        .map(|n| n.to_string())
                        .collect(),
                });
                // Unpinned images are reported once, by the pin plan below, for every format.
                findings.extend(
                    l.findings
                        .into_iter()
                        .filter(|f| f.rule != UNPINNED_IMAGE.id),
                );
            }
            Err(e) => ev.errors.push(CheckError::new("lint", chain_text(&e))),
        }
    }

    // unpinned and stale references (every file kind), from the plan `gate pin --check` makes.
    let resolvable = outcome
        .uses
        .iter()
        .all(|u| tag_digests.contains_key(&pin::lookup_key(&u.reference)));
    if !outcome.uses.is_empty() && resolvable {
        let check = PinOptions {
            check: true,
            ..s.pin.unwrap_or_default()
        };
        match pin::plan(&outcome, &tag_digests, &check) {
            // With `--pin`, references of passing images are about to be pinned: not a finding.
            Ok(plan) => findings.extend(plan.findings.into_iter().filter(|f| {
                (s.pin.is_none() || f.rule != UNPINNED_IMAGE.id)
                    && f.rule != crate::discover::UNRESOLVABLE_REFERENCE.id
            })),
            Err(e) => ev.errors.push(CheckError::new("pin", chain_text(&e))),
        }
    }
    // Every use nobody could name, whether or not the plan above ran.
    findings.extend(crate::discover::unresolvable_findings(&outcome));

    for img in order.iter().filter_map(|k| images.remove(k)) {
        ev.images.push(img.evidence);
    }
    let findings = s.levels.apply(findings);
    ev.findings
        .extend(findings.iter().map(FindingRecord::from_finding));
    let mut exceptions = s.vuln.exceptions.iter().collect::<Vec<_>>();
    exceptions.extend(s.lint.exceptions.iter());
    ev.exceptions = exceptions
        .into_iter()
        .filter(|e| e.uses() == 0)
        .map(|e| ExceptionRecord::new(e, crate::evidence::ExceptionStatus::Unused))
        .collect();
    ev.finish(Utc::now());

    // pin, after the verdict: only references whose image passed.
    if let Some(opts) = s.pin {
        let t = Instant::now();
        pin_passing(&mut ev, &outcome, &tag_digests, opts);
        ev.time("pin", ms(t));
        ev.finish(Utc::now());
    }
    Ok(ev)
}

/// Rewrite the uses of images whose verdict is `passed`; record what was written.
fn pin_passing(
    ev: &mut Evidence,
    outcome: &DiscoverOutcome,
    digests: &HashMap<String, String>,
    opts: PinOptions,
) {
    let passed: Vec<&str> = ev
        .images
        .iter()
        .filter(|i| i.verdict == Verdict::Passed)
        .map(|i| i.reference.as_str())
        .collect();
    let mut subset = outcome.clone();
    subset
        .uses
        .retain(|u| passed.contains(&u.reference.original()));
    if subset.uses.is_empty() {
        return;
    }
    let plan = match pin::plan(&subset, digests, &opts) {
        Ok(p) => p,
        Err(e) => {
            ev.errors.push(CheckError::new("pin", chain_text(&e)));
            return;
        }
    };
    match pin::apply(&plan) {
        Ok(written) => {
            for path in written {
                let references = plan
                    .files
                    .iter()
                    .find(|f| f.path == path)
                    .map_or(0, |f| f.edits.len());
                ev.pinned.push(PinnedFile {
                    file: path,
                    references,
                });
            }
        }
        Err(e) => ev.errors.push(CheckError::new("pin", chain_text(&e))),
    }
}
