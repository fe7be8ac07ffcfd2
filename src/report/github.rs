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

/// GitHub shows at most this many annotations of each kind (error, warning, notice) per step;
/// the rest are dropped silently, so gate keeps the most severe and says how many it left out.
pub const MAX_ANNOTATIONS_PER_KIND: usize = 10;

/// One workflow command before the cap is applied.
struct Annotation {
    /// `error`, `warning` or `notice`.
    command: &'static str,
    at: Option<(String, usize, usize)>,
    title: String,
    message: String,
}

/// The workflow commands: one annotation per counted finding, per could-not-check error and
/// per expired or unused exception, most severe first and at most
/// [`MAX_ANNOTATIONS_PER_KIND`] of each kind, then a notice of how many were left out (they are
/// all in the step summary and SARIF), then the summary line.
pub fn render(ev: &Evidence) -> String {
    let mut all: Vec<Annotation> = Vec::new();
    let at_file = |p: Option<(&Path, usize, usize)>| {
        p.map(|(file, line, col)| (super::paths::display(ev, file), line, col))
    };
    // Could-not-check errors lead: they are why the gate exits 2.
    for (image, e) in ev.errors_in_context() {
        let at = image
            .and_then(|i| i.first_file())
            .map(|(file, line, col)| (file.as_path(), line, col));
        let what = image
            .map(|i| format!("{}: ", i.reference))
            .unwrap_or_default();
        all.push(Annotation {
            command: "error",
            at: at_file(at),
            title: "gate could not check".to_string(),
            message: format!("{what}{}: {}", e.stage, e.message),
        });
    }
    let mut findings = sorted(ev.findings.iter());
    findings.retain(|f| f.counts());
    // Stable: within a severity, the display order of `sorted`.
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for f in findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut message = format!("{}: {}", f.subject, f.message);
        if let Some(e) = &f.exception {
            message.push_str(&format!(" (exception {} expired: {})", e.origin, e.reason));
        }
        all.push(Annotation {
            command,
            at: at_file(position(ev, f)),
            title: f.label(),
            message,
        });
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
        all.push(Annotation {
            command: "warning",
            at: at_file(at),
            title: title.to_string(),
            message,
        });
    }
    let total = |kind: &str| all.iter().filter(|a| a.command == kind).count();
    let excess = |notice_cap: usize| {
        total("error").saturating_sub(MAX_ANNOTATIONS_PER_KIND)
            + total("warning").saturating_sub(MAX_ANNOTATIONS_PER_KIND)
            + total("notice").saturating_sub(notice_cap)
    };
    // The closing notice takes one notice slot when anything is left out.
    let mut notice_cap = MAX_ANNOTATIONS_PER_KIND;
    if excess(notice_cap) > 0 {
        notice_cap -= 1;
    }
    let left_out = excess(notice_cap);
    let mut out = String::new();
    let mut shown = std::collections::HashMap::<&str, usize>::new();
    for a in &all {
        let cap = if a.command == "notice" {
            notice_cap
        } else {
            MAX_ANNOTATIONS_PER_KIND
        };
        let n = shown.entry(a.command).or_default();
        if *n < cap {
            *n += 1;
            let at = a.at.as_ref().map(|(f, l, c)| (f.as_str(), *l, *c));
            annotate(&mut out, a.command, at, &a.title, &a.message);
        }
    }
    if left_out > 0 {
        annotate(
            &mut out,
            "notice",
            None,
            "more findings",
            &format!(
                "{} not shown: GitHub shows {MAX_ANNOTATIONS_PER_KIND} annotations of each \
                 severity per step. The step summary and the SARIF report list them all",
                super::plural(left_out, "annotation", "annotations")
            ),
        );
    }
    let _ = writeln!(out, "{}", summary_line(ev));
    out
}

fn annotate(
    out: &mut String,
    command: &str,
    at: Option<(&str, usize, usize)>,
    title: &str,
    message: &str,
) {
    let mut props = Vec::new();
    if let Some((file, line, col)) = at {
        props.push(format!("file={}", property(file)));
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

/// Escape a workflow command's message: the runner's own escapes for `%`, CR and LF, and every
/// other control character (ESC, …) as `%XX` too, which the runner shows literally, so text
/// from the tree can neither forge a workflow command nor reach a log viewer as an escape
/// sequence.
pub fn data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            c if c.is_control() => {
                for b in c.to_string().bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
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
                .map(|(file, line, _)| format!("{}:{line}", super::paths::display(ev, file)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {severity} | {} | {} | {} | {} |",
                cell(&f.label()),
                cell(&f.subject),
                cell(&at),
                finding_text(f)
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
    if !ev.pinned.is_empty() {
        out.push_str("### Pinned\n\n");
        for f in &ev.pinned {
            let digests: Vec<String> = f.digests.iter().map(|d| short_digest(d)).collect();
            let to = if digests.is_empty() {
                String::new()
            } else {
                format!(" to {}", digests.join(", "))
            };
            let _ = writeln!(
                out,
                "- {}: {}{to}",
                cell(&f.file.display().to_string()),
                super::plural(f.references, "reference", "references"),
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
    let text = match &f.exception {
        Some(e) if e.status == ExceptionStatus::Expired => {
            format!("{} (exception {} expired)", f.message, e.origin)
        }
        Some(e) => format!("{} (exception: {})", f.message, e.reason),
        None => f.message.clone(),
    };
    let text = cell(&text);
    match f.advisory_url() {
        Some(url) => format!("{text} ([advisory]({url}))"),
        None => text,
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
        .replace(|c: char| c.is_control(), " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_actions_runner() {
        assert_eq!(data("50%\r\nnext: a,b"), "50%25%0D%0Anext: a,b");
        // ESC and other control characters never reach the log raw (issue 14).
        assert_eq!(data("a\u{1b}[31mb\u{7}"), "a%1B[31mb%07");
        assert_eq!(
            property("deploy/\u{1b}]8;;x\u{1b}\\.yaml"),
            "deploy/%1B]8;;x%1B\\.yaml"
        );
        assert_eq!(cell("a\u{1b}b|c"), "a b\\|c");
        assert_eq!(property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(cell("a|b\nc<d>"), "a\\|b c&lt;d&gt;");
        assert_eq!(split_origin("dir/p.yaml:14"), Some(("dir/p.yaml", 14)));
    }
}
