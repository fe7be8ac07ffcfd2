//! The discover stage's configuration: the policy's `manifests.search-rules` (where images live
//! in custom resources), who may set each key from a policy found in the tree, and the
//! [`SearchRules`] discovery runs with (the built-in ones plus these), compiled once.

use super::{SearchRuleSpec, SearchRules};
use crate::config::{At, Judge, PolicyError};
use serde::Deserialize;

/// Where images live in a custom resource (`spec.template.spec.containers[*].image`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SearchRule {
    #[serde(default)]
    pub api_version: Option<String>,
    pub kind: String,
    pub paths: Vec<String>,
}

impl SearchRule {
    /// Who may set each key: the tree may add places where images are found.
    pub fn judge(&self, j: &mut Judge) {
        let SearchRule {
            api_version: _,
            kind: _,
            paths: _,
        } = self;
        for key in ["api-version", "kind", "paths"] {
            j.tree(key, "add places where images are found", true);
        }
    }
}

/// The search rules discovery uses: the built-in ones plus `rules` (written at `at`), each
/// path compiled; a path that does not compile names its key and line.
pub fn validate(rules: &[SearchRule], at: &At) -> Result<SearchRules, Vec<PolicyError>> {
    let mut errors = Vec::new();
    let mut compiled = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        for (n, path) in r.paths.iter().enumerate() {
            let spec = SearchRuleSpec {
                kind: Some(r.kind.clone()),
                api_version: r.api_version.clone(),
                path: path.clone(),
            };
            match super::search::SearchRule::new(&spec) {
                Ok(rule) => compiled.push(rule),
                Err(_) => errors.push(at.index(i).key("paths").index(n).value(
                    "is not a search path (keys joined by `.`, `[]` or `[*]` for any entry)",
                )),
            }
        }
    }
    if errors.is_empty() {
        Ok(SearchRules::with_compiled(compiled))
    } else {
        Err(errors)
    }
}
