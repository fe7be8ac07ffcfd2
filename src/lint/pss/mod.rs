//! Pod Security Standards: the baseline and restricted levels, at every policy version from v1.0
//! to v1.37, with the per-version semantics of the Kubernetes Pod Security admission.
//!
//! Each check lives in its own file under `checks/` with its rule; this module owns the levels,
//! the versions and the evaluator that picks which check (and which revision of it) applies at a
//! level and version, including the restricted checks that replace baseline ones.

pub mod checks;
mod level;
mod version;

pub use level::{Level, ParseLevelError};
pub use version::{ParseVersionError, Version, LATEST_MINOR};

use crate::finding::Rule;
use crate::lint::pod::PodView;
use crate::yaml::Node;

/// One Pod Security check as the admission library defines it.
pub struct Check {
    /// The upstream check ID (`privileged`, `seccompProfile_restricted`, …).
    pub id: &'static str,
    pub rule: &'static Rule,
    /// Baseline checks also run at restricted; restricted checks only there.
    pub level: Level,
    /// The first policy minor version (`1.N`) the check applies to.
    pub since: u32,
    /// Baseline check IDs this restricted check subsumes. Both still run and report, so turning
    /// either rule off never hides the other's finding.
    pub overrides: &'static [&'static str],
    /// Push one violation per offending field; `minor` is the effective policy version.
    pub run: fn(&PodView<'_>, u32, &mut Vec<Violation>),
}

/// One offending field of a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub rule: &'static Rule,
    /// Field path from the object root, like the admission message names it.
    pub path: String,
    pub line: usize,
    pub column: usize,
    /// Sentence case, no trailing period.
    pub message: String,
}

impl Violation {
    /// A violation at `node` (the offending field, or the nearest present ancestor).
    pub fn new(rule: &'static Rule, path: String, node: &Node, message: String) -> Self {
        Self {
            rule,
            path,
            line: node.line,
            column: node.column,
            message,
        }
    }
}

/// Every check that a pod violates at `level` and `version`; empty means admitted.
pub fn evaluate(pod: &PodView<'_>, level: Level, version: Version) -> Vec<Violation> {
    let mut out = Vec::new();
    if level == Level::Privileged {
        return out;
    }
    let minor = version.effective_minor();
    let applies =
        |c: &Check| c.since <= minor && (c.level == Level::Baseline || level == Level::Restricted);
    // Every check that applies runs, including the baseline ones a restricted check subsumes:
    // each rule stands on its own (a pod the restricted check admits, the baseline one admits).
    for c in checks::ALL.iter().filter(|c| applies(c)) {
        (c.run)(pod, minor, &mut out);
    }
    out
}
