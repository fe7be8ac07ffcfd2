//! Search rules: JSON-path-like paths to image fields of custom resources the generic pod
//! template walk does not know, like kbld's `searchRules`. Users add them in the policy file;
//! the built-in ones cover the Prometheus operator's resources.
//!
//! Path syntax: keys separated by `.`, an optional leading `$.`, `[]` or `[*]` after a key (or
//! alone) for every item of a list, `*` for every value of a map:
//! `spec.image`, `spec.containers[].image`, `spec.components.*.image`.

use crate::yaml::{Node, Value};

/// A search rule as written in the policy file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SearchRuleSpec {
    /// The resource kind (`Prometheus`), or `*` / absent for every kind.
    #[serde(default)]
    pub kind: Option<String>,
    /// `group/version`, or just `group` to match every version; absent for every API.
    #[serde(default)]
    pub api_version: Option<String>,
    /// Where the image string is, e.g. `spec.containers[].image`.
    pub path: String,
}

/// Why a search rule is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchRuleError {
    #[error("search rule path `{path}` is empty or has an empty segment")]
    EmptySegment { path: String },
    #[error("search rule path `{path}` has an unknown index `{segment}` (use `[]` or `[*]`)")]
    BadIndex { path: String, segment: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    AnyItem,
    AnyValue,
}

/// One validated search rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRule {
    kind: Option<String>,
    api_version: Option<String>,
    path: Vec<Seg>,
}

impl SearchRule {
    /// Validate a rule from the policy file.
    pub fn new(spec: &SearchRuleSpec) -> Result<Self, SearchRuleError> {
        let raw = spec.path.strip_prefix("$.").unwrap_or(&spec.path);
        let empty = || SearchRuleError::EmptySegment {
            path: spec.path.clone(),
        };
        let mut path = Vec::new();
        for part in raw.split('.') {
            let (key, index) = match part.find('[') {
                Some(i) => (&part[..i], Some(&part[i..])),
                None => (part, None),
            };
            match key {
                "" if index.is_none() => return Err(empty()),
                "" => {}
                "*" => path.push(Seg::AnyValue),
                k => path.push(Seg::Key(k.to_string())),
            }
            if let Some(ix) = index {
                let mut rest = ix;
                while !rest.is_empty() {
                    if let Some(r) = rest.strip_prefix("[]").or_else(|| rest.strip_prefix("[*]")) {
                        path.push(Seg::AnyItem);
                        rest = r;
                    } else {
                        return Err(SearchRuleError::BadIndex {
                            path: spec.path.clone(),
                            segment: part.to_string(),
                        });
                    }
                }
            }
        }
        if path.is_empty() {
            return Err(empty());
        }
        let any = |s: &Option<String>| s.clone().filter(|v| !v.is_empty() && v != "*");
        Ok(Self {
            kind: any(&spec.kind),
            api_version: any(&spec.api_version),
            path,
        })
    }

    fn matches(&self, api_version: &str, kind: &str) -> bool {
        let kind_ok = self.kind.as_deref().is_none_or(|k| k == kind);
        let api_ok = self.api_version.as_deref().is_none_or(|a| {
            if a.contains('/') {
                a == api_version
            } else {
                api_version.split_once('/').map_or(api_version, |(g, _)| g) == a
            }
        });
        kind_ok && api_ok
    }

    /// The nodes this rule's path reaches in a document.
    pub fn select<'n>(&self, doc: &'n Node) -> Vec<&'n Node> {
        let mut cur = vec![doc];
        for seg in &self.path {
            let mut next = Vec::new();
            for n in cur {
                match (seg, &n.value) {
                    (Seg::Key(k), Value::Map(_)) => next.extend(n.get(k)),
                    (Seg::AnyItem, Value::Seq(items)) => next.extend(items),
                    (Seg::AnyValue, Value::Map(pairs)) => next.extend(pairs.iter().map(|(_, v)| v)),
                    _ => {}
                }
            }
            cur = next;
        }
        cur
    }
}

/// The search rules in force: the built-in ones plus the user's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRules {
    rules: Vec<SearchRule>,
}

const PROMETHEUS_KINDS: &[&str] = &[
    "Prometheus",
    "PrometheusAgent",
    "Alertmanager",
    "ThanosRuler",
];
const PROMETHEUS_PATHS: &[&str] = &[
    "spec.image",
    "spec.containers[].image",
    "spec.initContainers[].image",
    "spec.thanos.image",
];

impl SearchRules {
    /// The built-in rules: the Prometheus operator's `spec.image` and `spec.containers`.
    pub fn builtin() -> Self {
        let mut rules = Vec::new();
        for kind in PROMETHEUS_KINDS {
            for path in PROMETHEUS_PATHS {
                rules.push(SearchRule {
                    kind: Some((*kind).to_string()),
                    api_version: Some("monitoring.coreos.com".to_string()),
                    path: parse_static(path),
                });
            }
        }
        Self { rules }
    }

    /// The built-in rules plus the user's, validated.
    pub fn with_user(user: &[SearchRuleSpec]) -> Result<Self, SearchRuleError> {
        let mut s = Self::builtin();
        for spec in user {
            s.rules.push(SearchRule::new(spec)?);
        }
        Ok(s)
    }

    /// The built-in rules and `user`, already compiled.
    pub fn with_compiled(user: Vec<SearchRule>) -> Self {
        let mut s = Self::builtin();
        s.rules.extend(user);
        s
    }

    /// No rules at all (only the built-in workload and pod template walk).
    pub fn none() -> Self {
        Self { rules: Vec::new() }
    }

    /// The last key of every rule's path (discovery only parses documents holding one).
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().filter_map(|r| {
            r.path.iter().rev().find_map(|s| match s {
                Seg::Key(k) => Some(k.as_str()),
                _ => None,
            })
        })
    }

    pub(crate) fn matching<'a>(
        &'a self,
        api_version: &'a str,
        kind: &'a str,
    ) -> impl Iterator<Item = &'a SearchRule> + 'a {
        self.rules
            .iter()
            .filter(move |r| r.matches(api_version, kind))
    }
}

impl Default for SearchRules {
    fn default() -> Self {
        Self::builtin()
    }
}

fn parse_static(path: &str) -> Vec<Seg> {
    path.split('.')
        .flat_map(|p| match p.strip_suffix("[]") {
            Some(k) => vec![Seg::Key(k.to_string()), Seg::AnyItem],
            None => vec![Seg::Key(p.to_string())],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_documents;

    fn rule(path: &str) -> Result<SearchRule, SearchRuleError> {
        SearchRule::new(&SearchRuleSpec {
            kind: None,
            api_version: None,
            path: path.to_string(),
        })
    }

    #[test]
    fn paths_select_nodes() {
        let d = &parse_documents("spec:\n  a: [{image: x}, {image: y}]\n  m: {p: {image: z}}\n")
            .unwrap()[0];
        let got = |p: &str| -> Vec<String> {
            rule(p)
                .unwrap()
                .select(d)
                .iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect()
        };
        assert_eq!(got("spec.a[].image"), ["x", "y"]);
        assert_eq!(got("$.spec.a[*].image"), ["x", "y"]);
        assert_eq!(got("spec.m.*.image"), ["z"]);
        assert!(got("spec.nothing.image").is_empty());
    }

    #[test]
    fn bad_paths_are_errors() {
        assert!(matches!(
            rule(""),
            Err(SearchRuleError::EmptySegment { .. })
        ));
        assert!(matches!(
            rule("a..b"),
            Err(SearchRuleError::EmptySegment { .. })
        ));
        assert!(matches!(
            rule("a[0].b"),
            Err(SearchRuleError::BadIndex { .. })
        ));
    }

    #[test]
    fn api_group_and_kind_match() {
        let r = SearchRule::new(&SearchRuleSpec {
            kind: Some("Thing".into()),
            api_version: Some("example.com".into()),
            path: "spec.image".into(),
        })
        .unwrap();
        assert!(r.matches("example.com/v1", "Thing"));
        assert!(!r.matches("example.com/v1", "Other"));
        assert!(!r.matches("other.com/v1", "Thing"));
    }
}
