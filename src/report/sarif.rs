//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning, as a small hand-written serde model.
//!
//! What code scanning needs beyond the OASIS schema (its "SARIF support" page): every result
//! has a location with `physicalLocation.artifactLocation.uri` (one result without it rejects the
//! whole upload), rules carry `properties.security-severity` as a string and `tags`, results
//! carry `partialFingerprints`. So image findings that no file names point at the image's
//! repository name as a relative URI, line 1, the way Trivy's image SARIF does. Applied
//! exceptions become `suppressions`; could-not-check errors become tool execution notifications
//! with `executionSuccessful: false`.

use super::{position, ReportError};
use crate::evidence::{Evidence, ExceptionStatus, FindingRecord};
use crate::finding::Rule;
use crate::finding::Severity;
use sha2::{Digest, Sha256};
use std::path::Path;

mod model;

use model::*;

const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/gate-dev/gate";
/// Where each rule's page lives: `docs/rules/ID.md`, generated from the explain texts
/// (`tests/it/docs.rs` keeps them in step).
const RULE_DOCS: &str = "https://github.com/gate-dev/gate/blob/main/docs/rules/";
/// The SARIF base id GitHub resolves repository-relative URIs against.
const SRCROOT: &str = "%SRCROOT%";

/// Render with the rules from the rule registry.
pub fn render(ev: &Evidence) -> Result<String, ReportError> {
    render_with_rules(ev, crate::rules::all())
}

/// Render with the rule descriptions taken from `registry` (tests pin their own).
pub fn render_with_rules(ev: &Evidence, registry: &[&Rule]) -> Result<String, ReportError> {
    let log = build(ev, registry);
    let mut s = serde_json::to_string_pretty(&log).map_err(|source| ReportError::Json {
        format: "sarif",
        source,
    })?;
    s.push('\n');
    Ok(s)
}

fn build(ev: &Evidence, registry: &[&Rule]) -> Log {
    let mut ids: Vec<&str> = ev.findings.iter().map(|f| f.rule.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let rules: Vec<Descriptor> = ids
        .iter()
        .map(|id| descriptor(ev, id, registry.iter().find(|r| r.id == *id).copied()))
        .collect();
    let mut findings: Vec<&FindingRecord> = ev.findings.iter().collect();
    findings.sort_by(|a, b| a.rule.cmp(&b.rule).then_with(|| a.subject.cmp(&b.subject)));
    let results = findings
        .into_iter()
        .map(|f| result(ev, f, ids.iter().position(|id| *id == f.rule)))
        .collect();
    let notifications: Vec<Notification> = ev
        .errors_in_context()
        .map(|(image, e)| {
            let what = image
                .map(|i| format!("{}: ", i.reference))
                .unwrap_or_default();
            Notification {
                level: "error",
                message: Message::text(format!("{what}{}: {}", e.stage, e.message)),
            }
        })
        .collect();
    let original_uri_base_ids = ev.repository_root.as_deref().map(|root| {
        let mut text = root.to_string_lossy().replace('\\', "/");
        if !text.ends_with('/') {
            text.push('/');
        }
        let uri = if text.starts_with('/') {
            format!("file://{}", encode_uri(&text))
        } else {
            format!("file:///{}", encode_uri(&text))
        };
        std::collections::BTreeMap::from([(
            SRCROOT,
            ArtifactLocation {
                uri,
                uri_base_id: None,
            },
        )])
    });
    Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            original_uri_base_ids,
            tool: Tool {
                driver: Driver {
                    name: "gate",
                    version: ev.gate_version.clone(),
                    semantic_version: ev.gate_version.clone(),
                    information_uri: INFORMATION_URI,
                    rules,
                },
            },
            invocations: vec![Invocation {
                execution_successful: notifications.is_empty(),
                start_time_utc: ev
                    .started_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                end_time_utc: ev
                    .finished_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                tool_execution_notifications: notifications,
            }],
            results,
        }],
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// GitHub's `security-severity`: from the vulnerability's own severity when there is one,
/// else from the gate severity.
fn security_severity(severity: Severity, vuln: Option<&str>) -> f32 {
    match vuln.map(str::to_ascii_uppercase).as_deref() {
        Some("CRITICAL") => 9.5,
        Some("HIGH") => 8.0,
        Some("MEDIUM") => 5.5,
        Some("LOW") => 3.0,
        _ => match severity {
            Severity::Error => 8.0,
            Severity::Warning => 5.0,
            Severity::Note => 2.0,
        },
    }
}

fn descriptor(ev: &Evidence, id: &str, rule: Option<&Rule>) -> Descriptor {
    let findings = || ev.findings.iter().filter(move |f| f.rule == id);
    let default = rule
        .map(|r| r.severity)
        .or_else(|| findings().map(|f| f.severity).max())
        .unwrap_or(Severity::Warning);
    // The highest severity this rule reported, so code scanning ranks the rule by its worst.
    let score = findings()
        .map(|f| {
            security_severity(
                f.severity,
                f.vulnerability.as_ref().map(|v| v.severity.as_str()),
            )
        })
        .fold(security_severity(default, None), f32::max);
    let area = id.split('-').nth(1).unwrap_or("gate").to_ascii_lowercase();
    let tags = vec!["security".to_string(), "supply-chain".to_string(), area];
    match rule {
        Some(r) => Descriptor {
            id: r.id.to_string(),
            name: Some(r.name.to_string()),
            short_description: Message::text(r.summary),
            full_description: Message::text(what_it_checks(r.explain).unwrap_or(r.summary)),
            help_uri: Some(format!("{RULE_DOCS}{}.md", r.id)),
            help: Some(MultiformatMessage {
                text: plain_text(r.explain),
                markdown: r.explain.to_string(),
            }),
            default_configuration: Configuration {
                level: level(default),
            },
            properties: DescriptorProperties {
                tags,
                precision: "very-high",
                security_severity: format!("{score:.1}"),
            },
        },
        None => Descriptor {
            id: id.to_string(),
            name: None,
            short_description: Message::text(id),
            full_description: Message::text(id),
            help_uri: None,
            help: None,
            default_configuration: Configuration {
                level: level(default),
            },
            properties: DescriptorProperties {
                tags,
                precision: "very-high",
                security_severity: format!("{score:.1}"),
            },
        },
    }
}

/// The paragraph under `## What it checks`, as plain text.
fn what_it_checks(explain: &str) -> Option<&str> {
    let start = explain.find("## What it checks")? + "## What it checks".len();
    let rest = &explain[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    let text = rest[..end].trim();
    (!text.is_empty()).then_some(text)
}

fn result(ev: &Evidence, f: &FindingRecord, rule_index: Option<usize>) -> SarifResult {
    let (uri, uri_base_id, line, column) = match position(ev, f) {
        Some((file, line, column)) => match super::paths::repo_relative(ev, file) {
            Some(rel) => (encode_uri(&rel), Some(SRCROOT), line, column),
            None => (relative_uri(ev, file), None, line, column),
        },
        None => {
            let name = ev
                .image_of(f)
                .map(|i| i.repository().to_string())
                .unwrap_or_else(|| f.subject.clone());
            (encode_uri(&name), None, 1, 1)
        }
    };
    let region = (line > 0).then(|| Region {
        start_line: line,
        start_column: column.max(1),
    });
    let file_key = f
        .location
        .as_ref()
        .map(|l| l.file.to_string_lossy().into_owned())
        .unwrap_or_default();
    let suppressions = match &f.exception {
        Some(e) if e.status == ExceptionStatus::Applied => vec![Suppression {
            kind: "external",
            status: "accepted",
            justification: e.reason.clone(),
        }],
        _ => Vec::new(),
    };
    // The subject leads: an alert on a shared file must say which image or object it is about.
    let message = match &f.exception {
        Some(e) if e.status == ExceptionStatus::Expired => format!(
            "{}: {} (exception {} expired: {})",
            f.subject, f.message, e.origin, e.reason
        ),
        _ => format!("{}: {}", f.subject, f.message),
    };
    let message = match f.advisory_url() {
        Some(url) => format!("{message} ({url})"),
        None => message,
    };
    SarifResult {
        rule_id: f.rule.clone(),
        rule_index,
        level: level(f.severity),
        message: Message::text(message),
        locations: vec![ResultLocation {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation { uri, uri_base_id },
                region,
            },
        }],
        partial_fingerprints: Fingerprints {
            gate: fingerprint(&[
                &f.rule,
                &f.subject,
                f.key.as_deref().unwrap_or(""),
                &file_key,
            ]),
        },
        suppressions,
        properties: ResultProperties {
            subject: f.subject.clone(),
            security_severity: f.vulnerability.as_ref().map(|v| {
                format!(
                    "{:.1}",
                    security_severity(f.severity, Some(v.severity.as_str()))
                )
            }),
        },
    }
}

/// The explain text's Markdown as plain text (SARIF `help.text`, for viewers without Markdown):
/// headings become lines ending in `:`, code fences and backticks go, links keep their target.
fn plain_text(markdown: &str) -> String {
    let mut out = Vec::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            continue;
        }
        let line = match line.strip_prefix("## ") {
            Some(h) => format!("{h}:"),
            None => line.to_string(),
        };
        out.push(unlink(&line.replace('`', "")));
    }
    out.join("\n")
}

/// `[text](url)` → `text (url)`.
fn unlink(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let Some(mid) = rest[open..].find("](").map(|m| open + m) else {
            break;
        };
        let Some(close) = rest[mid..].find(')').map(|c| mid + c) else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..mid]);
        out.push_str(" (");
        out.push_str(&rest[mid + 2..close]);
        out.push(')');
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// A stable fingerprint: the first 32 hex digits of SHA-256 over the NUL-joined parts.
fn fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())[..32].to_string()
}

/// `file` as a URI relative to the run's working directory when it lies inside it.
fn relative_uri(ev: &Evidence, file: &Path) -> String {
    let rel = ev
        .working_directory
        .as_deref()
        .and_then(|wd| file.strip_prefix(wd).ok())
        .unwrap_or(file);
    let text = rel.to_string_lossy().replace('\\', "/");
    let text = text.strip_prefix("./").unwrap_or(&text);
    if rel.is_absolute() {
        format!("file://{}", encode_uri(text))
    } else {
        encode_uri(text)
    }
}

/// Percent-encode everything but unreserved characters and `/`.
fn encode_uri(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded_and_relative() {
        assert_eq!(encode_uri("a b/c:d.yaml"), "a%20b/c%3Ad.yaml");
        assert_eq!(fingerprint(&["a", "b"]).len(), 32);
        assert_ne!(fingerprint(&["a", "b"]), fingerprint(&["ab", ""]));
        assert_eq!(security_severity(Severity::Note, Some("critical")), 9.5);
    }

    #[test]
    fn help_text_is_plain() {
        let md = "## How to fix\nSet `x`, see [the docs](https://e.x/a).\n```yaml\nk: v\n```";
        assert_eq!(
            plain_text(md),
            "How to fix:\nSet x, see the docs (https://e.x/a).\nk: v"
        );
    }

    #[test]
    fn what_it_checks_takes_the_first_section() {
        let e = "## What it checks\nThis.\n\n## Why it matters\nThat.";
        assert_eq!(what_it_checks(e), Some("This."));
    }
}
