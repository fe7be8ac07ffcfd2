//! Stage `pin`: rewrite each discovered image use to `name[:tag]@sha256:…`, byte for byte.
//!
//! Three steps, so the resolver plugs in between and everything before writing is pure:
//! [`plan`] turns discovered uses and a map of resolved digests into per-file edits and findings
//! (unpinned, stale, unresolvable); [`diff`] renders the plan as a unified diff; [`apply`] writes
//! every file atomically, all or nothing, and refuses a file that changed since it was read.

mod diff;
mod edit;
mod write;

use crate::discover::{DiscoverOutcome, ImageUse, Source, STALE_PIN, UNPINNED_IMAGE};
use crate::finding::{Finding, Location};
use crate::reference::{validate_digest, Reference, ReferenceError};
use edit::{apply_edits, edits_for, normalize, Edit, EditError};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

pub use diff::diff;
pub use write::{apply, apply_within};

/// What `gate pin` was asked to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PinOptions {
    /// Write nothing; report every unpinned or stale reference (the caller exits 1 if any).
    pub check: bool,
    /// Write nothing; the caller prints [`diff`].
    pub diff: bool,
    /// Write `name@sha256:…` without the tag. Kustomize entries and Helm maps keep their tag
    /// keys (the digest key is written beside them).
    pub strip_tag: bool,
    /// Re-pin stale pins to the digest the tag points to now.
    pub update: bool,
}

/// The planned rewrite of one file: its edits, and what discovery read (by hash, so a plan over
/// a large tree holds no file text; [`FilePlan::render`] reads it again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePlan {
    pub path: PathBuf,
    pub source: Source,
    /// Sorted, non-overlapping.
    pub edits: Vec<Edit>,
}

/// A file's text before and after its edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub original: String,
    pub updated: String,
}

impl FilePlan {
    /// The text discovery read: kept in memory, or read again and checked against its hash.
    pub fn original(&self) -> Result<String, PinError> {
        let text = match &self.source.text {
            Some(t) => t.to_string(),
            None => std::fs::read_to_string(&self.path).map_err(|source| PinError::Read {
                path: self.path.clone(),
                source,
            })?,
        };
        let hash: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        if hash != self.source.hash {
            return Err(PinError::Changed {
                path: self.path.clone(),
            });
        }
        Ok(text)
    }

    /// The text before and after the edits.
    pub fn render(&self) -> Result<Rendered, PinError> {
        let original = self.original()?;
        let updated = apply_edits(&original, &self.edits).map_err(|source| PinError::Edit {
            path: self.path.clone(),
            source,
        })?;
        Ok(Rendered { original, updated })
    }
}

/// Everything `pin` would do: the files it would rewrite and what it found.
#[derive(Debug, Clone, PartialEq)]
pub struct PinPlan {
    pub options: PinOptions,
    /// Only files whose text changes, in path order.
    pub files: Vec<FilePlan>,
    /// Unpinned images (`GATE-IMG-001`), stale pins (`GATE-IMG-002`), unresolvable references
    /// (`GATE-IMG-003`), in file order.
    pub findings: Vec<Finding>,
    /// Rendered images to pin that have no place in the tree to write to: writing refuses.
    pub unwritable: Vec<(PathBuf, usize, String)>,
}

impl PinPlan {
    /// True when some reference is unpinned or stale (`--check` exits 1).
    pub fn failed(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.rule.id == UNPINNED_IMAGE.id || f.rule.id == STALE_PIN.id)
    }

    /// The rewritten text of a file (standard input's is `-`), if the plan changes it.
    pub fn updated(&self, path: &std::path::Path) -> Result<Option<String>, PinError> {
        match self.files.iter().find(|f| f.path == path) {
            Some(f) => Ok(Some(f.render()?.updated)),
            None => Ok(None),
        }
    }
}

/// Why pin could not plan or write.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    #[error("{}:{line}: no digest was resolved for `{reference}`", file.display())]
    MissingDigest {
        file: PathBuf,
        line: usize,
        reference: String,
    },
    #[error("digest `{digest}` resolved for `{reference}` is invalid")]
    InvalidDigest {
        reference: String,
        digest: String,
        #[source]
        source: ReferenceError,
    },
    #[error("{}:{line}: `{reference}` is pinned by digest only but the registry answered `{digest}`", file.display())]
    DigestMismatch {
        file: PathBuf,
        line: usize,
        reference: String,
        digest: String,
    },
    #[error(
        "{}:{line}: `{reference}` is rendered from here but built by the renderer, so there is no \
         place to write its digest; write it where the chart or kustomization takes it from \
         (a values entry, an `images:` entry); nothing was written",
        file.display()
    )]
    Unwritable {
        file: PathBuf,
        line: usize,
        reference: String,
    },
    #[error("`{}` was not read by discovery", path.display())]
    NotRead { path: PathBuf },
    #[error("cannot rewrite `{}`", path.display())]
    Edit {
        path: PathBuf,
        #[source]
        source: EditError,
    },
    #[error("`{}` changed on disk since it was read; nothing was written", path.display())]
    Changed { path: PathBuf },
    #[error("cannot read `{}` again to rewrite it; nothing was written", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is read-only (no write permission bits); nothing was written", path.display())]
    ReadOnly { path: PathBuf },
    #[error(
        "`{}` is a link to `{}`, outside the trees being pinned; it was not followed and \
         nothing was written",
        path.display(),
        target.display()
    )]
    OutsideTree { path: PathBuf, target: PathBuf },
    #[error("cannot write `{}`; nothing was written", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write `{}` and could not restore `{}`: it may be half-written", path.display(), restored.display())]
    Rollback {
        path: PathBuf,
        restored: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The reference to resolve for a use: `name:tag` for a pinned `name:tag@digest` (so a moved
/// tag shows as a stale pin), otherwise the reference itself.
pub fn lookup_reference(r: &Reference) -> Reference {
    match (r.tag(), r.digest()) {
        (Some(tag), Some(_)) => {
            Reference::parse(&format!("{}:{tag}", r.original_name())).unwrap_or_else(|_| r.clone())
        }
        _ => r.clone(),
    }
}

/// The key of a use in the digest map given to [`plan`]: the normalised lookup reference.
pub fn lookup_key(r: &Reference) -> String {
    lookup_reference(r).to_string()
}

/// The distinct references the resolver must resolve for a discovery outcome.
pub fn to_resolve(outcome: &DiscoverOutcome) -> Vec<Reference> {
    let mut seen = HashSet::new();
    outcome
        .uses
        .iter()
        .map(|u| lookup_reference(&u.reference))
        .filter(|r| seen.insert(r.to_string()))
        .collect()
}

/// Plan the rewrite: `digests` maps [`lookup_key`] (normalised reference) to `sha256:…`.
pub fn plan(
    outcome: &DiscoverOutcome,
    digests: &HashMap<String, String>,
    opts: &PinOptions,
) -> Result<PinPlan, PinError> {
    let mut findings = Vec::new();
    let mut unwritable = Vec::new();
    let mut edits: BTreeMap<&PathBuf, Vec<Edit>> = BTreeMap::new();
    for u in &outcome.uses {
        let key = lookup_key(&u.reference);
        let Some(digest) = digests.get(&key) else {
            return Err(PinError::MissingDigest {
                file: u.file.clone(),
                line: u.line,
                reference: u.reference.original().to_string(),
            });
        };
        validate_digest(digest).map_err(|source| PinError::InvalidDigest {
            reference: key.clone(),
            digest: digest.clone(),
            source,
        })?;
        let write = match u.reference.digest() {
            Some(pinned) if u.reference.tag().is_none() && pinned != digest => {
                return Err(PinError::DigestMismatch {
                    file: u.file.clone(),
                    line: u.line,
                    reference: u.reference.original().to_string(),
                    digest: digest.clone(),
                });
            }
            None => {
                findings.push(finding(
                    u,
                    &UNPINNED_IMAGE,
                    format!(
                        "Image `{}` is not pinned to a digest (resolves to `{digest}`)",
                        u.reference.original()
                    ),
                ));
                true
            }
            Some(pinned) if pinned != digest => {
                findings.push(finding(
                    u,
                    &STALE_PIN,
                    format!(
                        "Image `{}` is pinned to `{pinned}` but `{key}` now resolves to `{digest}`",
                        u.reference.original()
                    ),
                ));
                opts.update
            }
            Some(_) => false,
        };
        if write && u.target == crate::discover::Target::Unwritable {
            unwritable.push((u.file.clone(), u.line, u.reference.original().to_string()));
        } else if write {
            edits
                .entry(&u.file)
                .or_default()
                .extend(edits_for(u, digest, !opts.strip_tag));
        }
    }
    findings.extend(crate::discover::unresolvable_findings(outcome));
    findings.extend(crate::discover::unaccounted_findings(outcome));
    let mut files = Vec::new();
    for (path, edits) in edits {
        let source = outcome
            .sources
            .get(path)
            .ok_or_else(|| PinError::NotRead { path: path.clone() })?;
        let edits = normalize(edits).map_err(|source| PinError::Edit {
            path: path.clone(),
            source,
        })?;
        files.push(FilePlan {
            path: path.clone(),
            source: source.clone(),
            edits,
        });
    }
    Ok(PinPlan {
        options: *opts,
        files,
        findings,
        unwritable,
    })
}

fn finding(u: &ImageUse, rule: &'static crate::finding::Rule, message: String) -> Finding {
    Finding {
        rule,
        severity: rule.severity,
        subject: crate::finding::Subject::Reference(u.reference.to_string()),
        location: Some(Location {
            file: u.file.clone(),
            line: u.line,
            column: u.column,
        }),
        message,
        exception: None,
        key: None,
        vulnerability: None,
    }
}
