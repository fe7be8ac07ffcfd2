//! What the stages' configurations share. Each stage owns its section of the policy file in its
//! own `config.rs`: the serde structs (unknown keys denied), `validate` (the checks serde cannot
//! make, each error naming the key path and its line) into the typed settings the stage runs
//! with, and who may set each key from a policy found in the tree (`judge`). This module holds
//! what they have in common: where a key is written ([`At`]), the error a policy can have
//! ([`PolicyError`]), the `off`/`note`/`warn`/`error` [`Level`], and the tree-trust [`Judge`].
//! `crate::policy::file` composes the sections into the policy file.

mod judge;
pub mod keypath;

pub use judge::{inside, Judge, Refusal, Trust};
pub use keypath::Seg;

use crate::finding::Severity;
use serde::Deserialize;
use std::path::PathBuf;

/// Where a key is written: its path from the top of the policy file, and how to name its line.
#[derive(Clone)]
pub struct At<'a> {
    path: Vec<Seg>,
    origin: &'a dyn Fn(&[Seg]) -> String,
}

impl<'a> At<'a> {
    /// The top of a policy file; `origin` names `file:line` of a key path (or of its nearest
    /// written ancestor).
    pub fn top(origin: &'a dyn Fn(&[Seg]) -> String) -> Self {
        Self {
            path: Vec::new(),
            origin,
        }
    }

    /// The key `key` below this one.
    pub fn key(&self, key: &str) -> Self {
        let mut path = self.path.clone();
        path.push(Seg::Key(key.to_string()));
        Self {
            path,
            origin: self.origin,
        }
    }

    /// Entry `i` of the list here.
    pub fn index(&self, i: usize) -> Self {
        let mut path = self.path.clone();
        path.push(Seg::Index(i));
        Self {
            path,
            origin: self.origin,
        }
    }

    /// `file:line`.
    pub fn origin(&self) -> String {
        (self.origin)(&self.path)
    }

    /// The key path, `signatures.identities[0].issuer`.
    pub fn display(&self) -> String {
        keypath::display(&self.path)
    }

    /// A bad value here.
    pub fn value(&self, problem: &'static str) -> PolicyError {
        PolicyError::Value {
            origin: self.origin(),
            key: self.display(),
            problem,
        }
    }

    /// The glob written here, compiled.
    pub fn glob(&self, glob: &str) -> Result<globset::GlobMatcher, PolicyError> {
        globset::Glob::new(glob)
            .map(|g| g.compile_matcher())
            .map_err(|source| PolicyError::Glob {
                origin: self.origin(),
                key: self.display(),
                source,
            })
    }

    /// Each glob of the list here, compiled, with its text.
    pub fn globs(
        &self,
        list: &[String],
    ) -> Result<Vec<(String, globset::GlobMatcher)>, PolicyError> {
        list.iter()
            .enumerate()
            .map(|(i, g)| Ok((g.clone(), self.index(i).glob(g)?)))
            .collect()
    }
}

/// The first of a section's errors, or its value.
pub fn first<T>(r: Result<T, Vec<PolicyError>>) -> Result<T, PolicyError> {
    r.map_err(|mut errors| errors.remove(0))
}

/// Collect `Err`s of several independent checks: all of them, or `Ok` when there are none.
#[derive(Default)]
pub struct Errors(Vec<PolicyError>);

impl Errors {
    /// Keep `r`'s value, or its error (then `None`).
    pub fn take<T>(&mut self, r: Result<T, PolicyError>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }

    /// Keep every error of a section.
    pub fn take_all<T>(&mut self, r: Result<T, Vec<PolicyError>>) -> Option<T> {
        r.map_err(|mut e| self.0.append(&mut e)).ok()
    }

    /// `value` when nothing was wrong.
    pub fn or<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<PolicyError>> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self.0)
        }
    }
}

/// How a rule reports: not at all, or at a severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Off,
    Note,
    #[serde(alias = "warning")]
    Warn,
    Error,
}

impl Level {
    /// The severity findings get, or `None` for `off`.
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Off => None,
            Level::Note => Some(Severity::Note),
            Level::Warn => Some(Severity::Warning),
            Level::Error => Some(Severity::Error),
        }
    }
}

/// `error`, for `#[serde(default = "crate::config::level_error")]`.
pub fn level_error() -> Level {
    Level::Error
}

/// `warn`, likewise.
pub fn level_warn() -> Level {
    Level::Warn
}

/// Why a policy could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy file `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{source_name}:{line}:{column}: invalid policy at `{key}`")]
    Invalid {
        source_name: String,
        line: usize,
        column: usize,
        /// Key path (`signatures.identities[0].issuer`), `(top level)` at the root.
        key: String,
        #[source]
        source: Box<serde_saphyr::Error>,
    },
    #[error("{origin}: `{key}` is not a valid regular expression")]
    Regex {
        origin: String,
        key: String,
        #[source]
        source: regex::Error,
    },
    #[error("{origin}: `{key}` is not a valid glob")]
    Glob {
        origin: String,
        key: String,
        #[source]
        source: globset::Error,
    },
    #[error("{origin}: `{key}` names unknown rule `{rule}`")]
    UnknownRule {
        origin: String,
        key: String,
        rule: String,
    },
    #[error("{origin}: `{key}` {problem}")]
    Value {
        origin: String,
        key: String,
        problem: &'static str,
    },
    #[error("invalid exception")]
    Exception(#[source] crate::exception::ExceptionError),
    #[error(
        "{origin}: this policy was found in the tree under check, so it may not set `{key}` as \
         it does: {why}; pass a trusted policy with `--policy` instead"
    )]
    Untrusted {
        /// `file:line` of the key.
        origin: String,
        /// Key path (`manifests.rules.GATE-IMG-003`).
        key: String,
        why: String,
    },
}

/// A duration: seconds, `90s`, `5m`, `12h` ([`crate::units::parse_duration`]), or whole days
/// (`7d`); for `#[serde(default, deserialize_with = "crate::config::optional_duration")]`.
pub fn optional_duration<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<std::time::Duration>, D::Error> {
    use std::time::Duration;
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = Option<Duration>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("seconds, or a duration like `90s`, `5m`, `12h`, `7d`")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(Duration::from_secs(v)))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let days = v
                .strip_suffix('d')
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|n| n.parse::<u64>().ok())
                .and_then(|n| n.checked_mul(86_400))
                .map(Duration::from_secs);
            days.or_else(|| crate::units::parse_duration(v))
                .map(Some)
                .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(v), &self))
        }
    }
    d.deserialize_any(V)
}
