//! `--format table`: the terminal report, grouped by image and then by file, ending with one
//! summary line. Colour (ANSI) only when the caller asks, which it does for a TTY.

use super::{severity_word, sorted, summary_line};
use crate::evidence::{
    Evidence, ExceptionStatus, FindingRecord, ImageEvidence, ScanSummary, Verdict,
};
use crate::finding::Severity;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

struct Paint {
    color: bool,
}

impl Paint {
    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    fn verdict(&self, v: Verdict) -> String {
        match v {
            Verdict::Passed => self.paint(GREEN, "✓ passed    "),
            Verdict::Failed => self.paint(RED, "✗ failed    "),
            Verdict::Incomplete => self.paint(YELLOW, "? incomplete"),
        }
    }

    /// `error   `, `warning `, `note    `, or `excepted` / `expired ` for excepted findings.
    fn finding_tag(&self, f: &FindingRecord) -> String {
        match f.exception.as_ref().map(|e| e.status) {
            Some(ExceptionStatus::Applied) => self.paint(DIM, "excepted"),
            _ => {
                let word = format!("{:<8}", severity_word(f.severity));
                match f.severity {
                    Severity::Error => self.paint(RED, &word),
                    Severity::Warning => self.paint(YELLOW, &word),
                    Severity::Note => self.paint(DIM, &word),
                }
            }
        }
    }
}

/// Text from outside (a registry's or Trivy's error text, a file name) as it may reach a
/// terminal: control characters (escape sequences, line breaks) are shown escaped, never
/// interpreted, so a hostile registry cannot rewrite the screen or forge a line of the report.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

/// Render the table; `color` turns on ANSI colours.
pub fn render(ev: &Evidence, color: bool) -> String {
    let p = Paint { color };
    let mut out = String::new();
    if !ev.images.is_empty() {
        let _ = writeln!(out, "{}", p.paint(BOLD, "Images"));
        for image in &ev.images {
            image_block(&mut out, &p, ev, image);
        }
    }
    files_block(&mut out, &p, ev);
    exceptions_block(&mut out, &p, ev);
    let errors: Vec<_> = ev.errors_in_context().collect();
    if !errors.is_empty() {
        let _ = writeln!(out, "{}", p.paint(BOLD, "Could not check"));
        for (image, e) in errors {
            let what = image
                .map(|i| format!("{}: ", i.reference))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} {what}{}: {}",
                p.paint(YELLOW, "?"),
                e.stage,
                printable(&e.message)
            );
        }
    }
    let line = summary_line(ev);
    let style = match ev.verdict {
        Verdict::Passed => GREEN,
        Verdict::Failed => RED,
        Verdict::Incomplete => YELLOW,
    };
    let _ = writeln!(out, "{}", p.paint(style, &line));
    out
}

fn image_block(out: &mut String, p: &Paint, ev: &Evidence, image: &ImageEvidence) {
    let _ = writeln!(out, "  {} {}", p.verdict(image.verdict), image.reference);
    let pad = "      ";
    if let Some(c) = &image.canonical {
        let _ = writeln!(out, "{pad}digest   {c}");
    }
    if !image.sources.is_empty() {
        let from: Vec<String> = image
            .sources
            .iter()
            .map(|s| printable(&s.to_string()).into_owned())
            .collect();
        let _ = writeln!(out, "{pad}from     {}", from.join(", "));
    }
    if !image.platforms.is_empty() {
        let _ = writeln!(out, "{pad}platform {}", image.platforms.join(", "));
    }
    if let Some(scan) = &image.scan {
        let _ = writeln!(out, "{pad}scan     {}", scan_line(scan));
    }
    if image.canonical.is_some() {
        if image.signatures.is_empty() {
            let _ = writeln!(
                out,
                "{pad}signed   {}",
                p.paint(DIM, "no verified signature")
            );
        }
        for s in &image.signatures {
            let rekor = s
                .rekor
                .as_ref()
                .map(|r| format!(" (rekor {})", r.log_index))
                .unwrap_or_default();
            let _ = writeln!(out, "{pad}signed   {}{rekor}", s.signer);
        }
        for a in &image.attestations {
            let _ = writeln!(out, "{pad}attested {} by {}", a.predicate_type, a.signer);
        }
    }
    for e in &image.errors {
        let _ = writeln!(
            out,
            "{pad}{} {}: {}",
            p.paint(YELLOW, "not checked"),
            e.stage,
            printable(&e.message)
        );
    }
    for f in sorted(ev.findings_for(image)) {
        let at = f
            .location
            .as_ref()
            .map(|l| format!("{}:{}: ", printable(&l.file.display().to_string()), l.line))
            .unwrap_or_default();
        finding_line(out, p, pad, &at, f, false);
    }
}

fn scan_line(scan: &ScanSummary) -> String {
    let mut s = format!("{} {}", scan.scanner, scan.scanner_version);
    if let Some(t) = scan.db_updated_at {
        s.push_str(&format!(" (DB {})", t.format("%Y-%m-%d %H:%M UTC")));
    }
    let order = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"];
    let mut counts: Vec<String> = order
        .iter()
        .filter_map(|k| {
            scan.counts
                .get(*k)
                .map(|n| format!("{n} {}", k.to_lowercase()))
        })
        .collect();
    counts.extend(
        scan.counts
            .iter()
            .filter(|(k, _)| !order.contains(&k.as_str()))
            .map(|(k, n)| format!("{n} {}", k.to_lowercase())),
    );
    if counts.is_empty() {
        s.push_str(": no vulnerabilities");
    } else {
        s.push_str(&format!(": {}", counts.join(", ")));
    }
    if scan.cached {
        s.push_str(" [cached]");
    }
    s
}

/// One finding: `TAG  [prefix]RULE name  [subject: ]message`, and its exception below it.
fn finding_line(
    out: &mut String,
    p: &Paint,
    pad: &str,
    prefix: &str,
    f: &FindingRecord,
    subject: bool,
) {
    let subject = if subject {
        format!("{}: ", printable(&f.subject))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{pad}{} {prefix}{} {subject}{}",
        p.finding_tag(f),
        f.label(),
        printable(&f.message)
    );
    if let Some(e) = &f.exception {
        let what = match e.status {
            ExceptionStatus::Expired => "expired exception",
            _ => "exception",
        };
        let origin = if e.origin.is_empty() {
            String::new()
        } else {
            format!(" {}", e.origin)
        };
        let indent = " ".repeat(pad.chars().count() + 9);
        let _ = writeln!(
            out,
            "{indent}{}",
            p.paint(DIM, &format!("{what}{origin}: {}", e.reason))
        );
    }
}

fn files_block(out: &mut String, p: &Paint, ev: &Evidence) {
    let mut by_file: BTreeMap<Option<PathBuf>, Vec<&FindingRecord>> = BTreeMap::new();
    for f in ev.findings.iter().filter(|f| ev.image_of(f).is_none()) {
        by_file
            .entry(f.location.as_ref().map(|l| l.file.clone()))
            .or_default()
            .push(f);
    }
    if by_file.is_empty() {
        return;
    }
    let _ = writeln!(out, "{}", p.paint(BOLD, "Files"));
    for (file, findings) in by_file {
        let title = file
            .map(|f| printable(&f.display().to_string()).into_owned())
            .unwrap_or_else(|| "(no file)".to_string());
        let _ = writeln!(out, "  {title}");
        for f in sorted(findings.into_iter()) {
            let at = f
                .location
                .as_ref()
                .map(|l| format!("{}:{}", l.line, l.column))
                .unwrap_or_default();
            finding_line(out, p, &format!("    {at:<7} "), "", f, true);
        }
    }
}

fn exceptions_block(out: &mut String, p: &Paint, ev: &Evidence) {
    if ev.exceptions.is_empty() {
        return;
    }
    let _ = writeln!(out, "{}", p.paint(BOLD, "Exceptions"));
    for e in &ev.exceptions {
        let status = match (e.status, e.expires) {
            (ExceptionStatus::Expired, Some(d)) => format!("expired on {d}"),
            (ExceptionStatus::Expired, None) => "expired".to_string(),
            _ => "unused".to_string(),
        };
        let owner = e
            .owner
            .as_ref()
            .map(|o| format!(" (owner {o})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} {}: {status}{owner}: {}",
            p.paint(YELLOW, "!"),
            e.origin,
            e.reason
        );
    }
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn outside_text_cannot_drive_the_terminal() {
        assert_eq!(printable("plain: ok"), "plain: ok");
        assert_eq!(
            printable("\u{1b}[31mpanic\u{1b}[0m\nforged line"),
            "\\u{1b}[31mpanic\\u{1b}[0m\\nforged line"
        );
    }
}
