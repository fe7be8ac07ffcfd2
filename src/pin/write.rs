//! Writing a plan: all or nothing, atomically. Every file is first written to a temporary file in
//! its own directory (fsynced, permissions copied; a read-only file is refused); only when all
//! are ready are they renamed over the originals, each after checking the file on disk still
//! holds the bytes discovery read. A failed rename restores the files already replaced.

use super::edit::{apply_edits, inverse, Edit};
use super::{PinError, PinPlan};
use crate::discover::STDIN;
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Write every file of the plan; returns the files written. `--check` and `--diff` plans write
/// nothing. Standard input's result is not written (read it with [`PinPlan::updated`]). Files
/// are read, checked and staged one at a time, so memory stays bounded by the largest file.
pub fn apply(plan: &PinPlan) -> Result<Vec<PathBuf>, PinError> {
    apply_within(plan, &[])
}

/// [`apply`], writing only inside `trees` (the paths named with `-f`): a file that is a link
/// to somewhere else is refused, not followed. With no trees, each file's own directory is
/// its tree.
pub fn apply_within(plan: &PinPlan, trees: &[PathBuf]) -> Result<Vec<PathBuf>, PinError> {
    if plan.options.check || plan.options.diff {
        return Ok(Vec::new());
    }
    if let Some((file, line, reference)) = plan.unwritable.first() {
        return Err(PinError::Unwritable {
            file: file.clone(),
            line: *line,
            reference: reference.clone(),
        });
    }
    let trees: Vec<PathBuf> = trees.iter().filter_map(|t| tree_dir(t)).collect();
    let mut staged: Vec<Staged> = Vec::new();
    let result = stage_all(plan, &trees, &mut staged).and_then(|()| commit(&staged));
    for s in &staged {
        // Renamed temp files are gone; the rest are ours to remove.
        let _ = fs::remove_file(&s.temp);
    }
    result.map(|()| staged.into_iter().map(|s| s.path).collect())
}

struct Staged {
    path: PathBuf,
    target: PathBuf,
    temp: PathBuf,
    expected: [u8; 32],
    /// Edits that turn the new text back into the original (for rollback).
    undo: Vec<Edit>,
}

/// The canonical directory a named path stands for: itself, or a file's directory.
fn tree_dir(named: &Path) -> Option<PathBuf> {
    let meta = fs::symlink_metadata(named).ok()?;
    if meta.is_dir() {
        return fs::canonicalize(named).ok();
    }
    let parent = named.parent().filter(|p| !p.as_os_str().is_empty());
    fs::canonicalize(parent.unwrap_or(Path::new("."))).ok()
}

fn stage_all(plan: &PinPlan, trees: &[PathBuf], staged: &mut Vec<Staged>) -> Result<(), PinError> {
    for f in plan.files.iter().filter(|f| f.path.as_os_str() != STDIN) {
        let write_err = |source| PinError::Write {
            path: f.path.clone(),
            source,
        };
        let target = fs::canonicalize(&f.path).map_err(write_err)?;
        let own = tree_dir(&f.path);
        let inside = if trees.is_empty() {
            own.is_some_and(|d| target.starts_with(d))
        } else {
            trees.iter().any(|d| target.starts_with(d))
        };
        if !inside {
            return Err(PinError::OutsideTree {
                path: f.path.clone(),
                target,
            });
        }
        // A file its owner made read-only is not ours to replace, even though the rename would
        // succeed (it needs only the directory): refuse as `sed -i`'s users would wish it did.
        if fs::metadata(&target)
            .map_err(write_err)?
            .permissions()
            .readonly()
        {
            return Err(PinError::ReadOnly {
                path: f.path.clone(),
            });
        }
        let rendered = f.render()?;
        let temp = stage(&target, rendered.updated.as_bytes()).map_err(write_err)?;
        staged.push(Staged {
            path: f.path.clone(),
            target,
            temp,
            expected: f.source.hash,
            undo: inverse(&rendered.original, &f.edits),
        });
    }
    Ok(())
}

fn commit(staged: &[Staged]) -> Result<(), PinError> {
    for (i, s) in staged.iter().enumerate() {
        let done = unchanged(&s.path, &s.target, &s.expected).and_then(|()| {
            fs::rename(&s.temp, &s.target)
                .and_then(|()| sync_dir(&s.target))
                .map_err(|source| PinError::Write {
                    path: s.path.clone(),
                    source,
                })
        });
        if let Err(e) = done {
            for r in &staged[..i] {
                restore(r).map_err(|source| PinError::Rollback {
                    path: s.path.clone(),
                    restored: r.path.clone(),
                    source,
                })?;
            }
            return Err(e);
        }
    }
    Ok(())
}

/// Fail unless the file on disk still holds the bytes discovery read.
fn unchanged(path: &Path, target: &Path, expected: &[u8; 32]) -> Result<(), PinError> {
    let now = fs::read(target).map_err(|source| PinError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let got: [u8; 32] = Sha256::digest(&now).into();
    if &got != expected {
        return Err(PinError::Changed {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// Write `bytes` to a new temporary file next to `target`, fsynced, with `target`'s permissions.
fn stage(target: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let perms = fs::metadata(target)?.permissions();
    let mut n = 0u32;
    loop {
        let temp = dir.join(format!(".{name}.gate-{}-{n}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(mut f) => {
                let written = f
                    .write_all(bytes)
                    .and_then(|()| f.set_permissions(perms.clone()))
                    .and_then(|()| f.sync_all());
                if let Err(e) = written {
                    let _ = fs::remove_file(&temp);
                    return Err(e);
                }
                return Ok(temp);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Put a replaced file's original bytes back (atomically, like the write).
fn restore(s: &Staged) -> std::io::Result<()> {
    let now = fs::read_to_string(&s.target)?;
    let original = apply_edits(&now, &s.undo)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let temp = stage(&s.target, original.as_bytes())?;
    fs::rename(&temp, &s.target)
}

fn sync_dir(target: &Path) -> std::io::Result<()> {
    match target.parent() {
        Some(dir) => File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}
