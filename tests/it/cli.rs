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
fn usage_errors_exit_64_and_explain_knows_the_rules() {
    let out = gate().args(["resolve"]).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    let out = gate().args(["explain", "GATE-IMG-001"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("unpinned-image") && text.contains("How to fix"),
        "{text}"
    );
    let out = gate().args(["explain", "GATE-NOPE-999"]).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
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
        assert_eq!(out.status.code(), Some(64), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--report"), "{bad}: {err}");
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Nothing found is not a pass: a path with no image reference and no Kubernetes object is
/// exit 2 with one line naming it, for `check` and `lint`; `--allow-empty` lets it pass.
#[test]
fn empty_input_is_exit_2_naming_the_path_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    std::fs::write(dir.path().join("empty/README.md"), "# nothing to deploy\n").unwrap();
    for cmd in [&["check", "--skip-scan"][..], &["lint"][..]] {
        let out = gate()
            .current_dir(dir.path())
            .args(cmd)
            .args(["-f", "empty", "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd:?}: {}", text(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["verdict"], "incomplete");
        let errors = report["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{report:#}");
        let message = errors[0]["message"].as_str().unwrap();
        assert!(
            message.contains("`empty` holds no image reference and no Kubernetes object")
                && message.contains("--allow-empty")
                && !message.contains('\n'),
            "{message}"
        );
        let out = gate()
            .current_dir(dir.path())
            .args(cmd)
            .args(["-f", "empty", "--allow-empty"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{cmd:?}: {}", text(&out.stdout));
    }
}

/// `check --pin` cannot rewrite standard input: a usage error that says what to do instead.
#[test]
fn check_pin_on_standard_input_is_a_usage_error() {
    let out = gate().args(["check", "-f", "-", "--pin"]).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    let err = text(&out.stderr);
    assert!(err.contains("gate pin -f -"), "{err}");
}

/// Trivy's flags point to the policy key that does their job, as usage errors (exit 64); an
/// unknown flag is a usage error too, and `--help` is not.
#[test]
fn trivy_flags_name_their_policy_keys() {
    for (flag, key) in [
        (
            &["--severity", "HIGH,CRITICAL"][..],
            "vulnerabilities.severities",
        ),
        (&["--ignore-unfixed"][..], "vulnerabilities.ignore-unfixed"),
        (&["--exit-code", "0"][..], "--warn-only"),
        (&["--platform", "linux/arm64"][..], "scanner.platforms"),
        (&["--vex", "vex.json"][..], "exceptions:"),
    ] {
        let out = gate()
            .args(["check", "nginx:1.27"])
            .args(flag)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(64), "{flag:?}");
        let err = text(&out.stderr);
        assert!(err.contains(key), "{flag:?}: {err}");
    }
    let out = gate().args(["check", "--no-such-flag"]).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    let out = gate().args(["check", "--help"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    assert!(help.contains("--scan-timeout"), "{help}");
    assert!(!help.contains("--severity"), "hidden: {help}");
    assert!(help.contains("per registry request") || help.contains("registry request"));
}

/// Every command's `--help` ends with examples, and `gate --help` with the exit codes.
#[test]
fn every_help_ends_with_examples() {
    use clap::CommandFactory;
    let mut cmd = gate::cli::Cli::command();
    cmd.build();
    let mut names = vec![];
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        names.push(sub.get_name().to_string());
    }
    assert!(names.len() >= 12, "{names:?}");
    for name in names {
        let out = gate().args([name.as_str(), "--help"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{name}");
        let help = text(&out.stdout);
        let tail = help.trim_end().rsplit("\n\n").next().unwrap_or("");
        assert!(
            tail.starts_with("Examples:\n  ")
                && tail
                    .lines()
                    .skip(1)
                    .all(|l| l.contains("gate ") || l.starts_with("    ")),
            "`gate {name} --help` ends with:\n{tail}"
        );
    }
    let help = text(&gate().arg("--help").output().unwrap().stdout);
    assert!(help.contains("64 usage error"), "{help}");
    assert!(help
        .trim_end()
        .rsplit("\n\n")
        .next()
        .unwrap()
        .starts_with("Examples:"));
}

/// `--color` and the colour variables decide the table's ANSI codes, whatever stdout is.
#[test]
fn colour_follows_the_flag_and_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\ndata: {k: v}\n",
    )
    .unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = gate();
        c.current_dir(dir.path())
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("CI")
            .args(["lint", "-f", "cm.yaml"])
            .args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        text(&c.output().unwrap().stdout).contains('\x1b')
    };
    assert!(!run(&[], &[]), "a pipe gets no colour");
    assert!(run(&["--color", "always"], &[]));
    assert!(!run(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]));
    assert!(run(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!run(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
    assert!(!run(&[], &[("CLICOLOR_FORCE", "0")]));
    // On a terminal: CLICOLOR=0, TERM=dumb and CI turn colour off.
    use gate::cli::ColorChoice::Auto;
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    let on_terminal: [(&'static [(&'static str, &'static str)], bool); 5] = [
        (&[("TERM", "xterm")], true),
        (&[("TERM", "dumb")], false),
        (&[("CLICOLOR", "0")], false),
        (&[("CI", "true")], false),
        (&[("NO_COLOR", "1")], false),
    ];
    for (vars, want) in on_terminal {
        assert_eq!(
            gate::commands::color_choice(Auto, true, env(vars)),
            want,
            "{vars:?}"
        );
    }
    assert!(!gate::commands::color_choice(Auto, false, env(&[])));
}

/// `gate init --path -` prints the policy; files gate writes for the user are 0644, the private
/// key alone 0600.
#[test]
fn init_to_stdout_and_created_files_are_readable() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = gate()
        .current_dir(dir.path())
        .args(["init", "--path", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), gate::policy::file::Policy::init_text());
    assert!(!dir.path().join("-").exists());
    let out = gate().current_dir(dir.path()).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = gate()
        .current_dir(dir.path())
        .env("COSIGN_PASSWORD", "")
        .args(["generate-key-pair", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = gate()
        .current_dir(dir.path())
        .args([
            "lint",
            "-f",
            ".gate.yaml",
            "--allow-empty",
            "-o",
            "report.txt",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mode = |f: &str| {
        std::fs::metadata(dir.path().join(f))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(".gate.yaml"), 0o644);
    assert_eq!(mode("cosign.pub"), 0o644);
    assert_eq!(mode("report.txt"), 0o644);
    assert_eq!(mode("cosign.key"), 0o600);
}

/// `verify-blob` looks at its local files before Sigstore's trusted root: a missing bundle is
/// the message, not an offline TUF error.
#[test]
fn verify_blob_names_a_missing_bundle_first() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.tgz"), "x").unwrap();
    let out = gate()
        .current_dir(dir.path())
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .args([
            "--offline",
            "verify-blob",
            "--bundle",
            "app.tgz.sigstore.json",
            "--certificate-identity",
            "a@example.com",
            "--certificate-oidc-issuer",
            "https://accounts.google.com",
            "app.tgz",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: cannot read the bundle `app.tgz.sigstore.json`")
            && err.lines().count() == 1
            && !err.contains("TUF")
            && !err.contains("root"),
        "{err}"
    );
}

/// An encrypted key without `COSIGN_PASSWORD` and without a terminal: the message says to set
/// it (not cosign's "Failed to encrypt"); on a terminal (a pty from `script`) gate asks, like
/// cosign, and a typed password that does not decrypt the key says so.
#[test]
fn encrypted_key_asks_on_a_terminal_and_names_cosign_password_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let out = gate()
        .current_dir(dir.path())
        .env("COSIGN_PASSWORD", "s3cret")
        .args(["generate-key-pair", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = gate()
        .current_dir(dir.path())
        .env_remove("COSIGN_PASSWORD")
        .args(["sign", "--key", "cosign.key", "127.0.0.1:1/app:v1"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("is encrypted and no password was given: set `COSIGN_PASSWORD`")
            && !err.contains("encrypt:")
            && err.lines().count() == 1,
        "{err}"
    );
    let out = gate()
        .current_dir(dir.path())
        .env("COSIGN_PASSWORD", "wrong")
        .args(["sign", "--key", "cosign.key", "127.0.0.1:1/app:v1"])
        .output()
        .unwrap();
    assert!(
        text(&out.stderr).contains("the password in `COSIGN_PASSWORD` does not decrypt"),
        "{}",
        text(&out.stderr)
    );
    let Ok(script) = which::which("script") else {
        eprintln!("skipping the terminal half: no `script` (util-linux) for a pty");
        return;
    };
    let command = format!(
        "{} sign --key cosign.key 127.0.0.1:1/app:v1",
        env!("CARGO_BIN_EXE_gate")
    );
    let mut child = std::process::Command::new(script)
        .current_dir(dir.path())
        .env_remove("COSIGN_PASSWORD")
        .env("DOCKER_CONFIG", "/nonexistent")
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
        stdin.write_all(b"not-it\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let shown = text(&out.stdout);
    assert!(
        shown.contains("Enter password for private key:")
            && shown.contains("the password entered does not decrypt"),
        "{shown}"
    );
}

/// A registry that speaks plain HTTP, reached without `--insecure-registry`: the message says
/// to allow it with that flag, not "is it running?".
#[tokio::test]
async fn plain_http_registry_suggests_insecure_registry() {
    let reg = Registry::start();
    reg.push_image("team/app", "v1").await;
    let a = &reg.addr;
    let out = gate()
        .args(["resolve", &format!("{a}/team/app:v1")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("--insecure-registry {a}")) && !err.contains("is it running"),
        "{err}"
    );
}
