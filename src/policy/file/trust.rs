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
//! Each key is decided in [`judge`] by destructuring its section's struct without a rest pattern
//! (`..`), so a key added to a section does not compile until someone decides who may set it
//! ([`Trust`]). The same code, run with [`Judge::document`], lists every key and its decision for
//! `docs/policy.md`.

use super::keypath::{self, Seg};
use super::sections::{
    Admission, Attest, AttestationRule, GithubClaims, Identity, KeyRef, Level, Limits, Manifests,
    PolicyFile, Pss, PssLevel, Registries, Render, Scanner, SearchRule, SignatureRule, Signatures,
    SlsaPolicy, Vulnerabilities,
};
use super::{Policy, PolicyError, PolicySource};
use crate::finding::{Rule, Severity};
use std::collections::BTreeMap;
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
        let file = super::Policy::default_policy()
            .map(|p| p.settings)
            .unwrap_or_default()
            .with_command_line(signers_named);
        Self {
            file,
            signers_named,
        }
    }
}

/// One setting a tree policy may not make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub path: Vec<Seg>,
    pub why: String,
}

/// Walks a tree policy beside the baseline, key by key, collecting refusals; or, in document
/// mode, collecting every key's [`Trust`].
pub struct Judge<'a> {
    /// The whole tree policy as the run applies it (a rule's level depends on more than one key).
    tree: &'a PolicyFile,
    base: &'a Baseline,
    path: Vec<Seg>,
    document: bool,
    rows: Vec<(String, Trust)>,
    refusals: Vec<Refusal>,
}

impl<'a> Judge<'a> {
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

    /// The keys of each entry of a list (in document mode, of one default entry).
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

    /// The keys of an optional section, when it is written (in document mode, always).
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

    /// Each entry of a map, decided by its key (in document mode, the map as one row).
    pub fn entries<V>(
        &mut self,
        key: &str,
        only: &'static str,
        map: &BTreeMap<String, V>,
        mut tightens: impl FnMut(&Self, &str, &V) -> bool,
    ) {
        if self.document {
            return self.tree(key, only, true);
        }
        self.path.push(Seg::Key(key.to_string()));
        for (k, v) in map {
            let ok = tightens(self, k, v);
            self.tree(k, only, ok);
        }
        self.path.pop();
    }

    /// The baseline.
    pub fn base(&self) -> &Baseline {
        self.base
    }

    /// The severity the tree policy gives `rule` against the one the baseline gives it.
    pub fn keeps_level(&self, rule: &Rule) -> bool {
        rank(self.tree.effective_severity(rule)) >= rank(self.base.file.effective_severity(rule))
    }

    /// Every key of the policy with its decision, for `docs/policy.md`.
    pub fn document() -> Vec<(String, Trust)> {
        let (tree, base) = (PolicyFile::default(), Baseline::new(false));
        let mut j = Judge {
            tree: &tree,
            base: &base,
            path: Vec::new(),
            document: true,
            rows: Vec::new(),
            refusals: Vec::new(),
        };
        judge(&mut j, &tree);
        j.rows
    }

    /// What `tree` sets that it may not, against `base`.
    pub fn refusals(tree: &PolicyFile, base: &Baseline) -> Vec<Refusal> {
        let applied = tree.with_command_line(base.signers_named);
        let mut j = Judge {
            tree: &applied,
            base,
            path: Vec::new(),
            document: false,
            rows: Vec::new(),
            refusals: Vec::new(),
        };
        judge(&mut j, tree);
        // Whatever the keys add up to, no rule may end lower than the baseline puts it.
        for rule in crate::rules::all().iter().copied() {
            if !j.keeps_level(rule) && j.refusals.is_empty() {
                j.refusals.push(Refusal {
                    path: vec![Seg::Key("manifests".into()), Seg::Key("rules".into())],
                    why: format!("it would lower `{}` below the baseline's level", rule.id),
                });
            }
        }
        j.refusals
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

fn pss_rank(l: PssLevel) -> u8 {
    match l {
        PssLevel::Privileged => 0,
        PssLevel::Baseline => 1,
        PssLevel::Restricted => 2,
    }
}

/// `max-level` as the cap it is: none (or `off`, which caps nothing) is the highest.
fn cap(l: Option<Level>) -> Level {
    match l {
        None | Some(Level::Off) => Level::Error,
        Some(l) => l,
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

/// A relative path that stays below its base (no root, no `..`).
fn inside(path: &Path) -> bool {
    path.components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Public keys a tree may name: files in the tree, never the environment.
fn keys_in_tree(keys: &[KeyRef]) -> bool {
    keys.iter().all(|k| match k {
        KeyRef::Path(p) => inside(p),
        KeyRef::Env(_) => false,
    })
}

const KEYS_IN_TREE: &str =
    "name public keys in the tree (a relative path without `..`; no `env://`)";
const SIGNERS: &str = "name signers (keys in the tree, relative without `..`, no `env://`) when the \
     command line names none (`--key`, `--certificate-*`); the baseline then fails nothing unsigned";
const NARROWS: &str = "narrow what it applies to or what it requires";

/// The decision for every key of the policy. Each section is destructured without `..`: a new
/// key is a compile error here until it is decided.
fn judge(j: &mut Judge, tree: &PolicyFile) {
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
    let base_cap = cap(j.base().file.max_level);
    j.tree(
        "max-level",
        "cap at the baseline's level or higher (`error`)",
        cap(*max_level) >= base_cap,
    );
    j.section("vulnerabilities", |j| {
        vulnerabilities_keys(j, vulnerabilities)
    });
    j.section("signatures", |j| signatures_keys(j, signatures));
    j.tree("attestations", "add attestations an image must carry", true);
    j.each("attestations", attestations, attestation_keys);
    j.section("manifests", |j| manifests_keys(j, manifests));
    j.section("registries", |j| registries_keys(j, registries));
    j.section("scanner", |j| scanner_keys(j, scanner));
    let none = j.base().file.exceptions == *exceptions;
    j.trusted(
        "exceptions",
        "accepts findings the gate would fail on",
        none,
    );
    j.section("admission", |j| admission_keys(j, admission));
    j.section("render", |j| render_keys(j, render));
    j.section("attest", |j| {
        let Attest {
            layout,
            tlog_upload,
        } = attest;
        j.trusted(
            "layout",
            "chooses where `--attest` puts the verification summary admission reads",
            layout.is_none(),
        );
        j.trusted(
            "tlog-upload",
            "decides whether a keyless summary is recorded in a transparency log",
            tlog_upload.is_none(),
        );
    });
}

/// Every `render:` key widens what runs or what is read: trusted only.
fn render_keys(j: &mut Judge, r: &Render) {
    let Render {
        charts,
        allow_remote,
        kustomize,
        helm,
        timeout_seconds,
        max_output_bytes,
    } = r;
    j.trusted(
        "charts",
        "chooses the values, release and namespace a chart is checked with",
        charts.is_empty(),
    );
    j.trusted(
        "allow-remote",
        "lets the renderers fetch from outside the tree",
        allow_remote.is_empty(),
    );
    j.trusted("kustomize", "names an executable", kustomize.is_none());
    j.trusted("helm", "names an executable", helm.is_none());
    j.trusted(
        "timeout-seconds",
        "sets a resource bound",
        timeout_seconds.is_none(),
    );
    j.trusted(
        "max-output-bytes",
        "sets a resource bound",
        max_output_bytes.is_none(),
    );
}

fn vulnerabilities_keys(j: &mut Judge, v: &Vulnerabilities) {
    let Vulnerabilities {
        severities,
        level,
        ignore_unfixed,
        trivyignore,
    } = v;
    let base = j.base().file.vulnerabilities.clone();
    j.tree(
        "severities",
        "add severities to the baseline's (`HIGH`, `CRITICAL`)",
        base.severities.iter().all(|s| severities.contains(s)),
    );
    j.tree(
        "level",
        "raise it (the baseline's is `error`)",
        *level >= base.level,
    );
    j.tree(
        "ignore-unfixed",
        "set it to `false`",
        !*ignore_unfixed || base.ignore_unfixed,
    );
    j.trusted(
        "trivyignore",
        "accepts the vulnerabilities a file lists",
        *trivyignore == base.trivyignore,
    );
}

fn signatures_keys(j: &mut Judge, s: &Signatures) {
    let Signatures {
        required,
        level,
        keys,
        identities,
        trusted_root,
        tuf_mirror,
        tuf_root,
        rules,
        verify_platforms,
        limits,
        insecure_ignore_tlog,
    } = s;
    let base = j.base().file.signatures.clone();
    let named = j.base().signers_named;
    // Beside a signer named on the command line, the run requires signatures at `error`
    // whatever these two say.
    j.tree(
        "required",
        "set it to `true`",
        *required || !base.required || named,
    );
    j.tree(
        "level",
        "raise it (the baseline's is `warn`; `error` beside `--key`)",
        level.is_none_or(|l| l >= base.effective_level(false)) || named,
    );
    j.tree(
        "keys",
        SIGNERS,
        keys.is_empty() || (!named && keys_in_tree(keys)),
    );
    j.tree("identities", SIGNERS, identities.is_empty() || !named);
    j.each("identities", identities, identity_keys);
    j.trusted(
        "trusted-root",
        "names trust material",
        *trusted_root == base.trusted_root,
    );
    j.trusted(
        "tuf-mirror",
        "names where trust material comes from",
        *tuf_mirror == base.tuf_mirror,
    );
    j.trusted(
        "tuf-root",
        "names trust material",
        *tuf_root == base.tuf_root,
    );
    j.tree("rules", SIGNERS, rules.is_empty() || !named);
    j.each("rules", rules, signature_rule_keys);
    j.tree(
        "verify-platforms",
        "set it to `true`",
        *verify_platforms || !base.verify_platforms,
    );
    j.section("limits", |j| limits_keys(j, limits, &base.limits));
    j.trusted(
        "insecure-ignore-tlog",
        "accepts certificates no transparency log saw",
        *insecure_ignore_tlog == base.insecure_ignore_tlog,
    );
}

fn limits_keys(j: &mut Judge, l: &Limits, base: &Limits) {
    let Limits {
        max_signatures,
        max_attachment_bytes,
        max_layers,
        max_manifest_bytes,
    } = l;
    let lower = "lower it (a smaller bound)";
    j.tree(
        "max-signatures",
        lower,
        *max_signatures <= base.max_signatures,
    );
    j.tree(
        "max-attachment-bytes",
        lower,
        *max_attachment_bytes <= base.max_attachment_bytes,
    );
    j.tree("max-layers", lower, *max_layers <= base.max_layers);
    j.tree(
        "max-manifest-bytes",
        lower,
        *max_manifest_bytes <= base.max_manifest_bytes,
    );
}

fn signature_rule_keys(j: &mut Judge, r: &SignatureRule) {
    let SignatureRule {
        images,
        keys,
        identities,
    } = r;
    let _ = images;
    j.tree("images", NARROWS, true);
    j.tree("keys", KEYS_IN_TREE, keys_in_tree(keys));
    j.tree("identities", NARROWS, true);
    j.each("identities", identities, identity_keys);
}

fn identity_keys(j: &mut Judge, i: &Identity) {
    let Identity {
        issuer: _,
        issuer_regexp: _,
        identity: _,
        identity_regexp: _,
        github,
    } = i;
    for key in ["issuer", "issuer-regexp", "identity", "identity-regexp"] {
        j.tree(key, NARROWS, true);
    }
    j.optional("github", github, |j, g| {
        let GithubClaims {
            repository: _,
            git_ref: _,
            trigger: _,
        } = g;
        for key in ["repository", "ref", "trigger"] {
            j.tree(key, NARROWS, true);
        }
    });
}

fn attestation_keys(j: &mut Judge, a: &AttestationRule) {
    let AttestationRule {
        predicate_type: _,
        keys,
        identities,
        images: _,
        level,
        slsa,
        vsa,
    } = a;
    j.trusted(
        "vsa",
        "decides which verification summaries count as proof",
        vsa.is_none(),
    );
    j.tree("predicate-type", NARROWS, true);
    j.tree("keys", KEYS_IN_TREE, keys_in_tree(keys));
    j.tree("identities", NARROWS, true);
    j.each("identities", identities, identity_keys);
    j.tree("images", NARROWS, true);
    j.tree("level", "set it to `error`", *level >= Level::Error);
    j.optional("slsa", slsa, |j, s| {
        let SlsaPolicy {
            builder_id: _,
            source_uri: _,
            source_ref: _,
            source_branch: _,
            source_tag: _,
        } = s;
        for key in [
            "builder-id",
            "source-uri",
            "source-ref",
            "source-branch",
            "source-tag",
        ] {
            j.tree(key, NARROWS, true);
        }
    });
}

fn manifests_keys(j: &mut Judge, m: &Manifests) {
    let Manifests {
        pss,
        rules,
        search_rules,
        require_dapr_app_token,
    } = m;
    let base = j.base().file.manifests.clone();
    j.section("pss", |j| {
        let Pss { level, version } = pss;
        j.tree(
            "level",
            "raise it (the baseline's is `restricted`)",
            pss_rank(*level) >= pss_rank(base.pss.level),
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
        |j, name, _level| crate::rules::find(name).is_none_or(|r| j.keeps_level(r)),
    );
    j.tree("search-rules", "add places where images are found", true);
    j.each("search-rules", search_rules, |j, r: &SearchRule| {
        let SearchRule {
            api_version: _,
            kind: _,
            paths: _,
        } = r;
        for key in ["api-version", "kind", "paths"] {
            j.tree(key, "add places where images are found", true);
        }
    });
    j.tree(
        "require-dapr-app-token",
        "set it to `true`",
        *require_dapr_app_token || !base.require_dapr_app_token,
    );
}

fn registries_keys(j: &mut Judge, r: &Registries) {
    let Registries {
        allowed,
        mirrors,
        insecure,
    } = r;
    let base = j.base().file.registries.clone();
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

fn scanner_keys(j: &mut Judge, s: &Scanner) {
    let Scanner {
        trivy,
        server,
        timeout,
        platforms,
        db_repositories,
        java_db_repository,
        cache_dir,
        skip_db_update,
        cache_backend,
    } = s;
    let base = j.base().file.scanner.clone();
    j.trusted("trivy", "names an executable", *trivy == base.trivy);
    j.trusted("server", "names a server", *server == base.server);
    j.trusted(
        "timeout",
        "decides when a scan gives up",
        *timeout == base.timeout,
    );
    j.trusted(
        "platforms",
        "decides which platforms of an image are scanned",
        *platforms == base.platforms,
    );
    j.trusted(
        "db-repositories",
        "names the vulnerability database the scan is judged by",
        *db_repositories == base.db_repositories,
    );
    j.trusted(
        "java-db-repository",
        "names the vulnerability database the scan is judged by",
        *java_db_repository == base.java_db_repository,
    );
    j.trusted(
        "cache-dir",
        "names where scan results are kept",
        *cache_dir == base.cache_dir,
    );
    j.trusted(
        "skip-db-update",
        "keeps a stale vulnerability database",
        *skip_db_update == base.skip_db_update,
    );
    j.trusted(
        "cache-backend",
        "names a server",
        *cache_backend == base.cache_backend,
    );
}

fn admission_keys(j: &mut Judge, a: &Admission) {
    let Admission {
        kyverno,
        policy_controller,
        level,
    } = a;
    let base = j.base().file.admission.clone();
    let adds = "add an admission verifier whose view is checked";
    j.tree(
        "kyverno",
        adds,
        base.kyverno.is_none() || *kyverno == base.kyverno,
    );
    j.tree(
        "policy-controller",
        adds,
        base.policy_controller.is_none() || *policy_controller == base.policy_controller,
    );
    j.tree(
        "level",
        "raise it (the baseline's is `warn`)",
        *level >= base.level,
    );
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
        let mut refusals = Judge::refusals(&self.settings, base);
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
                key: keypath::display(&r.path),
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
        assert!(Judge::refusals(&p.settings, &Baseline::new(false)).is_empty());
        assert!(Judge::refusals(&p.settings, &Baseline::new(true)).is_empty());
    }

    #[test]
    fn every_key_is_documented_once() {
        let rows = Judge::document();
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
