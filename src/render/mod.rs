//! Stage `render`: what the deployer renders is what gate checks. A directory holding a
//! kustomization (found under `-f`, or named with `-k`) is built with the real kustomize, a chart
//! (a directory with `Chart.yaml`) with the real `helm template`; the rendered objects then go
//! through the same discovery and lint as files do, as in-memory sources with an origin map
//! ([`Origins`]) that takes every finding back to the file and line that produced the field.
//! The files a render reads are its inputs: they are checked through the rendered output, not on
//! their own (an image an overlay replaces is not reported), and their image uses are where pin
//! writes a rendered image's digest ([`map_uses`]).
//!
//! Rendering is confined and fails closed ([`plan`], [`process`]): no plugins, exec functions,
//! post-renderers or chart downloads; kustomize's load restrictor on; remote bases, remote charts
//! and `helmCharts` refused unless the trusted policy allows them; a renderer error, a render
//! that runs too long or writes too much, is a "could not check" error naming the render; the
//! renderer gets a cleared environment and a fresh home. What to render with which values and
//! what remote references to allow is the trusted policy's `render:` section, which a policy
//! found in the tree may not set.

pub mod config;
mod origin;
mod plan;
mod process;

pub use origin::Origins;
pub use plan::{is_remote, kustomization_in, Plan};

use crate::discover::{DiscoverOutcome, ImageUse, Target};
use crate::finding::Finding;
use origin::Renderer;
use plan::Job;
use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The longest a render may run by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// The most a render may write by default (bytes of YAML).
pub const DEFAULT_MAX_OUTPUT: usize = 64 << 20;
/// The largest input file a lookup or the graph walk reads.
const MAX_INPUT: u64 = 16 << 20;

/// One chart to render, from the trusted policy's `render.charts` (or the defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChartSpec {
    pub chart: PathBuf,
    /// Release name (default: the chart's name).
    pub release: Option<String>,
    /// Release namespace (default: `default`).
    pub namespace: Option<String>,
    /// Values files, in order (default: the chart's own `values.yaml` only).
    pub values: Vec<PathBuf>,
}

/// How to render, from the trusted policy.
#[derive(Debug, Clone)]
pub struct RenderConfig {
    pub charts: Vec<ChartSpec>,
    /// Remote kustomize resources and `helmCharts` repositories allowed, exactly as written.
    pub allow_remote: Vec<String>,
    /// The kustomize binary (default: `kustomize` on `PATH`, else `kubectl kustomize`).
    pub kustomize: Option<PathBuf>,
    /// The helm binary (default: `helm` on `PATH`).
    pub helm: Option<PathBuf>,
    pub timeout: Duration,
    pub max_output: usize,
}

impl Default for RenderConfig {
    fn default() -> Self {
        Self {
            charts: Vec::new(),
            allow_remote: Vec::new(),
            kustomize: None,
            helm: None,
            timeout: DEFAULT_TIMEOUT,
            max_output: DEFAULT_MAX_OUTPUT,
        }
    }
}

/// Why the renders could not be made (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is larger than {MAX_INPUT} bytes; gate does not render it", path.display())]
    TooLargeInput { path: PathBuf },
    #[error("`{}` holds no kustomization (kustomization.yaml, kustomization.yml or Kustomization)", dir.display())]
    NoKustomization { dir: PathBuf },
    #[error("`{}` holds no Chart.yaml", dir.display())]
    NoChart { dir: PathBuf },
    #[error("{}:{line}: invalid kustomization: {message}", file.display())]
    Kustomization {
        file: PathBuf,
        line: usize,
        message: String,
    },
    #[error(
        "{}:{line}: remote resource `{reference}` is refused: gate renders only what the tree \
         holds (a trusted policy may allow it in `render.allow-remote`)",
        file.display()
    )]
    Remote {
        file: PathBuf,
        line: usize,
        reference: String,
    },
    #[error(
        "{}:{line}: `{key}` is refused: kustomize would fetch and run Helm charts from outside \
         the tree (a trusted policy may allow their repositories in `render.allow-remote`)",
        file.display()
    )]
    HelmCharts {
        file: PathBuf,
        line: usize,
        key: &'static str,
    },
    #[error("{}: `{entry}` is outside the tree `{}`; gate renders only what the tree holds", file.display(), root.display())]
    Outside {
        file: PathBuf,
        entry: String,
        root: PathBuf,
    },
    #[error(
        "`{tool}` is needed to render `{}` and was not found: install it \
         (scripts/peers/{tool}/install) or name it in the trusted policy's `render.{tool}`",
        dir.display()
    )]
    Missing { tool: &'static str, dir: PathBuf },
    #[error("{tool} could not render `{}`", dir.display())]
    Failed {
        tool: &'static str,
        dir: PathBuf,
        #[source]
        source: process::ProcessError,
    },
}

/// One render's output: an in-memory source for discovery and lint, and where its fields came
/// from.
#[derive(Debug)]
pub struct RenderedSource {
    /// The name discovery and lint know it by (`DIR (kustomize build)`); never a real file.
    pub path: PathBuf,
    pub text: String,
    pub origins: Origins,
}

/// Every render of a run, and the files they read.
#[derive(Debug, Default)]
pub struct Renders {
    pub sources: Vec<RenderedSource>,
    /// Canonical paths of every file a render reads.
    pub inputs: BTreeSet<PathBuf>,
    /// The same, as discovery spells them.
    pub input_paths: Vec<PathBuf>,
    /// The trees the renders stay inside (canonical): pin may write there.
    pub roots: Vec<PathBuf>,
}

impl Renders {
    /// True when `path` is read by a render (and so is checked through it).
    pub fn is_input(&self, path: &Path) -> bool {
        !self.inputs.is_empty()
            && std::fs::canonicalize(path).is_ok_and(|c| self.inputs.contains(&c))
    }

    /// The origin map of a rendered source, by its name.
    pub fn origins(&self, path: &Path) -> Option<&Origins> {
        self.sources
            .iter()
            .find(|s| s.path == path)
            .map(|s| &s.origins)
    }

    /// The rendered sources as `(name, text)` pairs.
    pub fn texts(&self) -> impl Iterator<Item = (&Path, &str)> {
        self.sources
            .iter()
            .map(|s| (s.path.as_path(), s.text.as_str()))
    }

    /// Point every finding on a rendered source at the source line that produced it.
    pub fn remap(&self, findings: &mut [Finding]) {
        for f in findings {
            if let Some(loc) = f.location.as_mut() {
                if let Some(o) = self.origins(&loc.file) {
                    *loc = o.locate(loc.line, loc.column);
                }
            }
        }
    }
}

/// Read a file for the graph walk or a lookup: regular files only, bounded.
pub(crate) fn read_bounded(path: &Path) -> Result<String, RenderError> {
    let err = |source| RenderError::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(err)?;
    if !meta.is_file() {
        return Err(err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    if meta.len() > MAX_INPUT {
        return Err(RenderError::TooLargeInput {
            path: path.to_path_buf(),
        });
    }
    std::fs::read_to_string(path).map_err(err)
}

/// Render every kustomization and chart under `files` and every directory in `kustomize`.
pub fn render(
    files: &[PathBuf],
    kustomize: &[PathBuf],
    cfg: &RenderConfig,
    cwd: &Path,
) -> Result<Renders, RenderError> {
    let plan = plan::plan(files, kustomize, cfg, cwd)?;
    let mut out = Renders {
        sources: Vec::new(),
        inputs: plan.inputs,
        input_paths: plan.input_paths,
        roots: Vec::new(),
    };
    for job in &plan.jobs {
        let (Job::Kustomize { root, .. } | Job::Helm { root, .. }) = job;
        if !out.roots.contains(root) {
            out.roots.push(root.clone());
        }
    }
    // Renders are separate processes: run a few at once, keep their order.
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8)
        .min(plan.jobs.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, Result<RenderedSource, RenderError>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(job) = plan.jobs.get(i) else { break };
                        mine.push((i, run_job(job, cfg, cwd)));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    for (_, r) in done {
        out.sources.push(r?);
    }
    Ok(out)
}

fn find_tool(
    named: Option<&Path>,
    tool: &'static str,
    dir: &Path,
) -> Result<(PathBuf, bool), RenderError> {
    if let Some(p) = named {
        return Ok((p.to_path_buf(), false));
    }
    if let Ok(p) = which::which(tool) {
        return Ok((p, false));
    }
    if tool == "kustomize" {
        if let Ok(p) = which::which("kubectl") {
            return Ok((p, true));
        }
    }
    Err(RenderError::Missing {
        tool,
        dir: dir.to_path_buf(),
    })
}

fn run_job(job: &Job, cfg: &RenderConfig, cwd: &Path) -> Result<RenderedSource, RenderError> {
    match job {
        Job::Kustomize {
            dir,
            canonical,
            file,
            root,
            remote,
            helm_charts,
        } => {
            let (exe, kubectl) = find_tool(cfg.kustomize.as_deref(), "kustomize", dir)?;
            // A wrapper kustomization asks for the build metadata (origins and transformers)
            // without touching the tree; it only lists the directory as its resource.
            let wrap = tempfile::Builder::new()
                .prefix("gate-kustomize-")
                .tempdir()
                .map_err(|source| RenderError::Read {
                    path: std::env::temp_dir(),
                    source,
                })?;
            let base = std::fs::canonicalize(wrap.path()).map_err(|source| RenderError::Read {
                path: wrap.path().to_path_buf(),
                source,
            })?;
            let rel = relative(&base, canonical);
            let text = format!(
                "resources:\n- {}\nbuildMetadata: [originAnnotations, transformerAnnotations]\n",
                serde_json::to_string(&rel.to_string_lossy()).unwrap_or_default()
            );
            std::fs::write(base.join("kustomization.yaml"), text).map_err(|source| {
                RenderError::Read {
                    path: base.clone(),
                    source,
                }
            })?;
            let mut args: Vec<OsString> = Vec::new();
            args.push(if kubectl { "kustomize" } else { "build" }.into());
            args.push("--load-restrictor=LoadRestrictionsRootOnly".into());
            if *helm_charts {
                if let Ok((helm, _)) = find_tool(cfg.helm.as_deref(), "helm", dir) {
                    args.push("--enable-helm".into());
                    args.push("--helm-command".into());
                    args.push(helm.into());
                }
            }
            args.push(base.clone().into());
            let out = process::run(&process::Run {
                exe: &exe,
                args,
                path: *remote,
                timeout: cfg.timeout,
                max_output: cfg.max_output,
            })
            .map_err(|source| RenderError::Failed {
                tool: "kustomize",
                dir: dir.clone(),
                source,
            })?;
            let origins = Origins::new(
                Renderer::Kustomize {
                    file: file.clone(),
                    base,
                },
                root,
                cwd,
                &out,
            );
            Ok(RenderedSource {
                path: PathBuf::from(format!("{} (kustomize build)", dir.display())),
                text: out,
                origins,
            })
        }
        Job::Helm {
            dir,
            canonical,
            root,
            spec,
        } => {
            let (exe, _) = find_tool(cfg.helm.as_deref(), "helm", dir)?;
            let chart_yaml = read_bounded(&canonical.join("Chart.yaml"))?;
            let name = crate::yaml::parse_documents(&chart_yaml)
                .ok()
                .and_then(|d| {
                    d.first()
                        .and_then(|d| d.get_str("name"))
                        .map(str::to_string)
                })
                .unwrap_or_else(|| "release".to_string());
            let release = spec.release.clone().unwrap_or(name);
            let mut args: Vec<OsString> = vec![
                "template".into(),
                release.into(),
                canonical.clone().into(),
                "--namespace".into(),
                spec.namespace
                    .clone()
                    .unwrap_or_else(|| "default".into())
                    .into(),
            ];
            for v in &spec.values {
                args.push("--values".into());
                args.push(
                    std::fs::canonicalize(v)
                        .map_err(|source| RenderError::Read {
                            path: v.clone(),
                            source,
                        })?
                        .into(),
                );
            }
            let out = process::run(&process::Run {
                exe: &exe,
                args,
                path: false,
                timeout: cfg.timeout,
                max_output: cfg.max_output,
            })
            .map_err(|source| RenderError::Failed {
                tool: "helm",
                dir: dir.clone(),
                source,
            })?;
            let origins = Origins::new(
                Renderer::Helm {
                    chart: canonical.clone(),
                    spelled: dir.clone(),
                    values: spec.values.clone(),
                },
                root,
                cwd,
                &out,
            );
            Ok(RenderedSource {
                path: PathBuf::from(format!("{} (helm template)", dir.display())),
                text: out,
                origins,
            })
        }
    }
}

/// `to` relative to `from` (both absolute and canonical).
fn relative(from: &Path, to: &Path) -> PathBuf {
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    out
}

/// The image uses of rendered sources, moved to where the deployer takes each reference from:
/// the use discovery found at the source line (a kustomization `images:` entry, a Helm values
/// `image:` map, the resource file when nothing overrides it), keeping the rendered reference.
/// A rendered image with no such use (built in a template, set by a replacement) keeps its source
/// location and cannot be pinned in place ([`Target::Unwritable`]).
pub fn map_uses(
    renders: &Renders,
    rendered: Vec<ImageUse>,
    inputs: &DiscoverOutcome,
) -> Vec<ImageUse> {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut by_line: HashMap<(PathBuf, usize), &ImageUse> = HashMap::new();
    for u in &inputs.uses {
        by_line.entry((canon(&u.file), u.line)).or_insert(u);
    }
    rendered
        .into_iter()
        .map(|u| {
            let Some(o) = renders.origins(&u.file) else {
                return u;
            };
            let loc = o.locate(u.line, u.column);
            // Only a use that names the very reference rendered: where readings differ (a
            // values file the policy adds overrides the tag), nothing is guessed.
            let same = |c: &&&ImageUse| c.reference.to_string() == u.reference.to_string();
            match by_line.get(&(canon(&loc.file), loc.line)).filter(same) {
                Some(c) => ImageUse {
                    reference: u.reference,
                    file: c.file.clone(),
                    line: c.line,
                    column: c.column,
                    span: c.span.clone(),
                    kind: c.kind,
                    target: c.target.clone(),
                },
                None => ImageUse {
                    reference: u.reference,
                    file: loc.file,
                    line: loc.line,
                    column: loc.column,
                    span: 0..0,
                    kind: u.kind,
                    target: Target::Unwritable,
                },
            }
        })
        .collect()
}

/// Discovery over what the deployer applies: `sources` (files read for `-f`) less the render
/// inputs, plus the rendered sources, through the one [`crate::discover::discover_sources`].
/// Rendered uses are moved to their pin targets ([`map_uses`]), rendered notices to their
/// source lines. Returns the outcome and the plain sources (what lint reads as files).
pub fn discover(
    sources: Vec<(PathBuf, String)>,
    renders: &Renders,
    rules: &crate::discover::SearchRules,
) -> Result<(DiscoverOutcome, Vec<(PathBuf, String)>), crate::discover::DiscoverError> {
    let plain: Vec<(PathBuf, String)> = sources
        .into_iter()
        .filter(|(p, _)| !renders.is_input(p))
        .collect();
    if renders.sources.is_empty() && renders.inputs.is_empty() {
        let out = crate::discover::discover_sources(&plain, rules);
        return Ok((out, plain));
    }
    let mut all = plain.clone();
    all.extend(
        renders
            .texts()
            .map(|(p, t)| (p.to_path_buf(), t.to_string())),
    );
    let mut out = crate::discover::discover_sources(&all, rules);
    let (rendered, mut uses): (Vec<ImageUse>, Vec<ImageUse>) = std::mem::take(&mut out.uses)
        .into_iter()
        .partition(|u| renders.origins(&u.file).is_some());
    for s in &renders.sources {
        out.sources.remove(&s.path);
    }
    // TODO(i24b): once discover's accountability API (GATE-IMG-005) is on main, mark every
    // render input accounted here: "input of kustomization X / chart Y; rendered output is
    // checked".
    let (input_sources, _) = crate::discover::read_sources(&renders.input_paths)?;
    let inputs = crate::discover::discover_sources(&input_sources, rules);
    let mapped = map_uses(renders, rendered, &inputs);
    for u in &mapped {
        if let Some(src) = inputs.sources.get(&u.file) {
            out.sources.insert(u.file.clone(), src.clone());
        }
    }
    uses.extend(mapped);
    out.uses = uses;
    for n in &mut out.notices {
        if let Some(o) = renders.origins(&n.file) {
            let loc = o.locate(n.line, n.column);
            n.file = loc.file;
            n.line = loc.line;
            n.column = loc.column;
        }
    }
    Ok((out, plain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_then_descend() {
        assert_eq!(
            relative(Path::new("/tmp/gate-k-1"), Path::new("/work/repo/prod")),
            Path::new("../../work/repo/prod")
        );
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/a/b/c")),
            Path::new("c")
        );
    }
}
