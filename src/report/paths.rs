//! File paths as consumers read them: relative to the repository root (`GITHUB_WORKSPACE`, else
//! the nearest directory above the working directory holding `.git`), with `/` separators.
//! GitHub resolves annotation `file=` paths and SARIF URIs against the repository root, so a
//! run from a subdirectory must not report `deploy/app.yaml` for `sub/deploy/app.yaml`.
//!
//! [`repository_root`] does the I/O (environment, one `stat` per parent); [`repo_relative`] is
//! pure and is what the renderers call.

use crate::evidence::Evidence;
use std::path::{Component, Path, PathBuf};

/// The repository root for a run in `working_directory`: `GITHUB_WORKSPACE` when it contains
/// the working directory, else the nearest ancestor (or itself) that has a `.git` entry.
pub fn repository_root(working_directory: &Path) -> Option<PathBuf> {
    let workspace = std::env::var_os("GITHUB_WORKSPACE")
        .filter(|w| !w.is_empty())
        .map(|w| normalize(Path::new(&w)));
    if let Some(w) = workspace.filter(|w| working_directory.starts_with(w)) {
        return Some(w);
    }
    working_directory
        .ancestors()
        .find(|d| d.join(".git").symlink_metadata().is_ok())
        .map(Path::to_path_buf)
}

/// `file` relative to the run's repository root, `/`-separated, when the record names a root
/// and the file lies inside it; `None` otherwise (the caller keeps its own spelling).
pub fn repo_relative(ev: &Evidence, file: &Path) -> Option<String> {
    let root = ev.repository_root.as_deref()?;
    let absolute = if file.is_absolute() {
        normalize(file)
    } else {
        normalize(&ev.working_directory.as_deref()?.join(file))
    };
    let rel = absolute.strip_prefix(normalize(root)).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// The path as shown to a consumer: repository-relative when possible, else as recorded.
pub fn display(ev: &Evidence, file: &Path) -> String {
    repo_relative(ev, file).unwrap_or_else(|| {
        let text = file.to_string_lossy().replace('\\', "/");
        text.strip_prefix("./").unwrap_or(&text).to_string()
    })
}

/// Lexical normalisation: drop `.`, fold `..` into the parent (no file system access).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::PolicyRef;

    fn ev(wd: &str, root: Option<&str>) -> Evidence {
        let mut ev = Evidence::new(
            "0",
            PolicyRef {
                source: "x".into(),
                sha256: "sha256:00".into(),
            },
            chrono::Utc::now(),
        );
        ev.working_directory = Some(wd.into());
        ev.repository_root = root.map(Into::into);
        ev
    }

    #[test]
    fn paths_are_made_relative_to_the_repository_root() {
        let e = ev("/repo/sub", Some("/repo"));
        assert_eq!(
            repo_relative(&e, Path::new("deploy/app.yaml")).as_deref(),
            Some("sub/deploy/app.yaml")
        );
        assert_eq!(
            repo_relative(&e, Path::new("./../top.yaml")).as_deref(),
            Some("top.yaml")
        );
        assert_eq!(
            repo_relative(&e, Path::new("/repo/a/b.yaml")).as_deref(),
            Some("a/b.yaml")
        );
        assert_eq!(repo_relative(&e, Path::new("/elsewhere/b.yaml")), None);
        assert_eq!(
            display(&e, Path::new("/elsewhere/b.yaml")),
            "/elsewhere/b.yaml"
        );
        let no_root = ev("/repo/sub", None);
        assert_eq!(
            display(&no_root, Path::new("./deploy/a.yaml")),
            "deploy/a.yaml"
        );
    }

    #[test]
    fn the_root_is_the_nearest_git_directory() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        // GITHUB_WORKSPACE may be set by the environment running these tests; only assert the
        // `.git` walk when it is not.
        if std::env::var_os("GITHUB_WORKSPACE").is_none() {
            assert_eq!(repository_root(&sub).as_deref(), Some(dir.path()));
        }
    }
}
