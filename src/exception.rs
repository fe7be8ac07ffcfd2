//! Exceptions: a finding that the policy accepts, for a reason, maybe until a date.
//!
//! Every stage uses the same shape so reports can say which exception applied, which expired and
//! which matched nothing. Expired exceptions stop applying and are reported; unused ones warn.

use chrono::NaiveDate;
use globset::{Glob, GlobMatcher};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};

/// One exception as written. `rule`/`rules` and `id`/`ids` are merged.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ExceptionEntry {
    #[serde(default)]
    pub rule: Option<String>,
    #[serde(default)]
    pub rules: Vec<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub ids: Vec<String>,
    #[serde(default)]
    pub subject: Option<String>,
    pub reason: String,
    #[serde(default)]
    pub expires: Option<NaiveDate>,
    #[serde(default)]
    pub owner: Option<String>,
}

/// One exception as the policy states it.
#[derive(Debug, Serialize)]
pub struct Exception {
    /// Rule IDs (or kebab names) this exception covers; empty means any rule.
    pub rules: Vec<String>,
    /// Finding keys it covers beyond the rule, e.g. vulnerability IDs (`CVE-2024-1234`); empty: any.
    pub ids: Vec<String>,
    /// Glob over the subject (`ghcr.io/acme/*`, `Deployment/prod/*`); `None` means any subject.
    pub subject: Option<String>,
    #[serde(skip)]
    matcher: Option<GlobMatcher>,
    pub reason: String,
    pub expires: Option<NaiveDate>,
    pub owner: Option<String>,
    /// Where it was written (`file:line`), for messages.
    pub origin: String,
    #[serde(skip)]
    used: AtomicUsize,
}

/// Why an exception could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ExceptionError {
    #[error("{origin}: exception has an empty `reason`")]
    MissingReason { origin: String },
    #[error("{origin}: invalid subject glob `{glob}`")]
    BadGlob {
        origin: String,
        glob: String,
        #[source]
        source: globset::Error,
    },
}

/// The outcome of checking an exception against a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    No,
    Yes,
    /// It would match, but its date has passed: the finding stands and the report says so.
    Expired,
}

impl Exception {
    pub fn new(
        rules: Vec<String>,
        ids: Vec<String>,
        subject: Option<String>,
        reason: String,
        expires: Option<NaiveDate>,
        owner: Option<String>,
        origin: String,
    ) -> Result<Self, ExceptionError> {
        if reason.trim().is_empty() {
            return Err(ExceptionError::MissingReason { origin });
        }
        let matcher = match &subject {
            Some(g) => Some(
                Glob::new(g)
                    .map_err(|source| ExceptionError::BadGlob {
                        origin: origin.clone(),
                        glob: g.clone(),
                        source,
                    })?
                    .compile_matcher(),
            ),
            None => None,
        };
        Ok(Self {
            rules,
            ids,
            subject,
            matcher,
            reason,
            expires,
            owner,
            origin,
            used: AtomicUsize::new(0),
        })
    }

    /// Does this exception cover `rule` (ID or name) for `subject`, with finding key `id`?
    /// Counts a use when it applies (expired matches count too: they were not unused).
    pub fn check(
        &self,
        rule_id: &str,
        rule_name: &str,
        id: Option<&str>,
        subject: &str,
        today: NaiveDate,
    ) -> Applies {
        let applies = self.judge(rule_id, rule_name, id, subject, today);
        if applies != Applies::No {
            self.used.fetch_add(1, Ordering::Relaxed);
        }
        applies
    }

    /// [`Exception::check`] without counting the use (for the pure `evaluate`).
    pub fn judge(
        &self,
        rule_id: &str,
        rule_name: &str,
        id: Option<&str>,
        subject: &str,
        today: NaiveDate,
    ) -> Applies {
        let id_ok = self.ids.is_empty()
            || id.is_some_and(|id| self.ids.iter().any(|x| x.eq_ignore_ascii_case(id)));
        if !(id_ok && self.covers(rule_id, rule_name, subject)) {
            return Applies::No;
        }
        match self.expires {
            Some(d) if d < today => Applies::Expired,
            _ => Applies::Yes,
        }
    }

    /// Do the exception's rules and subject glob cover this rule and subject (keys aside)?
    pub fn covers(&self, rule_id: &str, rule_name: &str, subject: &str) -> bool {
        let rule_ok = self.rules.is_empty()
            || self
                .rules
                .iter()
                .any(|r| r.eq_ignore_ascii_case(rule_id) || r == rule_name);
        rule_ok && self.matcher.as_ref().is_none_or(|m| m.is_match(subject))
    }

    /// How many findings this exception matched so far (0 at the end of a run: a warning).
    pub fn uses(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn matches_rule_subject_and_expiry() {
        let e = Exception::new(
            vec!["GATE-VULN-001".into()],
            vec!["CVE-2024-1".into()],
            Some("ghcr.io/acme/*".into()),
            "fixed upstream next week".into(),
            Some(day("2026-01-31")),
            None,
            "policy.yaml:3".into(),
        )
        .unwrap();
        let m = |sub, id, today| e.check("GATE-VULN-001", "vulnerable", Some(id), sub, day(today));
        assert_eq!(
            m("ghcr.io/acme/api", "CVE-2024-1", "2026-01-01"),
            Applies::Yes
        );
        assert_eq!(
            m("ghcr.io/acme/api", "CVE-2024-1", "2026-02-01"),
            Applies::Expired
        );
        assert_eq!(
            m("ghcr.io/other/api", "CVE-2024-1", "2026-01-01"),
            Applies::No
        );
        assert_eq!(
            m("ghcr.io/acme/api", "CVE-2024-2", "2026-01-01"),
            Applies::No
        );
        assert_eq!(e.uses(), 2);
    }

    #[test]
    fn reason_is_required() {
        let e = Exception::new(vec![], vec![], None, " ".into(), None, None, "x:1".into());
        assert!(matches!(e, Err(ExceptionError::MissingReason { .. })));
    }
}
