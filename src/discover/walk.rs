//! Reading what the user named: files, directories (recursively, by file name) and `-` for
//! standard input. A file that is not UTF-8 becomes a notice; a path that cannot be read at all
//! is an error (the gate could not check).

use super::detect::{chart_for, detect, is_candidate, FileType, YamlHint};
use super::{
    discover_one, follow, helm, DiscoverOutcome, FileNotice, NoticeKind, SearchRules, STDIN,
};
use crate::fsutil::{read_input, ReadBudget};
use sha2::{Digest, Sha256};
use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};

/// Why discovery could not read what it was given.
pub type DiscoverError = crate::input::ReadError;

/// The files read (path and text) and the notices for those that could not be taken as text.
pub type ReadSources = (Vec<(PathBuf, String)>, Vec<FileNotice>);

/// Discover image uses in files and directories (recursive; `-` reads standard input), and in
/// the files those name for the deployer (kustomize resources, compose includes). Files are read
/// one at a time and only their hash is kept (standard input's text is kept, uses or not), so
/// memory stays bounded by the largest file however large the tree.
pub fn discover_paths(
    paths: &[PathBuf],
    rules: &SearchRules,
) -> Result<DiscoverOutcome, DiscoverError> {
    let mut out = DiscoverOutcome::default();
    let budget = ReadBudget::default();
    each_file(paths, &budget, |path, text, notices| {
        out.notices.extend(notices);
        let text = match text {
            Ok(t) => t,
            Err(notice) => return out.notices.push(notice),
        };
        let stdin = path.as_os_str() == STDIN;
        let app_version = || {
            chart_for(&path)
                .iter()
                .find(|c| c.is_file())
                .and_then(|c| read_input(c, &budget).ok())
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|t| helm::app_version(&t))
        };
        discover_one(&path, &text, rules, &app_version, stdin, &mut out);
        if stdin {
            // Kept even without uses: `gate pin -f -` writes it back out.
            out.sources.entry(path).or_insert_with(|| super::Source {
                hash: Sha256::digest(text.as_bytes()).into(),
                text: Some(std::sync::Arc::from(text.as_str())),
            });
        }
    })?;
    Ok(out)
}

/// Read every file the paths name (and those they make the deployer read), in a stable order,
/// plus the `Chart.yaml` next to each Helm values file. Files that are not UTF-8 come back as
/// notices.
pub fn read_sources(paths: &[PathBuf]) -> Result<ReadSources, DiscoverError> {
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut sources = Vec::new();
    let mut notices = Vec::new();
    let budget = ReadBudget::default();
    each_file(paths, &budget, |path, text, followed| {
        notices.extend(followed);
        if !seen.insert(path.clone()) {
            return; // a `Chart.yaml` already read for a values file
        }
        match text {
            Ok(text) => {
                if detect(&path, &text) == FileType::Yaml(YamlHint::HelmValues) {
                    for chart in chart_for(&path) {
                        if chart.is_file() && seen.insert(chart.clone()) {
                            if let Ok(Ok(t)) = read(&chart, &budget) {
                                sources.push((chart, t));
                            }
                        }
                    }
                }
                sources.push((path, text));
            }
            Err(n) => notices.push(n),
        }
    })?;
    Ok((sources, notices))
}

/// Call `visit` with each file the paths name, then each file those name for the deployer
/// (once each, however it is spelled), with its text (or why it is not text) and the notices
/// for what it names that gate cannot follow.
fn each_file(
    paths: &[PathBuf],
    budget: &ReadBudget,
    mut visit: impl FnMut(PathBuf, Result<String, FileNotice>, Vec<FileNotice>),
) -> Result<(), DiscoverError> {
    let identity = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    // A file another names is read only inside the trees gate was given (or the working
    // directory): the change under check cannot make gate read elsewhere.
    let roots: Vec<PathBuf> = std::env::current_dir()
        .into_iter()
        .chain(paths.iter().filter(|p| p.as_os_str() != STDIN).map(|p| {
            if p.is_dir() {
                p.clone()
            } else {
                p.parent().unwrap_or(Path::new(".")).to_path_buf()
            }
        }))
        .map(|p| identity(&p))
        .collect();
    let mut queue: VecDeque<PathBuf> = list(paths)?.into();
    let mut seen: HashSet<PathBuf> = queue.iter().map(|p| identity(p)).collect();
    while let Some(path) = queue.pop_front() {
        let text = read(&path, budget)?;
        let mut notices = Vec::new();
        if let Ok(t) = &text {
            let followed = follow::follow(&path, detect(&path, t), t);
            notices = followed.notices;
            for f in followed.files {
                let real = identity(&f);
                if !roots.iter().any(|r| real.starts_with(r)) {
                    notices.push(FileNotice {
                        file: path.clone(),
                        line: 1,
                        column: 1,
                        kind: NoticeKind::Unresolvable,
                        message: format!(
                            "`{}` names `{}`, outside the trees being checked: it was not read \
                             (name that tree with `-f`)",
                            path.display(),
                            f.display()
                        ),
                    });
                } else if seen.insert(real) {
                    queue.push_back(f);
                }
            }
        }
        visit(path, text, notices);
    }
    Ok(())
}

/// The files the paths name: files as given, directories walked (for candidate files), `-`
/// kept.
fn list(paths: &[PathBuf]) -> Result<Vec<PathBuf>, DiscoverError> {
    crate::input::list(paths, &is_candidate)
}

/// A file's text, or a notice when it is not UTF-8. Bounded and regular
/// ([`crate::fsutil::read_input`]).
fn read(path: &Path, budget: &ReadBudget) -> Result<Result<String, FileNotice>, DiscoverError> {
    Ok(crate::input::read(path, budget)?.map_err(|n| FileNotice {
        file: path.to_path_buf(),
        line: n.line,
        column: n.column,
        kind: NoticeKind::NotUtf8,
        message: format!(
            "file is not UTF-8 text (invalid byte at offset {})",
            n.offset
        ),
    }))
}
