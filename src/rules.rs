//! The rule registry: every rule gate can report, with its stable ID, kebab name, default
//! severity and explain text. Each stage module owns its rules and lists them in a `RULES` slice;
//! this module only gathers them so `gate explain` and SARIF see one list.

use crate::finding::Severity;

/// A rule's static description. The explain text follows the fixed outline
/// `What it checks / Why it matters / How to fix / References` (Markdown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable ID: `GATE-<AREA>-<NNN>`.
    pub id: &'static str,
    /// Kebab-case name after the bad pattern, e.g. `rbac-wildcard`.
    pub name: &'static str,
    pub severity: Severity,
    /// One line, sentence case, no trailing period.
    pub summary: &'static str,
    pub explain: &'static str,
}

/// Every rule, from every stage.
pub fn all() -> Vec<&'static Rule> {
    let groups: [&'static [Rule]; 6] = [
        crate::resolve::RULES,
        crate::check::registries::RULES,
        crate::discover::RULES,
        crate::scan::RULES,
        crate::verify::RULES,
        crate::lint::RULES,
    ];
    groups.iter().flat_map(|g| g.iter()).collect()
}

/// Look a rule up by ID (case-insensitive) or by kebab name.
pub fn find(key: &str) -> Option<&'static Rule> {
    all()
        .into_iter()
        .find(|r| r.id.eq_ignore_ascii_case(key) || r.name == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn rule_ids_and_names_are_unique_and_documented() {
        let mut ids = HashSet::new();
        let mut names = HashSet::new();
        for r in all() {
            assert!(ids.insert(r.id), "duplicate rule id {}", r.id);
            assert!(names.insert(r.name), "duplicate rule name {}", r.name);
            assert!(r.id.starts_with("GATE-"), "{} must start with GATE-", r.id);
            for heading in [
                "What it checks",
                "Why it matters",
                "How to fix",
                "References",
            ] {
                assert!(
                    r.explain.contains(heading),
                    "{} explain lacks `{heading}`",
                    r.id
                );
            }
            assert!(
                !r.summary.ends_with('.'),
                "{} summary ends with a period",
                r.id
            );
        }
    }
}
