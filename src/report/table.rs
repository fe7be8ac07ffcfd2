//! `--format table`: the terminal report, grouped by image and then by file, most severe
//! finding first in each group, ending with one summary line. Colour (ANSI) only when the
//! caller asks, which it does for a TTY. Lines are word-wrapped to [`Style::width`] (80 unless
//! the terminal is wider or narrower) with continuation lines indented under their text; a
//! single word longer than a line (a URL, a signer identity) is never cut. Digests in messages
//! are shortened: the full one is on the image's `digest` line.

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

/// How the table is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours.
    pub color: bool,
    /// Columns to wrap at.
    pub width: usize,
}

impl Style {
    /// No colour, 80 columns: files, pipes, CI logs, snapshots.
    pub const PLAIN: Style = Style {
        color: false,
        width: 80,
    };
}

struct Paint {
    color: bool,
    width: usize,
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

/// `text` word-wrapped: the first line after `lead` (already written, `lead_width` columns
/// wide), the others indented by `indent` columns; each line ends with a newline.
fn wrapped(out: &mut String, width: usize, lead_width: usize, indent: usize, text: &str) {
    let mut col = lead_width;
    let mut first_word = true;
    for word in text.split(' ') {
        let w = word.chars().count();
        if !first_word && col + 1 + w > width && col > indent {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            col = indent;
            first_word = true;
        }
        if !first_word {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += w;
        first_word = false;
    }
    out.push('\n');
}

impl Paint {
    /// One line, `lead` (plain text width `lead_width`) then `text` wrapped under `indent`.
    fn line(&self, out: &mut String, lead: &str, lead_width: usize, indent: usize, text: &str) {
        out.push_str(lead);
        wrapped(out, self.width, lead_width, indent, text);
    }
}

/// Render the table.
pub fn render(ev: &Evidence, style: Style) -> String {
    let p = Paint {
        color: style.color,
        width: style.width.max(40),
    };
    let mut out = String::new();
    if !ev.images.is_empty() {
        let _ = writeln!(out, "{}", p.paint(BOLD, "Images"));
        for image in &ev.images {
            image_block(&mut out, &p, ev, image);
        }
    }
    files_block(&mut out, &p, ev);
    exceptions_block(&mut out, &p, ev);
    pinned_block(&mut out, &p, ev);
    let causes = causes(ev);
    if !causes.is_empty() {
        let _ = writeln!(out, "{}", p.paint(BOLD, "Could not check"));
        for ((stage, message), images) in causes {
            let text = match images.as_slice() {
                [] => format!("{stage}: {}", printable(message)),
                [one] => format!("{one}: {stage}: {}", printable(message)),
                many => format!(
                    "{stage}: {} ({} images: {})",
                    printable(message),
                    many.len(),
                    many.join(", ")
                ),
            };
            p.line(
                &mut out,
                &format!("  {} ", p.paint(YELLOW, "?")),
                4,
                4,
                &text,
            );
        }
    }
    let line = summary_line(ev);
    let style = match ev.verdict {
        Verdict::Passed => GREEN,
        Verdict::Failed => RED,
        Verdict::Incomplete => YELLOW,
    };
    // Wrapped under its text, each line painted on its own.
    let mut summary = String::new();
    wrapped(&mut summary, p.width, 0, 6, &line);
    for l in summary.lines() {
        let (indent, text) = l.split_at(l.len() - l.trim_start().len());
        let _ = writeln!(out, "{indent}{}", p.paint(style, text));
    }
    out
}

/// Each distinct could-not-check cause once (stage and message), with the images it stopped,
/// in order of first appearance: a missing Trivy is one line, not one per image.
fn causes(ev: &Evidence) -> Vec<((&str, &str), Vec<&str>)> {
    let mut out: Vec<((&str, &str), Vec<&str>)> = Vec::new();
    for (image, e) in ev.errors_in_context() {
        let key = (e.stage.as_str(), e.message.as_str());
        let at = match out.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                out.push((key, Vec::new()));
                out.len() - 1
            }
        };
        out[at].1.extend(image.map(|i| i.reference.as_str()));
    }
    out
}

/// How many images a could-not-check cause stopped.
fn shared_by(ev: &Evidence, stage: &str, message: &str) -> usize {
    ev.images
        .iter()
        .filter(|i| {
            i.errors
                .iter()
                .any(|e| e.stage == stage && e.message == message)
        })
        .count()
}

fn image_block(out: &mut String, p: &Paint, ev: &Evidence, image: &ImageEvidence) {
    let _ = writeln!(out, "  {} {}", p.verdict(image.verdict), image.reference);
    let pad = "      ";
    // `      digest   `: the label column.
    let field = |out: &mut String, name: &str, text: &str| {
        p.line(out, &format!("{pad}{name:<8} "), 15, 15, text);
    };
    if let Some(c) = &image.canonical {
        field(out, "digest", c);
    }
    if !image.sources.is_empty() {
        let from: Vec<String> = image
            .sources
            .iter()
            .map(|s| printable(&s.to_string()).into_owned())
            .collect();
        field(out, "from", &from.join(", "));
    }
    if !image.platforms.is_empty() {
        field(out, "platform", &image.platforms.join(", "));
    }
    if let Some(scan) = &image.scan {
        field(out, "scan", &scan_line(scan));
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
            let signer = crate::reference::short_digests(&s.signer.to_string());
            field(out, "signed", &format!("{signer}{rekor}"));
        }
        for a in &image.attestations {
            field(
                out,
                "attested",
                &format!("{} by {}", a.predicate_type, a.signer),
            );
        }
    }
    for e in &image.errors {
        // Each cause is printed once, under "Could not check" (with every image it stopped).
        let text = match shared_by(ev, &e.stage, &e.message) {
            n if n > 1 => format!("{} (why: below; {n} images)", e.stage),
            _ => format!("{} (why: below)", e.stage),
        };
        p.line(
            out,
            &format!("{pad}{} ", p.paint(YELLOW, "not checked")),
            pad.len() + 12,
            pad.len() + 12,
            &text,
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

/// One finding: `TAG  [prefix]RULE name  [subject: ]message`, the advisory link of a
/// vulnerability, and its exception below it; all wrapped under the rule column.
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
    let indent = pad.chars().count() + 9;
    let text = format!(
        "{prefix}{} {subject}{}",
        f.label(),
        printable(&crate::reference::short_digests(&f.message))
    );
    p.line(
        out,
        &format!("{pad}{} ", p.finding_tag(f)),
        indent,
        indent,
        &text,
    );
    if let Some(url) = f.advisory_url() {
        let lead = " ".repeat(indent);
        p.line(out, &lead, indent, indent, &p.paint(DIM, url));
    }
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
        let text = format!("{what}{origin}: {}", e.reason);
        let lead = " ".repeat(indent);
        if p.color {
            // Wrap the plain text, then dim each line.
            let mut plain = String::new();
            wrapped(&mut plain, p.width, indent, indent, &text);
            for l in plain.lines() {
                let _ = writeln!(out, "{lead}{}", p.paint(DIM, l.trim_start()));
            }
        } else {
            p.line(out, &lead, indent, indent, &text);
        }
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

/// What `--pin` rewrote: each file, how many references, to which digests.
fn pinned_block(out: &mut String, p: &Paint, ev: &Evidence) {
    if ev.pinned.is_empty() {
        return;
    }
    let _ = writeln!(out, "{}", p.paint(BOLD, "Pinned"));
    for f in &ev.pinned {
        let refs = super::plural(f.references, "reference", "references");
        let digests = match f.digests.as_slice() {
            [] => String::new(),
            d => format!(" to {}", crate::reference::short_digests(&d.join(", "))),
        };
        let text = format!(
            "{}: {refs}{digests}",
            printable(&f.file.display().to_string())
        );
        p.line(out, &format!("  {} ", p.paint(GREEN, "✎")), 4, 4, &text);
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
        let text = format!("{}: {status}{owner}: {}", e.origin, e.reason);
        p.line(out, &format!("  {} ", p.paint(YELLOW, "!")), 4, 4, &text);
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
