//! Who may set each policy key: a policy found in the tree (untrusted) or only a trusted one.
//!
//! Each stage's `config.rs` decides its keys in a `judge` function that destructures the
//! section's struct without a rest pattern (`..`), so a key added to a section does not compile
//! until it is decided here: [`Judge::tree`] (tree-allowed, within a bound that only tightens) or
//! [`Judge::trusted`] (trusted-only: the tree may not change it from the baseline). The same
//! functions, run by [`Judge::documenting`], list every key and its decision for the docs.

use super::keypath::{self, Seg};
use std::path::{Component, Path};

/// Who may set a key of the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// A policy found in the tree may set it, within the bound given (what completes "from the
    /// tree it may only …"); each value within it only tightens.
    Tree(&'static str),
    /// Only a trusted policy (`--policy`) may set it to anything but the baseline's value; the
    /// text says what it would do (what completes "it …").
    Trusted(&'static str),
}

/// One setting a tree policy may not make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub path: Vec<Seg>,
    pub why: String,
}

/// Walks a tree policy beside the baseline, key by key, collecting refusals; or, documenting,
/// collecting every key's [`Trust`].
pub struct Judge<'a> {
    path: Vec<Seg>,
    document: bool,
    rows: Vec<(String, Trust)>,
    refusals: Vec<Refusal>,
    signers_named: bool,
    /// Whether the tree policy leaves a rule (by ID or name) at least at the baseline's level.
    keeps_level: &'a dyn Fn(&str) -> bool,
}

impl<'a> Judge<'a> {
    /// Judge a tree policy: `signers_named` when the command line named a signer;
    /// `keeps_level` compares a rule's level under the tree policy with the baseline's.
    pub fn checking(signers_named: bool, keeps_level: &'a dyn Fn(&str) -> bool) -> Self {
        Self {
            path: Vec::new(),
            document: false,
            rows: Vec::new(),
            refusals: Vec::new(),
            signers_named,
            keeps_level,
        }
    }

    /// List every key (the sections are walked with default values and one entry per list).
    pub fn documenting() -> Self {
        Self {
            path: Vec::new(),
            document: true,
            rows: Vec::new(),
            refusals: Vec::new(),
            signers_named: false,
            keeps_level: &|_| true,
        }
    }

    /// The refusals found.
    pub fn refusals(self) -> Vec<Refusal> {
        self.refusals
    }

    /// Every key with its decision (documenting).
    pub fn rows(self) -> Vec<(String, Trust)> {
        self.rows
    }

    /// Refuse something no single key says (`path` from the top of the file).
    pub fn refuse(&mut self, path: Vec<Seg>, why: String) {
        if !self.document {
            self.refusals.push(Refusal { path, why });
        }
    }

    /// Whether any refusal was found so far.
    pub fn refused(&self) -> bool {
        !self.refusals.is_empty()
    }

    /// The command line named a signer (`--key`, `--certificate-*`).
    pub fn signers_named(&self) -> bool {
        self.signers_named
    }

    /// Whether the tree policy leaves the rule `name` (an ID or kebab name) at least at the
    /// level the baseline gives it.
    pub fn keeps_level(&self, name: &str) -> bool {
        (self.keeps_level)(name)
    }

    /// `key` may be set from the tree when `tightens` holds for the value the tree set.
    pub fn tree(&mut self, key: &str, only: &'static str, tightens: bool) {
        self.decide(key, Trust::Tree(only), tightens);
    }

    /// `key` may be set by a trusted policy only; `unchanged`: the tree left it at the baseline.
    pub fn trusted(&mut self, key: &str, because: &'static str, unchanged: bool) {
        self.decide(key, Trust::Trusted(because), unchanged);
    }

    fn decide(&mut self, key: &str, trust: Trust, ok: bool) {
        self.path.push(Seg::Key(key.to_string()));
        if self.document {
            self.rows.push((doc_key(&self.path), trust));
        } else if !ok {
            let why = match trust {
                Trust::Tree(only) => format!("from the tree it may only {only}"),
                Trust::Trusted(because) => format!("only a trusted policy may, as it {because}"),
            };
            self.refusals.push(Refusal {
                path: self.path.clone(),
                why,
            });
        }
        self.path.pop();
    }

    /// The keys of a nested section.
    pub fn section(&mut self, key: &str, f: impl FnOnce(&mut Self)) {
        self.path.push(Seg::Key(key.to_string()));
        f(self);
        self.path.pop();
    }

    /// The keys of each entry of a list (documenting: of one default entry).
    pub fn each<T: Default>(&mut self, key: &str, items: &[T], mut f: impl FnMut(&mut Self, &T)) {
        self.path.push(Seg::Key(key.to_string()));
        if self.document {
            self.path.push(Seg::Index(0));
            f(self, &T::default());
            self.path.pop();
        } else {
            for (i, item) in items.iter().enumerate() {
                self.path.push(Seg::Index(i));
                f(self, item);
                self.path.pop();
            }
        }
        self.path.pop();
    }

    /// The keys of an optional section, when it is written (documenting: always).
    pub fn optional<T: Default>(
        &mut self,
        key: &str,
        item: &Option<T>,
        f: impl FnOnce(&mut Self, &T),
    ) {
        self.path.push(Seg::Key(key.to_string()));
        match (self.document, item) {
            (true, _) => f(self, &T::default()),
            (false, Some(x)) => f(self, x),
            (false, None) => {}
        }
        self.path.pop();
    }

    /// Each entry of a map, decided by its key (documenting: the map as one row).
    pub fn entries<V>(
        &mut self,
        key: &str,
        only: &'static str,
        map: &std::collections::BTreeMap<String, V>,
        mut tightens: impl FnMut(&Self, &str, &V) -> bool,
    ) {
        if self.document {
            self.tree(key, only, true);
            return;
        }
        self.path.push(Seg::Key(key.to_string()));
        for (k, v) in map {
            let ok = tightens(self, k, v);
            self.tree(k, only, ok);
        }
        self.path.pop();
    }
}

/// `signatures.rules[].keys` for the documentation.
fn doc_key(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(_) => s.push_str("[]"),
        }
    }
    s
}

/// A relative path that stays below its base (no root, no `..`): a file in the tree.
pub fn inside(path: &Path) -> bool {
    path.components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

impl Refusal {
    /// The key path, `manifests.rules.GATE-IMG-003`.
    pub fn key(&self) -> String {
        keypath::display(&self.path)
    }
}
