//! What a policy found in the tree (`.gate.yaml`, [`PolicySource::Tree`]) may say: an allow-list.
//!
//! In CI the change under check controls every file in the tree, so a discovered policy is
//! untrusted. What it is held to is the **baseline**: the built-in default policy, plus what the
//! command line demands (a signer named with `--key` or keyless `--certificate-*` makes a missing
//! signature an error and fixes who the signers are). A tree policy may set a key only to a value
//! that makes the gate at least as strict as the baseline (a rule on or at a higher level, more
//! severities, lower limits, more required attestations); every other setting is refused (exit 2)
//! naming the key, its line and the way out: pass the policy with `--policy`, which is trusted and
//! turns discovery off.
//!
//! Each stage decides its own keys (`judge` in `src/<stage>/config.rs`) by destructuring its
//! section without a rest pattern, and [`judge`] here destructures the file itself, so a key
//! added anywhere does not compile until someone decides who may set it
//! ([`crate::config::Trust`]). The same code, documenting, lists every key for `docs/policy.md`.

use super::sections::{Level, PolicyFile};
use super::{Policy, PolicyError, PolicySource};
use crate::config::keypath::{self, Seg};
use crate::config::{Judge, Refusal, Trust};
use crate::finding::Severity;

/// What a policy found in the tree is held to.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The built-in default policy, as the command line makes a run apply it.
    pub file: PolicyFile,
    /// The command line named a signer (`--key`, keyless `--certificate-*`).
    pub signers_named: bool,
}

impl Baseline {
    /// The built-in default policy and what the command line demands.
    pub fn new(signers_named: bool) -> Self {
        let file = Policy::default_policy()
            .map(|p| p.settings)
            .unwrap_or_default()
            .with_command_line(signers_named);
        Self {
            file,
            signers_named,
        }
    }
}

/// `None` (off) below every severity.
fn rank(s: Option<Severity>) -> u8 {
    match s {
        None => 0,
        Some(Severity::Note) => 1,
        Some(Severity::Warning) => 2,
        Some(Severity::Error) => 3,
    }
}

/// `max-level` as the cap it is: none (or `off`, which caps nothing) is the highest.
fn cap(l: Option<Level>) -> Level {
    match l {
        None | Some(Level::Off) => Level::Error,
        Some(l) => l,
    }
}

/// The decision for every key of the policy file: the keys that span stages here, each
/// section by its stage. Destructured without `..`: a new section is a compile error here
/// until it is decided.
fn judge(j: &mut Judge, tree: &PolicyFile, base: &PolicyFile) {
    let PolicyFile {
        version: _,
        max_level,
        vulnerabilities,
        signatures,
        attestations,
        manifests,
        registries,
        scanner,
        exceptions,
        admission,
        render,
        attest,
    } = tree;
    j.tree("version", "say `1`", true);
    j.tree(
        "max-level",
        "cap at the baseline's level or higher (`error`)",
        cap(*max_level) >= cap(base.max_level),
    );
    j.section("vulnerabilities", |j| {
        vulnerabilities.judge(&base.vulnerabilities, j)
    });
    j.section("signatures", |j| signatures.judge(&base.signatures, j));
    j.tree("attestations", "add attestations an image must carry", true);
    j.each("attestations", attestations, |j, a| a.judge(j));
    j.section("manifests", |j| manifests.judge(&base.manifests, j));
    j.section("registries", |j| registries.judge(&base.registries, j));
    j.section("scanner", |j| scanner.judge(&base.scanner, j));
    j.trusted(
        "exceptions",
        "accepts findings the gate would fail on",
        *exceptions == base.exceptions,
    );
    j.section("admission", |j| admission.judge(&base.admission, j));
    j.section("render", |j| render.judge(j));
    j.section("attest", |j| attest.judge(j));
}

/// What `tree` sets that it may not, against `base`.
pub fn refusals(tree: &PolicyFile, base: &Baseline) -> Vec<Refusal> {
    // Levels as the run applies them (beside `--key`, signatures at `error`).
    let applied = tree.with_command_line(base.signers_named);
    let keeps = |rule: &crate::finding::Rule| {
        rank(applied.effective_severity(rule)) >= rank(base.file.effective_severity(rule))
    };
    let keeps_name = |name: &str| crate::rules::find(name).is_none_or(keeps);
    let mut j = Judge::checking(base.signers_named, &keeps_name);
    judge(&mut j, tree, &base.file);
    // Whatever the keys add up to, no rule may end lower than the baseline puts it.
    if !j.refused() {
        if let Some(rule) = crate::rules::all().iter().find(|r| !keeps(r)) {
            j.refuse(
                vec![Seg::Key("manifests".into()), Seg::Key("rules".into())],
                format!("it would lower `{}` below the baseline's level", rule.id),
            );
        }
    }
    j.refusals()
}

/// Every key of the policy with who may set it, for `docs/policy.md`.
pub fn key_trust() -> Vec<(String, Trust)> {
    let (tree, base) = (PolicyFile::default(), PolicyFile::default());
    let mut j = Judge::documenting();
    judge(&mut j, &tree, &base);
    j.rows()
}

impl Policy {
    /// Refuse a policy found in the tree that says more than it may against the built-in
    /// baseline (checked when it is discovered; the command line's demands are checked by
    /// [`Policy::check_command_line`]).
    pub(super) fn check_tree(self) -> Result<Self, PolicyError> {
        self.judge_tree(&Baseline::new(false))?;
        Ok(self)
    }

    /// Refuse a policy found in the tree that would weaken what the command line demands:
    /// `keys_named` when `--key` or a keyless `--certificate-*` flag was given. A trusted
    /// (`--policy`) or built-in policy passes.
    pub fn check_command_line(&self, keys_named: bool) -> Result<(), PolicyError> {
        self.judge_tree(&Baseline::new(keys_named))
    }

    fn judge_tree(&self, base: &Baseline) -> Result<(), PolicyError> {
        let PolicySource::Tree(path) = &self.source else {
            return Ok(());
        };
        let mut refusals = refusals(&self.settings, base);
        let tree = crate::yaml::parse_documents(&self.text)
            .ok()
            .and_then(|mut docs| (!docs.is_empty()).then(|| docs.remove(0)));
        let line = |p: &[Seg]| {
            tree.as_ref()
                .and_then(|t| {
                    (0..=p.len())
                        .rev()
                        .find_map(|n| keypath::node_at(t, &p[..n]))
                })
                .map_or(0, |n| n.line)
        };
        refusals.sort_by_key(|r| line(&r.path));
        match refusals.into_iter().next() {
            None => Ok(()),
            Some(r) => Err(PolicyError::Untrusted {
                origin: format!("{}:{}", path.display(), line(&r.path)),
                key: r.key(),
                why: r.why,
            }),
        }
    }

    /// Whether the policy was found in the tree under check (untrusted).
    pub fn is_from_tree(&self) -> bool {
        matches!(self.source, PolicySource::Tree(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_default_passes_as_a_tree_policy() {
        let p = Policy::default_policy().unwrap();
        assert!(refusals(&p.settings, &Baseline::new(false)).is_empty());
        assert!(refusals(&p.settings, &Baseline::new(true)).is_empty());
    }

    #[test]
    fn every_key_is_documented_once() {
        let rows = key_trust();
        let mut keys: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n, "{keys:?}");
        for k in [
            "scanner.platforms",
            "exceptions",
            "manifests.rules",
            "attestations[].slsa.builder-id",
        ] {
            assert!(keys.contains(&k), "{k}: {keys:?}");
        }
    }
}
