//! The vulnerability verdict: a scan result and the policy in, findings out. Pure: no I/O (the
//! ignore file is loaded once, up front, by [`IgnoreFile::load`]).
//!
//! Order follows Trivy's own filter: severity, then `ignore_unfixed`, then the ignore file; then
//! gate's exceptions. A finding covered by an ignore entry or exception is still returned, with
//! `exception` set, so reports show what was accepted and why. Expired entries stop applying and
//! say so; entries that matched nothing are reported by [`unused`] once the whole run is done.

use super::ignore::{IgnoreFile, IgnoreMatch};
use super::report::Vulnerability;
use super::rules::{EXPIRED_EXCEPTION, UNUSED_EXCEPTION, VULNERABLE_PACKAGE};
use super::ScanResult;
use crate::exception::{Applies, Exception};
use crate::finding::{Finding, Subject};
use chrono::NaiveDate;
use std::collections::HashSet;

/// What the policy says about vulnerabilities.
#[derive(Debug)]
pub struct VulnPolicy {
    /// Severities that fail the gate (`HIGH`, `CRITICAL`; case-insensitive).
    pub severities: Vec<String>,
    /// Skip vulnerabilities without a fix (Trivy's `--ignore-unfixed`).
    pub ignore_unfixed: bool,
    /// `.trivyignore` / `.trivyignore.yaml`, loaded with [`IgnoreFile::load`].
    pub trivyignore: Option<IgnoreFile>,
    /// gate's own exceptions; `ids` are vulnerability IDs, `subject` globs the image reference.
    pub exceptions: Vec<Exception>,
}

impl Default for VulnPolicy {
    fn default() -> Self {
        VulnPolicy {
            severities: vec!["HIGH".into(), "CRITICAL".into()],
            ignore_unfixed: false,
            trivyignore: None,
            exceptions: Vec::new(),
        }
    }
}

/// Judge one image's scan result. `image` is the reference as the user wrote it (exception
/// subjects match it or `name@digest`); findings name `name@digest`.
pub fn evaluate(
    result: &ScanResult,
    image: &str,
    policy: &VulnPolicy,
    today: NaiveDate,
) -> Vec<Finding> {
    let target = Subject::Image {
        repository: repository(image).to_string(),
        digest: result.digest.clone(),
    };
    let subject = target.to_string();
    let severities: Vec<String> = policy
        .severities
        .iter()
        .map(|s| s.to_ascii_uppercase())
        .collect();
    let mut seen = HashSet::new();
    let mut findings = Vec::new();
    for v in &result.vulnerabilities {
        if !severities.contains(&v.severity) || (policy.ignore_unfixed && v.is_unfixed()) {
            continue;
        }
        // One finding per package version, however many platforms carry it.
        let key = (
            v.id.as_str(),
            v.pkg_name.as_str(),
            v.installed_version.as_str(),
            v.pkg_path.as_deref().or(v.purl.as_deref()),
            v.target.as_str(),
        );
        if !seen.insert(key) {
            continue;
        }
        let platforms = platforms_of(&result.vulnerabilities, v);
        let mut notes = Vec::new();
        let mut exception = None;
        if let Some(file) = &policy.trivyignore {
            match file.check(v, today) {
                IgnoreMatch::Yes(e) => {
                    exception = Some(match &e.statement {
                        Some(s) => format!("{s} (`{}`:{})", file.path.display(), e.line),
                        None => format!("listed in `{}`:{}", file.path.display(), e.line),
                    })
                }
                IgnoreMatch::Expired(e) => {
                    let origin = format!("`{}`:{}", file.path.display(), e.line);
                    let date = e.expires.map(|d| d.to_string()).unwrap_or_default();
                    notes.push(expired(&target, v, &origin, &date));
                }
                IgnoreMatch::No => {}
            }
        }
        for e in &policy.exceptions {
            let applies = match e.check(
                VULNERABLE_PACKAGE.id,
                VULNERABLE_PACKAGE.name,
                Some(&v.id),
                image,
                today,
            ) {
                Applies::No => e.check(
                    VULNERABLE_PACKAGE.id,
                    VULNERABLE_PACKAGE.name,
                    Some(&v.id),
                    &subject,
                    today,
                ),
                other => other,
            };
            match applies {
                Applies::Yes => {
                    exception.get_or_insert_with(|| e.reason.clone());
                }
                Applies::Expired => {
                    let date = e.expires.map(|d| d.to_string()).unwrap_or_default();
                    notes.push(expired(&target, v, &format!("`{}`", e.origin), &date));
                }
                Applies::No => {}
            }
        }
        findings.push(Finding {
            rule: &VULNERABLE_PACKAGE,
            severity: VULNERABLE_PACKAGE.severity,
            subject: target.clone(),
            location: None,
            message: message(v, &platforms),
            exception,
            key: Some(match v.pkg_path.as_deref() {
                Some(path) => format!("{} {} {} {path}", v.id, v.pkg_name, v.installed_version),
                None => format!("{} {} {}", v.id, v.pkg_name, v.installed_version),
            }),
            vulnerability: Some(Box::new(crate::finding::Vulnerability {
                id: v.id.clone(),
                severity: v.severity.clone(),
                package: v.pkg_name.clone(),
                installed_version: v.installed_version.clone(),
                fixed_version: v.fixed_version.clone(),
                platform: v.platform.clone(),
                title: v.title.clone(),
                primary_url: v.primary_url.clone(),
            })),
        });
        findings.extend(notes);
    }
    findings
}

/// Warnings for ignore entries and exceptions that matched nothing in the whole run, and for
/// ignore-file lines Trivy would skip. Call once, after every image was evaluated.
pub fn unused(policy: &VulnPolicy) -> Vec<Finding> {
    let mut out = Vec::new();
    // The subject is where the entry is written: that is what the user edits.
    let warn = |subject: Subject, message: String| Finding {
        rule: &UNUSED_EXCEPTION,
        severity: UNUSED_EXCEPTION.severity,
        subject,
        location: None,
        message,
        exception: None,
        key: None,
        vulnerability: None,
    };
    if let Some(file) = &policy.trivyignore {
        let path = file.path.display();
        for e in file.entries.iter().filter(|e| e.uses() == 0) {
            out.push(warn(
                Subject::File {
                    path: file.path.clone(),
                    line: Some(e.line),
                },
                format!(
                    "Ignore entry `{}` at `{path}`:{} matched no vulnerability",
                    e.id, e.line
                ),
            ));
        }
        for (line, problem) in &file.problems {
            out.push(warn(
                Subject::File {
                    path: file.path.clone(),
                    line: Some(*line),
                },
                format!("Ignore file `{path}`:{line}: {problem}"),
            ));
        }
    }
    for e in policy.exceptions.iter().filter(|e| e.uses() == 0) {
        out.push(warn(
            Subject::Entry(e.origin.clone()),
            format!("Exception at `{}` matched no vulnerability", e.origin),
        ));
    }
    out
}

fn expired(subject: &Subject, v: &Vulnerability, origin: &str, date: &str) -> Finding {
    Finding {
        rule: &EXPIRED_EXCEPTION,
        severity: EXPIRED_EXCEPTION.severity,
        subject: subject.clone(),
        location: None,
        message: format!(
            "Exception {origin} for `{}` expired on {date} and no longer applies",
            v.id
        ),
        exception: None,
        key: None,
        vulnerability: None,
    }
}

/// The platforms (of a multi-platform index) that carry the same vulnerable package as `v`.
fn platforms_of<'a>(all: &'a [Vulnerability], v: &Vulnerability) -> Vec<&'a str> {
    let mut out: Vec<&str> = all
        .iter()
        .filter(|o| {
            o.id == v.id
                && o.pkg_name == v.pkg_name
                && o.installed_version == v.installed_version
                && o.target == v.target
        })
        .filter_map(|o| o.platform.as_deref())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn message(v: &Vulnerability, platforms: &[&str]) -> String {
    let fix = match &v.fixed_version {
        Some(f) => format!("fixed in {f}"),
        None => "no fix available".to_owned(),
    };
    let mut m = format!(
        "Vulnerability `{}` ({}) in `{}` {}, {fix}",
        v.id, v.severity, v.pkg_name, v.installed_version
    );
    if let Some(path) = &v.pkg_path {
        m.push_str(&format!(" (`{path}`)"));
    }
    if !platforms.is_empty() {
        m.push_str(&format!(" on {}", platforms.join(", ")));
    }
    if let Some(title) = &v.title {
        let title = title.trim().trim_end_matches('.');
        if !title.is_empty() {
            m.push_str(": ");
            m.push_str(title);
        }
    }
    m
}

/// The repository part of a reference: no tag, no digest.
fn repository(image: &str) -> &str {
    let name = image.split_once('@').map_or(image, |(n, _)| n);
    match name.rfind(':') {
        Some(colon) if !name[colon..].contains('/') => &name[..colon],
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    fn vuln(
        id: &str,
        severity: &str,
        fixed: Option<&str>,
        platform: Option<&str>,
    ) -> Vulnerability {
        Vulnerability {
            id: id.into(),
            pkg_name: "openssl".into(),
            pkg_path: None,
            purl: Some("pkg:apk/alpine/openssl@3.1.4-r0".into()),
            installed_version: "3.1.4-r0".into(),
            fixed_version: fixed.map(Into::into),
            status: Some(if fixed.is_some() { "fixed" } else { "affected" }.into()),
            severity: severity.into(),
            title: Some("openssl: a flaw.".into()),
            primary_url: None,
            target: "app (alpine 3.19)".into(),
            class: Some("os-pkgs".into()),
            platform: platform.map(Into::into),
        }
    }

    fn result(vulns: Vec<Vulnerability>) -> ScanResult {
        ScanResult {
            digest: DIGEST.into(),
            scanner: "trivy".into(),
            scanner_version: "0.58.1".into(),
            db_updated_at: None,
            vulnerabilities: vulns,
            sboms: Vec::new(),
            cached: false,
        }
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn exception(ids: &[&str], subject: Option<&str>, expires: Option<&str>) -> Exception {
        Exception::new(
            vec![],
            ids.iter().map(|s| s.to_string()).collect(),
            subject.map(Into::into),
            "not reachable".into(),
            expires.map(day),
            None,
            "gate.yaml:7".into(),
        )
        .unwrap()
    }

    #[test]
    fn severities_unfixed_and_platform_duplicates() {
        let r = result(vec![
            vuln("CVE-1", "CRITICAL", Some("3.1.4-r5"), Some("linux/amd64")),
            vuln("CVE-1", "CRITICAL", Some("3.1.4-r5"), Some("linux/arm64")),
            vuln("CVE-2", "HIGH", None, None),
            vuln("CVE-3", "MEDIUM", Some("1"), None),
        ]);
        let mut policy = VulnPolicy::default();
        let f = evaluate(&r, "ghcr.io/acme/app:1.0", &policy, day("2026-11-26"));
        assert_eq!(f.len(), 2);
        assert_eq!(
            f[0].subject.to_string(),
            format!("ghcr.io/acme/app@{DIGEST}")
        );
        assert_eq!(
            f[0].message,
            "Vulnerability `CVE-1` (CRITICAL) in `openssl` 3.1.4-r0, fixed in 3.1.4-r5 on linux/amd64, linux/arm64: openssl: a flaw"
        );
        assert!(f[1].message.contains("no fix available"));
        policy.ignore_unfixed = true;
        policy.severities = vec!["critical".into(), "medium".into()];
        let f = evaluate(&r, "ghcr.io/acme/app:1.0", &policy, day("2026-11-26"));
        let ids: Vec<_> = f
            .iter()
            .map(|f| f.message.split('`').nth(1).unwrap())
            .collect();
        assert_eq!(ids, ["CVE-1", "CVE-3"]);
    }

    #[test]
    fn exceptions_apply_expire_and_report_unused() {
        let r = result(vec![
            vuln("CVE-1", "CRITICAL", Some("2"), None),
            vuln("CVE-2", "HIGH", Some("2"), None),
        ]);
        let policy = VulnPolicy {
            exceptions: vec![
                exception(&["CVE-1"], Some("ghcr.io/acme/*"), Some("2026-12-31")),
                exception(&["CVE-2"], None, Some("2026-01-01")),
                exception(&["CVE-9"], None, None),
                exception(&["CVE-1"], Some("docker.io/*"), None),
            ],
            ..VulnPolicy::default()
        };
        let f = evaluate(&r, "ghcr.io/acme/app:1.0", &policy, day("2026-11-26"));
        assert_eq!(f.len(), 3, "{f:#?}");
        assert_eq!(f[0].exception.as_deref(), Some("not reachable"));
        assert_eq!(f[1].rule.id, "GATE-VULN-001");
        assert_eq!(f[1].exception, None);
        assert_eq!(f[2].rule.id, "GATE-VULN-002");
        assert_eq!(
            f[2].message,
            "Exception `gate.yaml:7` for `CVE-2` expired on 2026-01-01 and no longer applies"
        );
        let u = unused(&policy);
        assert_eq!(u.len(), 2);
        assert!(u.iter().all(|f| f.rule.id == "GATE-VULN-003"));
    }

    #[test]
    fn trivyignore_entries_apply_with_statement() {
        let file = IgnoreFile::parse_yaml(
            Path::new(".trivyignore.yaml"),
            "vulnerabilities:\n  - id: CVE-1\n    statement: vendor says not affected\n  - id: CVE-2\n    expired_at: 2026-01-01\n  - id: CVE-3\n",
        )
        .unwrap();
        let policy = VulnPolicy {
            trivyignore: Some(file),
            ..VulnPolicy::default()
        };
        let r = result(vec![
            vuln("CVE-1", "CRITICAL", Some("2"), None),
            vuln("CVE-2", "HIGH", Some("2"), None),
        ]);
        let f = evaluate(&r, "app", &policy, day("2026-11-26"));
        assert_eq!(
            f[0].exception.as_deref(),
            Some("vendor says not affected (`.trivyignore.yaml`:2)")
        );
        assert_eq!(f[1].exception, None);
        assert_eq!(f[2].rule.id, "GATE-VULN-002");
        let u = unused(&policy);
        assert_eq!(u.len(), 1);
        assert_eq!(
            u[0].message,
            "Ignore entry `CVE-3` at `.trivyignore.yaml`:6 matched no vulnerability"
        );
    }
}
