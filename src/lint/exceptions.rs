//! Exceptions for lint findings: the policy's exceptions (rule + subject glob over
//! `Kind/namespace/name`) and the inline annotation on an object,
//! `gate.dev/ignore: "<RULE>[,<RULE>] [expires=YYYY-MM-DD] reason=<text>"`.
//!
//! kube-linter's `ignore-check.kube-linter.io/<check>: "<reason>"` is honoured too, for the gate
//! rules of [`KUBE_LINTER_CHECKS`] (each gate rule there reports nothing the kube-linter check
//! would not, so an annotation written for kube-linter never silences more in gate).
//!
//! The annotations are written in the change under check, so they apply only as far as the
//! trusted policy allows (`manifests.inline-exceptions`, [`InlineExceptions`]; by default not at
//! all): one it does not allow leaves the finding standing and says so in its message, naming
//! the annotation, its file and line.
//!
//! An exception that applies sets the finding's `exception` to its reason. An expired one stops
//! applying and adds a finding that says so; a malformed annotation is itself a finding.

use crate::exception::Applies;
use crate::finding::Finding;
use crate::lint::object::Object;
use crate::lint::rules::{expired_exception, invalid_ignore_annotation};
use crate::lint::{Context, Hit, InlineExceptions};
use chrono::NaiveDate;
use std::collections::HashMap;

/// The inline exception annotation.
pub const IGNORE_ANNOTATION: &str = "gate.dev/ignore";

/// The prefix of kube-linter's per-check ignore annotation.
pub const KUBE_LINTER_IGNORE: &str = "ignore-check.kube-linter.io/";

/// kube-linter checks whose ignore annotation gate honours, and the gate rules each covers. A
/// gate rule is listed only when everything it reports the kube-linter check reports too: its
/// `host-network`/`host-pid`/`host-ipc` are one gate rule (GATE-PSS-001) for all three, its
/// `drop-net-raw-capability` is narrower than "drop ALL", `env-var-secret` narrower than
/// gate's secret detector, host-mount checks narrower than any `hostPath`, so those are not
/// mapped (README "Inline exceptions" has the table).
pub const KUBE_LINTER_CHECKS: &[(&str, &[&str])] = &[
    ("privileged-container", &["GATE-PSS-002"]),
    ("privilege-escalation-container", &["GATE-PSS-014"]),
    ("run-as-non-root", &["GATE-PSS-015", "GATE-PSS-016"]),
    ("unsafe-proc-mount", &["GATE-PSS-008", "GATE-PSS-019"]),
    ("no-read-only-root-fs", &["GATE-K8S-062"]),
    ("unset-cpu-requirements", &["GATE-K8S-064", "GATE-K8S-065"]),
    (
        "unset-memory-requirements",
        &["GATE-K8S-061", "GATE-K8S-063"],
    ),
    ("latest-tag", &["GATE-K8S-060"]),
    ("default-service-account", &["GATE-K8S-020"]),
    ("wildcard-in-rules", &["GATE-K8S-010"]),
];

/// The kube-linter ignore annotation on `o` that covers `rule`: its name, where it is written,
/// and its reason (its non-empty value).
fn kube_linter_reason(o: &Object<'_>, rule: &str) -> Option<(String, String, String)> {
    KUBE_LINTER_CHECKS
        .iter()
        .filter(|(_, rules)| rules.contains(&rule))
        .find_map(|(check, _)| {
            let name = format!("{KUBE_LINTER_IGNORE}{check}");
            let value = o.annotation(&name)?;
            let reason = value.as_str()?.trim();
            (!reason.is_empty()).then(|| {
                let reason = format!("{reason} (kube-linter `{name}`)");
                (name, at(o.location(value)), reason)
            })
        })
}

/// `file:line` of a location.
fn at(l: crate::finding::Location) -> String {
    format!("{}:{}", l.file.display(), l.line)
}

/// Say in `f`'s message that the annotation `name` written at `at` does not apply, and why.
fn not_applied(f: &mut Finding, name: &str, at: &str, why: &str) {
    f.message.push_str(&format!(
        " (annotation `{name}` at {at} not applied: {why})"
    ));
}

/// A parsed inline exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inline {
    /// Rule IDs (canonical).
    pub rules: Vec<&'static str>,
    pub expires: Option<NaiveDate>,
    pub reason: String,
}

/// Parse the annotation value; `Err` says what is wrong with it.
pub fn parse_inline(value: &str) -> Result<Inline, String> {
    let value = value.trim();
    let (list, rest) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
    let mut rules = Vec::new();
    for key in list.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        match crate::rules::find(key) {
            Some(r) => rules.push(r.id),
            None => return Err(format!("names unknown rule `{key}`")),
        }
    }
    if rules.is_empty() {
        return Err("names no rule".to_string());
    }
    let Some((before, reason)) = rest.split_once("reason=") else {
        return Err("has no `reason=`".to_string());
    };
    let reason = reason.trim();
    if reason.is_empty() {
        return Err("has an empty `reason=`".to_string());
    }
    let mut expires = None;
    for token in before.split_whitespace() {
        match token.strip_prefix("expires=") {
            Some(d) => {
                expires =
                    Some(d.parse::<NaiveDate>().map_err(|_bad| {
                        format!("has an invalid `expires={d}` (want YYYY-MM-DD)")
                    })?)
            }
            None => return Err(format!("has an unexpected `{token}` before `reason=`")),
        }
    }
    Ok(Inline {
        rules,
        expires,
        reason: reason.to_string(),
    })
}

/// Apply inline and policy exceptions to `hits`, adding expired-exception findings, and (with
/// `report_malformed`) a finding for each malformed annotation of the context's objects.
pub fn apply(
    cx: &Context<'_>,
    hits: Vec<Hit>,
    today: NaiveDate,
    report_malformed: bool,
) -> Vec<Finding> {
    let allowed: &InlineExceptions = &cx.cfg.inline;
    let mut inline: HashMap<usize, Option<(Inline, String)>> = HashMap::new();
    let mut out = Vec::with_capacity(hits.len());
    for (_, o) in cx.iter().filter(|_| report_malformed) {
        if let Some(Err(finding)) = read_inline(o) {
            out.push(finding);
        }
    }
    for Hit {
        mut finding,
        object,
    } in hits
    {
        let rule_name = finding.rule.name;
        if let Some(i) = object {
            let entry = inline.entry(i).or_insert_with(|| {
                let o = &cx.objects[i];
                let x = read_inline(o)?.ok()?;
                Some((x, at(o.location(o.annotation(IGNORE_ANNOTATION)?))))
            });
            let covering = entry
                .as_ref()
                .filter(|(x, _)| x.rules.contains(&finding.rule.id));
            let refused = covering.and_then(|(x, at)| {
                Some((at, allowed.refuses(finding.rule, x.expires.is_some())?))
            });
            if let Some((at, why)) = refused {
                not_applied(&mut finding, IGNORE_ANNOTATION, at, &why);
            } else if let Some((x, _)) = covering {
                match x.expires {
                    Some(d) if d < today => out.push(expired(
                        &finding,
                        &format!("inline `{IGNORE_ANNOTATION}` annotation"),
                        d,
                        &x.reason,
                    )),
                    _ => {
                        finding.exception = Some(x.reason.clone());
                        out.push(finding);
                        continue;
                    }
                }
            }
            if let Some((name, at, reason)) = kube_linter_reason(&cx.objects[i], finding.rule.id) {
                match allowed.refuses(finding.rule, false) {
                    Some(why) => not_applied(&mut finding, &name, &at, &why),
                    None => {
                        finding.exception = Some(reason);
                        out.push(finding);
                        continue;
                    }
                }
            }
        }
        for e in &cx.cfg.exceptions {
            match e.check(
                finding.rule.id,
                rule_name,
                None,
                &finding.subject.to_string(),
                today,
            ) {
                Applies::No => {}
                Applies::Yes => {
                    finding.exception = Some(e.reason.clone());
                    break;
                }
                Applies::Expired => {
                    let d = e.expires.unwrap_or(today);
                    out.push(expired(&finding, &e.origin, d, &e.reason));
                }
            }
        }
        out.push(finding);
    }
    out
}

/// The object's inline exception: `None` without the annotation, `Err` with the finding for a
/// malformed one.
pub fn read_inline(o: &Object<'_>) -> Option<Result<Inline, Finding>> {
    let node = o.annotation(IGNORE_ANNOTATION)?;
    let parsed = match node.as_str() {
        Some(v) => parse_inline(v),
        None => Err("is not a string".to_string()),
    };
    Some(parsed.map_err(|why| Finding {
        rule: &invalid_ignore_annotation::RULE,
        severity: invalid_ignore_annotation::RULE.severity,
        subject: o.subject(),
        location: Some(o.location(node)),
        message: format!("Annotation `{IGNORE_ANNOTATION}` {why}; it is not applied"),
        exception: None,
        key: None,
        vulnerability: None,
    }))
}

fn expired(f: &Finding, origin: &str, date: NaiveDate, reason: &str) -> Finding {
    Finding {
        rule: &expired_exception::RULE,
        key: None,
        vulnerability: None,
        severity: expired_exception::RULE.severity,
        subject: f.subject.clone(),
        location: f.location.clone(),
        message: format!(
            "Exception for `{}` from {origin} expired on {date} (reason: {reason}); the finding stands",
            f.rule
        ),
        exception: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_inline_annotations() {
        let x = parse_inline("GATE-PSS-002,rbac-wildcard reason=vendor chart, ticket 12").unwrap();
        assert_eq!(x.rules, vec!["GATE-PSS-002", "GATE-K8S-010"]);
        assert_eq!(x.reason, "vendor chart, ticket 12");
        let x = parse_inline("GATE-PSS-002 expires=2026-01-31 reason=migrating").unwrap();
        assert_eq!(x.expires, Some("2026-01-31".parse().unwrap()));
        for bad in [
            "GATE-PSS-002",
            "GATE-PSS-002 reason=",
            "NOPE-1 reason=x",
            " reason=x",
            "GATE-PSS-002 expires=soon reason=x",
        ] {
            assert!(parse_inline(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kube_linter_checks_map_to_real_rules() {
        for (check, rules) in KUBE_LINTER_CHECKS {
            for r in *rules {
                assert_eq!(
                    crate::rules::find(r).map(|x| x.id),
                    Some(*r),
                    "{check}: {r}"
                );
            }
        }
    }
}
