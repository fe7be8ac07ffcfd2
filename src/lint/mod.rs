//! Stage `lint`: Kubernetes manifest guardrails, offline. Pod Security Standards on every pod
//! template, and the cluster-security rules (RBAC, service accounts, network policies, namespaces,
//! secrets, containers, Dapr) over all the objects of one run, so cross-object rules see every
//! file. Findings are data; exceptions (policy and inline `gate.dev/ignore`) are applied here.
//!
//! A run has two passes ([`Linter`]): the first reads every file once and gathers the facts the
//! cross-object rules need; the second lints a chunk of a file at a time, so memory stays flat
//! however many files a run gets. Both run on every core, with the same outcome as on one. Files that cannot be read are [`FileNotice`]s, never a panic, and the
//! other files are still checked.

pub mod config;
mod context;
mod exceptions;
mod facts;
mod object;
mod parallel;
mod pod;
mod pod_security;
pub mod pss;
pub mod rules;
mod run;
mod secrets;
mod source;

pub use config::InlineExceptions;
pub use context::{Context, Hit};
pub use run::Linter;

use crate::exception::Exception;
use crate::finding::Rule;
use crate::finding::{Finding, Severity};
use chrono::NaiveDate;
use std::fmt;
use std::path::PathBuf;

/// The rules this stage reports: the Pod Security checks, the guardrails and the exception rules.
pub const RULES: &[Rule] = &rules::ALL_RULES;

/// What the lint stage requires, from the policy file (or the defaults).
#[derive(Debug, Default)]
pub struct LintConfig {
    /// Pod Security level for namespaces whose `Namespace` object is not in the input or has no
    /// `pod-security.kubernetes.io/enforce` label (default: restricted).
    pub level: pss::Level,
    /// Pod Security version likewise (default: latest).
    pub version: pss::Version,
    pub exceptions: Vec<Exception>,
    /// Dapr-enabled pods must carry `dapr.io/app-token-secret` and `dapr.io/api-token-secret`.
    pub require_dapr_app_token: bool,
    /// Which `gate.dev/ignore` (and kube-linter) annotations apply; by default none.
    pub inline: InlineExceptions,
}

/// A file (or part of one) that could not be checked, or was skipped on purpose.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileNotice {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    /// `Error`: could not be checked (the gate must fail closed); `Warning`: a document was
    /// skipped; `Note`: skipped on purpose (Helm templates).
    pub severity: Severity,
    pub message: String,
}

impl fmt::Display for FileNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// What one lint run saw.
#[derive(Debug, Default)]
pub struct LintOutcome {
    /// Sorted by file, line, column, rule.
    pub findings: Vec<Finding>,
    pub notices: Vec<FileNotice>,
    /// How many Kubernetes objects were checked.
    pub objects: usize,
}

/// Why lint could not read what it was given.
pub type LintError = crate::input::ReadError;

/// Lint files already in memory: `(path, contents)`.
pub fn lint_sources(
    sources: &[(PathBuf, String)],
    cfg: &LintConfig,
    today: NaiveDate,
) -> LintOutcome {
    let mut linter = Linter::new(cfg, today);
    for (path, text) in sources {
        linter.add(path, text);
    }
    linter.finish()
}

/// Lint files and directories (recursively: `*.yaml`, `*.yml`, `*.json`; `-` is standard
/// input), reading one file at a time.
pub fn lint_paths(
    paths: &[PathBuf],
    cfg: &LintConfig,
    today: NaiveDate,
) -> Result<LintOutcome, LintError> {
    lint_read(paths, &std::collections::HashMap::new(), cfg, today)
}

/// [`lint_paths`], taking a file's text from `read` when it was read already (by discovery: a
/// file is read once per run, and standard input can only be read once).
pub fn lint_read(
    paths: &[PathBuf],
    read: &std::collections::HashMap<PathBuf, String>,
    cfg: &LintConfig,
    today: NaiveDate,
) -> Result<LintOutcome, LintError> {
    Linter::new(cfg, today).run(paths, read)
}

/// [`lint_read`] over what the deployer applies: the files less those a render reads (they are
/// checked through it), plus the rendered sources, whose findings and notices then point at the
/// source lines that produced them ([`crate::render::Renders::remap`]).
pub fn lint_rendered(
    paths: &[PathBuf],
    read: &std::collections::HashMap<PathBuf, String>,
    renders: &crate::render::Renders,
    cfg: &LintConfig,
    today: NaiveDate,
) -> Result<LintOutcome, LintError> {
    let mut linter = Linter::new(cfg, today);
    let files: Vec<PathBuf> = source::collect_files(paths)?
        .into_iter()
        .filter(|p| !renders.is_input(p))
        .collect();
    let budget = crate::fsutil::ReadBudget::default();
    linter.add_files(&files, |path, buf| match read.get(path) {
        Some(text) => Ok(Some(text.as_str())),
        None => source::read_into(path, &budget, buf).map(|()| None),
    })?;
    for (path, text) in renders.texts() {
        linter.add(path, text);
    }
    let mut out = linter.finish();
    if renders.sources.is_empty() {
        return Ok(out);
    }
    renders.remap(&mut out.findings);
    for n in &mut out.notices {
        if let Some(o) = renders.origins(&n.file) {
            let loc = o.locate(n.line, n.column);
            (n.file, n.line, n.column) = (loc.file, loc.line, loc.column);
        }
    }
    out.findings.sort_by(|a, b| {
        let at = |f: &Finding| {
            f.location
                .as_ref()
                .map(|l| (l.file.clone(), l.line, l.column))
        };
        (at(a), a.rule.id).cmp(&(at(b), b.rule.id))
    });
    Ok(out)
}
