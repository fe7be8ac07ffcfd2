//! The lint stage's configuration: the policy's `manifests:` (the Pod Security Standard to
//! enforce, each rule's level, the Dapr requirement; its `search-rules` are discover's), who may
//! set each key from a policy found in the tree, and the [`LintConfig`] lint runs with.

use super::LintConfig;
use crate::config::{At, Judge, Level, PolicyError};
use crate::discover::config::SearchRule;
use crate::exception::Exception;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Pod Security Standards level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PssLevel {
    Privileged,
    Baseline,
    Restricted,
}

/// `manifests.pss:` the Pod Security Standard to enforce.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Pss {
    #[serde(default = "pss_restricted")]
    pub level: PssLevel,
    /// `latest` or `v1.NN`.
    #[serde(default = "pss_latest")]
    pub version: String,
}

impl Default for Pss {
    fn default() -> Self {
        Self {
            level: PssLevel::Restricted,
            version: pss_latest(),
        }
    }
}

fn pss_restricted() -> PssLevel {
    PssLevel::Restricted
}
fn pss_latest() -> String {
    "latest".to_string()
}

/// `manifests:` the Kubernetes guardrails.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Manifests {
    #[serde(default)]
    pub pss: Pss,
    /// Rule ID or name → `off`, `note`, `warn`, `error`.
    #[serde(default)]
    pub rules: BTreeMap<String, Level>,
    #[serde(default)]
    pub search_rules: Vec<SearchRule>,
    /// Dapr-enabled workloads must set `dapr.io/app-token-secret`.
    #[serde(default)]
    pub require_dapr_app_token: bool,
    /// Whether an object's own `gate.dev/ignore` (or kube-linter's
    /// `ignore-check.kube-linter.io/*`) annotation excepts its findings. Off by default: the
    /// manifests are part of the change under check, so only a trusted policy may let them
    /// except themselves.
    #[serde(default)]
    pub inline_exceptions: InlineExceptionsPolicy,
}

/// `manifests.inline-exceptions:` which annotations in the manifests count as exceptions (as
/// Kyverno honours a `PolicyException` only where its configuration enables them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct InlineExceptionsPolicy {
    /// Honour the annotations at all.
    #[serde(default)]
    pub enabled: bool,
    /// Only for these rules (globs over rule IDs or names, `GATE-K8S-06*`); empty: any rule.
    #[serde(default)]
    pub rules: Vec<String>,
    /// Only annotations with an `expires=` date (so kube-linter's, which have none, never).
    #[serde(default)]
    pub require_expires: bool,
}

impl PssLevel {
    fn rank(self) -> u8 {
        match self {
            PssLevel::Privileged => 0,
            PssLevel::Baseline => 1,
            PssLevel::Restricted => 2,
        }
    }
}

impl Manifests {
    /// Who may set each key: the tree may raise the standard, raise rules, add search rules
    /// and require Dapr tokens; never lower a rule or choose an older standard.
    pub fn judge(&self, base: &Self, j: &mut Judge) {
        let Manifests {
            pss,
            rules,
            search_rules,
            require_dapr_app_token,
            inline_exceptions,
        } = self;
        j.section("pss", |j| {
            let Pss { level, version } = pss;
            j.tree(
                "level",
                "raise it (the baseline's is `restricted`)",
                level.rank() >= base.pss.level.rank(),
            );
            j.trusted(
                "version",
                "chooses an older standard, which checks less",
                *version == base.pss.version,
            );
        });
        j.entries(
            "rules",
            "turn a rule on or raise its level, never lower it below the baseline's",
            rules,
            |j, name, _level| j.keeps_level(name),
        );
        j.tree("search-rules", "add places where images are found", true);
        j.each("search-rules", search_rules, |j, r| r.judge(j));
        j.tree(
            "require-dapr-app-token",
            "set it to `true`",
            *require_dapr_app_token || !base.require_dapr_app_token,
        );
        j.section("inline-exceptions", |j| {
            let InlineExceptionsPolicy {
                enabled,
                rules,
                require_expires,
            } = inline_exceptions;
            let base = &base.inline_exceptions;
            j.trusted(
                "enabled",
                "lets the manifests under check except their own findings",
                *enabled == base.enabled,
            );
            j.trusted(
                "rules",
                "chooses which rules an annotation may except",
                *rules == base.rules,
            );
            j.tree(
                "require-expires",
                "set it to `true`",
                *require_expires || !base.require_expires,
            );
        });
    }

    /// The checks serde cannot make on lint's keys (`pss.version`; rule names and search rules
    /// are checked by the policy and discover), into the Pod Security level and version.
    pub fn validate(&self, at: &At) -> Result<ValidConfig, Vec<PolicyError>> {
        let version = self.pss.version.parse().map_err(|_bad| {
            vec![at
                .key("pss")
                .key("version")
                .value("must be `latest` or `v1.N`")]
        })?;
        let level = match self.pss.level {
            PssLevel::Privileged => super::pss::Level::Privileged,
            PssLevel::Baseline => super::pss::Level::Baseline,
            PssLevel::Restricted => super::pss::Level::Restricted,
        };
        let inline = &self.inline_exceptions;
        let rules = at
            .key("inline-exceptions")
            .key("rules")
            .globs(&inline.rules)
            .map_err(|e| vec![e])?;
        Ok(ValidConfig {
            level,
            version,
            require_dapr_app_token: self.require_dapr_app_token,
            inline: InlineExceptions {
                enabled: inline.enabled,
                rules: rules.into_iter().map(|(_, m)| m).collect(),
                require_expires: inline.require_expires,
            },
        })
    }
}

/// Lint's settings from the policy, checked.
#[derive(Debug, Clone)]
pub struct ValidConfig {
    pub level: super::pss::Level,
    pub version: super::pss::Version,
    pub require_dapr_app_token: bool,
    pub inline: InlineExceptions,
}

/// Which inline annotations lint applies (`manifests.inline-exceptions`, compiled). The
/// default applies none.
#[derive(Debug, Clone, Default)]
pub struct InlineExceptions {
    pub enabled: bool,
    /// Empty: any rule.
    pub rules: Vec<globset::GlobMatcher>,
    pub require_expires: bool,
}

impl InlineExceptions {
    /// Every annotation applies (tests and callers that trust their input).
    pub fn all() -> Self {
        Self {
            enabled: true,
            ..Self::default()
        }
    }

    /// Why an annotation excepting `rule` (with an `expires=` date or not) does not apply, or
    /// `None` when it does.
    pub fn refuses(&self, rule: &crate::finding::Rule, dated: bool) -> Option<String> {
        const KEY: &str = "manifests.inline-exceptions";
        if !self.enabled {
            Some(format!(
                "the trusted policy does not allow inline exceptions (`{KEY}.enabled`)"
            ))
        } else if !self.rules.is_empty()
            && !self
                .rules
                .iter()
                .any(|g| g.is_match(rule.id) || g.is_match(rule.name))
        {
            Some(format!("`{KEY}.rules` does not cover {}", rule.id))
        } else if self.require_expires && !dated {
            Some(format!(
                "it has no `expires=` date and `{KEY}.require-expires` is set"
            ))
        } else {
            None
        }
    }
}

impl ValidConfig {
    /// What lint runs with: the command line's Pod Security level and version over the
    /// policy's, and the policy's exceptions for lint's rules.
    pub fn lint_config(
        &self,
        level: Option<super::pss::Level>,
        version: Option<super::pss::Version>,
        exceptions: Vec<Exception>,
    ) -> LintConfig {
        LintConfig {
            level: level.unwrap_or(self.level),
            version: version.unwrap_or(self.version),
            exceptions,
            require_dapr_app_token: self.require_dapr_app_token,
            inline: self.inline.clone(),
        }
    }
}
