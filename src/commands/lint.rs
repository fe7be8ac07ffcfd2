//! `gate lint -f PATH...`: the Kubernetes guardrails only, offline.

use super::{emit_report, CommandError, Outcome};
use crate::cli::{GlobalArgs, LintArgs};
use crate::evidence::{CheckError, Evidence, FindingRecord, LintSummary};

pub fn run(g: &GlobalArgs, args: &LintArgs) -> Result<Outcome, CommandError> {
    let started = chrono::Utc::now();
    let cwd = std::env::current_dir().map_err(CommandError::Cwd)?;
    let policy = crate::policy::file::Policy::discover(args.policy.as_deref(), &cwd)?;
    // Only what lint needs is taken from the policy (not its signing keys or scanner).
    let (_, exceptions) = policy.split_exceptions()?;
    let lint = policy
        .stages
        .lint
        .lint_config(args.pss_level, args.pss_version, exceptions);
    let levels = crate::policy::evaluate::Levels::from_policy(&policy, false);
    let span = crate::trace::span("lint.render", String::new);
    let renders = crate::render::render(&args.files, &args.kustomize, &policy.stages.render, &cwd)?;
    drop(span);
    let outcome = crate::lint::lint_rendered(
        &args.files,
        &std::collections::HashMap::new(),
        &renders,
        &lint,
        started.date_naive(),
    )?;
    let mut ev = Evidence::new(env!("CARGO_PKG_VERSION"), policy.evidence_ref(), started);
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
    let span = crate::trace::span("lint.records", String::new);
    let findings = levels.apply(outcome.findings);
    ev.findings = FindingRecord::from_all(findings);
    ev.finish(chrono::Utc::now());
    drop(span);
    super::refuse_empty(&mut ev, &args.files, args.allow_empty);
    let span = crate::trace::span("lint.report", || {
        format!("{} finding(s)", ev.findings.len())
    });
    emit_report(g, &mut ev)?;
    drop(span);
    let outcome = super::outcome_of(&ev);
    crate::background::drop_elsewhere(ev);
    Ok(outcome)
}
