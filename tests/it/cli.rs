//! The real `gate` binary end to end: output and exit codes.

use crate::harness::Registry;
use std::process::Command;

fn gate() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gate"));
    // Never pick up the developer's own credentials.
    c.env("DOCKER_CONFIG", "/nonexistent")
        .env_remove("REGISTRY_AUTH_FILE");
    c
}

#[tokio::test]
async fn resolve_prints_one_line_per_argument_and_exits_2_on_any_failure() {
    let reg = Registry::start();
    let d = reg.push_image("team/app", "v1").await;
    let a = &reg.addr;
    let out = gate()
        .args([
            "--insecure-registry",
            a,
            "resolve",
            &format!("{a}/team/app:v1"),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim(), format!("{a}/team/app:v1  {a}/team/app@{d}"));

    let out = gate()
        .args(["--insecure-registry", a, "resolve", "--format", "json"])
        .args([
            format!("{a}/team/app:v1"),
            format!("{a}/team/app:missing"),
            "Bad:Ref".into(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["digest"], d.as_str());
    assert_eq!(rows[0]["pinned"], format!("{a}/team/app:v1@{d}"));
    assert!(rows[1]["error"].as_str().unwrap().contains("not found"));
    assert!(rows[2]["error"].as_str().unwrap().contains("Bad:Ref"));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error: ")).count(),
        2,
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2_and_explain_knows_the_rules() {
    let out = gate().args(["resolve"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = gate().args(["explain", "GATE-IMG-001"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("unpinned-image") && text.contains("How to fix"),
        "{text}"
    );
    let out = gate().args(["explain", "GATE-NOPE-999"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `--report FORMAT=FILE` writes more formats from the same run; a bad value is a usage error.
#[test]
fn report_writes_extra_formats_and_rejects_bad_values() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: a\ndata:\n  k: v\n",
    )
    .unwrap();
    let (json, sarif) = (dir.path().join("g.json"), dir.path().join("g.sarif"));
    let out = gate()
        .current_dir(dir.path())
        .args(["lint", "-f", "cm.yaml", "--report"])
        .arg(format!("json={}", json.display()))
        .arg("--report")
        .arg(format!("sarif={}", sarif.display()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.trim().is_empty(), "the table still goes to stdout");
    let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    assert!(j["verdict"].is_string(), "{j:#}");
    assert_eq!(s["version"], "2.1.0");
    for bad in ["xml=out.xml", "json", "json="] {
        let out = gate()
            .args(["lint", "-f", "cm.yaml", "--report", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--report"), "{bad}: {err}");
    }
}
