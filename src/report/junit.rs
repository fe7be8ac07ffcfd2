//! `--format junit`: JUnit XML for CI test tabs. One test suite per image and per manifest file;
//! per image one test case per stage (`resolve`, `scan`, `verify`: `<error>` when it could not
//! be checked) and one per finding; per file one per finding (or one passing `lint` case).
//! Findings at error severity are `<failure>`s, excepted ones `<skipped>`, warnings and notes
//! pass with the message in `<system-out>`. Text is escaped by hand (XML 1.0 forbids most
//! control characters outright, so those become U+FFFD).
//!
//! Shaped for the Jenkins JUnit schema (`junit-10.xsd`, what most CI test tabs follow):
//! `<testsuites>` carries `tests`, `failures`, `errors` and `time` but no `skipped` (only
//! `<testsuite>` may); every suite and case carries `time` (stage cases an even share of the
//! stage's wall time among the images, since stages run for all images at once, so the suites
//! add up to no more than the run; finding cases 0). A case's name never includes a line number, so a test's identity (and its
//! history in the CI's test tab) survives lines moving; the position is in `<system-out>`.
//!
//! Hand-written rather than `quick-junit` (issue 17 asked for it): its serializer (0.8.0, the
//! newest on crates.io) always writes `skipped` on `<testsuites>`, which `junit-10.xsd`
//! rejects, and has no switch for it. `tests/it/junit_schema.rs` validates this output against
//! that schema with `xmllint`.

use super::{severity_word, sorted};
use crate::evidence::{CheckError, Evidence, ExceptionStatus, FindingRecord, ImageEvidence};
use crate::finding::Severity;
use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::PathBuf;

/// What a test case concluded.
enum Outcome {
    Pass(Option<String>),
    Failure {
        message: String,
        kind: String,
        body: String,
    },
    Error {
        message: String,
    },
    Skipped {
        message: String,
    },
}

struct Case {
    name: String,
    outcome: Outcome,
    /// Seconds.
    time: f64,
}

struct Suite {
    name: String,
    cases: Vec<Case>,
}

pub fn render(ev: &Evidence) -> String {
    let mut suites: Vec<Suite> = ev.images.iter().map(|i| image_suite(ev, i)).collect();
    suites.extend(file_suites(ev));
    if !ev.errors.is_empty() {
        suites.push(Suite {
            name: "gate".to_string(),
            cases: ev.errors.iter().map(error_case).collect(),
        });
    }
    let total = |pred: fn(&Outcome) -> bool| -> usize {
        suites
            .iter()
            .flat_map(|s| &s.cases)
            .filter(|c| pred(&c.outcome))
            .count()
    };
    let secs = (ev.finished_at - ev.started_at).num_milliseconds().max(0) as f64 / 1000.0;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"gate\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{secs:.3}\">",
        total(|_| true),
        total(|o| matches!(o, Outcome::Failure { .. })),
        total(|o| matches!(o, Outcome::Error { .. })),
    );
    for s in &suites {
        write_suite(&mut out, s);
    }
    out.push_str("</testsuites>\n");
    out
}

fn image_suite(ev: &Evidence, image: &ImageEvidence) -> Suite {
    let mut cases = Vec::new();
    for stage in ["resolve", "scan", "verify"] {
        let errors: Vec<&CheckError> = image.errors.iter().filter(|e| e.stage == stage).collect();
        let outcome = if !errors.is_empty() {
            Outcome::Error {
                message: errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            }
        } else if stage == "resolve" {
            Outcome::Pass(image.canonical.clone())
        } else if image.canonical.is_none() {
            Outcome::Skipped {
                message: "not resolved".to_string(),
            }
        } else if stage == "scan" && image.scan.is_none() {
            Outcome::Skipped {
                message: "not scanned".to_string(),
            }
        } else {
            Outcome::Pass(None)
        };
        let ms = ev
            .timings
            .iter()
            .find(|t| t.stage == stage)
            .map_or(0, |t| t.ms);
        let images = ev.images.len().max(1) as f64;
        cases.push(Case {
            name: stage.to_string(),
            outcome,
            time: ms as f64 / 1000.0 / images,
        });
    }
    cases.extend(
        image
            .errors
            .iter()
            .filter(|e| !["resolve", "scan", "verify"].contains(&e.stage.as_str()))
            .map(error_case),
    );
    cases.extend(
        sorted(ev.findings_for(image))
            .into_iter()
            .map(|f| finding_case(f, false)),
    );
    Suite {
        name: format!("image {}", image.reference),
        cases,
    }
}

fn file_suites(ev: &Evidence) -> Vec<Suite> {
    let mut files: BTreeSet<Option<PathBuf>> = ev
        .lint
        .iter()
        .flat_map(|l| l.files.iter().cloned().map(Some))
        .collect();
    let loose: Vec<&FindingRecord> = ev
        .findings
        .iter()
        .filter(|f| ev.image_of(f).is_none())
        .collect();
    files.extend(
        loose
            .iter()
            .map(|f| f.location.as_ref().map(|l| l.file.clone())),
    );
    files
        .into_iter()
        .map(|file| {
            let here = loose
                .iter()
                .copied()
                .filter(|f| f.location.as_ref().map(|l| &l.file) == file.as_ref());
            let mut cases: Vec<Case> = sorted(here)
                .into_iter()
                .map(|f| finding_case(f, true))
                .collect();
            if cases.is_empty() {
                cases.push(Case {
                    name: "lint".to_string(),
                    outcome: Outcome::Pass(None),
                    time: 0.0,
                });
            }
            let name = match file {
                Some(f) => format!("file {}", f.display()),
                None => "objects".to_string(),
            };
            Suite { name, cases }
        })
        .collect()
}

fn error_case(e: &CheckError) -> Case {
    Case {
        name: e.stage.clone(),
        outcome: Outcome::Error {
            message: e.message.clone(),
        },
        time: 0.0,
    }
}

/// A finding's test case; `subject` names the subject (file suites hold many objects).
fn finding_case(f: &FindingRecord, subject: bool) -> Case {
    let mut name = f.label();
    if subject {
        name.push_str(&format!(" {}", f.subject));
    }
    if let Some(k) = &f.key {
        name.push_str(&format!(" {k}"));
    }
    // The file, not the line: the name must not change when lines move.
    let at = f
        .location
        .as_ref()
        .map(|l| format!("{}:{}:{}", l.file.display(), l.line, l.column));
    if let (Some(l), false) = (&f.location, subject) {
        name.push_str(&format!(" ({})", l.file.display()));
    }
    let outcome = match (&f.exception, f.severity) {
        (Some(e), _) if e.status == ExceptionStatus::Applied => Outcome::Skipped {
            message: format!("exception {}: {}", e.origin, e.reason),
        },
        (e, Severity::Error) => Outcome::Failure {
            message: f.message.clone(),
            kind: f.rule.clone(),
            body: match e {
                Some(e) => format!(
                    "{}\nexception {} expired: {}",
                    f.message, e.origin, e.reason
                ),
                None => f.message.clone(),
            },
        },
        (_, s) => Outcome::Pass(Some(format!(
            "{}{}: {}",
            at.as_deref().map(|a| format!("{a}: ")).unwrap_or_default(),
            severity_word(s),
            f.message
        ))),
    };
    let outcome = match (outcome, at) {
        (
            Outcome::Failure {
                message,
                kind,
                body,
            },
            Some(at),
        ) => Outcome::Failure {
            message,
            kind,
            body: format!("{at}: {body}"),
        },
        (o, _) => o,
    };
    Case {
        name,
        outcome,
        time: 0.0,
    }
}

fn write_suite(out: &mut String, s: &Suite) {
    let count = |pred: fn(&Outcome) -> bool| s.cases.iter().filter(|c| pred(&c.outcome)).count();
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        escape(&s.name),
        s.cases.len(),
        count(|o| matches!(o, Outcome::Failure { .. })),
        count(|o| matches!(o, Outcome::Error { .. })),
        count(|o| matches!(o, Outcome::Skipped { .. })),
        s.cases.iter().map(|c| c.time).sum::<f64>(),
    );
    for c in &s.cases {
        let open = format!(
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            escape(&s.name),
            escape(&c.name),
            c.time
        );
        let _ = match &c.outcome {
            Outcome::Pass(None) => writeln!(out, "{open}/>"),
            Outcome::Pass(Some(text)) => writeln!(
                out,
                "{open}>\n      <system-out>{}</system-out>\n    </testcase>",
                escape(text)
            ),
            Outcome::Failure {
                message,
                kind,
                body,
            } => writeln!(
                out,
                "{open}>\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                escape(message),
                escape(kind),
                escape(body)
            ),
            Outcome::Error { message } => writeln!(
                out,
                "{open}>\n      <error message=\"{}\" type=\"could-not-check\"/>\n    </testcase>",
                escape(message)
            ),
            Outcome::Skipped { message } => writeln!(
                out,
                "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                escape(message)
            ),
        };
    }
    out.push_str("  </testsuite>\n");
}

/// Escape text for XML attribute values and character data.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\u{1}\n"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;\u{FFFD}&#10;"
        );
    }
}
