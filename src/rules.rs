//! The rule registry: every rule gate can report, with its stable ID, kebab name, default
//! severity and explain text. Each stage module owns its rules and lists them in a `RULES` slice;
//! this module only gathers them so `gate explain` and SARIF see one list. [`Rule`] itself lives
//! beside [`crate::finding::Finding`] (re-exported here), so stages do not depend on this module.

pub use crate::finding::Rule;

/// Every rule, from every stage: the registry, assembled once per process.
pub fn all() -> &'static [&'static Rule] {
    static ALL: std::sync::OnceLock<Vec<&'static Rule>> = std::sync::OnceLock::new();
    ALL.get_or_init(assemble)
}

fn assemble() -> Vec<&'static Rule> {
    let groups: [&'static [Rule]; 5] = [
        crate::resolve::RULES,
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
        .iter()
        .copied()
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
        for r in all().iter().copied() {
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
