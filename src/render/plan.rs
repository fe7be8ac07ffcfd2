//! What to render: the kustomizations and charts under the paths named with `-f` (and the
//! directories named with `-k`), read before any renderer runs. A kustomization that another one
//! uses (as a resource directory or a component) is rendered only through its users, unless it is
//! named with `-k`; a chart inside another chart's `charts/` only through its parent. Every file a
//! render reads is an input: it is checked through the rendered output, not on its own.
//!
//! The graph walk is also where what gate will not render is refused, before anything runs:
//! remote resources, `helmCharts`, and kustomization directories outside the tree.

use super::{ChartSpec, RenderConfig, RenderError};
use crate::yaml::{self, Node, Value};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Component, Path, PathBuf};

/// The names kustomize looks for in a directory, in its order.
pub const KUSTOMIZATION_NAMES: &[&str] =
    &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// One render to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// `kustomize build` of a directory (as spelled, and canonical).
    Kustomize {
        dir: PathBuf,
        canonical: PathBuf,
        file: PathBuf,
        /// The tree the render stays inside.
        root: PathBuf,
        /// Remote references the trusted policy allows (the run may reach the network).
        remote: bool,
        helm_charts: bool,
    },
    /// `helm template` of a chart directory.
    Helm {
        dir: PathBuf,
        canonical: PathBuf,
        root: PathBuf,
        spec: ChartSpec,
    },
}

/// Every render of a run, and the files they read.
#[derive(Debug, Default)]
pub struct Plan {
    pub jobs: Vec<Job>,
    /// Canonical paths of every file a render reads (kustomizations, resources, patches,
    /// generator files; a chart's `Chart.yaml`, templates, default values and subcharts, and
    /// the values files the policy names).
    pub inputs: BTreeSet<PathBuf>,
    /// The same files as discovery spells them (for finding pin targets in them).
    pub input_paths: Vec<PathBuf>,
}

/// The kustomization file of a directory, if it has one.
pub fn kustomization_in(dir: &Path) -> Option<PathBuf> {
    KUSTOMIZATION_NAMES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

fn canonical(p: &Path) -> Result<PathBuf, RenderError> {
    std::fs::canonicalize(p).map_err(|source| RenderError::Read {
        path: p.to_path_buf(),
        source,
    })
}

/// The tree a named path belongs to: the nearest enclosing git work tree, else the working
/// directory when the path is inside it, else the path itself (a file's directory).
pub fn tree_root(named: &Path, cwd: &Path) -> PathBuf {
    let c = std::fs::canonicalize(named).unwrap_or_else(|_| named.to_path_buf());
    let dir = if c.is_dir() {
        c.clone()
    } else {
        c.parent().map(Path::to_path_buf).unwrap_or(c.clone())
    };
    if let Some(git) = dir.ancestors().find(|d| d.join(".git").exists()) {
        return git.to_path_buf();
    }
    let cwd = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    if dir.starts_with(&cwd) {
        cwd
    } else {
        dir
    }
}

/// Plan the renders of `files` (walked) and `kustomize` (each a kustomization directory).
pub fn plan(
    files: &[PathBuf],
    kustomize: &[PathBuf],
    cfg: &RenderConfig,
    cwd: &Path,
) -> Result<Plan, RenderError> {
    let mut found = Found::default();
    for f in files
        .iter()
        .filter(|f| f.as_os_str() != crate::discover::STDIN)
    {
        let root = tree_root(f, cwd);
        walk(f, &root, &mut found)?;
    }
    let mut g = Graph::default();
    let mut named = Vec::new();
    for d in kustomize {
        let root = tree_root(d, cwd);
        let Some(file) = kustomization_in(d) else {
            return Err(RenderError::NoKustomization { dir: d.clone() });
        };
        let c = canonical(d)?;
        named.push(c.clone());
        found.kustomizations.insert(c, (d.clone(), file, root));
    }
    let mut plan = Plan::default();
    for (c, (dir, file, root)) in &found.kustomizations {
        g.visit(dir, c, file, root, cfg, &mut plan)?;
    }
    for (c, (dir, file, root)) in &found.kustomizations {
        if g.used.contains(c) && !named.contains(c) {
            continue;
        }
        let node = &g.nodes[c];
        plan.jobs.push(Job::Kustomize {
            dir: dir.clone(),
            canonical: c.clone(),
            file: file.clone(),
            root: root.clone(),
            remote: node.remote,
            helm_charts: node.helm_charts,
        });
    }
    // Charts: those found, less subcharts; each with the policy's entries for it, or defaults.
    for spec in &cfg.charts {
        let c = canonical(&spec.chart)?;
        if !c.join("Chart.yaml").is_file() {
            return Err(RenderError::NoChart {
                dir: spec.chart.clone(),
            });
        }
        let root = tree_root(&spec.chart, cwd);
        found
            .charts
            .entry(c)
            .or_insert_with(|| (spec.chart.clone(), root));
    }
    let chart_dirs: Vec<PathBuf> = found.charts.keys().cloned().collect();
    for (c, (dir, root)) in &found.charts {
        let sub = chart_dirs
            .iter()
            .any(|p| p != c && c.starts_with(p.join("charts")));
        if sub {
            continue;
        }
        chart_inputs(c, dir, &mut plan)?;
        let specs: Vec<&ChartSpec> = cfg
            .charts
            .iter()
            .filter(|s| std::fs::canonicalize(&s.chart).ok().as_ref() == Some(c))
            .collect();
        let specs = if specs.is_empty() {
            vec![ChartSpec {
                chart: dir.clone(),
                ..ChartSpec::default()
            }]
        } else {
            specs.into_iter().cloned().collect()
        };
        for spec in specs {
            for v in &spec.values {
                let cv = canonical(v)?;
                if !cv.starts_with(root) {
                    return Err(RenderError::Outside {
                        file: v.clone(),
                        entry: v.display().to_string(),
                        root: root.clone(),
                    });
                }
                if plan.inputs.insert(cv) {
                    plan.input_paths.push(v.clone());
                }
            }
            plan.jobs.push(Job::Helm {
                dir: dir.clone(),
                canonical: c.clone(),
                root: root.clone(),
                spec,
            });
        }
    }
    Ok(plan)
}

/// What a walk of the named paths found, by canonical directory.
#[derive(Default)]
struct Found {
    /// Directory as spelled, kustomization file, tree root.
    kustomizations: BTreeMap<PathBuf, (PathBuf, PathBuf, PathBuf)>,
    /// Directory as spelled, tree root.
    charts: BTreeMap<PathBuf, (PathBuf, PathBuf)>,
}

fn walk(p: &Path, root: &Path, found: &mut Found) -> Result<(), RenderError> {
    let meta = std::fs::symlink_metadata(p).map_err(|source| RenderError::Read {
        path: p.to_path_buf(),
        source,
    })?;
    if meta.is_file() {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let dir = p.parent().unwrap_or(Path::new("."));
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if KUSTOMIZATION_NAMES.contains(&name) {
            found.kustomizations.insert(
                canonical(dir)?,
                (dir.to_path_buf(), p.to_path_buf(), root.to_path_buf()),
            );
        } else if name == "Chart.yaml" {
            found
                .charts
                .insert(canonical(dir)?, (dir.to_path_buf(), root.to_path_buf()));
        }
        return Ok(());
    }
    if !meta.is_dir() {
        return Ok(());
    }
    if let Some(k) = kustomization_in(p) {
        found
            .kustomizations
            .insert(canonical(p)?, (p.to_path_buf(), k, root.to_path_buf()));
    }
    if p.join("Chart.yaml").is_file() {
        found
            .charts
            .insert(canonical(p)?, (p.to_path_buf(), root.to_path_buf()));
    }
    let read = |source| RenderError::Read {
        path: p.to_path_buf(),
        source,
    };
    let mut entries = std::fs::read_dir(p)
        .map_err(read)?
        .map(|e| e.map(|e| (e.path(), e)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(read)?;
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, e) in entries {
        if path.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        // The entry's own type (not a link's target), from the listing where the file system
        // gives it: a tree of many files costs no `lstat` per file.
        let t = e.file_type().map_err(|source| RenderError::Read {
            path: path.clone(),
            source,
        })?;
        if t.is_dir() {
            walk(&path, root, found)?;
        }
    }
    Ok(())
}

/// A chart's inputs: every regular file under it that a render reads (`Chart.yaml`,
/// `values.yaml`, `templates/`, `charts/`, `crds/`). A link that leads outside the chart is
/// refused: Helm follows links, and would read what the tree does not hold.
fn chart_inputs(canonical_dir: &Path, dir: &Path, plan: &mut Plan) -> Result<(), RenderError> {
    fn visit(
        c: &Path,
        spelled: &Path,
        chart: &Path,
        top: bool,
        plan: &mut Plan,
    ) -> Result<(), RenderError> {
        let read = |source| RenderError::Read {
            path: spelled.to_path_buf(),
            source,
        };
        let mut entries = std::fs::read_dir(spelled)
            .map_err(read)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(read)?;
        entries.sort();
        for name in entries {
            let s = spelled.join(&name);
            let meta = std::fs::symlink_metadata(&s).map_err(|source| RenderError::Read {
                path: s.clone(),
                source,
            })?;
            if meta.file_type().is_symlink() {
                let target = std::fs::canonicalize(&s).unwrap_or_default();
                if !target.starts_with(chart) {
                    return Err(RenderError::Outside {
                        file: s.clone(),
                        entry: s.display().to_string(),
                        root: chart.to_path_buf(),
                    });
                }
            }
            let n = name.to_str().unwrap_or("");
            if top
                && !matches!(
                    n,
                    "Chart.yaml" | "values.yaml" | "templates" | "charts" | "crds"
                )
            {
                continue;
            }
            if s.is_dir() {
                visit(&c.join(&name), &s, chart, false, plan)?;
            } else if s.is_file() && plan.inputs.insert(c.join(&name)) {
                plan.input_paths.push(s);
            }
        }
        Ok(())
    }
    visit(canonical_dir, dir, canonical_dir, true, plan)
}

/// The kustomization graph: which directories other kustomizations use.
#[derive(Default)]
struct Graph {
    nodes: BTreeMap<PathBuf, Node2>,
    used: HashSet<PathBuf>,
}

#[derive(Default, Clone)]
struct Node2 {
    /// Remote references (allowed by the policy) somewhere below.
    remote: bool,
    helm_charts: bool,
}

/// The keys of a kustomization whose entries name files or directories to read.
const FILE_LISTS: &[&str] = &[
    "resources",
    "bases",
    "components",
    "patchesStrategicMerge",
    "crds",
    "configurations",
    "generators",
    "transformers",
    "validators",
];

impl Graph {
    fn visit(
        &mut self,
        dir: &Path,
        c: &Path,
        file: &Path,
        root: &Path,
        cfg: &RenderConfig,
        plan: &mut Plan,
    ) -> Result<Node2, RenderError> {
        if let Some(n) = self.nodes.get(c) {
            return Ok(n.clone());
        }
        self.nodes.insert(c.to_path_buf(), Node2::default());
        if !c.starts_with(root) {
            return Err(RenderError::Outside {
                file: file.to_path_buf(),
                entry: dir.display().to_string(),
                root: root.to_path_buf(),
            });
        }
        let cf = canonical(file)?;
        if plan.inputs.insert(cf) {
            plan.input_paths.push(file.to_path_buf());
        }
        let text = super::read_bounded(file)?;
        let docs = yaml::parse_documents(&text).map_err(|e| RenderError::Kustomization {
            file: file.to_path_buf(),
            line: e.line,
            message: e.message,
        })?;
        let mut node = Node2::default();
        let Some(doc) = docs.into_iter().find(|d| !d.is_null()) else {
            self.nodes.insert(c.to_path_buf(), node.clone());
            return Ok(node);
        };
        for key in ["helmCharts", "helmGlobals", "helmChartInflationGenerator"] {
            if let Some(n) = doc.get(key) {
                let repos: Vec<&str> = n
                    .as_seq()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|c| c.get_str("repo"))
                    .collect();
                let allowed = !repos.is_empty()
                    && repos
                        .iter()
                        .all(|r| cfg.allow_remote.iter().any(|a| a == r));
                if !allowed {
                    return Err(RenderError::HelmCharts {
                        file: file.to_path_buf(),
                        line: n.line,
                        key,
                    });
                }
                node.helm_charts = true;
                node.remote = true;
            }
        }
        // (entry, a directory list, a generator's `key=path`)
        let mut entries: Vec<(&Node, bool, bool)> = Vec::new();
        for key in FILE_LISTS {
            let list = match doc.get(key).map(|n| &n.value) {
                Some(Value::Seq(items)) => items.iter().collect(),
                Some(Value::Scalar(..)) => doc.get(key).into_iter().collect(),
                _ => Vec::new(),
            };
            let is_dir_list = matches!(*key, "resources" | "bases" | "components");
            for n in list.into_iter().filter(|n| n.as_str().is_some()) {
                entries.push((n, is_dir_list, false));
            }
        }
        for key in ["patches", "patchesJson6902", "replacements"] {
            for p in doc.get(key).and_then(Node::as_seq).unwrap_or_default() {
                entries.extend(
                    p.get("path")
                        .filter(|n| n.as_str().is_some())
                        .map(|n| (n, false, false)),
                );
            }
        }
        for key in ["configMapGenerator", "secretGenerator"] {
            for g in doc.get(key).and_then(Node::as_seq).unwrap_or_default() {
                for k in ["files", "envs", "env"] {
                    let list = match g.get(k).map(|n| &n.value) {
                        Some(Value::Seq(items)) => items.iter().collect(),
                        Some(Value::Scalar(..)) => g.get(k).into_iter().collect(),
                        _ => Vec::new(),
                    };
                    for n in list.into_iter().filter(|n| n.as_str().is_some()) {
                        entries.push((n, false, true));
                    }
                }
            }
        }
        if let Some(p) = doc.get("openapi").and_then(|o| o.get("path")) {
            entries.push((p, false, false));
        }
        for (n, dir_list, keyed) in entries {
            let raw = n.as_str().unwrap_or_default().trim();
            // A generator's `files:` entries may be `key=path`.
            let entry = match raw.split_once('=') {
                Some((_, p)) if keyed => p.trim(),
                _ => raw,
            };
            if entry.is_empty() || entry.contains('\n') {
                continue; // an inline patch
            }
            if is_remote(entry) {
                if !cfg.allow_remote.iter().any(|a| a == entry) {
                    return Err(RenderError::Remote {
                        file: file.to_path_buf(),
                        line: n.line,
                        reference: entry.to_string(),
                    });
                }
                node.remote = true;
                continue;
            }
            if Path::new(entry).is_absolute() || !lexically_inside(&c.join(entry), root) {
                return Err(RenderError::Outside {
                    file: file.to_path_buf(),
                    entry: entry.to_string(),
                    root: root.to_path_buf(),
                });
            }
            let target = normalize(&dir.join(entry));
            if dir_list && target.is_dir() {
                let Some(kf) = kustomization_in(&target) else {
                    continue; // kustomize reports it
                };
                let tc = canonical(&target)?;
                if !tc.starts_with(root) {
                    return Err(RenderError::Outside {
                        file: file.to_path_buf(),
                        entry: entry.to_string(),
                        root: root.to_path_buf(),
                    });
                }
                self.used.insert(tc.clone());
                let sub = self.visit(&target, &tc, &kf, root, cfg, plan)?;
                node.remote |= sub.remote;
                node.helm_charts |= sub.helm_charts;
            } else if target.is_file() {
                if let Ok(t) = std::fs::canonicalize(&target) {
                    if t.starts_with(root) && plan.inputs.insert(t) {
                        plan.input_paths.push(target);
                    }
                }
            }
        }
        self.nodes.insert(c.to_path_buf(), node.clone());
        Ok(node)
    }
}

/// `p` (absolute) with `.` and `..` folded stays under `root`.
fn lexically_inside(p: &Path, root: &Path) -> bool {
    normalize(p).starts_with(root)
}

/// Fold `.` and `..` without touching the file system.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// A kustomize entry fetched over the network (a git repository or an URL).
pub fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("git@")
        || entry.starts_with("github.com/")
        || entry.starts_with("gitlab.com/")
        || entry.starts_with("bitbucket.org/")
        || entry.contains("?ref=")
        || entry.contains(".git//")
        || entry.ends_with(".git")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fold_without_the_file_system() {
        assert_eq!(normalize(Path::new("prod/../base")), Path::new("base"));
        assert_eq!(normalize(Path::new("./../base")), Path::new("../base"));
        assert_eq!(normalize(Path::new("/a/b/../../../c")), Path::new("/c"));
        assert!(lexically_inside(
            Path::new("/t/app/overlay/../base"),
            Path::new("/t/app")
        ));
        assert!(!lexically_inside(
            Path::new("/t/app/overlay/../../x"),
            Path::new("/t/app")
        ));
    }

    #[test]
    fn remote_entries_are_recognised() {
        for r in [
            "github.com/acme/base?ref=v1",
            "https://example.com/all.yaml",
            "git@github.com:acme/base.git",
            "ssh://git@example.com/base",
            "example.com/acme/base.git//overlays/prod",
        ] {
            assert!(is_remote(r), "{r}");
        }
        for l in ["../base", "deployment.yaml", "components/debug"] {
            assert!(!is_remote(l), "{l}");
        }
    }
}
