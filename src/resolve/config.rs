//! The resolve stage's configuration: the policy's `registries:` (which registries images may
//! come from, mirrors, plain-HTTP registries), who may set each key from a policy found in the
//! tree, and what resolution runs with: the mirrors and insecure registries added to the
//! [`ResolveConfig`], the allowed registries compiled once ([`Allowed`]).

use super::{Mirror, ResolveConfig};
use crate::config::{At, Errors, Judge, PolicyError};
use globset::GlobMatcher;
use serde::Deserialize;
use std::collections::BTreeMap;

/// `registries:` where images may come from and how to reach them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Registries {
    /// Globs over `registry/repository`; empty: any registry.
    #[serde(default)]
    pub allowed: Vec<String>,
    /// `SRC` → `DST` (host or host/path prefix).
    #[serde(default)]
    pub mirrors: BTreeMap<String, String>,
    /// Registries reached over plain HTTP.
    #[serde(default)]
    pub insecure: Vec<String>,
}

impl Registries {
    /// Who may set each key: the tree may narrow where images come from, never send traffic
    /// elsewhere or turn TLS off.
    pub fn judge(&self, base: &Self, j: &mut Judge) {
        let Registries {
            allowed,
            mirrors,
            insecure,
        } = self;
        j.tree(
            "allowed",
            "narrow where images may come from (when the baseline allows any registry)",
            base.allowed.is_empty() || *allowed == base.allowed,
        );
        j.trusted(
            "mirrors",
            "sends registry traffic to other servers",
            *mirrors == base.mirrors,
        );
        j.trusted(
            "insecure",
            "turns TLS verification off",
            *insecure == base.insecure,
        );
    }

    /// The globs compiled and the mirrors parsed, each error naming its key and line.
    pub fn validate(&self, at: &At) -> Result<ValidConfig, Vec<PolicyError>> {
        let mut errors = Errors::default();
        let allowed = errors.take(at.key("allowed").globs(&self.allowed));
        let mirrors: Vec<Mirror> = self
            .mirrors
            .iter()
            .filter_map(|(src, dst)| {
                let parsed = format!("{src}={dst}").parse().map_err(|_bad: String| {
                    at.key("mirrors")
                        .key(src)
                        .value("is not a registry host or `host/path` prefix")
                });
                errors.take(parsed)
            })
            .collect();
        errors.or(|| ValidConfig {
            allowed: Allowed {
                globs: allowed.unwrap_or_default(),
            },
            mirrors,
            insecure: self.insecure.clone(),
        })
    }
}

/// Resolve's settings from the policy, checked.
#[derive(Debug, Clone, Default)]
pub struct ValidConfig {
    pub allowed: Allowed,
    pub mirrors: Vec<Mirror>,
    pub insecure: Vec<String>,
}

impl ValidConfig {
    /// The policy's mirrors and plain-HTTP registries added to the command line's.
    pub fn apply(&self, resolve: &mut ResolveConfig) {
        resolve.mirrors.extend(self.mirrors.iter().cloned());
        resolve
            .client
            .insecure
            .extend(self.insecure.iter().cloned());
    }
}

/// The compiled `registries.allowed` globs.
#[derive(Debug, Clone, Default)]
pub struct Allowed {
    globs: Vec<(String, GlobMatcher)>,
}

impl Allowed {
    /// `Err`: the glob that does not compile, with why.
    pub fn new(globs: &[String]) -> Result<Self, (String, globset::Error)> {
        let globs = globs
            .iter()
            .map(|g| {
                globset::Glob::new(g)
                    .map(|m| (g.clone(), m.compile_matcher()))
                    .map_err(|e| (g.clone(), e))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { globs })
    }

    /// Is `name` (`registry/repository`) allowed?
    pub fn allows(&self, name: &str) -> bool {
        self.globs.is_empty() || self.globs.iter().any(|(_, m)| m.is_match(name))
    }
}
