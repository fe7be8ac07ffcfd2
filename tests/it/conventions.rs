//! Command-line conventions users expect: usage errors for a `--format` a command cannot render,
//! durations with units, registry options only where a registry is reached, `-v`, completions, the man page, `gate version`, a starter policy that
//! passes a signed clean image, and keyless identity flags on `gate check`.

use crate::check::Env;
use std::process::{Command, Output};

fn gate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gate"))
        .env("DOCKER_CONFIG", "/nonexistent")
        .env_remove("REGISTRY_AUTH_FILE")
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_format_the_command_cannot_render_is_a_usage_error() {
    for args in [
        &["explain", "GATE-IMG-001", "--format", "sarif"][..],
        &["--format", "junit", "resolve", "x"],
        &[
            "init",
            "--path",
            "/nonexistent/p.yaml",
            "--report",
            "json=x.json",
        ],
    ] {
        let out = gate(args);
        assert_eq!(out.status.code(), Some(64), "{args:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains("has no `") || err.contains("writes no report"),
            "{err}"
        );
        assert!(err.contains("Usage:"), "a usage error shows usage: {err}");
    }
    // The formats a command does render still work.
    let out = gate(&["explain", "GATE-IMG-001", "--format", "table"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn durations_take_units_and_bad_ones_are_usage_errors() {
    // `pin --check` over a directory with no image references reaches no registry.
    let empty = tempfile::tempdir().unwrap();
    let dir = empty.path().to_str().unwrap();
    let out = gate(&["--timeout", "10m", "pin", "--check", "-f", dir]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = gate(&["pin", "--timeout", "1h", "--check", "-f", dir]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = gate(&["--timeout", "ten", "pin", "--check", "-f", dir]);
    assert_eq!(out.status.code(), Some(64));
    assert!(text(&out.stderr).contains("`ten` is not a duration"));
}

/// Registry options are offered by the commands that reach a registry and by no other, Sigstore
/// trust options by the commands that verify: not in the others' `--help`, unknown after them.
/// Before the command every command accepts them (where wrappers put them).
#[test]
fn registry_and_trust_options_only_on_commands_that_use_them() {
    let registry = [
        "--insecure-registry <",
        "--ca-file <",
        "--mirror <",
        "--concurrency <",
        "--timeout <",
    ];
    let trust = ["--trusted-root <", "--tuf-mirror <", "--tuf-root <"];
    for (cmd, reaches, verifies) in [
        ("check", true, true),
        ("verify-blob", true, true),
        ("resolve", true, false),
        ("pin", true, false),
        ("sign", true, false),
        ("lint", false, false),
        ("explain", false, false),
        ("init", false, false),
        ("generate-key-pair", false, false),
        ("completions", false, false),
        ("man", false, false),
        ("version", false, false),
    ] {
        let out = gate(&[cmd, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{cmd}");
        let help = text(&out.stdout);
        assert!(help.contains("Global options:"), "{cmd}: {help}");
        assert_eq!(help.contains("Registry options:"), reaches, "{cmd}: {help}");
        for flag in registry {
            assert_eq!(help.contains(flag), reaches, "{cmd} and {flag}: {help}");
        }
        for flag in trust {
            assert_eq!(help.contains(flag), verifies, "{cmd} and {flag}: {help}");
        }
    }
    let out = gate(&["lint", "--insecure-registry", "h:5000", "-f", "."]);
    assert_eq!(out.status.code(), Some(64));
    assert!(text(&out.stderr).contains("unexpected argument '--insecure-registry'"));
    let out = gate(&["explain", "--trusted-root", "t.json", "GATE-IMG-001"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(text(&out.stderr).contains("unexpected argument '--trusted-root'"));
    let out = gate(&[
        "--mirror",
        "a=b",
        "--tuf-root",
        "r.json",
        "explain",
        "GATE-IMG-001",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// Registry and trust options before and after the command add up; after it, `--concurrency` and
/// `--timeout` win.
#[test]
fn registry_options_before_and_after_the_command_add_up() {
    use clap::Parser as _;
    let mut cli = gate::cli::Cli::try_parse_from([
        "gate",
        "--insecure-registry",
        "a:5000",
        "--timeout",
        "5s",
        "--concurrency",
        "3",
        "--tuf-mirror",
        "https://tuf.example",
        "check",
        "--insecure-registry",
        "b:5000",
        "--timeout",
        "2m",
        "x",
    ])
    .unwrap();
    cli.settle();
    assert_eq!(cli.global.insecure_registry, ["a:5000", "b:5000"]);
    assert_eq!(
        cli.global.tuf_mirror.as_deref(),
        Some("https://tuf.example")
    );
    assert_eq!(cli.global.trusted_root, None);
    assert_eq!(cli.global.timeout, std::time::Duration::from_secs(120));
    assert_eq!(cli.global.concurrency, 3);
    let mut cli = gate::cli::Cli::try_parse_from(["gate", "resolve", "x"]).unwrap();
    cli.settle();
    assert_eq!(cli.global.timeout, gate::cli::DEFAULT_TIMEOUT);
    assert_eq!(cli.global.concurrency, gate::resolve::DEFAULT_CONCURRENCY);
    assert!(cli.global.insecure_registry.is_empty());
}

#[test]
fn help_separates_the_option_groups() {
    let out = gate(&["check", "--help"]);
    let help = text(&out.stdout);
    let at = |h: &str| {
        help.find(h)
            .unwrap_or_else(|| panic!("no `{h}` in:\n{help}"))
    };
    for h in [
        "Registry options:",
        "Scan options:",
        "Verify options:",
        "Output options:",
        "Global options:",
    ] {
        at(h);
    }
    // A flag sits under its heading: --key after Verify, before the next heading.
    let verify = at("Verify options:");
    let key = help.find("--key <KEY>").unwrap();
    assert!(key > verify, "{help}");
    assert!(help.contains("--certificate-identity-regexp"));
    assert!(
        help.contains("anchored"),
        "gate's stricter matching is documented"
    );
}

#[test]
fn completions_man_page_and_version() {
    let out = gate(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains("complete -F _gate"),
        "bash completion script"
    );
    let out = gate(&["completions", "zsh"]);
    assert!(text(&out.stdout).starts_with("#compdef gate"));
    let out = gate(&["man"]);
    let man = text(&out.stdout);
    assert!(
        man.starts_with(".ie \\n(.g .ds Aq") || man.contains(".TH gate"),
        "{man}"
    );
    let out = gate(&["version"]);
    let v = text(&out.stdout);
    for k in [
        "commit: ",
        "build date: ",
        "target: ",
        "embedded Sigstore trusted root: 20",
        "pinned Trivy: 0.",
    ] {
        assert!(v.contains(k), "no `{k}` in {v}");
    }
    assert_eq!(
        text(&gate(&["--version"]).stdout),
        v,
        "`--version` says the same"
    );
}

#[tokio::test]
async fn init_with_a_key_passes_a_signed_clean_image_and_fails_an_unsigned_one() {
    let mut env = Env::new().await;
    env.image("shop-api", "1.4.2", true, "small-clean.json")
        .await;
    env.image("shop-worker", "0.9.1", false, "small-clean.json")
        .await;
    let out = env.gate(&["init", "--key", "cosign.pub"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let trivy = env.path("bin/trivy");
    let check = |image: &str| {
        env.gate(&["check", "--policy", ".gate.yaml", "--trivy"])
            .arg(&trivy)
            .arg(image)
            .output()
            .unwrap()
    };
    let out = check("ghcr.io/acme/shop-api:1.4.2");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let out = check("ghcr.io/acme/shop-worker:0.9.1");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("GATE-SIG-001"));
}

#[tokio::test]
async fn keyless_flags_on_check_require_an_issuer_and_make_signatures_required() {
    let mut env = Env::new().await;
    env.image("shop-api", "1.4.2", true, "small-clean.json")
        .await;
    let trivy = env.path("bin/trivy");
    // No network here: an empty trusted root of the test's own instead of TUF's.
    let root = env.path("trusted_root.json");
    std::fs::write(
        &root,
        r#"{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [], "certificateAuthorities": [], "ctlogs": [], "timestampAuthorities": []}"#,
    )
    .unwrap();
    let run = |extra: &[&str]| {
        env.gate(&["check", "-v", "--trivy"])
            .arg(&trivy)
            .arg("--trusted-root")
            .arg(&root)
            .args(extra)
            .arg("ghcr.io/acme/shop-api:1.4.2")
            .output()
            .unwrap()
    };
    let out = run(&["--certificate-identity", "me@example.com"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(
        text(&out.stderr).contains("go together"),
        "{}",
        text(&out.stderr)
    );
    // Signed with a key, not by this keyless identity: the named signer is required.
    let out = run(&[
        "--certificate-identity-regexp",
        "https://github.com/acme/.*",
        "--certificate-oidc-issuer",
        "https://token.actions.githubusercontent.com",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("GATE-SIG"),
        "{}",
        text(&out.stdout)
    );
    // -v says what each stage did.
    let err = text(&out.stderr);
    assert!(
        err.contains("image ghcr.io/acme/shop-api:1.4.2: sha256:"),
        "{err}"
    );
    assert!(err.contains("  scan: "), "{err}");
}

/// `generate-key-pair` on a terminal without `COSIGN_PASSWORD`: asks twice (through a pty made
/// by util-linux `script`), refuses a mismatch, and encrypts with what was typed.
#[test]
fn generate_key_pair_prompts_twice_on_a_terminal() {
    let Ok(script) = which::which("script") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "util-linux `script` is missing"
        );
        eprintln!("skipped: no `script` (util-linux) for a pty");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |input: &str, prefix: &str| {
        let cmd = format!(
            "{} generate-key-pair --output-key-prefix {}",
            env!("CARGO_BIN_EXE_gate"),
            dir.path().join(prefix).display()
        );
        let mut child = Command::new(&script)
            .args(["-qec", &cmd, "/dev/null"])
            .env_remove("COSIGN_PASSWORD")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        for line in input.lines() {
            // One line per prompt: the pty delivers them as the prompts ask.
            std::thread::sleep(std::time::Duration::from_millis(300));
            writeln!(stdin, "{line}").unwrap();
        }
        drop(stdin);
        child.wait_with_output().unwrap()
    };
    let out = run("s3cret\ns3cret\n", "good");
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}{}", text(&out.stderr));
    assert!(shown.contains("Enter password for private key:"), "{shown}");
    assert!(shown.contains("again:"), "{shown}");
    assert!(!shown.contains("s3cret"), "no echo: {shown}");
    let key = dir.path().join("good.key");
    assert!(gate::verify::load_signing_key(&key, b"s3cret").is_ok());
    assert!(gate::verify::load_signing_key(&key, b"").is_err());

    let out = run("one\ntwo\n", "bad");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("do not match"));
    assert!(!dir.path().join("bad.key").exists());
}
