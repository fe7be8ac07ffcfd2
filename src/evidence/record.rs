//! Findings and exceptions as the evidence record keeps them: owned, deserialisable copies of
//! [`crate::finding::Finding`] and [`crate::exception::Exception`], plus what the policy
//! did with them (applied, expired, unused).

use crate::exception::Exception;
use crate::finding::{Finding, Location, Severity};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What happened to an exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExceptionStatus {
    /// It covered the finding: reported, not counted.
    Applied,
    /// It would have covered the finding but its date passed: the finding counts.
    Expired,
    /// It matched no finding in this run.
    Unused,
}

/// The exception a finding met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedException {
    pub reason: String,
    /// Where the exception is written (`file:line`).
    pub origin: String,
    /// `applied` or `expired`.
    pub status: ExceptionStatus,
}

pub use crate::finding::Vulnerability;

/// The kind of a finding's subject ([`crate::finding::Subject`]'s variants, by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    /// `repository@digest`.
    Image,
    /// An image as written, when it did not resolve.
    Reference,
    /// `Kind/namespace/name`.
    Object,
    /// `path[:line]`.
    File,
    /// A policy entry.
    Entry,
}

impl SubjectKind {
    pub fn of(s: &crate::finding::Subject) -> Self {
        use crate::finding::Subject;
        match s {
            Subject::Image { .. } => Self::Image,
            Subject::Reference(_) => Self::Reference,
            Subject::Object { .. } => Self::Object,
            Subject::File { .. } => Self::File,
            Subject::Entry(_) => Self::Entry,
        }
    }
}

/// One finding in the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRecord {
    /// Rule ID (`GATE-K8S-010`).
    pub rule: String,
    /// Rule kebab name, when the rule registry knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Severity after the policy.
    pub severity: Severity,
    /// An image (`name@sha256:…`) or an object (`Kind/namespace/name`).
    pub subject: String,
    /// What kind of thing `subject` names. Only an `image` or `reference` subject joins a
    /// finding to an image (absent in records written before it existed: then by spelling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_kind: Option<SubjectKind>,
    /// The finding's key beyond rule and subject (a CVE ID, a container name), used by
    /// exceptions' `ids` and by SARIF fingerprints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerability: Option<Box<Vulnerability>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<AppliedException>,
}

/// [`FindingRecord::from_finding`], taking the finding's strings instead of copying them.
impl From<Finding> for FindingRecord {
    fn from(f: Finding) -> Self {
        Self {
            rule: f.rule.id.to_string(),
            // The finding carries its rule: its name needs no registry lookup.
            name: Some(f.rule.name.to_string()),
            severity: f.severity,
            subject: f.subject.to_string(),
            subject_kind: Some(SubjectKind::of(&f.subject)),
            key: f.key,
            location: f.location,
            message: f.message,
            vulnerability: f.vulnerability,
            exception: f.exception.map(|reason| AppliedException {
                reason,
                origin: String::new(),
                status: ExceptionStatus::Applied,
            }),
        }
    }
}

impl FindingRecord {
    /// Records of many findings, in their order ([`From<Finding>`]); a large run's are made on
    /// two threads (a lint run of tens of thousands of findings spends tens of milliseconds
    /// here, on a core that would otherwise wait).
    pub fn from_all(mut findings: Vec<Finding>) -> Vec<FindingRecord> {
        if findings.len() < crate::background::SPLIT_FROM {
            return findings.into_iter().map(Self::from).collect();
        }
        let later = findings.split_off(findings.len() / 2);
        let (mut out, rest) = crate::background::join(
            || {
                let mut out: Vec<FindingRecord> = Vec::with_capacity(findings.len() * 2 + 1);
                out.extend(findings.into_iter().map(Self::from));
                out
            },
            || later.into_iter().map(Self::from).collect::<Vec<_>>(),
        );
        out.extend(rest);
        out
    }

    /// A finding with no location, key or exception; set those fields as needed.
    pub fn new(
        rule: impl Into<String>,
        severity: Severity,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let rule = rule.into();
        let name = crate::rules::find(&rule).map(|r| r.name.to_string());
        Self {
            rule,
            name,
            severity,
            subject: subject.into(),
            subject_kind: None,
            key: None,
            location: None,
            message: message.into(),
            vulnerability: None,
            exception: None,
        }
    }

    /// Copy a stage finding. `Finding.exception` (the reason of an applied exception) becomes an
    /// [`AppliedException`] with an unknown origin; prefer [`FindingRecord::excepted`] when the
    /// exception itself is at hand.
    pub fn from_finding(f: &Finding) -> Self {
        Self::from(f.clone())
    }

    /// Record that `e` met this finding with `status` (`Applied` or `Expired`).
    pub fn excepted(mut self, e: &Exception, status: ExceptionStatus) -> Self {
        self.exception = Some(AppliedException {
            reason: e.reason.clone(),
            origin: e.origin.clone(),
            status,
        });
        self
    }

    /// Can its subject be an image (an `image` or `reference` subject, or a record that does not
    /// say)? A file or object spelled like an image's name is never joined to it.
    pub fn may_be_about_an_image(&self) -> bool {
        matches!(
            self.subject_kind,
            None | Some(SubjectKind::Image | SubjectKind::Reference)
        )
    }

    /// Does it count towards the verdict (no applied exception)?
    pub fn counts(&self) -> bool {
        !self
            .exception
            .as_ref()
            .is_some_and(|e| e.status == ExceptionStatus::Applied)
    }

    /// A vulnerability's advisory link (the scanner's primary URL) when it is a plain `https://`
    /// URL that can stand in a Markdown link or a sentence as it is; `None` otherwise.
    pub fn advisory_url(&self) -> Option<&str> {
        let url = self.vulnerability.as_ref()?.primary_url.as_deref()?;
        let plain = url.starts_with("https://")
            && url.len() <= 2048
            && !url
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "()[]<>|\"'`".contains(c));
        plain.then_some(url)
    }

    /// Does it fail the gate (counts, at error severity)?
    pub fn fails(&self) -> bool {
        self.counts() && self.severity == Severity::Error
    }

    /// The rule's display label: `GATE-K8S-010 rbac-wildcard`, or just the ID.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("{} {n}", self.rule),
            None => self.rule.clone(),
        }
    }
}

/// An exception worth reporting on its own: expired or unused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionRecord {
    /// Where it is written (`file:line`).
    pub origin: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// `expired` or `unused`.
    pub status: ExceptionStatus,
}

impl ExceptionRecord {
    pub fn new(e: &Exception, status: ExceptionStatus) -> Self {
        Self {
            origin: e.origin.clone(),
            rules: e.rules.clone(),
            ids: e.ids.clone(),
            subject: e.subject.clone(),
            reason: e.reason.clone(),
            expires: e.expires,
            owner: e.owner.clone(),
            status,
        }
    }

    /// Records for the exceptions at the end of a run: unused ones (no match at all) and
    /// expired ones (dated before `today`, whether they matched or not).
    pub fn collect(exceptions: &[Exception], today: NaiveDate) -> Vec<Self> {
        exceptions
            .iter()
            .filter_map(|e| {
                if e.expires.is_some_and(|d| d < today) {
                    Some(Self::new(e, ExceptionStatus::Expired))
                } else if e.uses() == 0 {
                    Some(Self::new(e, ExceptionStatus::Unused))
                } else {
                    None
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exc(expires: Option<&str>) -> Exception {
        Exception::new(
            vec!["GATE-IMG-001".into()],
            vec![],
            None,
            "known".into(),
            expires.map(|d| d.parse().unwrap()),
            None,
            "p.yaml:4".into(),
        )
        .unwrap()
    }

    #[test]
    fn collects_expired_and_unused_exceptions() {
        let today: NaiveDate = "2026-06-01".parse().unwrap();
        let used = exc(None);
        used.check("GATE-IMG-001", "unpinned-image", None, "x", today);
        let list = [used, exc(None), exc(Some("2026-01-01"))];
        let got: Vec<_> = ExceptionRecord::collect(&list, today)
            .into_iter()
            .map(|r| r.status)
            .collect();
        assert_eq!(got, [ExceptionStatus::Unused, ExceptionStatus::Expired]);
    }

    #[test]
    fn expired_exception_counts_applied_does_not() {
        let e = exc(None);
        let f = FindingRecord::new("GATE-IMG-001", Severity::Error, "x", "m");
        assert_eq!(f.name.as_deref(), Some("unpinned-image"));
        assert!(f.clone().excepted(&e, ExceptionStatus::Expired).fails());
        assert!(!f.excepted(&e, ExceptionStatus::Applied).fails());
    }

    #[test]
    fn records_of_a_large_run_keep_the_findings_order() {
        let rule = crate::rules::find("GATE-K8S-030").expect("a lint rule");
        let finding = |i: usize| Finding {
            rule,
            severity: crate::finding::Severity::Warning,
            subject: crate::finding::Subject::Object {
                kind: "Namespace".into(),
                namespace: None,
                name: format!("ns-{i}"),
            },
            location: None,
            message: format!("message {i}"),
            exception: i.is_multiple_of(7).then(|| "accepted".to_string()),
            key: None,
            vulnerability: None,
        };
        for n in [3, 4096, 9001] {
            let findings: Vec<Finding> = (0..n).map(finding).collect();
            let one_by_one: Vec<FindingRecord> =
                findings.iter().map(FindingRecord::from_finding).collect();
            let all = FindingRecord::from_all(findings);
            assert_eq!(all.len(), n);
            assert!(all == one_by_one, "{n} findings: order or content differs");
        }
    }
}
