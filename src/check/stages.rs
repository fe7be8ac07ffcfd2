//! The stages of `gate check`, each a function from typed input to typed output: results come
//! back in maps keyed by [`ImageId`] or [`DigestTarget`], never as lists to pair by position.

use super::keys::{keyed, DigestTarget, ImageId, Images};
use super::services::{ImageScanner, Registry, SignatureVerifier};
use super::{convert, CheckInput, CheckSettings};
use crate::discover::{discover_sources, read_sources, DiscoverOutcome, STDIN};
use crate::evidence::{CheckError, Source};
use crate::lint::{lint_read, LintError, LintOutcome};
use crate::pin;
use crate::reference::Reference;
use crate::registry::{chain_text, Unresolved};
use crate::resolve::Resolved;
use crate::verify::{Verification, VerifyError};
use futures::StreamExt;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

/// What discovery read and found.
#[derive(Default)]
pub struct Discovered {
    pub images: Images,
    pub outcome: DiscoverOutcome,
    /// The text of every file read, for lint (read once; standard input can only be read once).
    pub texts: HashMap<PathBuf, String>,
    pub errors: Vec<CheckError>,
}

/// Read the files once, discover their image uses, and add the command line's images.
pub fn discover(input: &CheckInput, s: &CheckSettings) -> Discovered {
    let mut d = Discovered::default();
    if !input.files.is_empty() {
        match read_sources(&input.files) {
            Ok((sources, notices)) => {
                d.outcome = discover_sources(&sources, &s.search_rules);
                let found = std::mem::replace(&mut d.outcome.notices, notices);
                d.outcome.notices.extend(found);
                // Keep in memory only what cannot be read again for pin: standard input.
                for (path, src) in d.outcome.sources.iter_mut() {
                    if path.as_os_str() != STDIN {
                        src.text = None;
                    }
                }
                d.texts = sources.into_iter().collect();
            }
            Err(e) => d.errors.push(CheckError::new("discover", chain_text(&e))),
        }
    }
    for n in d.outcome.notices.iter().filter(|n| n.kind.is_error()) {
        d.errors.push(CheckError::new("discover", n.to_string()));
    }
    for u in &d.outcome.uses {
        let source = Source::File {
            file: u.file.clone(),
            line: u.line,
            column: u.column,
        };
        d.images.add(&u.reference, source);
    }
    // `--pin --update` writes the digest a pinned reference's tag names now: that digest is
    // checked like any image (its candidate is the tag, at the use's position).
    if s.pin.is_some_and(|p| p.update) {
        for u in &d.outcome.uses {
            if u.reference.digest().is_some() && u.reference.tag().is_some() {
                let source = Source::File {
                    file: u.file.clone(),
                    line: u.line,
                    column: u.column,
                };
                d.images.add(&pin::lookup_reference(&u.reference), source);
            }
        }
    }
    for arg in &input.images {
        match Reference::parse(arg) {
            Ok(r) => {
                d.images.add(&r, Source::CommandLine);
            }
            Err(e) => d
                .errors
                .push(CheckError::new("discover", format!("`{arg}`: {e}"))),
        }
    }
    d
}

/// Every image resolved (a digest is checked to exist), and the tags of pinned references.
pub struct Resolution {
    pub images: BTreeMap<ImageId, Result<Resolved, Unresolved>>,
    /// [`pin::lookup_key`] → the digest its tag names now (for stale pins and `--pin`).
    pub tags: HashMap<String, String>,
    pub errors: Vec<CheckError>,
}

impl Resolution {
    /// The digest target of an image, when it resolved.
    pub fn target(&self, id: ImageId) -> Option<DigestTarget> {
        match self.images.get(&id) {
            Some(Ok(r)) => Some(DigestTarget::of(r)),
            _ => None,
        }
    }

    /// Each distinct digest target, with one resolution that names it.
    pub fn targets(&self) -> BTreeMap<DigestTarget, &Resolved> {
        let mut out = BTreeMap::new();
        for r in self.images.values().flatten() {
            out.entry(DigestTarget::of(r)).or_insert(r);
        }
        out
    }
}

pub async fn resolve<R: Registry>(registry: &R, d: &Discovered) -> Resolution {
    let ids: Vec<ImageId> = d.images.iter().map(|(id, _)| id).collect();
    let refs: Vec<Reference> = d
        .images
        .iter()
        .map(|(_, img)| img.reference.clone())
        .collect();
    let lookups = pin::to_resolve(&d.outcome);
    // One call, so a reference that is also a lookup is resolved once.
    let all: Vec<Reference> = refs.iter().chain(&lookups).cloned().collect();
    let mut images = registry.resolve_all(&all).await;
    let looked_up = images.split_off(refs.len().min(images.len()));
    let images = keyed(ids, images);
    let mut tags = HashMap::new();
    let mut errors = Vec::new();
    for (r, res) in lookups.iter().zip(looked_up) {
        match res {
            Ok(ok) => {
                tags.insert(pin::lookup_key(r), ok.digest);
            }
            // The same failure is already on the image when the lookup is its own reference.
            Err(e) => {
                if !refs.iter().any(|x| x.to_string() == r.to_string()) {
                    errors.push(CheckError::new("resolve", chain_text(&e)));
                }
            }
        }
    }
    Resolution {
        images,
        tags,
        errors,
    }
}

/// Platforms of each digest target (its manifest bytes verified), or why not.
pub type Inspected = BTreeMap<DigestTarget, Result<Vec<String>, String>>;

pub async fn inspect<R: Registry>(registry: &R, res: &Resolution, concurrency: usize) -> Inspected {
    futures::stream::iter(res.targets())
        .map(|(t, r)| async move {
            let platforms = registry.platforms(r).await.map_err(|e| chain_text(&e));
            (t, platforms)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}

/// The digest targets the later stages work on: those whose manifest was inspected.
pub fn checked<'a>(
    res: &'a Resolution,
    inspected: &Inspected,
) -> BTreeMap<DigestTarget, &'a Resolved> {
    res.targets()
        .into_iter()
        .filter(|(t, _)| matches!(inspected.get(t), Some(Ok(_))))
        .collect()
}

/// Scan results by digest: targets naming one digest share its result.
pub use super::services::Scans;

/// Scan each distinct digest once (the first target that names it says where to pull it from:
/// the bytes behind a digest are the same in every repository).
pub async fn scan<R: Registry, S: ImageScanner>(
    registry: &R,
    scanner: &S,
    s: &CheckSettings,
    checked: &BTreeMap<DigestTarget, &Resolved>,
    inspected: &Inspected,
) -> Option<Scans> {
    let cfg = s.scan.as_ref()?;
    let mut seen = HashSet::new();
    let targets = checked
        .iter()
        .filter(|(t, _)| seen.insert(t.digest.clone()))
        .map(|(t, r)| {
            let repo = registry.repo_for(&r.reference);
            convert::scan_target(repo, &s.resolve, r, inspected.get(t), &s.scan_platforms)
        })
        .collect();
    Some(scanner.scan(targets, cfg).await)
}

/// Signature verifications by digest target (signatures live beside the repository).
pub type Verifications = BTreeMap<DigestTarget, Result<Verification, VerifyError>>;

/// Verify each digest target once, at most `concurrency` at a time.
pub async fn verify<R: Registry, V: SignatureVerifier>(
    registry: &R,
    verifier: &V,
    s: &CheckSettings,
    checked: &BTreeMap<DigestTarget, &Resolved>,
) -> Option<Verifications> {
    let policy = s.verify.as_ref()?;
    let out = futures::stream::iter(checked)
        .map(|(t, r)| async move {
            let repo = registry.repo_for(&r.reference);
            (t.clone(), verifier.verify(&repo, &r.digest, policy).await)
        })
        .buffer_unordered(s.resolve.concurrency.max(1))
        .collect()
        .await;
    Some(out)
}

/// Lint what discovery read (on its own thread: it is CPU-bound, and scan and verify go on).
pub async fn lint(
    input: &CheckInput,
    s: &CheckSettings,
    texts: HashMap<PathBuf, String>,
) -> Option<Result<LintOutcome, LintError>> {
    if input.files.is_empty() {
        return None;
    }
    let files = input.files.clone();
    let (cfg, today) = (s.lint.clone(), s.today);
    let out = tokio::task::spawn_blocking(move || lint_read(&files, &texts, &cfg, today))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    Some(out)
}
