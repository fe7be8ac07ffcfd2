//! The evidence record: everything one `gate check` run established, in one versioned value.
//!
//! Every report format renders this record and nothing else, so what the table shows, what SARIF
//! uploads and what `--format json` archives cannot disagree. The stages do not know this type:
//! `gate check` fills it from their results through the small summary types in [`image`] and
//! [`record`], then calls [`Evidence::finish`] to compute the verdicts. The schema is documented
//! in `docs/evidence.md`; any incompatible change bumps [`SCHEMA`].

pub mod image;
mod record;

pub use image::{
    Attestation, CheckError, ImageEvidence, IndexChild, Layout, RekorEntry, ScanSummary, Signature,
    Signer, SlsaProvenance, Source,
};
pub use record::{
    AppliedException, ExceptionRecord, ExceptionStatus, FindingRecord, SubjectKind, Vulnerability,
};

use crate::finding::Severity;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The schema identifier written into every record.
pub const SCHEMA: &str = "gate.evidence/v1";

/// The outcome of a run (or of one image).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Everything was checked and nothing counted at error severity.
    Passed,
    /// Everything was checked and a finding at error severity stands (exit 1).
    Failed,
    /// Something could not be checked (exit 2); wins over `failed`, because fail closed.
    Incomplete,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Incomplete => "incomplete",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which policy judged the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRef {
    /// The policy file's path, or `built-in default`.
    pub source: String,
    /// `sha256:` + hex of the policy's bytes.
    pub sha256: String,
}

/// How long one stage took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageTiming {
    pub stage: String,
    pub ms: u64,
}

/// What the manifest lint stage looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LintSummary {
    /// Files read (as given, relative to the working directory when possible).
    pub files: Vec<PathBuf>,
    /// Kubernetes objects checked.
    pub objects: usize,
    /// Things worth knowing that are not findings (skipped documents, unknown kinds).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
}

/// One file rewritten by `--pin`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinnedFile {
    pub file: PathBuf,
    /// References rewritten in it.
    pub references: usize,
    /// The digests written into it (each one checked in this run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub digests: Vec<String>,
}

/// The whole record. Build it with [`Evidence::new`], push stage results, then [`Evidence::finish`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Always [`SCHEMA`].
    pub schema: String,
    pub gate_version: String,
    pub policy: PolicyRef,
    /// The directory paths are relative to (SARIF URIs are made relative to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<PathBuf>,
    /// The repository root reports make paths relative to (`GITHUB_WORKSPACE`, else the git
    /// top level); set by the command before rendering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_root: Option<PathBuf>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// Wall time per stage, in the order the stages ran.
    #[serde(default)]
    pub timings: Vec<StageTiming>,
    /// One entry per distinct reference as written.
    #[serde(default)]
    pub images: Vec<ImageEvidence>,
    /// Present when manifests were linted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lint: Option<LintSummary>,
    /// Every finding, counted or excepted.
    #[serde(default)]
    pub findings: Vec<FindingRecord>,
    /// Exceptions that expired or matched nothing.
    #[serde(default)]
    pub exceptions: Vec<ExceptionRecord>,
    /// Things that could not be checked outside any one image (an unreadable file, say).
    #[serde(default)]
    pub errors: Vec<CheckError>,
    /// Files `--pin` rewrote (empty without `--pin`, or when nothing passed).
    #[serde(default)]
    pub pinned: Vec<PinnedFile>,
    pub verdict: Verdict,
}

impl Evidence {
    /// An empty record for a run that started at `started_at` under `policy`.
    pub fn new(
        gate_version: impl Into<String>,
        policy: PolicyRef,
        started_at: DateTime<Utc>,
    ) -> Self {
        Self {
            schema: SCHEMA.to_string(),
            gate_version: gate_version.into(),
            policy,
            working_directory: None,
            repository_root: None,
            started_at,
            finished_at: started_at,
            timings: Vec::new(),
            images: Vec::new(),
            lint: None,
            findings: Vec::new(),
            exceptions: Vec::new(),
            errors: Vec::new(),
            pinned: Vec::new(),
            verdict: Verdict::Incomplete,
        }
    }

    /// A copy of the record without its findings (the JSON report renders a large run's
    /// findings apart, on two threads). Every field is named, so a new one cannot be left out.
    pub(crate) fn without_findings(&self) -> Evidence {
        let Evidence {
            schema,
            gate_version,
            policy,
            working_directory,
            repository_root,
            started_at,
            finished_at,
            timings,
            images,
            lint,
            findings: _,
            exceptions,
            errors,
            pinned,
            verdict,
        } = self;
        Evidence {
            schema: schema.clone(),
            gate_version: gate_version.clone(),
            policy: policy.clone(),
            working_directory: working_directory.clone(),
            repository_root: repository_root.clone(),
            started_at: *started_at,
            finished_at: *finished_at,
            timings: timings.clone(),
            images: images.clone(),
            lint: lint.clone(),
            findings: Vec::new(),
            exceptions: exceptions.clone(),
            errors: errors.clone(),
            pinned: pinned.clone(),
            verdict: *verdict,
        }
    }

    /// Record a stage's wall time.
    pub fn time(&mut self, stage: impl Into<String>, ms: u64) {
        self.timings.push(StageTiming {
            stage: stage.into(),
            ms,
        });
    }

    /// Stamp the end time and compute every verdict (per image, then overall).
    pub fn finish(&mut self, finished_at: DateTime<Utc>) {
        self.finished_at = finished_at;
        let verdicts: Vec<Verdict> = self.images.iter().map(|i| self.image_verdict(i)).collect();
        for (image, v) in self.images.iter_mut().zip(verdicts) {
            image.verdict = v;
        }
        self.verdict = self.verdict();
    }

    /// The overall verdict: `incomplete` when anything could not be checked, else `failed` when
    /// a finding at error severity stands (no applied exception), else `passed`.
    pub fn verdict(&self) -> Verdict {
        let incomplete =
            !self.errors.is_empty() || self.images.iter().any(|i| !i.errors.is_empty());
        if incomplete {
            Verdict::Incomplete
        } else if self.findings.iter().any(FindingRecord::fails) {
            Verdict::Failed
        } else {
            Verdict::Passed
        }
    }

    /// One image's verdict: its own errors, then the findings about it.
    pub fn image_verdict(&self, image: &ImageEvidence) -> Verdict {
        if !image.errors.is_empty() {
            Verdict::Incomplete
        } else if self.findings_for(image).any(FindingRecord::fails) {
            Verdict::Failed
        } else {
            Verdict::Passed
        }
    }

    /// Findings whose subject is this image (by canonical `name@digest` or as written).
    pub fn findings_for<'a>(
        &'a self,
        image: &'a ImageEvidence,
    ) -> impl Iterator<Item = &'a FindingRecord> + 'a {
        self.findings
            .iter()
            .filter(move |f| f.may_be_about_an_image() && image.is_subject(&f.subject))
    }

    /// The image a finding is about, if any.
    pub fn image_of(&self, finding: &FindingRecord) -> Option<&ImageEvidence> {
        if !finding.may_be_about_an_image() {
            return None;
        }
        self.images.iter().find(|i| i.is_subject(&finding.subject))
    }

    /// Counted findings (no applied exception) at `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.counts() && f.severity == severity)
            .count()
    }

    /// Every could-not-check reason, run-level first, then per image.
    pub fn all_errors(&self) -> impl Iterator<Item = &CheckError> {
        self.errors_in_context().map(|(_, e)| e)
    }

    /// Every could-not-check reason with the image it concerns (`None`: the run).
    pub fn errors_in_context(&self) -> impl Iterator<Item = (Option<&ImageEvidence>, &CheckError)> {
        self.errors.iter().map(|e| (None, e)).chain(
            self.images
                .iter()
                .flat_map(|i| i.errors.iter().map(move |e| (Some(i), e))),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Location;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn finding(subject: &str, severity: Severity, exception: Option<&str>) -> FindingRecord {
        let mut f = FindingRecord::new("GATE-TEST-001", severity, subject, "bad");
        f.location = Some(Location {
            file: "a.yaml".into(),
            line: 1,
            column: 1,
        });
        if let Some(r) = exception {
            f.exception = Some(record::AppliedException {
                reason: r.into(),
                origin: "p.yaml:3".into(),
                status: ExceptionStatus::Applied,
            });
        }
        f
    }

    fn evidence() -> Evidence {
        let policy = PolicyRef {
            source: "built-in default".into(),
            sha256: "sha256:00".into(),
        };
        let mut ev = Evidence::new("0.1.0", policy, at("2026-01-01T00:00:00Z"));
        let mut img = ImageEvidence::new("nginx:1.27");
        img.canonical = Some("docker.io/library/nginx@sha256:aa".into());
        ev.images.push(img);
        ev
    }

    #[test]
    fn verdict_passes_fails_and_is_incomplete() {
        let mut ev = evidence();
        ev.finish(at("2026-01-01T00:00:01Z"));
        assert_eq!(ev.verdict, Verdict::Passed);

        ev.findings.push(finding(
            "docker.io/library/nginx@sha256:aa",
            Severity::Error,
            Some("accepted"),
        ));
        ev.findings
            .push(finding("Deployment/x/y", Severity::Warning, None));
        ev.finish(at("2026-01-01T00:00:01Z"));
        assert_eq!(ev.verdict, Verdict::Passed, "excepted errors do not count");

        ev.findings.push(finding(
            "docker.io/library/nginx@sha256:aa",
            Severity::Error,
            None,
        ));
        ev.finish(at("2026-01-01T00:00:01Z"));
        assert_eq!(ev.verdict, Verdict::Failed);
        assert_eq!(ev.images[0].verdict, Verdict::Failed);
        assert_eq!(ev.count(Severity::Error), 1);

        ev.images[0]
            .errors
            .push(CheckError::new("scan", "`trivy` not found"));
        ev.finish(at("2026-01-01T00:00:01Z"));
        assert_eq!(ev.verdict, Verdict::Incomplete);
        assert_eq!(ev.images[0].verdict, Verdict::Incomplete);
    }

    /// A file or object whose spelling equals an image's name is not joined to the image: the
    /// join is by the subject's kind, not its text (`deploy/web.yaml` is also a valid
    /// Docker Hub repository).
    #[test]
    fn a_file_spelled_like_an_image_is_not_its_subject() {
        use crate::finding::{Finding, Subject};
        let mut ev = evidence();
        ev.images.push(ImageEvidence::new("deploy/web.yaml"));
        const RULE: crate::finding::Rule = crate::finding::Rule {
            id: "GATE-LINT-001",
            name: "a-test-rule",
            severity: Severity::Error,
            section: crate::finding::Section::Rules,
            summary: "A test rule",
            explain: "",
        };
        let rule = &RULE;
        let about = |subject| Finding {
            rule,
            severity: Severity::Error,
            subject,
            location: None,
            message: "bad".into(),
            exception: None,
            key: None,
            vulnerability: None,
        };
        let on_file = about(Subject::file("deploy/web.yaml"));
        let on_image = about(Subject::Reference("deploy/web.yaml".into()));
        ev.findings.push(FindingRecord::from_finding(&on_file));
        ev.finish(at("2026-01-01T00:00:01Z"));
        assert_eq!(ev.images[1].verdict, Verdict::Passed);
        assert!(ev.image_of(&ev.findings[0]).is_none());
        assert_eq!(
            ev.verdict,
            Verdict::Failed,
            "the file finding still fails the run"
        );

        ev.findings.push(FindingRecord::from_finding(&on_image));
        ev.finish(at("2026-01-01T00:00:01Z"));
        assert_eq!(ev.images[1].verdict, Verdict::Failed);
        assert_eq!(
            ev.image_of(&ev.findings[1]).map(|i| i.reference.as_str()),
            Some("deploy/web.yaml")
        );
        // Written to JSON and read back, the kind is kept.
        let back: Evidence = serde_json::from_str(&serde_json::to_string(&ev).unwrap()).unwrap();
        assert_eq!(back.findings[0].subject_kind, Some(SubjectKind::File));
        assert!(back.findings_for(&back.images[1]).count() == 1);
    }

    #[test]
    fn round_trips_through_json() {
        let mut ev = evidence();
        ev.findings
            .push(finding("Deployment/x/y", Severity::Error, None));
        ev.finish(at("2026-01-01T00:00:02Z"));
        let text = serde_json::to_string(&ev).unwrap();
        let back: Evidence = serde_json::from_str(&text).unwrap();
        assert_eq!(back, ev);
        assert!(text.contains(r#""schema":"gate.evidence/v1""#));
    }
}
