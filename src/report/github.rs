//! `--format github`: workflow commands for GitHub Actions (`::error file=…,line=…::message`,
//! shown as annotations on the pull request) on standard output, and a Markdown step summary
//! that `gate check` appends to `$GITHUB_STEP_SUMMARY`.
//!
//! Escaping follows the Actions runner: in messages `%`, `\r`, `\n` become `%25`, `%0D`, `%0A`;
//! in properties `:` and `,` are escaped as well (`%3A`, `%2C`).

use super::{position, severity_word, sorted, summary_line};
use crate::evidence::{Evidence, ExceptionStatus, FindingRecord, ImageEvidence, Verdict};
use crate::finding::Severity;
use std::fmt::Write;
use std::path::Path;

/// Finding rows in the step summary (GitHub takes at most 1 MiB of summary per step).
const MAX_SUMMARY_ROWS: usize = 500;

/// The workflow commands: one annotation per counted finding, per could-not-check error and
/// per expired or unused exception, then the summary line.
pub fn render(ev: &Evidence) -> String {
    let mut out = String::new();
    for f in sorted(ev.findings.iter())
        .into_iter()
        .filter(|f| f.counts())
    {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut message = format!("{}: {}", f.subject, f.message);
        if let Some(e) = &f.exception {
            message.push_str(&format!(" (exception {} expired: {})", e.origin, e.reason));
        }
        let at = position(ev, f);
        annotate(&mut out, command, at, &f.label(), &message);
    }
    for (image, e) in ev.errors_in_context() {
        let at = image
            .and_then(|i| i.first_file())
            .map(|(file, line, col)| (file.as_path(), line, col));
        let what = image
            .map(|i| format!("{}: ", i.reference))
            .unwrap_or_default();
        annotate(
            &mut out,
            "error",
            at,
            "gate could not check",
            &format!("{what}{}: {}", e.stage, e.message),
        );
    }
    for e in &ev.exceptions {
        let (title, message) = match e.status {
            ExceptionStatus::Expired => (
                "expired exception",
                format!(
                    "Exception expired{}: {}",
                    e.expires.map(|d| format!(" on {d}")).unwrap_or_default(),
                    e.reason
                ),
            ),
            _ => (
                "unused exception",
                format!("Exception matched no finding: {}", e.reason),
            ),
        };
        let origin = split_origin(&e.origin);
        let at = origin
            .as_ref()
            .map(|(file, line)| (Path::new(*file), *line, 1));
        annotate(&mut out, "warning", at, title, &message);
    }
    let _ = writeln!(out, "{}", summary_line(ev));
    out
}

fn annotate(
    out: &mut String,
    command: &str,
    at: Option<(&Path, usize, usize)>,
    title: &str,
    message: &str,
) {
    let mut props = Vec::new();
    if let Some((file, line, col)) = at {
        props.push(format!("file={}", property(&file.to_string_lossy())));
        if line > 0 {
            props.push(format!("line={line}"));
            if col > 0 {
                props.push(format!("col={col}"));
            }
        }
    }
    props.push(format!("title={}", property(title)));
    let _ = writeln!(out, "::{command} {}::{}", props.join(","), data(message));
}

/// `file:line` → (`file`, line), when the origin has that shape.
fn split_origin(origin: &str) -> Option<(&str, usize)> {
    let (file, line) = origin.rsplit_once(':')?;
    Some((file, line.parse().ok()?))
}

/// Escape a workflow command's message.
pub fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a workflow command's property value.
pub fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The Markdown step summary: verdict, one row per image, one row per finding.
pub fn step_summary(ev: &Evidence) -> String {
    let mut out = String::new();
    let icon = verdict_icon(ev.verdict);
    let _ = writeln!(out, "## {icon} gate: {}\n", ev.verdict);
    let _ = writeln!(out, "{}\n", cell(&summary_line(ev)));
    if !ev.images.is_empty() {
        out.push_str("| Image | Digest | Vulnerabilities | Signed | Verdict |\n");
        out.push_str("|---|---|---|---|---|\n");
        for i in &ev.images {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} {} |",
                cell(&i.reference),
                i.digest.as_deref().map(short_digest).unwrap_or_default(),
                vuln_cell(i),
                signed_cell(i),
                verdict_icon(i.verdict),
                i.verdict
            );
        }
        out.push('\n');
    }
    if !ev.findings.is_empty() {
        out.push_str("### Findings\n\n");
        out.push_str("| Severity | Rule | Subject | Where | Message |\n");
        out.push_str("|---|---|---|---|---|\n");
        let all = sorted(ev.findings.iter());
        for f in all.iter().take(MAX_SUMMARY_ROWS) {
            let severity = match &f.exception {
                Some(e) if e.status == ExceptionStatus::Applied => "excepted".to_string(),
                _ => severity_word(f.severity).to_string(),
            };
            let at = position(ev, f)
                .map(|(file, line, _)| format!("{}:{line}", file.display()))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {severity} | {} | {} | {} | {} |",
                cell(&f.label()),
                cell(&f.subject),
                cell(&at),
                cell(&finding_text(f))
            );
        }
        if all.len() > MAX_SUMMARY_ROWS {
            let _ = writeln!(
                out,
                "\n…and {} more; the JSON or SARIF report has them all.",
                all.len() - MAX_SUMMARY_ROWS
            );
        }
        out.push('\n');
    }
    if !ev.exceptions.is_empty() {
        out.push_str("### Exceptions\n\n");
        for e in &ev.exceptions {
            let status = match e.status {
                ExceptionStatus::Expired => "expired",
                _ => "unused",
            };
            let _ = writeln!(out, "- {} ({status}): {}", cell(&e.origin), cell(&e.reason));
        }
        out.push('\n');
    }
    let errors: Vec<_> = ev.errors_in_context().collect();
    if !errors.is_empty() {
        out.push_str("### Could not check\n\n");
        for (image, e) in errors {
            let what = image
                .map(|i| format!("{}: ", cell(&i.reference)))
                .unwrap_or_default();
            let _ = writeln!(out, "- {what}{}: {}", cell(&e.stage), cell(&e.message));
        }
        out.push('\n');
    }
    out
}

fn finding_text(f: &FindingRecord) -> String {
    match &f.exception {
        Some(e) if e.status == ExceptionStatus::Expired => {
            format!("{} (exception {} expired)", f.message, e.origin)
        }
        Some(e) => format!("{} (exception: {})", f.message, e.reason),
        None => f.message.clone(),
    }
}

fn verdict_icon(v: Verdict) -> &'static str {
    match v {
        Verdict::Passed => "✅",
        Verdict::Failed => "❌",
        Verdict::Incomplete => "⚠️",
    }
}

fn vuln_cell(i: &ImageEvidence) -> String {
    let Some(scan) = &i.scan else {
        return "not scanned".to_string();
    };
    let parts: Vec<String> = ["CRITICAL", "HIGH", "MEDIUM", "LOW"]
        .iter()
        .filter_map(|k| {
            scan.counts
                .get(*k)
                .filter(|n| **n > 0)
                .map(|n| format!("{n} {}", k.to_lowercase()))
        })
        .collect();
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join(", ")
    }
}

fn signed_cell(i: &ImageEvidence) -> String {
    match i.signatures.first() {
        Some(s) => cell(&s.signer.to_string()),
        None if i.canonical.is_some() => "no".to_string(),
        None => String::new(),
    }
}

/// `sha256:0123456789ab…`
fn short_digest(d: &str) -> String {
    match d.split_once(':') {
        Some((alg, hex)) if hex.len() > 12 => format!("`{alg}:{}…`", &hex[..12]),
        _ => format!("`{d}`"),
    }
}

/// Text safe inside a Markdown table cell: no pipes, no line breaks, no HTML.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
        .replace(['\r', '\n'], " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_actions_runner() {
        assert_eq!(data("50%\r\nnext: a,b"), "50%25%0D%0Anext: a,b");
        assert_eq!(property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(cell("a|b\nc<d>"), "a\\|b c&lt;d&gt;");
        assert_eq!(split_origin("dir/p.yaml:14"), Some(("dir/p.yaml", 14)));
    }
}
