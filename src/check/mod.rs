//! `gate check`: the whole gate in one pass.
//!
//! discover → resolve → inspect → (scan ∥ verify ∥ lint) → pin check → evaluate → evidence → pin.
//! The registry, the scanner and the signature verifier come in as [`services`] (traits), so
//! [`run`] is the pipeline alone and runs in-process with fakes in tests.
//! Every distinct reference is resolved once; every distinct digest is inspected, scanned and
//! verified once, whatever number of files name it; lint runs beside them on what discovery read.
//! Stages return maps keyed by image ([`keys::ImageId`]) or digest target
//! ([`keys::DigestTarget`]); each image's verdict comes from its own target's results. What could not be checked goes into
//! the evidence as an error (verdict `incomplete`, exit 2), never silently dropped. `--pin`
//! rewrites only the references whose image passed, with the digest that was checked.

mod attribute;
mod children;
mod convert;
mod keys;
mod platforms;
pub mod progress;
pub mod registries;
mod services;
mod stages;

use crate::discover::{SearchRules, UNPINNED_IMAGE};
use crate::evidence::{CheckError, Evidence, LintSummary, PinnedFile, PolicyRef, Verdict};
use crate::exception::Exception;
use crate::finding::{Finding, Severity};
use crate::lint::{LintConfig, LintOutcome};
use crate::pin::{self, PinOptions};
use crate::policy::evaluate::{evaluate, Levels};
use crate::policy::file::{Policy, PolicySource};
use crate::registry::{chain_text, ResolveError};
use crate::resolve::ResolveConfig;
use crate::scan::{ScanConfig, VulnPolicy};
use crate::verify::VerifyPolicy;
use chrono::{NaiveDate, Utc};
use keys::ImageId;
use progress::Progress;
pub use services::{ImageScanner, Registry, Services, SignatureVerifier};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

/// What to check: images named on the command line and files (or directories) to discover in.
#[derive(Debug, Clone, Default)]
pub struct CheckInput {
    pub images: Vec<String>,
    pub files: Vec<PathBuf>,
    /// Kustomization directories named with `-k` (rendered even when another uses them).
    pub kustomize: Vec<PathBuf>,
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
    pub levels: Levels,
    /// `scanner.platforms`: the nodes whose runnable children of an index are scanned; by
    /// default every runnable child.
    pub scan_platforms: platforms::Scope,
    /// How kustomizations and charts are rendered (`render:`).
    pub render: crate::render::RenderConfig,
    /// `registries.allowed`: globs over `registry/repository`; empty: any registry.
    pub allowed: registries::Allowed,
    /// Ignore files the tree holds that neither the command line nor the policy named: not
    /// applied, and the run says so ([`CheckSettings::ignore_file_notice`]).
    pub unnamed_ignore_files: Vec<PathBuf>,
}

/// What the command line adds to or overrides in the policy.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--key`: trusted keys in addition to the policy's.
    pub keys: Vec<String>,
    /// `--certificate-identity` and friends: a keyless signer in addition to the policy's.
    pub identities: Vec<crate::policy::file::Identity>,
    pub trivy: Option<PathBuf>,
    pub trivy_server: Option<String>,
    pub sbom_dir: Option<PathBuf>,
    pub offline: bool,
    pub no_cache: bool,
    pub skip_scan: bool,
    /// Trivy's DBs and caches (`--trivy-db-repository`, …), over the policy's `scanner:`.
    pub trivy_db: crate::scan::TrivyDb,
    pub trivy_cache_dir: Option<PathBuf>,
    /// `--scan-timeout`, over the policy's `scanner.timeout`.
    pub scan_timeout: Option<std::time::Duration>,
    /// `--ignorefile`, over the policy's `vulnerabilities.trivyignore`.
    pub ignorefile: Option<PathBuf>,
    /// `gate lint --pss-level` / `--pss-version`, over the policy's.
    pub pss_level: Option<crate::lint::pss::Level>,
    pub pss_version: Option<crate::lint::pss::Version>,
    /// `--trusted-root`, `--tuf-mirror`, `--tuf-root`, over the policy's.
    pub trust: crate::verify::tuf::TrustChoice,
    /// How the TUF client runs (`--offline`, timeout, CA files).
    pub tuf: crate::verify::tuf::TufOptions,
}

impl Overrides {
    /// The command line named a signer (`--key`, keyless `--certificate-*`).
    pub fn signers_named(&self) -> bool {
        !self.keys.is_empty() || !self.identities.is_empty()
    }
}

/// Why the policy could not be turned into settings (exit 2, naming what is wrong).
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Policy(#[from] crate::policy::file::PolicyError),
    #[error(transparent)]
    TrivyDb(#[from] crate::scan::db::DbRepositoryError),
    #[error(transparent)]
    IgnoreFile(#[from] crate::scan::config::IgnoreFileError),
    #[error(transparent)]
    Verify(#[from] crate::verify::config::VerifyConfigError),
    #[error("policy `{policy}`: invalid `scanner.platforms` entry")]
    Platform {
        policy: String,
        #[source]
        source: crate::platform::ParseError,
    },
}

impl CheckSettings {
    /// Every stage's settings from the policy (each stage's section was checked and compiled
    /// when the policy was read), the command line and the working directory.
    pub fn from_policy(
        policy: &Policy,
        mut resolve: ResolveConfig,
        o: &Overrides,
        cwd: &std::path::Path,
    ) -> Result<Self, SettingsError> {
        let p = &policy.settings;
        let stages = &policy.stages;
        stages.resolve.apply(&mut resolve);
        let (scan_exceptions, lint_exceptions) = policy.split_exceptions()?;

        // Only the command line or the trusted policy names an ignore file: one the tree holds
        // would let a change accept its own vulnerabilities.
        let ignore_file = match (&o.ignorefile, &p.vulnerabilities.trivyignore) {
            (Some(path), _) => Some(cwd.join(path)),
            (None, Some(path)) => Some(policy.resolve_path(path)),
            (None, None) => None,
        };
        let unnamed_ignore_files = if ignore_file.is_some() {
            Vec::new()
        } else {
            unnamed_ignore_files(policy, cwd)
        };
        let vuln = p
            .vulnerabilities
            .vuln_policy(ignore_file, scan_exceptions)?;
        let flags = crate::scan::config::ScanFlags {
            trivy: o.trivy.clone(),
            trivy_server: o.trivy_server.clone(),
            sbom_dir: o.sbom_dir.clone(),
            offline: o.offline,
            no_cache: o.no_cache,
            trivy_db: o.trivy_db.clone(),
            trivy_cache_dir: o.trivy_cache_dir.clone(),
            scan_timeout: o.scan_timeout,
        };
        let db = crate::scan::db::merge(&o.trivy_db, &p.scanner)
            .with_registry(&resolve.client.auth, |d| {
                resolve.client.insecure.iter().any(|h| h == d)
            })?;
        let scan = (!o.skip_scan).then(|| p.scanner.scan_config(&flags, db, policy.base_dir()));

        let verify_flags = crate::verify::config::VerifyFlags {
            keys: o.keys.clone(),
            identities: o.identities.clone(),
            trust: o.trust.clone(),
            tuf: o.tuf.clone(),
        };
        let verify = stages.verify.verify_policy(
            &verify_flags,
            policy.base_dir(),
            &policy.source.to_string(),
            &policy.sha256(),
        )?;
        let lint = stages
            .lint
            .lint_config(o.pss_level, o.pss_version, lint_exceptions);

        Ok(CheckSettings {
            resolve,
            scan,
            vuln,
            verify,
            lint: std::sync::Arc::new(lint),
            search_rules: stages.discover.clone(),
            pin: None,
            policy: policy.evidence_ref(),
            today: chrono::Utc::now().date_naive(),
            levels: Levels::from_policy(policy, o.signers_named()),
            scan_platforms: platforms::Scope::parse(&p.scanner.platforms).map_err(|source| {
                SettingsError::Platform {
                    policy: policy.source.to_string(),
                    source,
                }
            })?,
            render: stages.render.clone(),
            allowed: stages.resolve.allowed.clone(),
            unnamed_ignore_files,
        })
    }

    /// The notice for ignore files found in the working directory (or beside the tree's policy)
    /// that nothing named, so they were not applied; `None` when there are none.
    pub fn ignore_file_notice(&self) -> Option<String> {
        let names: Vec<String> = self
            .unnamed_ignore_files
            .iter()
            .map(|p| format!("`{}`", p.display()))
            .collect();
        (!names.is_empty()).then(|| {
            format!(
                "{} not applied: an ignore file in the tree does not accept vulnerabilities; \
                 name it with `--ignorefile PATH` or the trusted policy's \
                 `vulnerabilities.trivyignore`",
                names.join(", ")
            )
        })
    }
}

/// Trivy's default ignore files in the working directory and beside the tree's own policy.
fn unnamed_ignore_files(policy: &Policy, cwd: &std::path::Path) -> Vec<PathBuf> {
    let mut dirs = vec![cwd.to_path_buf()];
    if let (PolicySource::Tree(_), Some(dir)) = (&policy.source, policy.base_dir()) {
        dirs.push(dir.to_path_buf());
    }
    let mut found: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        for name in [".trivyignore", ".trivyignore.yaml", ".trivyignore.yml"] {
            let path = dir.join(name);
            if path.is_file() && !found.contains(&path) {
                found.push(path);
            }
        }
    }
    found
}

/// Why the services could not be set up (exit 2). Stage failures are recorded in the evidence.
#[derive(Debug, thiserror::Error)]
pub enum CheckFailure {
    #[error(transparent)]
    Resolve(#[from] ResolveError),
}

/// Run the gate with the services given. The evidence comes back finished (verdicts computed);
/// whatever could not be checked is an error in it.
pub async fn run<R: Registry, S: ImageScanner, V: SignatureVerifier>(
    input: &CheckInput,
    s: &CheckSettings,
    services: &Services<R, S, V>,
    progress: &Progress,
) -> Evidence {
    let mut ev = Evidence::new(env!("CARGO_PKG_VERSION"), s.policy.clone(), Utc::now());
    ev.working_directory = std::env::current_dir().ok();
    let clock = Clock(progress);

    let t = clock.start("discover", true);
    let span = crate::trace::span("check.discover", String::new);
    let mut found = stages::discover(input, s);
    ev.errors.append(&mut found.errors);
    let n = found.images.len();
    clock.done(&mut ev, "discover", t, &format!("{n} image reference(s)"));
    drop(span);
    if let Some(cfg) = &s.scan {
        services.scanner.warm_up(cfg, n);
    }

    let t = clock.start("resolve", true);
    let span = crate::trace::span("check.resolve", || format!("{n} reference(s)"));
    let mut resolved = stages::resolve(&services.registry, &found).await;
    ev.errors.append(&mut resolved.errors);
    clock.done(&mut ev, "resolve", t, &format!("{n} distinct reference(s)"));
    drop(span);
    let t = Instant::now();
    let span = crate::trace::span("check.inspect", String::new);
    let inspected = stages::inspect(&services.registry, &resolved, s.resolve.concurrency).await;
    ev.time("inspect", ms(t));
    drop(span);

    let checked = stages::checked(&resolved, &inspected);
    let texts = std::mem::take(&mut found.texts);
    let renders = found.renders.clone();
    let (scans, verifications, linted) = examine(
        &mut ev, &clock, input, s, services, &checked, &inspected, texts, renders,
    )
    .await;

    let mut findings =
        attribute::image_findings(s, &checked, scans.as_ref(), verifications.as_ref());
    findings.extend(linted);
    findings.extend(registries::findings(&s.allowed, &found.images, &resolved));
    let (pins, mut pin_errors) = attribute::pin_findings(s, &found, &resolved);
    findings.extend(pins);
    ev.errors.append(&mut pin_errors);
    let images = attribute::images(
        s,
        &found,
        &resolved,
        &inspected,
        scans.as_ref(),
        verifications.as_ref(),
    );
    ev.images = images.values().cloned().collect();

    let exceptions: Vec<&Exception> = s.vuln.exceptions.iter().chain(&s.lint.exceptions).collect();
    let judged = evaluate(findings, &s.levels, &exceptions, s.today);
    ev.findings = judged.findings;
    ev.exceptions = judged.unused;
    ev.finish(Utc::now());

    // pin, after the verdict: only references whose image passed.
    if let Some(opts) = s.pin {
        let t = Instant::now();
        let passed: HashSet<ImageId> = images
            .iter()
            .filter(|(_, img)| ev.image_verdict(img) == Verdict::Passed)
            .map(|(id, _)| *id)
            .collect();
        let digests = checked_digests(&found, &resolved);
        let mut trees = input.files.clone();
        trees.extend(input.kustomize.iter().cloned());
        trees.extend(found.renders.roots.iter().cloned());
        pin_passing(&mut ev, &found, &passed, &digests, opts, &trees);
        ev.time("pin", ms(t));
        ev.finish(Utc::now());
    }
    ev
}

fn ms(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}

/// Stage progress and timings.
struct Clock<'a>(&'a Progress);

impl Clock<'_> {
    fn start(&self, stage: &'static str, on: bool) -> Instant {
        if on {
            self.0.stage(stage);
        }
        Instant::now()
    }

    fn done(&self, ev: &mut Evidence, stage: &'static str, t: Instant, what: &str) {
        ev.time(stage, ms(t));
        self.0.done(stage, what);
    }
}

/// Scan, verify and lint at once: the scan and verify results by key, and lint's findings
/// (what lint saw, and its errors, go into the evidence).
#[allow(clippy::too_many_arguments)]
async fn examine<R: Registry, S: ImageScanner, V: SignatureVerifier>(
    ev: &mut Evidence,
    clock: &Clock<'_>,
    input: &CheckInput,
    s: &CheckSettings,
    services: &Services<R, S, V>,
    checked: &BTreeMap<keys::DigestTarget, &crate::resolve::Resolved>,
    inspected: &stages::Inspected,
    texts: HashMap<PathBuf, String>,
    renders: std::sync::Arc<crate::render::Renders>,
) -> (
    Option<stages::Scans>,
    Option<stages::Verifications>,
    Vec<Finding>,
) {
    let reg = &services.registry;
    let scan = async {
        let t = clock.start("scan", s.scan.is_some());
        let _span = crate::trace::span("check.scan", || format!("{} target(s)", checked.len()));
        let out = stages::scan(reg, &services.scanner, s, checked, inspected).await;
        clock
            .0
            .done("scan", &format!("{} digest(s)", checked.len()));
        (out, t.elapsed())
    };
    let verify = async {
        let t = clock.start("verify", s.verify.is_some());
        let _span = crate::trace::span("check.verify", String::new);
        let out = stages::verify(reg, &services.verifier, s, checked).await;
        clock
            .0
            .done("verify", &format!("{} digest(s)", checked.len()));
        (out, t.elapsed())
    };
    let lint = async {
        let on = !input.files.is_empty() || !input.kustomize.is_empty();
        let t = clock.start("lint", on);
        let _span = crate::trace::span("check.lint", String::new);
        let out = stages::lint(input, s, texts, renders).await;
        clock.0.done("lint", "");
        (out, t.elapsed())
    };
    let ((scans, scan_t), (verifications, verify_t), (linted, lint_t)) =
        tokio::join!(scan, verify, lint);
    for (stage, on, d) in [
        ("scan", scans.is_some(), scan_t),
        ("verify", verifications.is_some(), verify_t),
        ("lint", matches!(linted, Some(Ok(_))), lint_t),
    ] {
        if on {
            ev.time(stage, d.as_millis() as u64);
        }
    }
    let findings = match linted {
        Some(Ok(l)) => lint_summary(ev, input, l),
        Some(Err(e)) => {
            ev.errors.push(CheckError::new("lint", chain_text(&e)));
            Vec::new()
        }
        None => Vec::new(),
    };
    (scans, verifications, findings)
}

/// Record what lint saw in the evidence; its findings, but for unpinned images (reported once,
/// by the pin plan, for every format).
fn lint_summary(ev: &mut Evidence, input: &CheckInput, l: LintOutcome) -> Vec<Finding> {
    for n in &l.notices {
        if n.severity == Severity::Error {
            ev.errors.push(CheckError::new("lint", n.to_string()));
        }
    }
    ev.lint = Some(LintSummary {
        files: input.files.clone(),
        objects: l.objects,
        notices: l
            .notices
            .iter()
            .filter(|n| n.severity != Severity::Error)
            .map(|n| n.to_string())
            .collect(),
    });
    l.findings
        .into_iter()
        .filter(|f| f.rule.id != UNPINNED_IMAGE.id)
        .collect()
}

/// The digest map for the pin plan: each tag's digest as its image was checked (not a second
/// look at the registry).
fn checked_digests(
    found: &stages::Discovered,
    resolved: &stages::Resolution,
) -> HashMap<String, String> {
    let mut digests = resolved.tags.clone();
    for (id, img) in found.images.iter() {
        if let Some(Ok(r)) = resolved.images.get(&id) {
            if img.reference.digest().is_none() {
                digests.insert(pin::lookup_key(&img.reference), r.digest.clone());
            }
        }
    }
    digests
}

/// Rewrite the uses whose written digest belongs to an image that passed (with `--update`, a
/// pinned use's tag is that image); record the digests written, per file.
fn pin_passing(
    ev: &mut Evidence,
    found: &stages::Discovered,
    passed: &HashSet<ImageId>,
    digests: &HashMap<String, String>,
    opts: PinOptions,
    trees: &[std::path::PathBuf],
) {
    let writes = |u: &crate::discover::ImageUse| {
        let written = if opts.update {
            pin::lookup_reference(&u.reference)
        } else {
            u.reference.clone()
        };
        found
            .images
            .id_of(&written)
            .is_some_and(|id| passed.contains(&id))
    };
    let mut subset = found.outcome.clone();
    subset.uses.retain(|u| writes(u));
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
    match pin::apply_within(&plan, trees) {
        Ok(written) => {
            for path in written {
                let references = plan
                    .files
                    .iter()
                    .find(|f| f.path == path)
                    .map_or(0, |f| f.edits.len());
                let mut digests: Vec<String> = subset
                    .uses
                    .iter()
                    .filter(|u| u.file == path)
                    .filter_map(|u| {
                        let d = digests.get(&pin::lookup_key(&u.reference))?;
                        (u.reference.digest() != Some(d.as_str())).then(|| d.clone())
                    })
                    .collect();
                digests.sort();
                digests.dedup();
                ev.pinned.push(PinnedFile {
                    file: path,
                    references,
                    digests,
                });
            }
        }
        Err(e) => ev.errors.push(CheckError::new("pin", chain_text(&e))),
    }
}
