//! `gate check` end to end: the real binary, a real registry, real cosign-format signatures made
//! with `gate sign`, and the replay scanner. One passing deploy and one failing deploy for each
//! reason, asserting the exit code, the report and which files were pinned.

use crate::harness::{Options, Registry};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CLEAN: &str = "small-clean.json";
const VULNERABLE: &str = "small-critical.json";

pub(crate) struct Env {
    pub reg: Registry,
    pub dir: tempfile::TempDir,
    map: serde_json::Map<String, Value>,
    /// Where `ghcr.io/acme` is resolved: the registry, or a fault proxy in front of it.
    pub upstream: String,
}

pub(crate) fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/deploy")
}

impl Env {
    pub async fn new() -> Self {
        Self::with(Options::default()).await
    }

    /// An environment whose registry is started with `opts`.
    pub async fn with(opts: Options) -> Self {
        let reg = Registry::with(opts);
        let dir = tempfile::tempdir().unwrap();
        let upstream = reg.addr.clone();
        let env = Self {
            reg,
            dir,
            map: serde_json::Map::new(),
            upstream,
        };
        let out = env
            .gate(&["generate-key-pair", "--output-key-prefix"])
            .arg(env.path("cosign"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let trivy = env.path("bin");
        std::fs::create_dir_all(&trivy).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_gate-trivy-replay"), trivy.join("trivy"))
            .unwrap();
        env
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `gate` with the test registry reachable as `ghcr.io/acme` and no ambient credentials.
    pub fn gate(&self, args: &[&str]) -> Command {
        self.configure(Command::new(env!("CARGO_BIN_EXE_gate")), args)
    }

    /// The environment and registry flags of [`Env::gate`] on a command that runs gate (the
    /// binary itself, or a wrapper such as `/usr/bin/time` whose next argument is gate).
    pub fn configure(&self, mut c: Command, args: &[&str]) -> Command {
        c.current_dir(self.dir.path())
            .env("DOCKER_CONFIG", self.path("no-docker-config"))
            .env_remove("REGISTRY_AUTH_FILE")
            .env("XDG_CACHE_HOME", self.path("cache"))
            .env("COSIGN_PASSWORD", "test-password")
            .env("CI", "true")
            // One reason per line: tests read the table line by line, unwrapped (wrapping
            // itself is tested in report.rs).
            .env("COLUMNS", "1000")
            .env("GATE_REPLAY_CONFIG", self.path("bin/replay.json"))
            .args(["--insecure-registry", &self.upstream])
            .args(["--mirror", &format!("ghcr.io/acme={}/acme", self.upstream)])
            .args(args);
        c
    }

    /// Push `acme/NAME:TAG`, sign it when asked, and have the scanner replay `report` for it.
    pub async fn image(&mut self, name: &str, tag: &str, signed: bool, report: &str) -> String {
        let digest = self.reg.push_image(&format!("acme/{name}"), tag).await;
        self.sign_and_map(name, tag, signed, Some(report), digest)
            .await
    }

    /// Push the image built from `seed` (the same bytes, so the same digest, whatever name it
    /// goes to) as `acme/NAME:TAG`; sign it when asked; map `report` for it (`None`: the scanner
    /// fails for this digest).
    pub async fn build(
        &mut self,
        name: &str,
        tag: &str,
        seed: &str,
        signed: bool,
        report: Option<&str>,
    ) -> String {
        let (blobs, manifest) = crate::harness::image_parts(seed, "linux", "amd64");
        let digest = self
            .reg
            .push_raw(
                &format!("acme/{name}"),
                tag,
                &blobs,
                &manifest,
                "application/vnd.oci.image.manifest.v1+json",
            )
            .await;
        self.sign_and_map(name, tag, signed, report, digest).await
    }

    async fn sign_and_map(
        &mut self,
        name: &str,
        tag: &str,
        signed: bool,
        report: Option<&str>,
        digest: String,
    ) -> String {
        if signed {
            let out = self
                .gate(&["sign", "--key"])
                .arg(self.path("cosign.key"))
                .arg(format!("ghcr.io/acme/{name}:{tag}"))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // The registry is declared insecure, so Trivy must get `--insecure`.
        if let Some(report) = report {
            self.map.insert(
                digest.clone(),
                serde_json::json!({"report": report, "insecure": true}),
            );
        }
        let map = self.path("bin/map.json");
        std::fs::write(&map, serde_json::to_vec(&self.map).unwrap()).unwrap();
        let cfg = serde_json::json!({"map": map, "log": self.path("bin/log")});
        std::fs::write(self.path("bin/replay.json"), cfg.to_string()).unwrap();
        digest
    }

    /// A deploy directory with these example files (plus extra ones given as text).
    pub fn deploy(&self, files: &[&str], extra: &[(&str, &str)]) -> PathBuf {
        let d = self.path("deploy");
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        for f in files {
            std::fs::copy(examples().join(f), d.join(f)).unwrap();
        }
        for (name, text) in extra {
            std::fs::write(d.join(name), text).unwrap();
        }
        d
    }

    /// `gate check -f deploy --pin --key cosign.pub` with the replay scanner.
    pub fn check(&self, extra: &[&str]) -> (Output, Value) {
        let mut c = self.gate(&["check", "-f", "deploy", "--pin", "--key"]);
        c.arg(self.path("cosign.pub")).args(extra);
        self.report(c)
    }

    /// Run a `gate check` command with the JSON report written to a file; the output and the
    /// parsed report (`null` when none was written).
    pub fn report(&self, mut c: Command) -> (Output, Value) {
        let report = self.path("report.json");
        let _ = std::fs::remove_file(&report);
        let out = c
            .arg("--trivy")
            .arg(self.path("bin/trivy"))
            .args(["--format", "json", "--output"])
            .arg(&report)
            .output()
            .unwrap();
        let json = std::fs::read(&report)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        (out, json)
    }
}

fn rules(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter(|x| x["exception"].is_null() && x["severity"] == "error")
                .map(|x| x["rule"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn a_clean_signed_deploy_passes_and_is_pinned() {
    let mut env = Env::new().await;
    let digest = env.image("shop-api", "1.4.2", true, CLEAN).await;
    let d = env.deploy(&["namespace.yaml", "api.yaml"], &[]);
    let (out, report) = env.check(&[]);
    assert_eq!(out.status.code(), Some(0), "{}\n{report:#}", stderr(&out));
    assert_eq!(report["verdict"], "passed");
    let img = &report["images"][0];
    assert_eq!(img["digest"], digest.as_str());
    assert_eq!(img["signatures"].as_array().unwrap().len(), 1);
    let pinned = std::fs::read_to_string(d.join("api.yaml")).unwrap();
    assert!(
        pinned.contains(&format!(
            "image: ghcr.io/acme/shop-api:1.4.2@{digest}   # pinned"
        )),
        "{pinned}"
    );
    // The scanner was asked for the digest, once.
    let log = std::fs::read_to_string(env.path("bin/log")).unwrap();
    assert_eq!(log.matches(&digest).count(), 1, "{log}");
    assert!(!log.contains("FAIL"), "{log}");
}

/// Every request a cold `gate check --key` sends the registry for a signed image, read from
/// the real registry's access log: each is a round trip the registry spends CPU on beside
/// Trivy, so one more per image fails here (and one fewer is a change to this list, made on
/// purpose). Once by tag, then again on the tree the first run pinned.
#[tokio::test]
async fn registry_requests_per_signed_image() {
    let mut env = Env::with(Options {
        access_log: true,
        ..Options::default()
    })
    .await;
    let names = ["shop-api", "shop-web"];
    let mut digests = Vec::new();
    for name in names {
        digests.push(env.image(name, "1.4.2", true, CLEAN).await);
    }
    let api = std::fs::read_to_string(examples().join("api.yaml")).unwrap();
    let web = api.replace("shop-api", "shop-web");
    env.deploy(&["namespace.yaml", "api.yaml"], &[("web.yaml", &web)]);
    // Verify, in the order sent: the signature manifest and its one layer, then cosign v3
    // bundles as cosign looks for them: the referrers API, and (this registry has none) the
    // referrers tag schema.
    let verify = [
        "GET /v2/REPO/manifests/sha256-DIGEST.sig 200",
        "GET /v2/REPO/blobs/BLOB 200",
        "GET /v2/REPO/referrers/sha256:DIGEST?artifactType=application/vnd.dev.sigstore.bundle.v0.3%2Bjson 404",
        "GET /v2/REPO/manifests/sha256-DIGEST 404",
    ];
    // By tag: resolve looks the tag up, inspect reads the manifest it announced, by digest.
    let by_tag = [
        "HEAD /v2/REPO/manifests/1.4.2 200",
        "GET /v2/REPO/manifests/sha256:DIGEST 200",
    ];
    // Pinned (`tag@digest`): one GET by digest checks it exists (inspect reuses its bytes),
    // beside the HEAD that looks the tag up for a stale pin; no HEAD by digest.
    let pinned = [
        "GET /v2/REPO/manifests/sha256:DIGEST 200",
        "HEAD /v2/REPO/manifests/1.4.2 200",
    ];
    for (run, resolve) in [("by tag", &by_tag[..]), ("pinned", &pinned[..])] {
        let before = env.reg.requests().len();
        let (out, report) = env.check(&[]);
        assert_eq!(out.status.code(), Some(0), "{}\n{report:#}", stderr(&out));
        for img in report["images"].as_array().unwrap() {
            assert_eq!(img["signatures"].as_array().unwrap().len(), 1, "{img:#}");
        }
        let requests: Vec<String> = env.reg.requests()[before..].to_vec();
        for r in &requests {
            assert!(
                r.ends_with(concat!("gate/", env!("CARGO_PKG_VERSION"))),
                "{r}"
            );
        }
        // Resolve's requests go out together (in any order); the rest one after the other.
        let sorted = |v: &[&str]| {
            let mut v: Vec<String> = v.iter().map(|x| x.to_string()).collect();
            let n = resolve.len().min(v.len());
            v[..n].sort();
            v
        };
        let expected: Vec<&str> = resolve.iter().chain(&verify).copied().collect();
        let expected = sorted(&expected);
        let mut per_image = 0;
        for (name, digest) in names.iter().zip(&digests) {
            let hex = digest.trim_start_matches("sha256:");
            let mine: Vec<String> = requests
                .iter()
                .filter(|r| r.contains(&format!(" /v2/acme/{name}/")))
                .map(|r| {
                    let r = r.rsplit_once(' ').map_or(r.as_str(), |(r, _)| r);
                    let r = r
                        .replace(&format!("/v2/acme/{name}/"), "/v2/REPO/")
                        .replace(hex, "DIGEST");
                    match r.split_once("/blobs/") {
                        Some((method, rest)) => {
                            let status = rest.rsplit(' ').next().unwrap_or_default();
                            format!("{method}/blobs/BLOB {status}")
                        }
                        None => r,
                    }
                })
                .collect();
            let got = sorted(&mine.iter().map(String::as_str).collect::<Vec<_>>());
            assert_eq!(got, expected, "{run}, {name}: {requests:#?}");
            per_image += mine.len();
        }
        // Nothing beside the images' own requests (no `/v2/` ping, per blob or at all).
        assert_eq!(requests.len(), per_image, "{run}: {requests:#?}");
    }
}

#[tokio::test]
async fn an_unsigned_image_fails_and_is_not_pinned() {
    let mut env = Env::new().await;
    env.image("shop-worker", "0.9.1", false, CLEAN).await;
    let d = env.deploy(&["namespace.yaml", "worker.yaml"], &[]);
    let (out, report) = env.check(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        rules(&report).contains(&"GATE-SIG-001".to_string()),
        "{report:#}"
    );
    let text = std::fs::read_to_string(d.join("worker.yaml")).unwrap();
    assert_eq!(
        text,
        std::fs::read_to_string(examples().join("worker.yaml")).unwrap()
    );
}

#[tokio::test]
async fn a_vulnerable_image_fails() {
    let mut env = Env::new().await;
    env.image("shop-legacy", "3.1.0", true, VULNERABLE).await;
    env.deploy(&["namespace.yaml", "legacy.yaml"], &[]);
    let (out, report) = env.check(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        rules(&report).contains(&"GATE-VULN-001".to_string()),
        "{report:#}"
    );
    assert!(report["pinned"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn pod_security_and_rbac_violations_fail() {
    let mut env = Env::new().await;
    env.image("shop-api", "1.4.2", true, CLEAN).await;
    let privileged = std::fs::read_to_string(examples().join("api.yaml"))
        .unwrap()
        .replace("allowPrivilegeEscalation: false", "privileged: true");
    let rbac = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: everything\nrules:\n  - apiGroups: [\"*\"]\n    resources: [\"*\"]\n    verbs: [\"*\"]\n";
    env.deploy(
        &["namespace.yaml"],
        &[("api.yaml", &privileged), ("rbac.yaml", rbac)],
    );
    let (out, report) = env.check(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = rules(&report);
    assert!(r.contains(&"GATE-PSS-002".to_string()), "{r:?}");
    assert!(r.contains(&"GATE-K8S-010".to_string()), "{r:?}");
}

#[tokio::test]
async fn a_registry_that_is_down_means_could_not_check() {
    let mut env = Env::new().await;
    env.image("shop-api", "1.4.2", true, CLEAN).await;
    env.deploy(&["namespace.yaml", "api.yaml"], &[]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = format!("127.0.0.1:{port}");
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .current_dir(env.dir.path())
        .env("DOCKER_CONFIG", env.path("no-docker-config"))
        .args([
            "--insecure-registry",
            &dead,
            "--mirror",
            &format!("ghcr.io/acme={dead}/acme"),
        ])
        .args(["check", "-f", "deploy", "--skip-scan", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // The table wraps long lines: read it with its line breaks as spaces.
    let text = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("ghcr.io/acme/shop-api:1.4.2") && text.contains("cannot connect"),
        "{text}"
    );
}

#[tokio::test]
async fn a_missing_scanner_means_could_not_check() {
    let mut env = Env::new().await;
    env.image("shop-api", "1.4.2", true, CLEAN).await;
    let d = env.deploy(&["namespace.yaml", "api.yaml"], &[]);
    let report = env.path("r.json");
    let out = env
        .gate(&[
            "check",
            "-f",
            "deploy",
            "--pin",
            "--format",
            "json",
            "--trivy",
            "/nonexistent/trivy",
        ])
        .arg("--output")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["verdict"], "incomplete");
    assert!(json.to_string().contains("trivy"), "{json:#}");
    // Nothing passed, so nothing was pinned.
    let text = std::fs::read_to_string(d.join("api.yaml")).unwrap();
    assert!(!text.contains("@sha256:"), "{text}");
    // Two images, one cause: the table prints it once, with the images it stopped.
    env.image("shop-web", "2.0.0", true, CLEAN).await;
    env.deploy(&["namespace.yaml", "api.yaml", "web.yaml"], &[]);
    let out = env
        .gate(&["check", "-f", "deploy", "--trivy", "/nonexistent/trivy"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(table.matches("/nonexistent/trivy").count(), 1, "{table}");
    let flat = table.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("(2 images: "), "{table}");
}

/// Every way the scanner can break fails the gate closed (exit 2), names the image and the
/// scanner's own last error line, and pins nothing.
#[tokio::test]
async fn scanner_faults_mean_could_not_check() {
    let mut env = Env::new().await;
    env.image("shop-api", "1.4.2", true, CLEAN).await;
    let d = env.deploy(&["namespace.yaml", "api.yaml"], &[]);
    for mode in ["crash", "garbage", "schema", "db-fail", "fail"] {
        let mut c = env.gate(&["check", "-f", "deploy", "--pin", "--no-cache"]);
        c.env("GATE_REPLAY_MODE", mode);
        let (out, json) = env.report(c);
        assert_eq!(out.status.code(), Some(2), "{mode}: {}", stderr(&out));
        assert_eq!(json["verdict"], "incomplete", "{mode}");
        let errors = json["images"][0]["errors"].to_string();
        assert!(errors.contains("scan"), "{mode}: {errors}");
        let text = std::fs::read_to_string(d.join("api.yaml")).unwrap();
        assert!(!text.contains("@sha256:"), "{mode}: pinned anyway");
        let _ = std::fs::remove_dir_all(env.path("bin/log.seen"));
    }
}

/// A read-only manifest cannot be pinned: exit 2 and every byte of it intact.
#[tokio::test]
async fn a_pin_that_cannot_be_written_changes_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let mut env = Env::new().await;
    env.image("shop-api", "1.4.2", true, CLEAN).await;
    env.image("shop-web", "2.0.0", true, CLEAN).await;
    let d = env.deploy(&["namespace.yaml", "api.yaml", "web.yaml"], &[]);
    // The directory is read-only: no temp file can be made beside the manifests.
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o555)).unwrap();
    let before: Vec<Vec<u8>> = ["api.yaml", "web.yaml"]
        .iter()
        .map(|f| std::fs::read(d.join(f)).unwrap())
        .collect();
    let (out, report) = env.check(&[]);
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Running as root ignores directory permissions; then the pin simply succeeds.
    if report["pinned"].as_array().is_some_and(|p| !p.is_empty()) {
        eprintln!("skipped: directory permissions do not bind this user");
        return;
    }
    assert_eq!(out.status.code(), Some(2), "{}\n{report:#}", stderr(&out));
    assert!(report["errors"].to_string().contains("pin"), "{report:#}");
    let after: Vec<Vec<u8>> = ["api.yaml", "web.yaml"]
        .iter()
        .map(|f| std::fs::read(d.join(f)).unwrap())
        .collect();
    assert_eq!(before, after);
}

/// A malformed policy is an error naming the file and line, before anything runs.
#[tokio::test]
async fn a_malformed_policy_names_file_and_line() {
    let env = Env::new().await;
    env.deploy(&["namespace.yaml"], &[]);
    std::fs::write(
        env.path("bad.yaml"),
        "version: 1\nvulnerabilities:\n  severitys: [HIGH]\n",
    )
    .unwrap();
    let out = env
        .gate(&["check", "-f", "deploy", "--policy", "bad.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bad.yaml:3") && err.contains("severitys"),
        "{err}"
    );
}

/// Registry credentials reach neither the report nor the terminal nor the cache.
#[tokio::test]
async fn credentials_never_appear_in_output_reports_or_cache() {
    let mut env = Env::new().await;
    env.image("shop-api", "1.4.2", true, CLEAN).await;
    env.deploy(&["namespace.yaml", "api.yaml"], &[]);
    let secret = "s3cr3t-pa55-word-7781";
    let cfg = env.path("docker");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("config.json"),
        format!(
            r#"{{"auths":{{"{}":{{"username":"ci","password":"{secret}"}}}}}}"#,
            env.reg.addr
        ),
    )
    .unwrap();
    let mut c = env.gate(&["check", "-f", "deploy"]);
    c.env("DOCKER_CONFIG", &cfg);
    let (out, json) = env.report(c);
    let report = json.to_string();
    assert_ne!(json, Value::Null, "no report was written: {}", stderr(&out));
    assert!(!String::from_utf8_lossy(&out.stdout).contains(secret));
    assert!(!stderr(&out).contains(secret));
    assert!(!report.contains(secret));
    for entry in walk(&env.path("cache")) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "{}",
            entry.display()
        );
    }
}

/// Every file under `dir`, recursively.
pub(crate) fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Omitted policy sections mean the built-in defaults: the same run (an unsigned, clean image
/// and its Deployment) with no policy, an empty one (`version: 1`) and one that sets only
/// `scanner.timeout` gives the same verdict, the same findings at the same severities.
#[tokio::test]
async fn no_policy_empty_policy_and_a_timeout_only_policy_judge_alike() {
    let mut env = Env::new().await;
    env.image("shop-worker", "0.9.1", false, CLEAN).await;
    env.deploy(&["namespace.yaml", "worker.yaml"], &[]);
    std::fs::write(env.path("empty.yaml"), "version: 1\n").unwrap();
    std::fs::write(
        env.path("timeout.yaml"),
        "version: 1\nscanner:\n  timeout: 3m\n",
    )
    .unwrap();
    let judged = |policy: Option<&str>| {
        let mut c = env.gate(&["check", "-f", "deploy"]);
        if let Some(p) = policy {
            c.arg("--policy").arg(env.path(p));
        }
        let (out, report) = env.report(c);
        let mut findings: Vec<(String, String, String)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["severity"].as_str().unwrap().to_string(),
                    f["subject"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        findings.sort();
        (out.status.code(), report["verdict"].clone(), findings)
    };
    let none = judged(None);
    assert!(
        none.2
            .iter()
            .any(|(r, s, _)| r == "GATE-SIG-001" && s == "warning"),
        "{none:?}"
    );
    assert_eq!(judged(Some("empty.yaml")), none);
    assert_eq!(judged(Some("timeout.yaml")), none);
}

/// GATE-IMG-001 applies to a tag wherever it is written: the same `name:tag` in a Dockerfile,
/// a Compose file and a Deployment is one finding in each file.
#[tokio::test]
async fn an_unpinned_tag_is_reported_in_dockerfile_compose_and_deployment_alike() {
    let mut env = Env::new().await;
    env.image("shop-api", "1.4.2", true, CLEAN).await;
    env.deploy(
        &["namespace.yaml", "api.yaml"],
        &[
            ("Dockerfile", "FROM ghcr.io/acme/shop-api:1.4.2\n"),
            (
                "compose.yaml",
                "services:\n  api:\n    image: ghcr.io/acme/shop-api:1.4.2\n",
            ),
        ],
    );
    let mut c = env.gate(&["check", "-f", "deploy", "--skip-scan"]);
    c.arg("--key").arg(env.path("cosign.pub"));
    let (out, report) = env.report(c);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let mut files: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "GATE-IMG-001")
        .map(|f| f["location"]["file"].as_str().unwrap().to_string())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "deploy/Dockerfile",
            "deploy/api.yaml",
            "deploy/compose.yaml"
        ],
        "{report:#}"
    );
}
