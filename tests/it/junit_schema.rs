//! `--format junit` validated against the Jenkins xUnit plugin's JUnit schema (`junit-10.xsd`,
//! which `scripts/install-deps` takes from pytest's sdist into `~/.cache/gate/junit-xsd`) with
//! `xmllint`: the fixed report scenario and a real `gate lint` run over a hostile file name.
//! The schema's own verdict is checked first: it rejects `skipped` on `<testsuites>` (what
//! `quick-junit` writes), so a pass here means something.
//!
//! Without the schema or `xmllint` these tests print a skip notice; with `CI=true` they fail.

use gate::report;
use std::path::{Path, PathBuf};
use std::process::Command;

fn schema_or_skip(test: &str) -> Option<PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
    let xsd = cache.map(|c| c.join("gate/junit-xsd/junit-10.xsd"));
    let found = xsd.filter(|x| x.is_file() && which::which("xmllint").is_ok());
    if found.is_none() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "{test}: no junit-10.xsd or xmllint (run scripts/install-deps); CI never skips"
        );
        eprintln!(
            "skipping {test}: no junit-10.xsd or xmllint (scripts/install-deps installs them)"
        );
    }
    found
}

/// `xmllint --schema`: Ok, or the validator's complaint.
fn validate(xsd: &Path, xml: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.xml");
    std::fs::write(&file, xml).unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(xsd)
        .arg(&file)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn junit_validates_against_the_jenkins_junit_schema() {
    let Some(xsd) = schema_or_skip("junit_validates_against_the_jenkins_junit_schema") else {
        return;
    };
    let xml = report::junit::render(&crate::report::scenario());
    let cases = xml.matches("<testcase ").count();
    assert!(cases > 10, "{xml}");
    for outcome in ["<failure ", "<error ", "<skipped ", "<system-out>"] {
        assert!(xml.contains(outcome), "the scenario has a {outcome}: {xml}");
    }
    validate(&xsd, &xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));

    // The schema is strict where it matters: quick-junit's `skipped` on `<testsuites>`, a
    // missing `name` and an unknown child element are each rejected.
    let with_skipped = xml.replacen("<testsuites ", "<testsuites skipped=\"0\" ", 1);
    let err = validate(&xsd, &with_skipped).unwrap_err();
    assert!(err.contains("skipped"), "{err}");
    let nameless = xml.replacen(" name=\"resolve\"", "", 1);
    assert!(validate(&xsd, &nameless).is_err());
    let unknown = xml.replacen("<system-out>", "<stdout/><system-out>", 1);
    assert!(validate(&xsd, &unknown).is_err());
}

#[test]
fn junit_of_a_real_lint_run_over_a_hostile_file_name_validates() {
    let Some(xsd) = schema_or_skip("junit_of_a_real_lint_run") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("evil\u{1}<&\"]]>.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  \
         - name: c\n    image: nginx:1.27\n    securityContext: {privileged: true}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .args(["lint", "-q", "--format", "junit", "-f"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.contains("<failure "), "{xml}");
    assert!(xml.contains("evil\u{fffd}&lt;&amp;"), "{xml}");
    validate(&xsd, &xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
}
