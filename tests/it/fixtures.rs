//! The conformance data sets (`tests/support/fixtures.rs` is the one helper; this module adds the
//! tests that keep it honest).

#[path = "../support/fixtures.rs"]
mod support;

pub use support::{dir, find, Set};

use std::path::Path;
use std::process::Command;
use support::{locate, Env};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `Set` enum and `tests/fixtures/sets.tsv` name the same sets, in the same order.
#[test]
fn sets_match_the_table() {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/sets.tsv")).unwrap();
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    let names: Vec<&str> = Set::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(rows, names);
}

/// A set found nowhere is an error naming the set and how to get it, whatever the environment
/// says: the helper never lets a conformance test return early.
#[test]
fn a_missing_set_is_an_error_not_a_pass() {
    let empty = tempfile::tempdir().unwrap();
    // A repository copy with the table but no ../shared beside it.
    let repo_copy = empty.path().join("clone");
    std::fs::create_dir_all(repo_copy.join("tests/fixtures")).unwrap();
    std::fs::copy(
        repo().join("tests/fixtures/sets.tsv"),
        repo_copy.join("tests/fixtures/sets.tsv"),
    )
    .unwrap();
    let env = Env {
        gate_fixtures: Some(empty.path().join("nothing-here")),
        cache: Some(empty.path().join("cache")),
        repo: repo_copy,
    };
    for set in Set::ALL {
        let why = locate(set, &env).unwrap_err();
        assert!(why.contains(set.name()), "{why}");
        assert!(why.contains("missing"), "{why}");
    }
    // A fetched set whose stamp is for another pin is not read.
    let stale = env.cache.as_ref().unwrap().join("pss");
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::write(
        stale.join(".source"),
        "go k8s.io/pod-security-admission v0.0.1 h1:x\n",
    )
    .unwrap();
    assert!(locate(Set::Pss, &env).is_err());
}

/// `scripts/test` decides what is missing with `scripts/fetch-fixtures`, which must find each set
/// where this helper does; and with `CI=true` a missing set fails `scripts/test` before any test
/// runs, naming the set.
#[test]
fn the_script_and_the_helper_agree_and_ci_fails_on_a_missing_set() {
    for set in Set::ALL {
        let out = Command::new(repo().join("scripts/fetch-fixtures"))
            .args(["--where", set.name()])
            .output()
            .unwrap();
        let script = String::from_utf8(out.stdout).unwrap();
        let helper = locate(set, &Env::from_process()).ok();
        let helper = helper.map(|p| std::fs::canonicalize(p).unwrap());
        let script =
            (!script.trim().is_empty()).then(|| std::fs::canonicalize(script.trim()).unwrap());
        assert_eq!(script, helper, "set {}", set.name());
    }

    // A clone of the scripts with nothing beside it and an empty cache: under CI=true the test
    // command stops at once, naming every missing set; `cargo` is never reached.
    let tmp = tempfile::tempdir().unwrap();
    let clone = tmp.path().join("clone");
    std::fs::create_dir_all(clone.join("scripts")).unwrap();
    std::fs::create_dir_all(clone.join("tests/fixtures")).unwrap();
    for f in [
        "scripts/test",
        "scripts/fetch-fixtures",
        "tests/fixtures/sets.tsv",
    ] {
        std::fs::copy(repo().join(f), clone.join(f)).unwrap();
    }
    // install-deps is replaced by a no-op: this checks the data-set gate, not the installers.
    std::fs::write(clone.join("scripts/install-deps"), "#!/bin/sh\nexit 0\n").unwrap();
    let mut perms = std::fs::metadata(clone.join("scripts/install-deps"))
        .unwrap()
        .permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(clone.join("scripts/install-deps"), perms).unwrap();
    let out = Command::new("bash")
        .arg(clone.join("scripts/test"))
        .env("CI", "true")
        .env_remove("GATE_FIXTURES")
        .env("XDG_CACHE_HOME", tmp.path().join("cache"))
        .env("HOME", tmp.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for set in Set::ALL {
        assert!(
            stderr.contains(&format!("conformance data set '{}' is missing", set.name())),
            "{stderr}"
        );
    }
}

/// A test that reads a set must carry the set's prefix, or `scripts/test` could not leave it out
/// (and count it as skipped) when the set is missing: reading one from a test named otherwise fails.
#[test]
fn a_test_not_named_for_its_set_cannot_read_it() {
    let err = std::panic::catch_unwind(|| dir(Set::Refs)).unwrap_err();
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("must start with `conformance_refs_`"), "{msg}");
}
