//! How the policy turns a rule's default severity into the severity its findings get:
//! `manifests.rules` (by ID or name) first, then the `max-level` cap.

use super::sections::{Level, PolicyFile};
use crate::finding::Rule;
use crate::finding::{Section, Severity};

impl PolicyFile {
    /// The severity `rule`'s findings get, or `None` when the policy turns it off.
    pub fn severity_for(&self, rule: &Rule) -> Option<Severity> {
        let level = self
            .manifests
            .rules
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(rule.id) || *k == rule.name)
            .map(|(_, l)| *l);
        let severity = match level {
            Some(l) => l.severity()?,
            None => rule.severity,
        };
        Some(self.cap(severity))
    }

    /// `severity` lowered to `max-level` when one is set (`max-level: off` leaves it alone:
    /// turning everything off is not a policy, it is not running gate).
    pub fn cap(&self, severity: Severity) -> Severity {
        match self.max_level.and_then(Level::severity) {
            Some(max) => severity.min(max),
            None => severity,
        }
    }

    /// The policy as a run applies it when the command line named a signer (`--key`, keyless
    /// `--certificate-*`): an image those signers did not sign is an error, whatever level the
    /// policy gives signatures.
    /// Also settles an unset `signatures.level` ([`super::Signatures::effective_level`]).
    pub fn with_command_line(&self, signers_named: bool) -> PolicyFile {
        let mut file = self.clone();
        file.signatures.level = Some(if signers_named {
            Level::Error
        } else {
            file.signatures.effective_level(false)
        });
        file
    }

    /// The severity `rule`'s findings end with, or `None` when they are dropped: vulnerability,
    /// signature, admission and attestation findings take their section's `level`, unless
    /// `manifests.rules` names the rule; then the cap.
    pub fn effective_severity(&self, rule: &Rule) -> Option<Severity> {
        let section = match rule.section {
            Section::Vulnerabilities => Some(self.vulnerabilities.level),
            // `with_command_line` settles it; unset only in a policy used as read, where the
            // rule's own severity stands.
            Section::Signatures => Some(self.signatures.level.unwrap_or(Level::Error)),
            Section::Admission => Some(self.admission.level),
            Section::Attestations => {
                Some(self.attestations.first().map_or(Level::Error, |a| a.level))
            }
            Section::Rules => None,
        };
        let explicit = self
            .manifests
            .rules
            .keys()
            .any(|k| k.eq_ignore_ascii_case(rule.id) || *k == rule.name);
        match section {
            Some(level) if !explicit => self.level_severity(level),
            _ => self.severity_for(rule),
        }
    }

    /// The severity of a section-level finding (`vulnerabilities.level`, `signatures.level`)
    /// after the cap, or `None` for `off`.
    pub fn level_severity(&self, level: Level) -> Option<Severity> {
        level.severity().map(|s| self.cap(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_levels_and_cap() {
        let rule = crate::discover::UNPINNED_IMAGE;
        let mut p = PolicyFile::default();
        assert_eq!(p.severity_for(&rule), Some(Severity::Error));
        p.manifests
            .rules
            .insert("unpinned-image".into(), Level::Note);
        assert_eq!(p.severity_for(&rule), Some(Severity::Note));
        p.manifests
            .rules
            .insert("unpinned-image".into(), Level::Off);
        assert_eq!(p.severity_for(&rule), None);
        p.manifests.rules.clear();
        p.max_level = Some(Level::Warn);
        assert_eq!(p.severity_for(&rule), Some(Severity::Warning));
        assert_eq!(p.level_severity(Level::Note), Some(Severity::Note));
        assert_eq!(p.level_severity(Level::Off), None);
    }
}
