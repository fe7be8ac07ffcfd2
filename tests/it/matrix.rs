//! The hostile matrix end to end: every fault of docs/hostile.md played against the real `gate
//! check -f deploy --pin` binary, with registry credentials and a key password configured.
//! Each row asserts the exit code, one line of the terminal report naming the image (or file)
//! and the cause, a bounded wall time, a peak resident set under 256 MiB (measured by GNU
//! `time`), that no file changed unless the gate passed, and that no secret reached stdout,
//! stderr, the JSON report or the cache.

use crate::check::{walk, Env};
use crate::proxy::{Fault, FaultProxy, Hook};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const IMAGE: &str = "ghcr.io/acme/shop-api:1.4.2";
const USER: &str = "ci-bot";
const PASSWORD: &str = "matrix-pa55-Zq81";
/// Every secret the runs know: the registry password, the proxy's bearer token, the password of
/// the cosign key (`COSIGN_PASSWORD` of [`Env`]).
const SECRETS: [&str; 3] = [PASSWORD, "proxy-token-123", "test-password"];
const PEAK_LIMIT_KB: u64 = 256 * 1024;

/// What one run of `gate check` did.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    report: Value,
    elapsed: Duration,
    peak_kb: u64,
}

/// What a row expects.
struct Expect<'a> {
    code: i32,
    /// Every word must be on one line of stdout, together with `subject`.
    says: &'a [&'a str],
    subject: &'a str,
    within: Duration,
}

impl<'a> Expect<'a> {
    fn exit(code: i32, says: &'a [&'a str]) -> Self {
        Expect {
            code,
            says,
            subject: IMAGE,
            within: Duration::from_secs(30),
        }
    }
}

struct Matrix {
    env: Env,
    proxy: FaultProxy,
    digest: String,
    creds: PathBuf,
}

impl Matrix {
    async fn new() -> Self {
        let mut env = Env::new().await;
        let digest = env
            .image("shop-api", "1.4.2", true, "small-clean.json")
            .await;
        env.image("shop-web", "2.0.0", true, "small-clean.json")
            .await;
        let proxy = FaultProxy::start(&env.reg.addr).await;
        // Signatures were pushed straight to the registry; from now on gate goes through the
        // proxy, with credentials for it (which Trivy must get through its environment).
        env.upstream = proxy.addr.clone();
        env.expect_credentials(USER, PASSWORD);
        let creds = env.path("docker");
        std::fs::create_dir_all(&creds).unwrap();
        std::fs::write(
            creds.join("config.json"),
            format!(
                r#"{{"auths":{{"{}":{{"username":"{USER}","password":"{PASSWORD}"}}}}}}"#,
                proxy.addr
            ),
        )
        .unwrap();
        Self {
            env,
            proxy,
            digest,
            creds,
        }
    }

    /// A fresh deploy directory with the two signed images.
    fn deploy(&self) -> PathBuf {
        self.env
            .deploy(&["namespace.yaml", "api.yaml", "web.yaml"], &[])
    }

    /// `gate check -f deploy --pin --key cosign.pub` under GNU time, table on stdout and the
    /// JSON evidence record beside it.
    fn run(&self, extra: &[&str]) -> Run {
        self.run_with(extra, &[])
    }

    fn run_with(&self, extra: &[&str], envs: &[(&str, &str)]) -> Run {
        let _ = std::fs::remove_dir_all(self.env.path("bin/log.seen"));
        let report = self.env.path("report.json");
        let _ = std::fs::remove_file(&report);
        let peak = self.env.path("peak");
        let mut time = Command::new("/usr/bin/time");
        time.args(["-f", "%M", "-o"])
            .arg(&peak)
            .arg(env!("CARGO_BIN_EXE_gate"));
        let mut c = self.env.configure(
            time,
            &["check", "-f", "deploy", "--pin", "--timeout", "3", "--key"],
        );
        c.arg(self.env.path("cosign.pub"))
            .arg("--trivy")
            .arg(self.env.path("bin/trivy"))
            .arg("--report")
            .arg(format!("json={}", report.display()))
            .env("DOCKER_CONFIG", &self.creds)
            .envs(envs.iter().copied())
            .args(extra);
        let start = Instant::now();
        let out = c
            .output()
            .expect("/usr/bin/time runs (apt-get install time)");
        let elapsed = start.elapsed();
        // GNU time writes "Command exited with non-zero status N" first, then the figure.
        let peak_kb = std::fs::read_to_string(&peak)
            .ok()
            .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()))
            .unwrap_or_else(|| panic!("no peak figure: {}", String::from_utf8_lossy(&out.stderr)));
        let json = std::fs::read(&report)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            report: json,
            elapsed,
            peak_kb,
        }
    }

    /// Assert one row's outcome, and that no secret escaped anywhere.
    fn assert_row(&self, row: &str, run: &Run, want: &Expect<'_>) {
        let all = format!(
            "{row}: exit {:?}, {:?}, {} KiB\n--- stdout\n{}--- stderr\n{}",
            run.code, run.elapsed, run.peak_kb, run.stdout, run.stderr
        );
        assert_eq!(run.code, Some(want.code), "{all}");
        let line = run
            .stdout
            .lines()
            .find(|l| l.contains(want.subject) && want.says.iter().all(|w| contains_ci(l, w)));
        assert!(
            line.is_some(),
            "{row}: no line names `{}` and {:?}\n{all}",
            want.subject,
            want.says
        );
        assert!(run.elapsed < want.within, "{row}: too slow\n{all}");
        assert!(
            !run.stdout.contains('\u{1b}'),
            "{row}: a raw escape sequence reached the terminal\n{all}"
        );
        assert!(run.peak_kb < PEAK_LIMIT_KB, "{row}: peak memory\n{all}");
        assert_ne!(run.report, Value::Null, "{row}: no JSON report\n{all}");
        let report = run.report.to_string();
        for secret in SECRETS {
            for (what, text) in [
                ("stdout", &run.stdout),
                ("stderr", &run.stderr),
                ("report", &report),
            ] {
                assert!(!text.contains(secret), "{row}: a secret in {what}\n{all}");
            }
            for f in walk(&self.env.path("cache")) {
                let bytes = std::fs::read(&f).unwrap();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(secret),
                    "{row}: a secret in {}",
                    f.display()
                );
            }
        }
        eprintln!(
            "{row}: exit {}, {:.1} s, {} MiB: {}",
            want.code,
            run.elapsed.as_secs_f64(),
            run.peak_kb / 1024,
            line.unwrap_or_default().trim()
        );
    }

    /// Play one registry fault: the gate fails as expected and no file changes (or, for a fault
    /// gate must ride out, it passes and pins).
    fn row(&self, name: &str, fault: Fault, only: Option<&str>, want: Expect<'_>) -> Run {
        let d = self.deploy();
        let before = std::fs::read(d.join("api.yaml")).unwrap();
        self.proxy.set(fault, only);
        let run = self.run(&["--no-cache"]);
        self.proxy.set(Fault::Pass, None);
        self.assert_row(name, &run, &want);
        if want.code == 0 {
            let api = std::fs::read_to_string(d.join("api.yaml")).unwrap();
            assert!(api.contains(&self.digest), "{name}: not pinned\n{api}");
        } else {
            // Other images may pass and be pinned; the one that met the fault is untouched.
            let after = std::fs::read(d.join("api.yaml")).unwrap();
            assert!(after == before, "{name}: api.yaml changed");
        }
        run
    }
}

impl Env {
    /// Have the replay scanner insist that gate hands it these registry credentials through
    /// its environment (and never on its command line).
    pub fn expect_credentials(&mut self, user: &str, password: &str) {
        let map_path = self.path("bin/map.json");
        let mut map: serde_json::Map<String, Value> =
            serde_json::from_slice(&std::fs::read(&map_path).unwrap()).unwrap();
        for entry in map.values_mut() {
            entry["username"] = user.into();
            entry["password"] = password.into();
        }
        std::fs::write(&map_path, serde_json::to_vec(&map).unwrap()).unwrap();
    }
}

fn contains_ci(line: &str, word: &str) -> bool {
    line.to_lowercase().contains(&word.to_lowercase())
}

fn status(code: u16, times: usize, retry_after: Option<&str>) -> Fault {
    Fault::Status {
        code,
        retry_after: retry_after.map(str::to_string),
        times,
    }
}

/// sha256 of every file under `dir` (a directory where a file was counts as its own entry).
fn hashes(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out: Vec<_> = walk(dir)
        .into_iter()
        .map(|p| {
            let h = crate::harness::sha256(&std::fs::read(&p).unwrap());
            (p, h)
        })
        .collect();
    out.sort();
    out
}

/// An OCI manifest for the `.sig` tag with these layers.
fn sig_manifest(layers: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": crate::harness::sha256(b"{}"),
            "size": 2
        },
        "layers": layers
    }))
    .unwrap()
}

fn sig_layer(i: usize, size: u64) -> Value {
    serde_json::json!({
        "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
        "digest": format!("sha256:{i:064x}"),
        "size": size,
        "annotations": {"dev.cosignproject.cosign/signature": "MEUCIQ=="}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_faults_fail_closed_or_are_ridden_out() {
    let m = Matrix::new().await;
    m.row("no fault", Fault::Pass, None, Expect::exit(0, &[]));
    m.row(
        "401 Basic",
        Fault::Unauthorized,
        None,
        Expect::exit(2, &["unauthorized"]),
    );
    m.row(
        "401 token challenge, wrong credentials",
        Fault::Token {
            user: USER.into(),
            pass: "another-password".into(),
        },
        None,
        Expect::exit(2, &["unauthorized"]),
    );
    m.row(
        "401 token challenge, right credentials",
        Fault::Token {
            user: USER.into(),
            pass: PASSWORD.into(),
        },
        None,
        Expect::exit(0, &[]),
    );
    m.row(
        "403",
        status(403, usize::MAX, None),
        None,
        Expect::exit(2, &["denied"]),
    );
    m.row(
        "404",
        status(404, usize::MAX, None),
        Some("/manifests/"),
        Expect::exit(2, &["not found"]),
    );
    // A registry that stumbles on the signature manifest or a signature blob: ridden out too.
    for (what, only) in [
        ("signature manifest", ".sig"),
        ("signature blob", "/blobs/"),
    ] {
        m.row(
            &format!("503 twice on the {what}"),
            status(503, 2, None),
            Some(only),
            Expect::exit(0, &[]),
        );
    }
    for (code, ra) in [(429, Some("1")), (500, None), (502, None), (503, Some("0"))] {
        m.row(
            &format!("{code} twice"),
            status(code, 2, ra),
            None,
            Expect::exit(0, &[]),
        );
    }
    for code in [429, 500, 502, 503] {
        m.row(
            &format!("{code} always"),
            status(code, usize::MAX, Some("1")),
            None,
            Expect::exit(2, &[&format!("HTTP {code}")]),
        );
    }
    m.row("hang", Fault::Hang, None, Expect::exit(2, &["in time"]));
    m.row(
        "truncated body",
        Fault::Truncate,
        Some("/manifests/"),
        Expect::exit(2, &["end of file before message length"]),
    );
    m.row(
        "lying Docker-Content-Digest",
        Fault::WrongDigestHeader,
        Some("/manifests/"),
        Expect::exit(2, &["digest"]),
    );
    m.row(
        "other bytes than the digest",
        Fault::WrongBody,
        Some("/manifests/"),
        Expect::exit(2, &["digest"]),
    );
    m.row(
        "50 MiB manifest",
        Fault::Huge(50 << 20),
        Some("/manifests/"),
        Expect::exit(2, &["more than 4 MiB"]),
    );
    m.row(
        "index of 10,000",
        Fault::WideIndex(10_000),
        Some("/manifests/"),
        Expect::exit(2, &["10000"]),
    );
    m.row(
        "redirect to 127.0.0.2:9",
        Fault::Redirect("http://127.0.0.2:9".into()),
        None,
        Expect::exit(2, &["connect"]),
    );
}

/// Issue 14: an endless body on the OCI referrers API is cut off while streaming at the
/// manifest limit (oci-client's `pull_referrers` read it whole: 2.8 GB, then an abort).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_referrers_body_is_capped() {
    let m = Matrix::new().await;
    m.row(
        "2 GiB referrers index",
        Fault::Huge(2 << 30),
        Some("/referrers/"),
        Expect::exit(2, &["more than 4 MiB"]),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_signatures_fail_closed() {
    let mut m = Matrix::new().await;
    let sig_tag = format!("{}.sig", m.digest.replace(':', "-"));
    let many: Vec<Value> = (0..5000).map(|i| sig_layer(i, 100)).collect();
    m.row(
        ".sig manifest with 5,000 layers",
        Fault::Serve {
            body: sig_manifest(many),
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        },
        Some(&sig_tag),
        Expect::exit(2, &["5000"]),
    );
    m.row(
        "signature layer of 200 MiB",
        Fault::Serve {
            body: sig_manifest(vec![sig_layer(1, 200 << 20)]),
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        },
        Some(&sig_tag),
        Expect::exit(2, &["200 MiB, over the limit of 128 MiB"]),
    );
    // Issue 14: each layer under the per-attachment limit, but 12 x 120 MiB in total (took
    // 1.5 GB): refused before any blob is fetched.
    m.row(
        ".sig manifest of 12 layers of 120 MiB",
        Fault::Serve {
            body: sig_manifest((0..12).map(|i| sig_layer(i, 120 << 20)).collect()),
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        },
        Some(&sig_tag),
        Expect::exit(
            2,
            &["attachments' total", "1.4 GiB, over the limit of 128 MiB"],
        ),
    );
    // The registry answers for shop-api:1.4.2 the signatures of shop-api:9.9.9: made with our
    // key, but for another digest.
    m.env.upstream = m.env.reg.addr.clone();
    let other = m
        .env
        .image("shop-api", "9.9.9", true, "small-clean.json")
        .await;
    m.env.expect_credentials(USER, PASSWORD);
    m.env.upstream = m.proxy.addr.clone();
    m.row(
        "signature payload for another digest",
        Fault::Rewrite {
            from: sig_tag.clone(),
            to: format!("{}.sig", other.replace(':', "-")),
        },
        None,
        Expect {
            subject: "ghcr.io/acme/shop-api@sha256:",
            ..Expect::exit(1, &["GATE-SIG-003", "but for digest"])
        },
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_fails_fast() {
    let mut m = Matrix::new().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    m.env.upstream = format!("127.0.0.1:{port}");
    let d = m.deploy();
    let before = hashes(&d);
    let run = m.run(&[]);
    m.assert_row(
        "connection refused",
        &run,
        &Expect::exit(2, &["cannot connect"]),
    );
    assert_eq!(hashes(&d), before);
}

/// Trivy itself failing: each mode of the replay scanner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scanner_faults_fail_closed() {
    let m = Matrix::new().await;
    std::fs::write(
        m.env.path("short.yaml"),
        "version: 1\nscanner:\n  timeout: 2s\n",
    )
    .unwrap();
    for mode in ["crash", "garbage", "schema", "db-fail", "fail", "hang"] {
        let d = m.deploy();
        let before = hashes(&d);
        let mut run_args = vec!["--no-cache"];
        if mode == "hang" {
            run_args.extend(["--policy", "short.yaml"]);
        }
        let run = m.run_with(&run_args, &[("GATE_REPLAY_MODE", mode)]);
        m.assert_row(&format!("trivy {mode}"), &run, &Expect::exit(2, &["scan"]));
        assert_eq!(hashes(&d), before, "{mode}: a file changed");
    }

    // A cache whose entries are garbage is not trusted: the scanner runs again and the gate
    // passes on its real answer, rewriting the entries.
    m.deploy();
    m.assert_row("warm the cache", &m.run(&[]), &Expect::exit(0, &[]));
    let entries = walk(&m.env.path("cache"));
    assert!(!entries.is_empty(), "nothing was cached");
    for f in &entries {
        std::fs::write(f, b"{\"not\": \"a cache entry\"").unwrap();
    }
    m.deploy();
    m.assert_row("corrupt cache entries", &m.run(&[]), &Expect::exit(0, &[]));
    let log = std::fs::read_to_string(m.env.path("bin/log")).unwrap();
    assert!(
        log.matches(&m.digest).count() >= 2,
        "the scanner did not run again\n{log}"
    );
    for f in &entries {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        assert!(
            !text.contains("not\": \"a cache"),
            "{} was not rewritten",
            f.display()
        );
    }
}

/// Pinning cannot be done: every original byte stays, exit 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pin_faults_change_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let m = Matrix::new().await;
    let pin = |row: &str, d: &Path, before: &[(PathBuf, String)]| {
        let run = m.run(&[]);
        m.assert_row(row, &run, &Expect::exit(2, &["pin"]).subject_any());
        assert_eq!(hashes(d), before, "{row}: a file changed");
        assert!(
            std::fs::read_dir(d)
                .unwrap()
                .flatten()
                .all(|e| !e.file_name().to_string_lossy().ends_with(".tmp")),
            "{row}: a temp file was left"
        );
    };

    // A read-only file.
    let d = m.deploy();
    std::fs::set_permissions(d.join("api.yaml"), std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = hashes(&d);
    pin("read-only file", &d, &before);
    std::fs::set_permissions(d.join("api.yaml"), std::fs::Permissions::from_mode(0o644)).unwrap();

    // The file is edited, or replaced by a directory, while gate runs.
    for (row, change) in [
        ("file changed on disk", "edit"),
        ("a directory instead of the file", "dir"),
    ] {
        let d = m.deploy();
        let api = d.join("api.yaml");
        let done = Arc::new(std::sync::Once::new());
        let (a, dn) = (api.clone(), done.clone());
        let change = change.to_string();
        let hook: Hook = Arc::new(move |path: &str| {
            if path.contains("/manifests/") {
                dn.call_once(|| {
                    if change == "dir" {
                        std::fs::remove_file(&a).unwrap();
                        std::fs::create_dir(&a).unwrap();
                    } else {
                        let mut t = std::fs::read_to_string(&a).unwrap();
                        t.push_str("# edited by a person meanwhile\n");
                        std::fs::write(&a, t).unwrap();
                    }
                });
            }
        });
        m.proxy.on_request(Some(hook));
        let web = std::fs::read(d.join("web.yaml")).unwrap();
        let run = m.run(&[]);
        m.proxy.on_request(None);
        m.assert_row(row, &run, &Expect::exit(2, &["pin"]).subject_any());
        assert!(done.is_completed());
        assert_eq!(std::fs::read(d.join("web.yaml")).unwrap(), web, "{row}");
        if api.is_file() {
            let t = std::fs::read_to_string(&api).unwrap();
            assert!(
                t.ends_with("meanwhile\n") && !t.contains("@sha256"),
                "{row}: {t}"
            );
        }
    }

    // A full disk, and a read-only file system: a small tmpfs where this user may mount one.
    let Some(mnt) = Tmpfs::mount(&m.env.path("deploy"), "96k") else {
        eprintln!("skipped the full-disk and read-only-mount rows: cannot mount a tmpfs here");
        return;
    };
    let d = m.deploy();
    let filler = d.join("filler.bin");
    let _ = std::fs::write(&filler, vec![0u8; 96 * 1024]);
    let before = hashes(&d);
    pin("disk full", &d, &before);
    std::fs::remove_file(&filler).unwrap();
    let before = hashes(&d);
    mnt.remount_read_only();
    pin("read-only file system", &d, &before);
}

impl Expect<'_> {
    /// A pin error names a file, not the image.
    fn subject_any(mut self) -> Self {
        self.subject = ".yaml";
        self
    }
}

/// A tmpfs mounted over a directory for the test's life.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(at).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| Self(at.to_path_buf()))
    }

    fn remount_read_only(&self) {
        crate::harness::run(
            Command::new("mount")
                .args(["-o", "remount,ro"])
                .arg(&self.0),
        );
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).output();
    }
}

/// A manifest that holds one more ConfigMap of about `size` bytes, `n` times over.
fn config_maps(n: usize, size: usize) -> String {
    let value = "x".repeat(size);
    let mut s = String::with_capacity(n * (size + 120));
    for i in 0..n {
        s.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big-{i}\n  namespace: shop\ndata:\n  blob: {value}\n"
        ));
    }
    s
}

/// Bad input beside a good manifest: the file is named with its line, the run stays bounded,
/// and what could not be read fails the gate closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_faults_are_named_and_bounded() {
    let m = Matrix::new().await;
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let api = std::fs::read_to_string(crate::check::examples().join("api.yaml")).unwrap();
    let bad_ref = api.replace(IMAGE, "ghcr.io/acme/Shop-API:1.4.2");
    let mut not_utf8 =
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: \"".to_vec();
    not_utf8.extend_from_slice(&[0xff, 0xfe, 0x80]);
    not_utf8.extend_from_slice(b"\"\n");
    let cases: Vec<(&str, &str, Vec<u8>, Expect<'_>)> = vec![
        (
            "malformed reference",
            "bad-ref.yaml",
            bad_ref.into_bytes(),
            Expect::exit(2, &["bad-ref.yaml:"]),
        ),
        (
            "YAML alias bomb",
            "bomb.yaml",
            bomb.into_bytes(),
            Expect::exit(2, &["bomb.yaml:"]),
        ),
        (
            "deeply nested YAML",
            "deep.yaml",
            format!("a: {}", "[".repeat(100_000)).into_bytes(),
            Expect::exit(2, &["deep.yaml:"]),
        ),
        (
            "invalid UTF-8",
            "latin.yaml",
            not_utf8,
            Expect::exit(2, &["latin.yaml"]),
        ),
        (
            "100 MB of YAML",
            "big.yaml",
            config_maps(10_000, 10_000).into_bytes(),
            Expect {
                code: 0,
                says: &["passed"],
                subject: "",
                within: Duration::from_secs(120),
            },
        ),
    ];
    for (row, name, bytes, mut want) in cases {
        let d = m.deploy();
        std::fs::write(d.join(name), &bytes).unwrap();
        if want.code != 0 {
            want.subject = name;
        }
        let before = std::fs::read(d.join(name)).unwrap();
        let run = m.run(&[]);
        m.assert_row(row, &run, &want);
        assert_eq!(std::fs::read(d.join(name)).unwrap(), before, "{row}");
    }

    // A malformed policy stops everything before it starts, naming file, line and key.
    let d = m.deploy();
    let before = hashes(&d);
    std::fs::write(
        m.env.path("bad-policy.yaml"),
        "version: 1\nvulnerabilities:\n  severitys: [HIGH]\n",
    )
    .unwrap();
    let run = m.run(&["--policy", "bad-policy.yaml"]);
    let all = format!("{:?}\n{}{}", run.code, run.stdout, run.stderr);
    assert_eq!(run.code, Some(2), "{all}");
    assert!(
        run.stderr.contains("bad-policy.yaml:3") && run.stderr.contains("severitys"),
        "{all}"
    );
    assert!(
        run.peak_kb < PEAK_LIMIT_KB && run.elapsed < Duration::from_secs(10),
        "{all}"
    );
    assert_eq!(hashes(&d), before);
}

/// Issue 14: every raw Trivy report was held in memory until all scans had finished (12 images
/// with a 250 MiB report each took 3.1 GB). Reports now go to a file in gate's private
/// directory as they stream and are parsed from there; one over the bound fails closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_trivy_reports_stay_on_disk() {
    let mut m = Matrix::new().await;
    let tmp = m.env.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let tmp_env = tmp.to_str().unwrap().to_owned();
    let left_in_tmp = || walk(&tmp);

    // Over the bound: refused while streaming, nothing pinned, nothing left behind.
    let d = m.deploy();
    let before = hashes(&d);
    let run = m.run_with(
        &["--no-cache"],
        &[("GATE_REPLAY_PAD_MIB", "300"), ("TMPDIR", &tmp_env)],
    );
    m.assert_row(
        "a 300 MiB Trivy report",
        &run,
        &Expect::exit(2, &["scan", "more than 256 MiB"]),
    );
    assert_eq!(hashes(&d), before, "a file changed");
    assert_eq!(left_in_tmp(), Vec::<PathBuf>::new(), "a report was left");

    // Twelve images, each with a 250 MiB report (under the bound): the gate passes and pins.
    m.env.upstream = m.env.reg.addr.clone();
    for i in 0..10 {
        m.env
            .image(&format!("big-{i}"), "1.0", true, "small-clean.json")
            .await;
    }
    m.env.expect_credentials(USER, PASSWORD);
    m.env.upstream = m.proxy.addr.clone();
    let d = m.deploy();
    let api = std::fs::read_to_string(d.join("api.yaml")).unwrap();
    let many: Vec<String> = (0..10)
        .map(|i| {
            api.replace("shop-api:1.4.2", &format!("big-{i}:1.0"))
                .replace("shop-api", &format!("big-{i}"))
        })
        .collect();
    std::fs::write(d.join("many.yaml"), many.join("---\n")).unwrap();
    let log = m.env.path("bin/log");
    let scans = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("image "))
            .count()
    };
    let scanned_before = scans();
    let run = m.run_with(
        &["--no-cache"],
        &[("GATE_REPLAY_PAD_MIB", "250"), ("TMPDIR", &tmp_env)],
    );
    m.assert_row(
        "12 images with a 250 MiB Trivy report each",
        &run,
        &Expect {
            within: Duration::from_secs(60),
            ..Expect::exit(0, &[])
        },
    );
    assert_eq!(scans() - scanned_before, 12, "every image scanned once");
    let pinned = std::fs::read_to_string(d.join("many.yaml")).unwrap();
    assert_eq!(pinned.matches("@sha256:").count(), 10, "{pinned}");
    assert_eq!(left_in_tmp(), Vec::<PathBuf>::new(), "a report was left");

    // With the cache and SBOMs: every report is moved into the cache once the scans are done
    // (the key needs the DB version), the SBOMs are made from it there, nothing stays behind.
    // (Small reports: the stand-in's own SBOM conversion is quadratic in the packages.)
    m.deploy();
    std::fs::write(d.join("many.yaml"), many.join("---\n")).unwrap();
    let run = m.run_with(
        &["--sbom-dir", "sboms"],
        &[("GATE_REPLAY_PAD_MIB", "2"), ("TMPDIR", &tmp_env)],
    );
    m.assert_row(
        "12 images with a 2 MiB report each, cached, with SBOMs",
        &run,
        &Expect::exit(0, &[]),
    );
    let reports: Vec<u64> = walk(&m.env.path("cache"))
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".report.json"))
        .map(|p| std::fs::metadata(p).unwrap().len())
        .collect();
    assert_eq!(reports.len(), 12, "{reports:?}");
    assert!(reports.iter().all(|&n| n >= 2 << 20), "{reports:?}");
    assert_eq!(walk(&m.env.path("sboms")).len(), 24, "two SBOMs per image");
    assert_eq!(left_in_tmp(), Vec::<PathBuf>::new(), "a report was left");
}
