//! Reports: the evidence record rendered for a terminal, for archives, and for the formats CI
//! systems read (SARIF for code scanning, JUnit for test tabs, GitHub workflow commands).
//!
//! Every format renders one [`Evidence`] and nothing else, so they cannot disagree. Rendering is
//! pure: no I/O, no clock, no environment; `gate check` decides colour and where output goes.

pub mod github;
pub mod json;
pub mod junit;
pub mod paths;
pub mod sarif;
pub mod table;

use crate::cli::Format;
use crate::evidence::{Evidence, FindingRecord};
use crate::finding::Severity;

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot serialise the {format} report")]
    Json {
        format: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

/// A rendered report: the main output, plus the Markdown step summary for `--format github`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub output: String,
    /// Markdown to append to `$GITHUB_STEP_SUMMARY` (only for [`Format::Github`]).
    pub step_summary: Option<String>,
}

/// Render `ev` in `format`; `style` (colour, width) only affects the table.
pub fn render(ev: &Evidence, format: Format, style: table::Style) -> Result<Rendered, ReportError> {
    let (output, step_summary) = match format {
        Format::Table => (table::render(ev, style), None),
        Format::Json => (json::render(ev)?, None),
        Format::Sarif => (sarif::render(ev)?, None),
        Format::Junit => (junit::render(ev), None),
        Format::Github => (github::render(ev), Some(github::step_summary(ev))),
    };
    Ok(Rendered {
        output,
        step_summary,
    })
}

/// `1 error`, `3 errors`.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `error`, `warning`, `note`.
pub(crate) fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// The one-line summary every format ends with:
/// `gate: failed — 3 errors, 1 warning; 4 images (1 failed), 12 objects`.
pub fn summary_line(ev: &Evidence) -> String {
    let mut s = format!(
        "gate: {} — {}, {}",
        ev.verdict,
        plural(ev.count(Severity::Error), "error", "errors"),
        plural(ev.count(Severity::Warning), "warning", "warnings"),
    );
    let excepted = ev.findings.iter().filter(|f| !f.counts()).count();
    if excepted > 0 {
        s.push_str(&format!(", {excepted} excepted"));
    }
    let failed = ev
        .images
        .iter()
        .filter(|i| i.verdict == crate::evidence::Verdict::Failed)
        .count();
    let incomplete = ev
        .images
        .iter()
        .filter(|i| i.verdict == crate::evidence::Verdict::Incomplete)
        .count();
    // `gate lint` has no images to speak of: its summary counts objects alone.
    let images = !ev.images.is_empty() || ev.lint.is_none();
    if images {
        s.push_str(&format!(
            "; {} ({failed} failed",
            plural(ev.images.len(), "image", "images")
        ));
        if incomplete > 0 {
            s.push_str(&format!(", {incomplete} not checked"));
        }
        s.push(')');
    }
    if let Some(lint) = &ev.lint {
        let sep = if images { ", " } else { "; " };
        s.push_str(&format!(
            "{sep}{}",
            plural(lint.objects, "object", "objects")
        ));
    }
    let errors = ev.all_errors().count();
    if errors > 0 {
        s.push_str(&format!(
            "; {}",
            plural(errors, "check could not run", "checks could not run")
        ));
    }
    s
}

/// Findings ordered for display, most severe first: those that count (errors, then warnings,
/// then notes), then excepted ones; within each, vulnerabilities by the scanner's severity,
/// then by file, line, column, rule and subject.
pub(crate) fn sorted<'a>(
    findings: impl Iterator<Item = &'a FindingRecord>,
) -> Vec<&'a FindingRecord> {
    let mut v: Vec<_> = findings.collect();
    v.sort_by(|a, b| {
        let rank = |f: &FindingRecord| (f.counts(), f.severity);
        let key = |f: &FindingRecord| {
            f.location
                .as_ref()
                .map(|l| (l.file.clone(), l.line, l.column))
        };
        // Among vulnerabilities, the scanner's severity: CRITICAL before HIGH.
        let scanner = |f: &FindingRecord| {
            f.vulnerability
                .as_ref()
                .map_or(0, |v| match v.severity.as_str() {
                    "CRITICAL" => 5,
                    "HIGH" => 4,
                    "MEDIUM" => 3,
                    "LOW" => 2,
                    _ => 1,
                })
        };
        rank(b)
            .cmp(&rank(a))
            .then_with(|| scanner(b).cmp(&scanner(a)))
            .then_with(|| key(a).cmp(&key(b)))
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.subject.cmp(&b.subject))
            .then_with(|| a.key.cmp(&b.key))
    });
    v
}

/// The file position a finding is shown at: its own location, else the first file that names
/// its image.
pub(crate) fn position<'a>(
    ev: &'a Evidence,
    f: &'a FindingRecord,
) -> Option<(&'a std::path::Path, usize, usize)> {
    if let Some(l) = &f.location {
        return Some((l.file.as_path(), l.line, l.column));
    }
    ev.image_of(f)
        .and_then(|i| i.first_file())
        .map(|(file, line, col)| (file.as_path(), line, col))
}
