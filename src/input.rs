//! Reading what the user named, one way for every stage that reads the tree (discover, lint):
//! files as given, directories walked, `-` for standard input; each file's bytes and whether
//! they are text. A path that cannot be read at all is an error (the gate could not check); a
//! file that is not UTF-8 is each stage's notice to give.

use crate::fsutil::{read_input_into, read_stream, ReadBudget};
use std::path::{Path, PathBuf};

/// The path that means standard input.
pub const STDIN: &str = "-";

/// Why what the user named could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read standard input")]
    Stdin(#[source] std::io::Error),
    #[error("`{}`: the file name is not UTF-8; rename it so it can be checked", path.display())]
    NotUtf8Name { path: PathBuf },
}

/// The files `paths` name: files as given, `-` kept, directories walked recursively for the
/// files `candidate` accepts, in name order per directory. Hidden directories are walked like
/// any other (the deployer reads them); `.git` and symlinked directories (which could loop) are
/// not. A name that is not UTF-8 is an error, never skipped: what it holds would go unchecked; so
/// is a candidate name that is not a regular file (a FIFO, a device, a link to one): it is
/// listed, and reading it fails naming it.
pub fn list(
    paths: &[PathBuf],
    candidate: &dyn Fn(&Path) -> bool,
) -> Result<Vec<PathBuf>, ReadError> {
    let mut files = Vec::new();
    for p in paths {
        if p.as_os_str() == STDIN {
            files.push(p.clone());
            continue;
        }
        let meta = std::fs::metadata(p).map_err(|source| ReadError::Read {
            path: p.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk(p, candidate, &mut files)?;
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

fn walk(
    dir: &Path,
    candidate: &dyn Fn(&Path) -> bool,
    out: &mut Vec<PathBuf>,
) -> Result<(), ReadError> {
    let err = |source| ReadError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        if e.file_name().to_str().is_none() {
            return Err(ReadError::NotUtf8Name { path });
        }
        let ft = e.file_type().map_err(|source| ReadError::Read {
            path: path.clone(),
            source,
        })?;
        if ft.is_dir() {
            if e.file_name() != ".git" {
                walk(&path, candidate, out)?;
            }
        } else if !(ft.is_symlink() && path.is_dir()) && candidate(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// Where a file stops being UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotText {
    /// Byte offset of the first invalid byte.
    pub offset: usize,
    /// 1-based line and column (in characters) of that byte.
    pub line: usize,
    pub column: usize,
}

/// A file's text (`-`: standard input's), or where it stops being UTF-8. Bounded and regular
/// ([`crate::fsutil::read_input`]); every file of a run takes from one `budget`.
pub fn read(path: &Path, budget: &ReadBudget) -> Result<Result<String, NotText>, ReadError> {
    let mut bytes = Vec::new();
    read_into(path, budget, &mut bytes)?;
    Ok(decode(bytes))
}

/// [`read`]'s bytes into `bytes` (cleared first; a caller reading many files reuses one
/// buffer), not yet decoded: [`text`] tells whether they are UTF-8.
pub fn read_into(path: &Path, budget: &ReadBudget, bytes: &mut Vec<u8>) -> Result<(), ReadError> {
    if path.as_os_str() == STDIN {
        *bytes = read_stream(std::io::stdin().lock(), budget).map_err(ReadError::Stdin)?;
        return Ok(());
    }
    read_input_into(path, budget, bytes).map_err(|source| ReadError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Bytes as UTF-8 text, borrowed ([`decode`] without taking them).
pub fn text(bytes: &[u8]) -> Result<&str, NotText> {
    std::str::from_utf8(bytes).map_err(|e| not_text(bytes, e.valid_up_to()))
}

/// Where bytes valid up to `offset` stop being text.
fn not_text(bytes: &[u8], offset: usize) -> NotText {
    let before = String::from_utf8_lossy(&bytes[..offset]);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    NotText {
        offset,
        line,
        column: before[start..].chars().count() + 1,
    }
}

/// Bytes as UTF-8 text (a BOM is fine), or where they stop being UTF-8.
pub fn decode(bytes: Vec<u8>) -> Result<String, NotText> {
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        not_text(e.as_bytes(), offset)
    })
}
