//! Where `scripts/install-deps --peers` puts the pinned peers, and how the tests run them.
//! The versions here and in the script must agree (`GATE_PEERS_DIR` overrides the directory).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::harness::Registry;

pub const COSIGN_V2: &str = "v2.6.5";
pub const COSIGN_V3: &str = "v3.1.3";
/// go-containerregistry, whose `pkg/registry` serves the OCI 1.1 referrers API.
pub const GGCR: &str = "v0.22.1";
/// The Kyverno CLI, policy-controller's `policy-tester` and the Pod Security admission library
/// (scripts/peers/{kyverno,policy-controller,psa-harness}/install).
pub const KYVERNO: &str = "v1.19.1";
pub const POLICY_CONTROLLER: &str = "v0.13.1";
pub const PSA: &str = "v0.37.2";
/// Sigstore Fulcio and the test OIDC issuer beside it (scripts/peers/fulcio/install).
pub const FULCIO: &str = "v1.8.8";
/// Sigstore's RFC 3161 timestamp authority (scripts/peers/timestamp-authority/install).
pub const TSA: &str = "v2.1.3";

fn dir() -> PathBuf {
    match std::env::var_os("GATE_PEERS_DIR") {
        Some(d) => PathBuf::from(d),
        None => {
            let home = std::env::var_os("HOME").unwrap_or_default();
            Path::new(&home).join(".cache/gate/peers")
        }
    }
}

/// The peer binary, or `None` (with a notice) when it is missing outside CI. In CI a missing
/// peer fails the test: the matrix must never silently not run.
fn peer(sub: &str, exe: &str) -> Option<PathBuf> {
    let path = dir().join(sub).join(exe);
    if path.is_file() {
        return Some(path);
    }
    let msg = format!(
        "{} is not installed: run `scripts/install-deps --peers`",
        path.display()
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
    eprintln!("skipped: {msg}");
    None
}

pub fn referrers_registry() -> Option<PathBuf> {
    peer(
        &format!("referrers-registry-ggcr-{GGCR}"),
        "referrers-registry",
    )
}

pub fn kyverno() -> Option<PathBuf> {
    peer(&format!("kyverno-{KYVERNO}"), "kyverno")
}

pub fn policy_tester() -> Option<PathBuf> {
    peer(
        &format!("policy-controller-{POLICY_CONTROLLER}"),
        "policy-tester",
    )
}

pub fn fulcio() -> Option<PathBuf> {
    peer(&format!("fulcio-{FULCIO}"), "fulcio")
}

pub fn timestamp_server() -> Option<PathBuf> {
    peer(&format!("timestamp-authority-{TSA}"), "timestamp-server")
}

pub fn oidc_issuer() -> Option<PathBuf> {
    peer("oidc-issuer-v2", "oidc-issuer")
}

pub fn psa_harness() -> Option<PathBuf> {
    peer(&format!("psa-harness-{PSA}"), "psa-harness")
}

/// Which registry a cell runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryKind {
    /// Debian's `docker-registry` 2.8: no referrers API, so the referrers tag schema.
    TagFallback,
    /// go-containerregistry's registry with the OCI 1.1 referrers API.
    ReferrersApi,
}

pub const REGISTRIES: [RegistryKind; 2] = [RegistryKind::TagFallback, RegistryKind::ReferrersApi];

impl RegistryKind {
    pub fn start(self) -> Option<Registry> {
        match self {
            RegistryKind::TagFallback => Some(Registry::start()),
            RegistryKind::ReferrersApi => Registry::referrers(),
        }
    }
}

/// One cosign CLI.
#[derive(Debug, Clone)]
pub struct Cosign {
    pub exe: PathBuf,
    pub version: &'static str,
}

impl Cosign {
    pub fn v2() -> Option<Self> {
        Some(Self {
            exe: peer(&format!("cosign-{COSIGN_V2}"), "cosign")?,
            version: COSIGN_V2,
        })
    }

    pub fn v3() -> Option<Self> {
        Some(Self {
            exe: peer(&format!("cosign-{COSIGN_V3}"), "cosign")?,
            version: COSIGN_V3,
        })
    }

    /// `cosign ARGS` in `dir`, with the key password, offline from any Sigstore instance.
    pub fn run(&self, dir: &Path, args: &[&str]) -> Output {
        self.run_env(dir, args, &[])
    }

    /// [`run`](Self::run) with these variables set too.
    pub fn run_env(&self, dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Output {
        Command::new(&self.exe)
            .envs(env.iter().copied())
            .current_dir(dir)
            .args(args)
            .env("COSIGN_PASSWORD", PASSWORD)
            .env("HOME", dir)
            .env("TUF_ROOT", dir.join("tuf"))
            .env("SIGSTORE_NO_CACHE", "true")
            .env_remove("COSIGN_EXPERIMENTAL")
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", self.exe.display()))
    }

    /// Like [`run`](Self::run), asserting success.
    pub fn ok(&self, dir: &Path, args: &[&str]) -> Output {
        let out = self.run(dir, args);
        assert!(
            out.status.success(),
            "cosign {} {args:?} failed:\n{}",
            self.version,
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `PREFIX.key` and `PREFIX.pub` in `dir`.
    pub fn key_pair(&self, dir: &Path, prefix: &str) -> (PathBuf, PathBuf) {
        self.ok(dir, &["generate-key-pair", "--output-key-prefix", prefix]);
        (
            dir.join(format!("{prefix}.key")),
            dir.join(format!("{prefix}.pub")),
        )
    }
}

/// The password of every key the tests make.
pub const PASSWORD: &str = "interop";

/// `gate ARGS` in `dir`, plain HTTP to `reg`.
pub fn gate(dir: &Path, reg: &Registry, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gate"));
    c.current_dir(dir)
        .env("COSIGN_PASSWORD", PASSWORD)
        .env("HOME", dir)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .args(["--insecure-registry", &reg.addr])
        .args(args);
    c
}

/// `gate check --skip-scan` on `image` with the JSON report: exit code and report.
pub fn check(dir: &Path, reg: &Registry, image: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let report = dir.join("report.json");
    let _ = std::fs::remove_file(&report);
    let out = gate(dir, reg, &["check", "--skip-scan", "-q"])
        .args(extra)
        .args(["--format", "json", "--output"])
        .arg(&report)
        .arg(image)
        .output()
        .unwrap();
    let json = std::fs::read(&report)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    if out.status.code() == Some(2) {
        eprintln!("gate stderr: {}", String::from_utf8_lossy(&out.stderr));
    }
    (out.status.code(), json)
}

/// The error-level rules a report's findings name, sorted.
pub fn rules(report: &Value) -> Vec<String> {
    let mut out: Vec<String> = report["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter(|x| x["exception"].is_null() && x["severity"] == "error")
                .map(|x| x["rule"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// `@actions/attest` 3.2.0, `@sigstore/mock` 0.13.0 and `@sigstore/oci` 0.7.2 under
/// `~/.cache/gate/npm`, run by `scripts/peers/github-attest/attest.mjs` (versions as in
/// `scripts/install-peers`).
pub const ACTIONS_ATTEST: &str = "3.2.0";
pub const SIGSTORE_MOCK: &str = "0.13.0";
pub const SIGSTORE_OCI: &str = "0.7.2";

/// What the GitHub-style provenance script made.
#[derive(Debug)]
pub struct GithubAttestation {
    /// The certificate's SAN (`https://github.com/OWNER/REPO/WORKFLOW@REF`).
    pub identity: String,
    pub issuer: String,
    /// The trusted root for the mock's CA and timestamp authority.
    pub trusted_root: PathBuf,
}

/// Where the npm peers are, or `None` (with a notice) when one is missing outside CI.
fn npm_peers() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").unwrap_or_default();
    let npm = Path::new(&home).join(".cache/gate/npm");
    for (package, version) in [
        ("@actions/attest", ACTIONS_ATTEST),
        ("@sigstore/mock", SIGSTORE_MOCK),
        ("@sigstore/oci", SIGSTORE_OCI),
    ] {
        let manifest = npm.join("node_modules").join(package).join("package.json");
        let found = std::fs::read(&manifest)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .is_some_and(|v| v["version"] == version);
        if !found {
            let msg = format!(
                "{package} {version} is not installed under {}: run `scripts/install-deps --peers`",
                npm.display()
            );
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
            eprintln!("skipped: {msg}");
            return None;
        }
    }
    Some(npm)
}

/// Runs `scripts/peers/github-attest/attest.mjs`: a keyless SLSA v1 provenance of `subject`
/// by `@actions/attest` (GitHub's Sigstore instance, mocked by `@sigstore/mock`), pushed by
/// `@sigstore/oci` as a referrer of each of `attach` in `repo` on `reg`. `None` when the npm
/// peers are not installed (outside CI).
pub fn github_attest(
    dir: &Path,
    reg: &Registry,
    repo: &str,
    subject: &str,
    attach: &[&str],
) -> Option<GithubAttestation> {
    let npm = npm_peers()?;
    let out_dir = dir.join("github-attest");
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/peers/github-attest/attest.mjs");
    let mut cmd = Command::new("node");
    cmd.arg(&script)
        .args(["--image", &format!("{}/{repo}", reg.addr)])
        .args(["--subject", subject])
        .arg("--out")
        .arg(&out_dir)
        .env("GATE_NPM_DIR", &npm);
    for a in attach {
        cmd.args(["--attach", a]);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("node: {e}"));
    assert!(
        out.status.success(),
        "attest.mjs failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // @actions/core writes workflow commands (`::debug::`) to stdout; the result is the last line.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout
        .lines()
        .rfind(|l| l.starts_with('{'))
        .unwrap_or_default();
    let result: Value = serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let referrers = result["referrers"].as_array().map(Vec::len);
    assert_eq!(referrers, Some(attach.len()), "{result}");
    Some(GithubAttestation {
        identity: result["identity"].as_str().unwrap().to_string(),
        issuer: result["issuer"].as_str().unwrap().to_string(),
        trusted_root: out_dir.join("trusted_root.json"),
    })
}
