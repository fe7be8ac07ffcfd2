//! Reading what the user named: files, directories (recursively, by file name) and `-` for
//! standard input. A file that is not UTF-8 becomes a notice; a path that cannot be read at all
//! is an error (the gate could not check).

use super::detect::{chart_for, detect, is_candidate, FileType, YamlHint};
use super::{discover_one, helm, DiscoverOutcome, FileNotice, NoticeKind, SearchRules, STDIN};
use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why discovery could not read what it was given.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
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

/// The files read (path and text) and the notices for those that could not be taken as text.
pub type ReadSources = (Vec<(PathBuf, String)>, Vec<FileNotice>);

/// Discover image uses in files and directories (recursive; `-` reads standard input). Files
/// are read one at a time and only their hash is kept (standard input's text is kept), so
/// memory stays bounded by the largest file however large the tree.
pub fn discover_paths(
    paths: &[PathBuf],
    rules: &SearchRules,
) -> Result<DiscoverOutcome, DiscoverError> {
    let mut out = DiscoverOutcome::default();
    for path in list(paths)? {
        let stdin = path.as_os_str() == STDIN;
        let text = match read(&path)? {
            Ok(t) => t,
            Err(notice) => {
                out.notices.push(notice);
                continue;
            }
        };
        let app_version = || {
            chart_for(&path)
                .iter()
                .find_map(|c| std::fs::read_to_string(c).ok())
                .and_then(|t| helm::app_version(&t))
        };
        discover_one(&path, &text, rules, &app_version, stdin, &mut out);
    }
    Ok(out)
}

/// Read every file the paths name, in a stable order, plus the `Chart.yaml` next to each Helm
/// values file. Files that are not UTF-8 come back as notices.
pub fn read_sources(paths: &[PathBuf]) -> Result<ReadSources, DiscoverError> {
    let files = list(paths)?;
    let mut seen: HashSet<PathBuf> = files.iter().cloned().collect();
    let mut sources = Vec::new();
    let mut notices = Vec::new();
    for path in files {
        match read(&path)? {
            Ok(text) => {
                if detect(&path, &text) == FileType::Yaml(YamlHint::HelmValues) {
                    for chart in chart_for(&path) {
                        if chart.is_file() && seen.insert(chart.clone()) {
                            if let Ok(Ok(t)) = read(&chart) {
                                sources.push((chart, t));
                            }
                        }
                    }
                }
                sources.push((path, text));
            }
            Err(n) => notices.push(n),
        }
    }
    Ok((sources, notices))
}

/// The files the paths name: files as given, directories walked, `-` kept.
fn list(paths: &[PathBuf]) -> Result<Vec<PathBuf>, DiscoverError> {
    let mut files = Vec::new();
    for p in paths {
        if p.as_os_str() == STDIN {
            files.push(p.clone());
            continue;
        }
        let meta = std::fs::metadata(p).map_err(|source| DiscoverError::Read {
            path: p.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk_dir(p, &mut files)?;
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

/// A file's text, or a notice when it is not UTF-8.
fn read(path: &Path) -> Result<Result<String, FileNotice>, DiscoverError> {
    let bytes = if path.as_os_str() == STDIN {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .map_err(DiscoverError::Stdin)?;
        b
    } else {
        std::fs::read(path).map_err(|source| DiscoverError::Read {
            path: path.to_path_buf(),
            source,
        })?
    };
    Ok(String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.as_bytes()[..at]);
        let (line, column) = super::line_col(&text, at);
        FileNotice {
            file: path.to_path_buf(),
            line,
            column,
            kind: NoticeKind::NotUtf8,
            message: format!("file is not UTF-8 text (invalid byte at offset {at})"),
        }
    }))
}

/// Candidate files under a directory, sorted, skipping `.git` and symlinked directories. Hidden
/// directories are walked like any other. A name that is not UTF-8 is an error, never skipped.
fn walk_dir(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), DiscoverError> {
    let err = |source| DiscoverError::Read {
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
            return Err(DiscoverError::NotUtf8Name { path });
        }
        let ft = e.file_type().map_err(|source| DiscoverError::Read {
            path: path.clone(),
            source,
        })?;
        if ft.is_dir() {
            if e.file_name() != ".git" {
                walk_dir(&path, out)?;
            }
        } else if (ft.is_file() || ft.is_symlink() && path.is_file()) && is_candidate(&path) {
            out.push(path);
        }
    }
    Ok(())
}
