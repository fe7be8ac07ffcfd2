//! A hostile change cannot weaken or hijack the gate (issue 14, docs/hostile.md "Tree"): the
//! real `gate check` binary against a real registry and the replay scanner, with the files a
//! pull request could add (`.gate.yaml`, `.trivyignore`, `trivy.yaml`, a fake `trivy`) in the
//! working directory, and stray `TRIVY_*` variables in the environment.

use crate::check::Env;
use serde_json::Value;
use std::process::Output;

const CLEAN: &str = "small-clean.json";
const VULNERABLE: &str = "small-critical.json";

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn rules(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["rule"].as_str().map(str::to_owned))
        .collect()
}

/// `.gate.yaml` in the working directory (the tree under check).
fn tree_policy(env: &Env, text: &str) {
    std::fs::write(env.path(".gate.yaml"), format!("version: 1\n{text}")).unwrap();
}

/// With `--key` on the command line, a `.gate.yaml` added by the change cannot cap findings,
/// switch signatures off or add its own signer: the run is refused before anything runs.
#[tokio::test]
async fn a_tree_policy_cannot_weaken_the_command_line() {
    let mut env = Env::new().await;
    env.image("shop-worker", "0.9.1", false, CLEAN).await;
    let d = env.deploy(&["namespace.yaml", "worker.yaml"], &[]);
    let before = std::fs::read(d.join("worker.yaml")).unwrap();
    std::fs::copy(env.path("cosign.pub"), env.path("pr.pub")).unwrap();
    let cases = [
        (
            "max-level: note\nsignatures:\n  required: false\n",
            "`max-level`",
        ),
        (
            "manifests:\n  rules:\n    GATE-SIG-001: off\n",
            "`manifests.rules.GATE-SIG-001`",
        ),
        (
            "exceptions:\n  - rule: unsigned-image\n    reason: signed later\n",
            "`exceptions`",
        ),
        ("signatures:\n  keys: [pr.pub]\n", "`signatures.keys`"),
    ];
    for (text, key) in cases {
        tree_policy(&env, text);
        let (out, report) = env.check(&[]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{text}: {}\n{report:#}",
            stderr(&out)
        );
        let err = stderr(&out);
        assert!(
            err.contains(key) && err.contains("--policy"),
            "{text}: {err}"
        );
        assert_eq!(std::fs::read(d.join("worker.yaml")).unwrap(), before);
    }
    // The same text as a trusted `--policy` is the user's choice.
    tree_policy(&env, "manifests:\n  rules:\n    GATE-SIG-001: off\n");
    std::fs::rename(env.path(".gate.yaml"), env.path("trusted.yaml")).unwrap();
    let mut c = env.gate(&["check", "-f", "deploy", "--pin", "--key"]);
    c.arg(env.path("cosign.pub"))
        .arg("--policy")
        .arg(env.path("trusted.yaml"));
    let (out, report) = env.report(c);
    assert_eq!(out.status.code(), Some(0), "{}\n{report:#}", stderr(&out));
}

/// Keyless flags name a signer on the command line as `--key` does: a tree policy that adds its
/// own key (the PR signs with it) or turns the signature rule off is refused before anything runs.
#[tokio::test]
async fn a_tree_policy_cannot_weaken_command_line_keyless_flags() {
    let mut env = Env::new().await;
    env.image("shop-worker", "0.9.1", false, CLEAN).await;
    let d = env.deploy(&["namespace.yaml", "worker.yaml"], &[]);
    let before = std::fs::read(d.join("worker.yaml")).unwrap();
    std::fs::copy(env.path("cosign.pub"), env.path("pr.pub")).unwrap();
    let keyless = [
        "--certificate-identity",
        "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main",
        "--certificate-oidc-issuer",
        "https://token.actions.githubusercontent.com",
    ];
    let cases = [
        ("signatures:\n  keys: [pr.pub]\n", "`signatures.keys`"),
        (
            "manifests:\n  rules:\n    GATE-SIG-001: off\n",
            "`manifests.rules.GATE-SIG-001`",
        ),
    ];
    for (text, key) in cases {
        tree_policy(&env, text);
        let mut c = env.gate(&["check", "-f", "deploy", "--pin"]);
        c.args(keyless);
        let (out, report) = env.report(c);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{text}: {}\n{report:#}",
            stderr(&out)
        );
        let err = stderr(&out);
        assert!(
            err.contains(key) && err.contains("--policy"),
            "{text}: {err}"
        );
        assert_eq!(std::fs::read(d.join("worker.yaml")).unwrap(), before);
    }
}

/// Beside `--key`, a `.gate.yaml` of the change that turns GATE-IMG-003 (an image gate cannot
/// name) and GATE-IMG-001 (a repointable tag) off would let `image: ${WORKER_IMAGE}` and tags
/// pass; one that scans only `linux/arm64` would keep an `amd64` child from being scanned. Both
/// are refused before anything runs, naming the key and its line. The same text as a trusted
/// `--policy` passes: the tree's settings were all that stood between the change and a pass.
#[tokio::test]
async fn a_tree_policy_cannot_lower_image_rules_or_scan_scope() {
    let mut env = Env::new().await;
    env.image("shop-worker", "0.9.1", true, CLEAN).await;
    let worker = std::fs::read_to_string(crate::check::examples().join("worker.yaml")).unwrap();
    let hidden = worker
        .replace("ghcr.io/acme/shop-worker:0.9.1", "${WORKER_IMAGE}")
        .replace("shop-worker", "shop-hidden");
    let d = env.deploy(
        &["namespace.yaml", "worker.yaml"],
        &[("hidden.yaml", &hidden)],
    );
    let before = std::fs::read(d.join("worker.yaml")).unwrap();
    let cases = [
        (
            "manifests:\n  rules:\n    GATE-IMG-003: off\n    GATE-IMG-001: off\n",
            ".gate.yaml:4: ",
            "`manifests.rules.GATE-IMG-003`",
        ),
        (
            "scanner:\n  platforms: [linux/arm64]\n",
            ".gate.yaml:3: ",
            "`scanner.platforms`",
        ),
    ];
    for (text, line, key) in cases {
        tree_policy(&env, text);
        let mut c = env.gate(&["check", "-f", "deploy", "--key"]);
        c.arg(env.path("cosign.pub"));
        let (out, report) = env.report(c);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{text}: {err}\n{report:#}");
        assert!(
            err.contains(line) && err.contains(key) && err.contains("--policy"),
            "{text}: {err}"
        );
        assert_eq!(std::fs::read(d.join("worker.yaml")).unwrap(), before);
    }
    // As a trusted policy the first text is the user's choice, and then the change passes.
    tree_policy(
        &env,
        "manifests:\n  rules:\n    GATE-IMG-003: off\n    GATE-IMG-001: off\n",
    );
    std::fs::rename(env.path(".gate.yaml"), env.path("trusted.yaml")).unwrap();
    let mut c = env.gate(&["check", "-f", "deploy", "--key"]);
    c.arg(env.path("cosign.pub"))
        .arg("--policy")
        .arg(env.path("trusted.yaml"));
    let (out, report) = env.report(c);
    assert_eq!(out.status.code(), Some(0), "{}\n{report:#}", stderr(&out));
}

/// `scanner.trivy: ./tools/trivy` in a `.gate.yaml` of the change would run the change's
/// program with the CI's registry credentials: refused, and the program never runs.
#[tokio::test]
async fn a_tree_policy_cannot_name_the_scanner() {
    let mut env = Env::new().await;
    env.image("shop-api", "1.4.2", true, CLEAN).await;
    env.deploy(&["namespace.yaml", "api.yaml"], &[]);
    let tools = env.path("tools");
    std::fs::create_dir_all(&tools).unwrap();
    let marker = env.path("hijacked");
    let script = format!("#!/bin/sh\nenv > '{}'\nexit 1\n", marker.display());
    std::fs::write(tools.join("trivy"), script).unwrap();
    std::process::Command::new("chmod")
        .args(["755"])
        .arg(tools.join("trivy"))
        .status()
        .unwrap();
    tree_policy(&env, "scanner:\n  trivy: ./tools/trivy\n");
    let out = env
        .gate(&["check", "-f", "deploy", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("`scanner.trivy`"), "{}", stderr(&out));
    assert!(!marker.exists(), "the change's program ran");
}

/// A `.trivyignore` in the working directory does not override an explicit `--policy`, which
/// names its ignore file itself (here: none).
#[tokio::test]
async fn a_trivyignore_in_the_tree_does_not_override_the_trusted_policy() {
    let mut env = Env::new().await;
    env.image("shop-legacy", "3.1.0", true, VULNERABLE).await;
    env.deploy(&["namespace.yaml", "legacy.yaml"], &[]);
    let ids = "CVE-2099-0001\nCVE-2099-0002\nCVE-2099-0003\nCVE-2099-0004\n";
    std::fs::write(env.path(".trivyignore"), ids).unwrap();
    std::fs::write(env.path("trusted.yaml"), "version: 1\n").unwrap();
    let mut c = env.gate(&["check", "-f", "deploy", "--pin", "--key"]);
    c.arg(env.path("cosign.pub"))
        .arg("--policy")
        .arg(env.path("trusted.yaml"));
    let (out, report) = env.report(c);
    assert_eq!(out.status.code(), Some(1), "{}\n{report:#}", stderr(&out));
    assert!(
        rules(&report).contains(&"GATE-VULN-001".to_string()),
        "{report:#}"
    );
}

/// Trivy reads `trivy.yaml` and `.trivyignore` from its working directory and `TRIVY_*` from
/// its environment; gate runs it where neither the tree nor stray variables reach it, so the
/// vulnerable image still fails.
#[tokio::test]
async fn trivy_ignores_the_trees_config_and_the_inherited_environment() {
    let mut env = Env::new().await;
    env.image("shop-legacy", "3.1.0", true, VULNERABLE).await;
    env.deploy(&["namespace.yaml", "legacy.yaml"], &[]);
    let ids = "CVE-2099-0001\nCVE-2099-0002\nCVE-2099-0004\n";
    std::fs::write(env.path("skip.txt"), ids).unwrap();
    std::fs::write(env.path("trusted.yaml"), "version: 1\n").unwrap();
    let run = |vars: &[(&str, String)]| {
        let mut c = env.gate(&["check", "-f", "deploy", "--pin", "--key"]);
        c.arg(env.path("cosign.pub"))
            .arg("--policy")
            .arg(env.path("trusted.yaml"));
        for (k, v) in vars {
            c.env(k, v);
        }
        env.report(c)
    };
    let skip = env.path("skip.txt").display().to_string();
    let cases: [(&str, Vec<(&str, String)>); 3] = [
        ("trivy.yaml", vec![]),
        ("TRIVY_SEVERITY", vec![("TRIVY_SEVERITY", "LOW".into())]),
        ("TRIVY_IGNOREFILE", vec![("TRIVY_IGNOREFILE", skip.clone())]),
    ];
    for (name, vars) in cases {
        let cfg = format!("severity: LOW\nignorefile: {skip}\n");
        let _ = std::fs::remove_file(env.path("trivy.yaml"));
        if name == "trivy.yaml" {
            std::fs::write(env.path("trivy.yaml"), cfg).unwrap();
        }
        let (out, report) = run(&vars);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: {}\n{report:#}",
            stderr(&out)
        );
        assert!(
            rules(&report).contains(&"GATE-VULN-001".to_string()),
            "{name}: {report:#}"
        );
    }
}

/// Trivy gets the scanned registry's credential alone, in a per-scan docker config: never as
/// `TRIVY_USERNAME`/`TRIVY_PASSWORD` (which it also offers to the DB registries), never the
/// entries of other registries; a stray `TRIVY_PASSWORD` in CI does not reach it either. The
/// replay scanner fails the run otherwise.
#[tokio::test]
async fn trivy_gets_only_the_scanned_registrys_credential() {
    let mut env = Env::new().await;
    env.image("shop-api", "1.4.2", true, CLEAN).await;
    env.deploy(&["namespace.yaml", "api.yaml"], &[]);
    env.expect_credentials("ci", "scoped-pa55");
    let cfg = env.path("docker");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("config.json"),
        format!(
            r#"{{"auths":{{"{}":{{"username":"ci","password":"scoped-pa55"}},
                "other.example:5000":{{"username":"x","password":"other-secret"}}}}}}"#,
            env.reg.addr
        ),
    )
    .unwrap();
    let mut c = env.gate(&["check", "-f", "deploy", "--pin", "--key"]);
    c.arg(env.path("cosign.pub"))
        .env("DOCKER_CONFIG", &cfg)
        .env("TRIVY_PASSWORD", "stray-ci-variable");
    let (out, report) = env.report(c);
    assert_eq!(out.status.code(), Some(0), "{}\n{report:#}", stderr(&out));
    let log = std::fs::read_to_string(env.path("bin/log")).unwrap();
    assert!(!log.contains("FAIL"), "{log}");
}

/// A resolver for `host` (declared plain HTTP) with the credentials of `config`.
fn resolver_for(host: &str, config: &std::path::Path) -> gate::resolve::Resolver {
    use gate::registry::ClientConfig;
    use gate::resolve::{ResolveConfig, Resolver};
    Resolver::new(ResolveConfig {
        client: ClientConfig {
            insecure: vec![host.to_owned()],
            timeout: std::time::Duration::from_secs(5),
            max_backoff: std::time::Duration::from_secs(1),
            auth: gate::registry::auth::AuthSources {
                files: vec![config.to_owned()],
                helper_path: None,
            },
            ..ClientConfig::default()
        },
        ..ResolveConfig::default()
    })
    .unwrap()
}

/// A registry (here `localhost:P`) whose token challenge names a plain-HTTP realm on another
/// origin (`127.0.0.1:P`) does not get the Basic credentials sent there in clear text.
#[tokio::test]
async fn credentials_never_go_to_a_plain_http_realm_on_another_origin() {
    use crate::proxy::{Fault, FaultProxy};
    use gate::reference::Reference;
    use gate::registry::ResolveError;
    let reg = crate::harness::Registry::start();
    reg.push_image("team/app", "v1").await;
    let proxy = FaultProxy::start(&reg.addr).await;
    let port = proxy.addr.rsplit(':').next().unwrap();
    let host = format!("localhost:{port}");
    proxy.set(
        Fault::Token {
            user: "bob".into(),
            pass: "realm-pa55".into(),
        },
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("config.json");
    let entry = r#"{"username":"bob","password":"realm-pa55"}"#;
    std::fs::write(
        &f,
        format!(
            r#"{{"auths":{{"{host}":{entry},"{}":{entry}}}}}"#,
            proxy.addr
        ),
    )
    .unwrap();
    let image = Reference::parse(&format!("{host}/team/app:v1")).unwrap();
    let before = proxy.requests();
    let e = resolver_for(&host, &f).resolve(&image).await.unwrap_err();
    assert!(
        matches!(e.error, ResolveError::InsecureRealm { .. }),
        "{e:?}"
    );
    assert!(e.error.to_string().contains("were not sent"), "{}", e.error);
    // The challenge only: no token request carried the password.
    assert_eq!(proxy.requests() - before, 1);
    // The same registry under its own origin gets its token.
    let image = Reference::parse(&format!("{}/team/app:v1", proxy.addr)).unwrap();
    resolver_for(&proxy.addr, &f).resolve(&image).await.unwrap();
}

/// Credentials stored for one repository (`host/team/app`, podman style) are not reused for
/// another repository on the same host once they were looked up.
#[tokio::test]
async fn credentials_for_one_repository_are_not_reused_for_another() {
    use crate::proxy::{Fault, FaultProxy};
    use gate::reference::Reference;
    use gate::registry::ResolveError;
    let reg = crate::harness::Registry::start();
    reg.push_image("team/app", "v1").await;
    reg.push_image("other/app", "v1").await;
    let proxy = FaultProxy::start(&reg.addr).await;
    proxy.set(
        Fault::Token {
            user: "bob".into(),
            pass: "repo-pa55".into(),
        },
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("auth.json");
    std::fs::write(
        &f,
        format!(
            r#"{{"auths":{{"{}/team/app":{{"username":"bob","password":"repo-pa55"}}}}}}"#,
            proxy.addr
        ),
    )
    .unwrap();
    let r = resolver_for(&proxy.addr, &f);
    let mine = Reference::parse(&format!("{}/team/app:v1", proxy.addr)).unwrap();
    r.resolve(&mine).await.unwrap();
    let other = Reference::parse(&format!("{}/other/app:v1", proxy.addr)).unwrap();
    let e = r.resolve(&other).await.unwrap_err();
    assert!(
        matches!(
            e.error,
            ResolveError::Unauthorized {
                had_credentials: false,
                ..
            }
        ),
        "{e:?}"
    );
}

/// A file of the tree that is a symlink to a file outside the trees named with `-f` is not
/// followed for writing: `gate pin` and `gate check --pin` refuse it, and the outside file
/// keeps its bytes.
#[tokio::test]
async fn pin_does_not_follow_a_link_out_of_the_tree() {
    let mut env = Env::new().await;
    env.image("shop-api", "1.4.2", true, CLEAN).await;
    let d = env.deploy(&["namespace.yaml"], &[]);
    let outside = env.path("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let api = std::fs::read(crate::check::examples().join("api.yaml")).unwrap();
    std::fs::write(outside.join("api.yaml"), &api).unwrap();
    std::os::unix::fs::symlink(outside.join("api.yaml"), d.join("api.yaml")).unwrap();
    let out = env.gate(&["pin", "-f", "deploy"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("outside the trees"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(outside.join("api.yaml")).unwrap(), api);
    let (out, report) = env.check(&[]);
    assert_eq!(out.status.code(), Some(2), "{}\n{report:#}", stderr(&out));
    assert!(
        report.to_string().contains("outside the trees"),
        "{report:#}"
    );
    assert_eq!(std::fs::read(outside.join("api.yaml")).unwrap(), api);
    assert!(std::fs::symlink_metadata(d.join("api.yaml"))
        .unwrap()
        .is_symlink());
}

/// `-o`/`--report` never rename over a symlink or a FIFO (or a device node: `-o /dev/null` as
/// root turned `/dev/null` into a regular file); the node is left as it was and the run fails.
#[tokio::test]
async fn reports_never_replace_links_or_devices() {
    let mut env = Env::new().await;
    env.image("shop-api", "1.4.2", true, CLEAN).await;
    env.deploy(&["namespace.yaml", "api.yaml"], &[]);
    let keep = env.path("keep.txt");
    std::fs::write(&keep, "keep").unwrap();
    let link = env.path("report-link.json");
    std::os::unix::fs::symlink(&keep, &link).unwrap();
    let fifo = env.path("report.fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    for (flag, value) in [
        ("--output", link.display().to_string()),
        ("--report", format!("sarif={}", fifo.display())),
    ] {
        let mut c = env.gate(&["check", "-f", "deploy", "--pin", "--key"]);
        c.arg(env.path("cosign.pub"))
            .args(["--trivy"])
            .arg(env.path("bin/trivy"))
            .args(["--format", "json", flag, &value]);
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("not a regular file"),
            "{}",
            stderr(&out)
        );
    }
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(std::fs::read_to_string(&keep).unwrap(), "keep");
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(
        &std::fs::symlink_metadata(&fifo).unwrap().file_type()
    ));
}

/// A small YAML file of many documents, each expanding its aliases to just under the
/// per-document bound, fails closed (exit 2) within 256 MiB and 60 s: the alias bound also
/// holds per file (before: 4.5 GB and 30 s for 12 KB).
/// (Before the run-wide bound, `yaml::MAX_ALIAS_NODES_PER_RUN`: exit 0 after 55.6 s at 2.2 GiB
/// peak on the loaded 2-core machine.)
#[tokio::test]
async fn many_alias_documents_in_one_file_fail_closed_within_bounds() {
    let mut env = Env::new().await;
    env.image("shop-api", "1.4.2", true, CLEAN).await;
    // a4 expands to ~111,111 nodes; seven copies per document stay under 1,000,000.
    let mut doc = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..5 {
        let p = i - 1;
        let refs = vec![format!("*a{p}"); 10].join(", ");
        doc.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
    }
    doc.push_str(&format!("  all: [{}]\n", ["*a4"; 7].join(", ")));
    let file = vec![doc; 20].join("---\n");
    assert!(file.len() < 16 * 1024, "{}", file.len());
    env.deploy(&["namespace.yaml", "api.yaml"], &[("bomb.yaml", &file)]);
    let peak = env.path("peak");
    let mut time = std::process::Command::new("/usr/bin/time");
    time.args(["-f", "%M", "-o"])
        .arg(&peak)
        .arg(env!("CARGO_BIN_EXE_gate"));
    let mut c = env.configure(time, &["check", "-f", "deploy", "--pin", "--key"]);
    c.arg(env.path("cosign.pub"))
        .arg("--trivy")
        .arg(env.path("bin/trivy"));
    let start = std::time::Instant::now();
    let out = c
        .output()
        .expect("/usr/bin/time runs (apt-get install time)");
    let elapsed = start.elapsed();
    let peak_kb: u64 = std::fs::read_to_string(&peak)
        .ok()
        .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no peak figure: {}", stderr(&out)));
    let all = format!(
        "{elapsed:?}, {peak_kb} KiB\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("bomb.yaml") && all.contains("alias bomb"),
        "{all}"
    );
    assert!(peak_kb < 256 * 1024, "{all}");
    assert!(elapsed < std::time::Duration::from_secs(60), "{all}");
    eprintln!("alias documents: {elapsed:?}, peak {peak_kb} KiB");
}

/// Run a gate command under `timeout` (so a run that blocks fails the test instead of hanging
/// it) and `/usr/bin/time` (peak memory): the output, the wall time and the peak in KiB.
fn bounded(env: &Env, args: &[&str]) -> (Output, std::time::Duration, u64) {
    let peak = env.path("peak");
    let _ = std::fs::remove_file(&peak);
    let mut c = std::process::Command::new("timeout");
    c.args(["-s", "KILL", "60", "/usr/bin/time", "-f", "%M", "-o"])
        .arg(&peak)
        .arg(env!("CARGO_BIN_EXE_gate"));
    let mut c = env.configure(c, args);
    let start = std::time::Instant::now();
    let out = c.output().expect("timeout and /usr/bin/time run");
    let peak_kb = std::fs::read_to_string(&peak)
        .ok()
        .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(u64::MAX);
    (out, start.elapsed(), peak_kb)
}

/// A change adds a FIFO, or a link to `/dev/zero` or `/proc/self/pagemap`, named like a
/// manifest: `gate check` and `gate lint` never read it (opened without blocking, `fstat`ed,
/// refused unless regular) and fail closed naming it, fast and small. Before: the FIFO hung
/// the run; `/dev/zero` was read until memory ran out.
#[tokio::test]
async fn only_regular_files_are_read_and_never_block() {
    let mut env = Env::new().await;
    env.image("shop-api", "1.4.2", true, CLEAN).await;
    type Make = fn(&std::path::Path);
    let cases: [(&str, Make, &str); 3] = [
        (
            "queue.yaml",
            |p| {
                let made = std::process::Command::new("mkfifo").arg(p).status();
                assert!(made.is_ok_and(|s| s.success()), "mkfifo");
            },
            "FIFO, not a regular file",
        ),
        (
            "zero.yaml",
            |p| std::os::unix::fs::symlink("/dev/zero", p).unwrap(),
            "/dev/zero",
        ),
        (
            "pagemap.yaml",
            |p| std::os::unix::fs::symlink("/proc/self/pagemap", p).unwrap(),
            "/proc/",
        ),
    ];
    for (name, make, why) in cases {
        let deploy = env.deploy(&["namespace.yaml", "api.yaml"], &[]);
        make(&deploy.join(name));
        let key = env.path("cosign.pub");
        let key = key.to_str().unwrap();
        let trivy = env.path("bin/trivy");
        let check = [
            "check",
            "-f",
            "deploy",
            "--key",
            key,
            "--trivy",
            trivy.to_str().unwrap(),
        ];
        for args in [&check[..], &["lint", "-f", "deploy"][..]] {
            let (out, elapsed, peak_kb) = bounded(&env, args);
            let all = format!(
                "{args:?} {name}: {elapsed:?}, {peak_kb} KiB\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                stderr(&out)
            );
            assert_eq!(out.status.code(), Some(2), "{all}");
            assert!(all.contains(name) && all.contains(why), "{all}");
            assert!(elapsed < std::time::Duration::from_secs(30), "{all}");
            assert!(peak_kb < 256 * 1024, "{all}");
        }
    }
}

/// A change runs an image from a field of a custom resource gate has no rule for: the string is
/// shaped like a reference, nothing checks it and nothing says it is not deployed, so the gate
/// fails (`GATE-IMG-005`, naming file and line) instead of passing. Before: exit 0.
#[tokio::test]
async fn an_image_in_a_field_gate_does_not_read_fails_the_gate() {
    let mut env = Env::new().await;
    env.image("shop-api", "1.4.2", true, CLEAN).await;
    let runner = "apiVersion: example.com/v1\nkind: Runner\nmetadata:\n  name: r\n  \
                  namespace: shop\nspec:\n  runner:\n    image: ghcr.io/acme/unchecked:6.6\n";
    env.deploy(&["namespace.yaml", "api.yaml"], &[("runner.yaml", runner)]);
    let (out, report) = env.check(&[]);
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        rules(&report).contains(&"GATE-IMG-005".to_string()),
        "{report:#}"
    );
    let text = report.to_string();
    assert!(
        text.contains("runner.yaml") && text.contains("ghcr.io/acme/unchecked:6.6"),
        "{report:#}"
    );
}

/// The manifests are part of the change, so their own `gate.dev/ignore` annotation cannot
/// except their findings unless the trusted policy allows inline exceptions: a privileged pod
/// that excepts itself still fails (and the report names the annotation, its file and line);
/// with `manifests.inline-exceptions.enabled` in `--policy` it passes; a `.gate.yaml` of the
/// change that enables them is refused.
#[tokio::test]
async fn an_inline_exception_in_the_tree_needs_the_trusted_policy() {
    let mut env = Env::new().await;
    env.image("shop-worker", "0.9.1", true, CLEAN).await;
    let worker = std::fs::read_to_string(crate::check::examples().join("worker.yaml")).unwrap();
    let privileged = worker
        .replacen(
            "  labels: {app: shop-worker}\nspec:",
            "  labels: {app: shop-worker}\n  annotations:\n    gate.dev/ignore: \"GATE-PSS-002 reason=the node driver needs it\"\nspec:",
            1,
        )
        .replacen(
            "            allowPrivilegeEscalation: false\n",
            "            privileged: true\n            allowPrivilegeEscalation: false\n",
            1,
        );
    assert_ne!(privileged, worker);
    env.deploy(&["namespace.yaml"], &[("worker.yaml", &privileged)]);
    let pss002 = |report: &Value| -> Vec<Value> {
        report["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["rule"] == "GATE-PSS-002")
            .cloned()
            .collect()
    };
    let check = |policy: Option<&str>| {
        let mut c = env.gate(&["check", "-f", "deploy", "--pin", "--key"]);
        c.arg(env.path("cosign.pub"));
        if let Some(p) = policy {
            c.arg("--policy").arg(env.path(p));
        }
        env.report(c)
    };

    // No policy: the annotation does not apply, and the finding says so.
    let (out, report) = check(None);
    assert_eq!(out.status.code(), Some(1), "{}\n{report:#}", stderr(&out));
    let found = pss002(&report);
    assert_eq!(found.len(), 1, "{report:#}");
    assert!(found[0]["exception"].is_null(), "{report:#}");
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.contains("`gate.dev/ignore`")
            && message.contains("worker.yaml:8")
            && message.contains("manifests.inline-exceptions"),
        "{message}"
    );

    // The trusted policy allows them: excepted, and the change passes.
    let allow = "version: 1\nmanifests:\n  inline-exceptions:\n    enabled: true\n";
    std::fs::write(env.path("trusted.yaml"), allow).unwrap();
    let (out, report) = check(Some("trusted.yaml"));
    assert_eq!(out.status.code(), Some(0), "{}\n{report:#}", stderr(&out));
    let found = pss002(&report);
    assert_eq!(found.len(), 1, "{report:#}");
    assert!(!found[0]["exception"].is_null(), "{report:#}");

    // Allowed only for other rules: the finding stands again.
    let narrow = format!("{allow}    rules: [\"GATE-K8S-*\"]\n");
    std::fs::write(env.path("trusted.yaml"), narrow).unwrap();
    let (out, report) = check(Some("trusted.yaml"));
    assert_eq!(out.status.code(), Some(1), "{}\n{report:#}", stderr(&out));
    assert!(pss002(&report)[0]["exception"].is_null(), "{report:#}");

    // The change's own policy cannot allow them.
    std::fs::write(env.path(".gate.yaml"), allow).unwrap();
    let (out, report) = check(None);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}\n{report:#}");
    assert!(
        err.contains(".gate.yaml:4: ")
            && err.contains("`manifests.inline-exceptions.enabled`")
            && err.contains("--policy"),
        "{err}"
    );
}
