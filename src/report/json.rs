//! `--format json`: the evidence record itself, pretty-printed (schema in `docs/evidence.md`).
//!
//! A large run's findings (a lint of thousands of objects) are rendered on two threads, into
//! buffers sized up front, where the empty `findings` array stands in the rest of the record.
//! The text is byte for byte that of one `serde_json::to_string_pretty` of the whole record
//! (tested below).

use super::ReportError;
use crate::evidence::{Evidence, FindingRecord};
use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

/// The top-level key of an empty findings array in the pretty text. JSON strings escape line
/// breaks, so a line break followed by two spaces and a key can only start a key of the
/// top-level object, and each key appears once there.
const EMPTY_FINDINGS: &str = "\n  \"findings\": []";

pub fn render(ev: &Evidence) -> Result<String, ReportError> {
    let mut s = if ev.findings.len() < crate::background::SPLIT_FROM {
        whole(ev)?
    } else {
        spliced(ev)?
    };
    s.push('\n');
    Ok(s)
}

fn json_error(source: serde_json::Error) -> ReportError {
    ReportError::Json {
        format: "json",
        source,
    }
}

fn whole(ev: &Evidence) -> Result<String, ReportError> {
    serde_json::to_string_pretty(ev).map_err(json_error)
}

fn spliced(ev: &Evidence) -> Result<String, ReportError> {
    let rest = serde_json::to_string_pretty(&ev.without_findings()).map_err(json_error)?;
    let Some(at) = rest.find(EMPTY_FINDINGS) else {
        return whole(ev);
    };
    let (first, later) = ev.findings.split_at(ev.findings.len() / 2);
    // This thread writes the first half straight after the text before the array, the other
    // the second half apart. Both buffers are sized at 1 KiB a record, more than real records
    // take (a longer one grows the buffer); capacity never written to is never touched.
    let open = at + EMPTY_FINDINGS.len() - 1;
    let mut out: Vec<u8> = Vec::with_capacity(rest.len() + ev.findings.len() * 1024);
    out.extend_from_slice(&rest.as_bytes()[..open]);
    let (mine, theirs) = crate::background::join(
        || elements(&mut out, first, true),
        || {
            let mut theirs = Vec::with_capacity(later.len() * 1024);
            elements(&mut theirs, later, false).map(|()| theirs)
        },
    );
    let theirs = mine.and(theirs).map_err(json_error)?;
    out.extend_from_slice(&theirs);
    drop(theirs);
    // The array's close on its own line, then the rest after the empty array's `]`.
    out.extend_from_slice(b"\n  ]");
    out.extend_from_slice(&rest.as_bytes()[open + 1..]);
    // serde_json writes UTF-8 only, and the rest is cut at ASCII.
    String::from_utf8(out).map_err(|e| {
        json_error(serde_json::Error::io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            e,
        )))
    })
}

/// Append `records` to `out` as elements of the top-level `findings` array: each on a new
/// line, indented two levels, after a comma unless it is the array's first.
fn elements(
    out: &mut Vec<u8>,
    records: &[FindingRecord],
    first: bool,
) -> Result<(), serde_json::Error> {
    for (i, record) in records.iter().enumerate() {
        out.extend_from_slice(if first && i == 0 {
            b"\n    "
        } else {
            b",\n    "
        });
        // The formatter as it stands inside the record's object and its `findings` array.
        let mut formatter = PrettyFormatter::with_indent(b"  ");
        formatter
            .begin_object(&mut std::io::sink())
            .and_then(|()| formatter.begin_array(&mut std::io::sink()))
            .map_err(serde_json::Error::io)?;
        record.serialize(&mut serde_json::Serializer::with_formatter(
            &mut *out, formatter,
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{
        AppliedException, ExceptionStatus, ImageEvidence, LintSummary, PolicyRef, StageTiming,
    };
    use crate::finding::{Location, Severity};

    fn record(i: usize) -> FindingRecord {
        let severity = [Severity::Error, Severity::Warning, Severity::Note][i % 3];
        let mut r = FindingRecord::new(
            "GATE-K8S-030",
            severity,
            format!("Namespace/ns-{i}"),
            format!("message {i}: \"quoted\", a line\nbreak, a tab\t, ünïcödé, \u{1}"),
        );
        if i.is_multiple_of(2) {
            r.location = Some(Location {
                file: format!("deploy/{i}.yaml").into(),
                line: i + 1,
                column: 3,
            });
        }
        if i.is_multiple_of(5) {
            r.key = Some(format!("spec.containers[{i}]"));
        }
        if i.is_multiple_of(7) {
            r.exception = Some(AppliedException {
                reason: "accepted".into(),
                origin: "policy.yaml:3".into(),
                status: ExceptionStatus::Applied,
            });
        }
        r
    }

    fn evidence(findings: usize) -> Evidence {
        let policy = PolicyRef {
            source: "built-in default".into(),
            sha256: "sha256:00".into(),
        };
        let mut ev = Evidence::new("0.1.0", policy, chrono::Utc::now());
        ev.working_directory = Some("/repo".into());
        ev.timings.push(StageTiming {
            stage: "lint".into(),
            ms: 3,
        });
        ev.images.push(ImageEvidence::new("nginx:1.27"));
        ev.lint = Some(LintSummary {
            files: vec!["deploy/a.yaml".into()],
            objects: findings,
            notices: vec!["a notice with \"findings\": [] in it".into()],
        });
        ev.findings = (0..findings).map(record).collect();
        ev.finish(chrono::Utc::now());
        ev
    }

    #[test]
    fn a_large_run_renders_as_one_pretty_serialisation() {
        const SPLIT: usize = crate::background::SPLIT_FROM;
        for n in [0, 1, SPLIT - 1, SPLIT, SPLIT + 1, 9001] {
            let ev = evidence(n);
            let want = serde_json::to_string_pretty(&ev).expect("serialises") + "\n";
            let got = render(&ev).expect("renders");
            assert!(got == want, "{n} findings: the JSON report differs");
        }
    }
}
