//! What a policy found in the tree (`.gate.yaml`, [`PolicySource::Tree`]) may say.
//!
//! In CI the change under check controls every file in the tree, so a discovered policy is
//! untrusted: it may tune rules and carry exceptions (that is the repository's own policy, and
//! review sees it), but it may not name executables, servers, trust material, credentials or
//! files outside the tree, raise a resource bound, cap findings below `error`, or add signers
//! beside the signers the command line named (`--key`, keyless `--certificate-*`). Any of those
//! is refused (exit 2) with the key and the way out: pass the policy with `--policy`, which is trusted and turns discovery off.

use super::sections::{KeyRef, Level, Limits, PolicyFile};
use super::{Policy, PolicyError, PolicySource};
use std::path::{Component, Path};

/// `Some((key, why))` for the first setting a policy found in the tree may not make.
fn forbidden(p: &PolicyFile) -> Option<(&'static str, &'static str)> {
    if p.scanner.trivy.is_some() {
        return Some(("scanner.trivy", "names an executable"));
    }
    if p.scanner.server.is_some() {
        return Some(("scanner.server", "names a server"));
    }
    if !p.scanner.db_repositories.is_empty() || p.scanner.java_db_repository.is_some() {
        return Some((
            "scanner.db-repositories",
            "names the vulnerability database the scan is judged by",
        ));
    }
    if p.scanner.skip_db_update {
        return Some((
            "scanner.skip-db-update",
            "keeps a stale vulnerability database",
        ));
    }
    if p.scanner.cache_backend.is_some() {
        return Some(("scanner.cache-backend", "names a server"));
    }
    if p.scanner.cache_dir.is_some() {
        return Some(("scanner.cache-dir", "names where scan results are kept"));
    }
    if p.signatures.insecure_ignore_tlog {
        return Some((
            "signatures.insecure-ignore-tlog",
            "accepts certificates no transparency log saw",
        ));
    }
    if p.signatures.tuf_mirror.is_some() || p.signatures.tuf_root.is_some() {
        return Some(("signatures.tuf-mirror", "names trust material"));
    }
    if !p.registries.mirrors.is_empty() {
        return Some((
            "registries.mirrors",
            "sends registry traffic to other servers",
        ));
    }
    if !p.registries.insecure.is_empty() {
        return Some(("registries.insecure", "turns TLS verification off"));
    }
    if p.render != super::sections::Render::default() {
        return Some((
            "render",
            "says what the renderers are given (values, remote bases, binaries, bounds)",
        ));
    }
    if p.signatures.trusted_root.is_some() {
        return Some(("signatures.trusted-root", "names trust material"));
    }
    if p.max_level.is_some_and(|l| l < Level::Error) {
        return Some((
            "max-level",
            "caps findings below `error`, what the command line demands",
        ));
    }
    if raises(&p.signatures.limits) {
        return Some(("signatures.limits", "raises a resource bound"));
    }
    if p.vulnerabilities
        .trivyignore
        .as_deref()
        .is_some_and(|f| !inside(f))
    {
        return Some((
            "vulnerabilities.trivyignore",
            "names a file outside the tree",
        ));
    }
    let keys = p
        .signatures
        .keys
        .iter()
        .chain(p.signatures.rules.iter().flat_map(|r| &r.keys))
        .chain(p.attestations.iter().flat_map(|a| &a.keys));
    for k in keys {
        match k {
            KeyRef::Env(_) => return Some(("signatures.keys", "reads the environment (`env://`)")),
            KeyRef::Path(f) if !inside(f) => {
                return Some(("signatures.keys", "names a file outside the tree"))
            }
            KeyRef::Path(_) => {}
        }
    }
    None
}

/// Any bound above the built-in one.
fn raises(l: &Limits) -> bool {
    let d = Limits::default();
    l.max_signatures > d.max_signatures
        || l.max_attachment_bytes > d.max_attachment_bytes
        || l.max_layers > d.max_layers
        || l.max_manifest_bytes > d.max_manifest_bytes
}

/// A relative path that stays below its base (no root, no `..`).
fn inside(path: &Path) -> bool {
    path.components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Whether `rule` (an ID or name as written) names a signature or attestation rule.
fn is_signer_rule(rule: &str) -> bool {
    let id = crate::rules::find(rule).map_or(rule, |r| r.id);
    let id = id.to_ascii_uppercase();
    id.starts_with("GATE-SIG-") || id.starts_with("GATE-ATT-")
}

/// With a signer on the command line (`--key` or keyless `--certificate-*` flags), the first
/// setting of a tree policy that would weaken it.
fn weakens_named_keys(p: &PolicyFile) -> Option<(&'static str, &'static str)> {
    let adds = "adds signers beside the command line's (`--key`, `--certificate-*`)";
    if !p.signatures.keys.is_empty() {
        return Some(("signatures.keys", adds));
    }
    if !p.signatures.identities.is_empty() {
        return Some(("signatures.identities", adds));
    }
    if !p.signatures.rules.is_empty() {
        return Some(("signatures.rules", adds));
    }
    let lowers = "lowers the signature requirement of the command line's `--key`/`--certificate-*`";
    if p.manifests.rules.keys().any(|k| is_signer_rule(k)) {
        return Some(("manifests.rules", lowers));
    }
    let excepted = p
        .exceptions
        .iter()
        .any(|e| e.rule.iter().chain(&e.rules).any(|r| is_signer_rule(r)));
    if excepted {
        return Some(("exceptions", lowers));
    }
    None
}

impl Policy {
    /// Refuse a policy found in the tree that says what only a trusted policy may say
    /// (checked when it is discovered).
    pub(super) fn check_tree(self) -> Result<Self, PolicyError> {
        match (&self.source, forbidden(&self.settings)) {
            (PolicySource::Tree(path), Some((key, why))) => Err(untrusted(path, key, why)),
            _ => Ok(self),
        }
    }

    /// Refuse a policy found in the tree that would weaken what the command line demands:
    /// `keys_named` when `--key` or a keyless `--certificate-*` flag was given. A trusted (`--policy`) or built-in policy passes.
    pub fn check_command_line(&self, keys_named: bool) -> Result<(), PolicyError> {
        let PolicySource::Tree(path) = &self.source else {
            return Ok(());
        };
        match weakens_named_keys(&self.settings).filter(|_| keys_named) {
            Some((key, why)) => Err(untrusted(path, key, why)),
            None => Ok(()),
        }
    }

    /// Whether the policy was found in the tree under check (untrusted).
    pub fn is_from_tree(&self) -> bool {
        matches!(self.source, PolicySource::Tree(_))
    }
}

fn untrusted(path: &Path, key: &'static str, why: &'static str) -> PolicyError {
    PolicyError::Untrusted {
        path: path.to_path_buf(),
        key,
        why,
    }
}
