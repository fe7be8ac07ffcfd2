//! The policy file: found (`--policy`, else `.gate.yaml` up to the git root, else the built-in
//! `policies/default.yaml`; a `.gate.yaml` found in the tree is untrusted, see [`trust`]), read strictly into [`PolicyFile`] with `serde_saphyr`, checked once
//! (regular expressions, globs, rule names, exceptions), and hashed for the evidence record.
//!
//! Strict means an unknown key or a wrong type is an error naming the file, line, column and
//! the key path (`vulnerabilities.ignore-unfixed`), never a setting silently ignored.

mod levels;
mod sections;
mod trust;
mod validate;

pub use crate::config::{PolicyError, Trust};
pub use sections::*;
pub use trust::{key_trust, Baseline};
pub use validate::Stages;

use crate::config::keypath::{self, Seg};
use crate::config::At;
use crate::evidence::PolicyRef;
use crate::exception::Exception;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};

/// The built-in default policy.
pub const DEFAULT_POLICY: &str = include_str!("../../policies/default.yaml");
/// The starter policy `gate init` writes.
pub const INIT_POLICY: &str = include_str!("init.yaml");
/// The file name looked for in the working tree.
pub const POLICY_FILE_NAME: &str = ".gate.yaml";

/// Where the policy came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySource {
    BuiltIn,
    /// Named on the command line (`--policy`): trusted.
    File(PathBuf),
    /// `.gate.yaml` found in the tree under check: untrusted, see [`trust`].
    Tree(PathBuf),
}

impl fmt::Display for PolicySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicySource::BuiltIn => f.write_str("built-in default"),
            PolicySource::File(p) | PolicySource::Tree(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A loaded, checked policy.
#[derive(Debug)]
pub struct Policy {
    pub source: PolicySource,
    /// The typed sections.
    pub settings: PolicyFile,
    /// `exceptions:` built, each with origin `file:line`.
    pub exceptions: Vec<Exception>,
    /// Each stage's section, checked and compiled.
    pub stages: Stages,
    text: String,
}

impl Policy {
    /// Read and check the policy file at `path`.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(text, PolicySource::File(path.to_path_buf()))
    }

    /// The embedded `policies/default.yaml`.
    pub fn default_policy() -> Result<Self, PolicyError> {
        Self::parse(DEFAULT_POLICY.to_string(), PolicySource::BuiltIn)
    }

    /// `--policy FILE` when given (trusted), else `.gate.yaml` in `cwd` or a parent up to the
    /// git root (the nearest directory holding `.git`; `cwd` alone when there is none), which is
    /// untrusted and refused when it says what only a trusted policy may ([`trust`]), else the
    /// built-in default.
    pub fn discover(explicit: Option<&Path>, cwd: &Path) -> Result<Self, PolicyError> {
        if let Some(p) = explicit {
            return Self::load(p);
        }
        let root = cwd.ancestors().find(|d| d.join(".git").exists());
        let Some(root) = root else {
            return Self::tree_policy(cwd).unwrap_or_else(Self::default_policy);
        };
        cwd.ancestors()
            .take_while(|d| d.starts_with(root))
            .find_map(Self::tree_policy)
            .unwrap_or_else(Self::default_policy)
    }

    /// `dir/.gate.yaml` as an untrusted policy, `None` when there is none.
    fn tree_policy(dir: &Path) -> Option<Result<Self, PolicyError>> {
        let path = dir.join(POLICY_FILE_NAME);
        if !path.is_file() {
            return None;
        }
        let loaded = std::fs::read_to_string(&path)
            .map_err(|source| PolicyError::Read {
                path: path.clone(),
                source,
            })
            .and_then(|text| Self::parse(text, PolicySource::Tree(path)))
            .and_then(Self::check_tree);
        Some(loaded)
    }

    /// Parse and check policy text that came from `source`.
    pub fn parse(text: String, source: PolicySource) -> Result<Self, PolicyError> {
        let name = source.to_string();
        let options = serde_saphyr::options! { with_snippet: false };
        let settings: PolicyFile = if is_empty_document(&text) {
            PolicyFile::default()
        } else {
            serde_saphyr::from_str_with_options(&text, options)
                .map_err(|e| invalid(&name, &text, e))?
        };
        let tree = crate::yaml::parse_documents(&text)
            .ok()
            .and_then(|mut docs| (!docs.is_empty()).then(|| docs.remove(0)));
        // `file:line` of the key path, or of its nearest written ancestor.
        let origin = |path: &[Seg]| -> String {
            let line = tree
                .as_ref()
                .and_then(|t| {
                    (0..=path.len())
                        .rev()
                        .find_map(|n| keypath::node_at(t, &path[..n]))
                })
                .map(|n| n.line)
                .unwrap_or(0);
            format!("{name}:{line}")
        };
        let at = At::top(&origin);
        let stages = validate::check(&settings, &at)?;
        let exceptions = validate::exceptions(&settings, &at)?;
        Ok(Self {
            source,
            settings,
            exceptions,
            stages,
            text,
        })
    }

    /// New copies of the exceptions (same origins, unused), one set per stage that takes
    /// ownership of its exceptions; add up [`Exception::uses`] by index across the copies to
    /// find the ones no stage used.
    pub fn fresh_exceptions(&self) -> Result<Vec<Exception>, PolicyError> {
        self.exceptions
            .iter()
            .map(|e| {
                Exception::new(
                    e.rules.clone(),
                    e.ids.clone(),
                    e.subject.clone(),
                    e.reason.clone(),
                    e.expires,
                    e.owner.clone(),
                    e.origin.clone(),
                )
                .map_err(PolicyError::Exception)
            })
            .collect()
    }

    /// Fresh copies of the exceptions, split between the scan stage (vulnerability IDs, or the
    /// scan stage's rules) and lint (the rest), by the rules each names.
    pub fn split_exceptions(&self) -> Result<(Vec<Exception>, Vec<Exception>), PolicyError> {
        let scan_rule = |name: &String| {
            crate::scan::RULES
                .iter()
                .any(|r| r.id.eq_ignore_ascii_case(name) || r.name == name)
        };
        let is_scan = |e: &Exception| {
            (!e.ids.is_empty() && e.rules.is_empty()) || e.rules.iter().any(scan_rule)
        };
        let (scan, lint) = self.fresh_exceptions()?.into_iter().partition(is_scan);
        Ok((scan, lint))
    }

    /// `sha256:` + hex of the policy's bytes, for the evidence record and verdict caches.
    pub fn sha256(&self) -> String {
        format!(
            "sha256:{}",
            hex::encode(Sha256::digest(self.text.as_bytes()))
        )
    }

    /// The policy as the evidence record names it.
    pub fn evidence_ref(&self) -> PolicyRef {
        PolicyRef {
            source: self.source.to_string(),
            sha256: self.sha256(),
        }
    }

    /// The directory relative paths in the policy (keys, `.trivyignore`) are resolved against:
    /// the policy file's directory, or `None` for the built-in default (the working directory).
    pub fn base_dir(&self) -> Option<&Path> {
        match &self.source {
            PolicySource::File(p) | PolicySource::Tree(p) => p.parent(),
            PolicySource::BuiltIn => None,
        }
    }

    /// `path` as written in the policy, resolved against [`Policy::base_dir`].
    pub fn resolve_path(&self, path: &Path) -> PathBuf {
        match self.base_dir() {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        }
    }

    /// A commented starter policy for `gate init`.
    pub fn init_text() -> &'static str {
        INIT_POLICY
    }

    /// The starter policy trusting the cosign public key `key` (a path relative to the policy
    /// file): the key is listed, so a missing signature fails the gate (`level` unset).
    pub fn init_text_with_key(key: &str) -> String {
        let quoted = format!("'{}'", key.replace('\'', "''"));
        INIT_POLICY.replacen(
            "  # keys:\n  #   - cosign.pub\n",
            &format!("  keys:\n    - {quoted}\n"),
            1,
        )
    }
}

/// A file of only comments and blank lines (or `---`) is an empty policy: all defaults.
fn is_empty_document(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#') || l == "---"
    })
}

fn invalid(name: &str, text: &str, source: serde_saphyr::Error) -> PolicyError {
    let (line, column) = source
        .location()
        .map(|l| (l.line() as usize, l.column() as usize))
        .unwrap_or((0, 0));
    // serde places a missing field at the start of its mapping and names the field itself.
    let missing = source.to_string().starts_with("missing field");
    let key = crate::yaml::parse_documents(text)
        .ok()
        .and_then(|docs| docs.into_iter().next())
        .zip(keypath::offset(text, line, column))
        .map(|(root, off)| keypath::display(&keypath::path_at(&root, off, missing)))
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| "(top level)".to_string());
    PolicyError::Invalid {
        source_name: name.to_string(),
        line,
        column,
        key,
        source: Box::new(source),
    }
}
