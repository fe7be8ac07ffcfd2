//! `evaluate`: the one pure step that turns every stage's findings into the evidence's findings.
//! It gives each finding the severity the policy sets, applies the policy's exceptions to every
//! rule (signature, attestation, pin and resolve rules as much as lint and vulnerability rules),
//! records which exception met a finding and where it is written, and reports the exceptions that
//! met nothing. Stages that judge exceptions with keys only they see (a CVE ID, a container, an
//! inline annotation) set `Finding::exception`; here such a finding gets its exception's origin.

use crate::evidence::{ExceptionRecord, ExceptionStatus, FindingRecord};
use crate::exception::{Applies, Exception};
use crate::finding::Finding;
use crate::policy::file::{Policy, PolicyFile};
use chrono::NaiveDate;

/// The policy's view of severities, kept for after the stages have reported.
#[derive(Debug, Clone, Default)]
pub struct Levels {
    file: PolicyFile,
}

impl Levels {
    /// `signers_named`: the command line named trusted keys, so an image they did not sign is
    /// an error whatever level the policy gives signatures by default.
    pub fn from_policy(p: &Policy, signers_named: bool) -> Self {
        Self {
            file: p.settings.with_command_line(signers_named),
        }
    }

    /// Findings at the severity the policy gives them ([`PolicyFile::effective_severity`]);
    /// `off` drops them.
    pub fn apply(&self, findings: Vec<Finding>) -> Vec<Finding> {
        findings
            .into_iter()
            .filter_map(|mut f| {
                f.severity = self.file.effective_severity(f.rule)?;
                Some(f)
            })
            .collect()
    }
}

/// What `evaluate` returns: the findings as recorded and the exceptions worth reporting.
#[derive(Debug, Default)]
pub struct Evaluation {
    pub findings: Vec<FindingRecord>,
    /// Exceptions that met no finding in the run.
    pub unused: Vec<ExceptionRecord>,
}

/// Judge `findings` under the policy: `levels` for severities, `exceptions` (all of the policy's)
/// for what is accepted. `today` decides expiry.
pub fn evaluate(
    findings: Vec<Finding>,
    levels: &Levels,
    exceptions: &[&Exception],
    today: NaiveDate,
) -> Evaluation {
    let mut used = vec![false; exceptions.len()];
    let findings = levels
        .apply(findings)
        .into_iter()
        .map(|f| judge(f, exceptions, &mut used, today))
        .collect();
    let unused = exceptions
        .iter()
        .zip(&used)
        .filter(|(e, used)| !**used && e.uses() == 0)
        .map(|(e, _)| ExceptionRecord::new(e, ExceptionStatus::Unused))
        .collect();
    Evaluation { findings, unused }
}

fn judge(
    f: Finding,
    exceptions: &[&Exception],
    used: &mut [bool],
    today: NaiveDate,
) -> FindingRecord {
    let record = FindingRecord::from_finding(&f);
    let (rule, name) = (f.rule.id, f.rule.name);
    let subject = f.subject.to_string();
    if let Some(reason) = &f.exception {
        // Judged by its stage: name the policy exception with that reason that covers it, or
        // else the finding's own position (an inline annotation).
        let policy = exceptions
            .iter()
            .position(|e| &e.reason == reason && e.covers(rule, name, &subject));
        if let Some(i) = policy {
            used[i] = true;
        }
        let origin = policy.map(|i| exceptions[i].origin.clone()).or_else(|| {
            f.location
                .as_ref()
                .map(|l| format!("{}:{}", l.file.display(), l.line))
        });
        let mut record = record;
        if let (Some(x), Some(origin)) = (&mut record.exception, origin) {
            x.origin = origin;
        }
        return record;
    }
    let mut expired = None;
    for (i, e) in exceptions.iter().enumerate() {
        let id = f.vulnerability.as_ref().map(|v| v.id.as_str());
        match e.judge(rule, name, id, &subject, today) {
            Applies::No => {}
            Applies::Yes => {
                used[i] = true;
                return record.excepted(e, ExceptionStatus::Applied);
            }
            Applies::Expired => {
                used[i] = true;
                expired.get_or_insert(i);
            }
        }
    }
    match expired {
        Some(i) => record.excepted(exceptions[i], ExceptionStatus::Expired),
        None => record,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn exc(rule: &str, subject: &str, expires: Option<&str>, origin: &str) -> Exception {
        Exception::new(
            vec![rule.into()],
            vec![],
            Some(subject.into()),
            "accepted".into(),
            expires.map(day),
            None,
            origin.into(),
        )
        .unwrap()
    }

    fn finding(rule: &str, subject: &str) -> Finding {
        Finding {
            rule: crate::rules::find(rule).unwrap(),
            severity: Severity::Error,
            subject: crate::finding::Subject::Reference(subject.into()),
            location: None,
            message: "m".into(),
            exception: None,
            key: None,
            vulnerability: None,
        }
    }

    #[test]
    fn exceptions_apply_to_every_rule_with_their_origin() {
        let sig = exc("GATE-SIG-001", "ghcr.io/acme/*", None, "p.yaml:3");
        let pin = exc(
            "unpinned-image",
            "docker.io/library/busybox*",
            None,
            "p.yaml:9",
        );
        let old = exc(
            "GATE-SIG-001",
            "ghcr.io/old/*",
            Some("2026-01-01"),
            "p.yaml:12",
        );
        let none = exc("GATE-SIG-001", "nothing/*", None, "p.yaml:20");
        let all = [&sig, &pin, &old, &none];
        let out = evaluate(
            vec![
                finding("GATE-SIG-001", "ghcr.io/acme/api@sha256:aa"),
                finding("GATE-IMG-001", "docker.io/library/busybox@sha256:bb"),
                finding("GATE-SIG-001", "ghcr.io/old/api@sha256:cc"),
                finding("GATE-SIG-001", "ghcr.io/other/api@sha256:dd"),
            ],
            &Levels::default(),
            &all,
            day("2026-06-01"),
        );
        let got: Vec<_> = out
            .findings
            .iter()
            .map(|f| f.exception.as_ref().map(|x| (x.origin.as_str(), x.status)))
            .collect();
        assert_eq!(
            got,
            [
                Some(("p.yaml:3", ExceptionStatus::Applied)),
                Some(("p.yaml:9", ExceptionStatus::Applied)),
                Some(("p.yaml:12", ExceptionStatus::Expired)),
                None,
            ]
        );
        assert!(!out.findings[0].fails() && out.findings[2].fails());
        let unused: Vec<_> = out.unused.iter().map(|e| e.origin.as_str()).collect();
        assert_eq!(unused, ["p.yaml:20"]);
        // Pure: the stages' use counters are not touched.
        assert_eq!(sig.uses(), 0);
    }

    #[test]
    fn a_stage_judged_finding_gets_its_exception_origin() {
        let e = exc("GATE-PSS-002", "Deployment/*", None, "p.yaml:5");
        let mut f = finding("GATE-PSS-002", "Deployment/prod/api");
        f.exception = Some("accepted".into());
        let mut inline = finding("GATE-PSS-003", "Deployment/prod/api");
        inline.exception = Some("inline reason".into());
        inline.location = Some(crate::finding::Location {
            file: "api.yaml".into(),
            line: 4,
            column: 1,
        });
        let out = evaluate(
            vec![f, inline],
            &Levels::default(),
            &[&e],
            day("2026-06-01"),
        );
        let origins: Vec<_> = out
            .findings
            .iter()
            .map(|f| f.exception.as_ref().unwrap().origin.as_str())
            .collect();
        assert_eq!(origins, ["p.yaml:5", "api.yaml:4"]);
    }
}
