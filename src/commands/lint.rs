//! `gate lint -f PATH...`: the Kubernetes guardrails only, offline.

use super::{emit_report, CommandError, Outcome};
use crate::cli::{GlobalArgs, LintArgs};
use crate::evidence::{CheckError, Evidence, FindingRecord, LintSummary, PolicyRef};
use crate::lint::{lint_paths, LintConfig};

pub fn run(g: &GlobalArgs, args: &LintArgs) -> Result<Outcome, CommandError> {
    let started = chrono::Utc::now();
    let cfg = LintConfig {
        level: args.pss_level.unwrap_or_default(),
        version: args.pss_version.unwrap_or_default(),
        ..LintConfig::default()
    };
    let outcome = lint_paths(&args.files, &cfg, started.date_naive())?;
    let policy = PolicyRef {
        source: "command line".to_string(),
        sha256: String::new(),
    };
    let mut ev = Evidence::new(env!("CARGO_PKG_VERSION"), policy, started);
    ev.working_directory = std::env::current_dir().ok();
    for n in &outcome.notices {
        if n.severity == crate::finding::Severity::Error {
            ev.errors.push(CheckError::new("lint", n.to_string()));
        } else if !g.quiet {
            eprintln!("note: {n}");
        }
    }
    ev.lint = Some(LintSummary {
        files: args.files.clone(),
        objects: outcome.objects,
        notices: outcome
            .notices
            .iter()
            .filter(|n| n.severity != crate::finding::Severity::Error)
            .map(|n| n.to_string())
            .collect(),
    });
    ev.findings
        .extend(outcome.findings.iter().map(FindingRecord::from_finding));
    ev.finish(chrono::Utc::now());
    emit_report(g, &ev)?;
    Ok(super::outcome_of(&ev))
}
