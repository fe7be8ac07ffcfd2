//! `gate check` with the real Trivy (the pinned binary `scripts/install-deps` installs), a real
//! registry, and a vulnerability DB built from gate's fixture file and served from that
//! registry as the OCI artifact Trivy pulls (`--trivy-db-repository`): fully offline.
//!
//! Without a real `trivy` these tests print a skip notice; with `CI=true` they fail instead.
//! Every run goes through a wrapper that logs Trivy's command lines, so the tests can assert
//! what Trivy was asked to do (and that no password reached its argv).

use crate::harness::{Options, Registry, OCI_INDEX, OCI_MANIFEST};
use crate::trivy_db::{self, DbTimes, Fixture, Pkg, ALPINE_FIXED, ALPINE_VULNERABLE};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The real `trivy`: `$GATE_TEST_TRIVY`, else `scripts/install-deps`'s link, else on `PATH`.
fn real_trivy() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os("GATE_TEST_TRIVY")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    let cache = user_cache();
    candidates.extend(cache.map(|c| c.join("gate/bin/trivy")));
    candidates.extend(which::which("trivy").ok());
    candidates.into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success() && o.stdout.starts_with(b"Version: "))
    })
}

/// `$XDG_CACHE_HOME`, else `~/.cache` (where `scripts/install-deps` puts the peers).
fn user_cache() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
}

/// A loopback port free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
}

/// Wait until something listens on loopback `port`.
fn wait_for_port(port: u16, what: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

pub(crate) fn trivy_or_skip(test: &str) -> Option<PathBuf> {
    let found = real_trivy();
    if found.is_none() {
        assert!(
            !in_ci(),
            "{test}: no real `trivy` (run scripts/install-deps); CI never skips"
        );
        eprintln!("skipping {test}: no real `trivy` (scripts/install-deps installs it)");
    }
    found
}

const DB_REPO: &str = "gate/trivy-db";

pub(crate) struct Real {
    pub(crate) reg: Registry,
    dir: tempfile::TempDir,
}

impl Real {
    pub(crate) async fn new(trivy: &Path, opts: Options) -> Real {
        let reg = Registry::with(opts);
        let dir = tempfile::tempdir().unwrap();
        let r = Real { reg, dir };
        let wrapper = r.path("trivy");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
                r.path("argv.log").display(),
                trivy.display()
            ),
        )
        .unwrap();
        let mut perm = std::fs::metadata(&wrapper).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
        std::fs::set_permissions(&wrapper, perm).unwrap();
        r.push_db(&DbTimes::from_now(24)).await;
        r
    }

    /// [`Real::new`] with the real Trivy and default registry options, or `None` (a skip notice;
    /// a failure under `CI=true`) without Trivy.
    pub(crate) async fn or_skip(test: &str) -> Option<Real> {
        let trivy = trivy_or_skip(test)?;
        Some(Real::new(&trivy, Options::default()).await)
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn image_ref(&self, repo: &str, tag: &str) -> String {
        format!("{}/{repo}:{tag}", self.reg.addr)
    }

    /// Build the fixture DB with these times and push it as `gate/trivy-db:2`.
    async fn push_db(&self, times: &DbTimes) {
        push_db(&self.reg, times, &self.path("db-build")).await;
    }

    async fn push(&self, repo: &str, tag: &str, files: &[(String, Vec<u8>)], arch: &str) -> String {
        let (blobs, manifest) = trivy_db::image(files, "linux", arch);
        self.reg
            .push_raw(repo, tag, &blobs, &manifest, OCI_MANIFEST)
            .await
    }

    /// `acme/app:vulnerable` (musl with CVE-2099-1001) and `acme/app:fixed`.
    async fn push_app(&self) {
        self.push(
            "acme/app",
            "vulnerable",
            &alpine(ALPINE_VULNERABLE),
            "amd64",
        )
        .await;
        self.push("acme/app", "fixed", &alpine(ALPINE_FIXED), "amd64")
            .await;
    }

    /// `gate check` with the wrapped real Trivy and the DB mirror `db_repo`.
    fn gate_with(&self, db_repo: &str, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_gate"));
        c.current_dir(self.dir.path())
            .env("DOCKER_CONFIG", self.path("docker"))
            .env_remove("REGISTRY_AUTH_FILE")
            .env("XDG_CACHE_HOME", self.path("cache"))
            .env("CI", "true")
            // One finding per line: these tests read the table line by line, unwrapped.
            .env("COLUMNS", "1000")
            .args(["--insecure-registry", &self.reg.addr, "check"])
            .args(scan_args(
                &self.path("trivy"),
                db_repo,
                &self.path("trivy-cache"),
            ))
            .args(args);
        c
    }

    pub(crate) fn gate(&self, args: &[&str]) -> Command {
        self.gate_with(&db_repository(&self.reg), args)
    }

    /// Trivy command lines logged so far.
    pub(crate) fn argv(&self) -> Vec<String> {
        std::fs::read_to_string(self.path("argv.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// Builds the fixture DB with these times (in `work`) and pushes it to `reg` as
/// `gate/trivy-db:2`; [`db_repository`] names it.
pub(crate) async fn push_db(reg: &Registry, times: &DbTimes, work: &Path) {
    let fixture = Fixture::load(&trivy_db::fixture_path()).unwrap();
    trivy_db::write_db(&fixture, times, work).unwrap();
    let art = trivy_db::db_artifact(work).unwrap();
    reg.push_raw(
        DB_REPO,
        trivy_db::DB_TAG,
        &art.blobs,
        &art.manifest,
        OCI_MANIFEST,
    )
    .await;
}

/// The DB repository [`push_db`] pushed to on `reg`.
pub(crate) fn db_repository(reg: &Registry) -> String {
    format!("{}/{DB_REPO}", reg.addr)
}

/// `gate check`'s arguments for a real scan: this Trivy, the DB from `db_repo`, Trivy's cache in
/// `cache`.
pub(crate) fn scan_args(trivy: &Path, db_repo: &str, cache: &Path) -> Vec<std::ffi::OsString> {
    vec![
        "--trivy".into(),
        trivy.into(),
        "--trivy-db-repository".into(),
        db_repo.into(),
        "--trivy-cache-dir".into(),
        cache.into(),
    ]
}

/// A logged `trivy image` scan (not the DB download); gate's sandbox flags come right after
/// `image`.
pub(crate) fn is_scan(argv: &str) -> bool {
    argv.starts_with("image ") && argv.contains(" --format json ")
}

/// Exit code and stdout + stderr.
fn run(mut c: Command) -> (i32, String) {
    let out = c.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn alpine(pkgs: &[Pkg<'_>]) -> Vec<(String, Vec<u8>)> {
    trivy_db::alpine_files("3.22.1", "amd64", pkgs)
}

#[tokio::test]
async fn real_trivy_vulnerable_alpine_fails_naming_cve_package_and_fix_and_fixed_passes() {
    let Some(env) = Real::or_skip("real_trivy_vulnerable_alpine").await else {
        return;
    };
    env.push_app().await;

    let (code, text) = run(env.gate(&[&env.image_ref("acme/app", "vulnerable")]));
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("`CVE-2099-1001` (HIGH) in `musl` 1.2.5-r10, fixed in 1.2.5-r11"),
        "{text}"
    );
    // LOW is below the default policy's threshold.
    assert!(!text.contains("CVE-2099-1002"), "{text}");
    let argv = env.argv();
    assert!(
        argv.iter().any(|a| a.contains("--download-db-only")
            && a.contains(&format!("--db-repository {}/{DB_REPO}", env.reg.addr))),
        "{argv:?}"
    );
    let scans: Vec<&String> = argv.iter().filter(|a| is_scan(a)).collect();
    assert_eq!(scans.len(), 1, "{argv:?}");
    assert!(scans[0].contains("--skip-db-update"), "{argv:?}");

    let (code, text) = run(env.gate(&[&env.image_ref("acme/app", "fixed")]));
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("CVE-2099-1001"), "{text}");
}

#[tokio::test]
async fn real_trivy_debian_and_npm_through_one_server_and_ignore_unfixed() {
    let Some(env) = Real::or_skip("real_trivy_debian_and_npm").await else {
        return;
    };
    let debian = trivy_db::debian_files(
        "12",
        &[
            Pkg {
                name: "openssl",
                version: "3.0.17-1~deb12u1",
            },
            Pkg {
                name: "bash",
                version: "5.2.15-2+b7",
            },
        ],
    );
    env.push("acme/deb", "1", &debian, "amd64").await;
    let npm = trivy_db::npm_files(&[Pkg {
        name: "lodash",
        version: "4.17.20",
    }]);
    env.push("acme/node", "1", &npm, "amd64").await;
    let images = [
        env.image_ref("acme/deb", "1"),
        env.image_ref("acme/node", "1"),
    ];

    let (code, text) = run(env.gate(&[&images[0], &images[1]]));
    assert_eq!(code, 1, "{text}");
    for want in [
        "`CVE-2099-2001` (CRITICAL) in `openssl` 3.0.17-1~deb12u1, fixed in 3.0.17-1~deb12u2",
        "`CVE-2099-2002` (HIGH) in `bash` 5.2.15-2+b7, no fix available",
        "`CVE-2099-3001` (HIGH) in `lodash` 4.17.20, fixed in 4.17.21",
    ] {
        assert!(text.contains(want), "{want}\n{text}");
    }
    // Two images: one `trivy server`, which downloads the DB from the mirror itself (started
    // beside resolve: no separate `--download-db-only`); clients talk to it.
    let argv = env.argv();
    let server = argv
        .iter()
        .find(|a| a.starts_with("server "))
        .expect("a server");
    assert!(
        server.contains(&format!("--db-repository {}/{DB_REPO}", env.reg.addr)),
        "{server}"
    );
    assert!(
        !argv.iter().any(|a| a.contains("--download-db-only")),
        "{argv:?}"
    );
    assert_eq!(
        argv.iter()
            .filter(|a| a.starts_with("image ") && a.contains("--server http://127.0.0.1:"))
            .count(),
        2,
        "{argv:?}"
    );

    std::fs::write(
        env.path("policy.yaml"),
        "vulnerabilities:\n  ignore-unfixed: true\n",
    )
    .unwrap();
    let (code, text) = run(env.gate(&["--policy", "policy.yaml", &images[0], &images[1]]));
    assert_eq!(code, 1, "{text}");
    assert!(!text.contains("CVE-2099-2002"), "{text}");
    assert!(text.contains("CVE-2099-2001"), "{text}");
}

#[tokio::test]
async fn real_trivy_scans_both_platforms_and_names_the_arm64_only_vulnerability() {
    let Some(env) = Real::or_skip("real_trivy_index").await else {
        return;
    };
    let mut entries = Vec::new();
    let mut children = Vec::new();
    for (arch, zlib) in [("amd64", "1.3.1-r3"), ("arm64", "1.3.1-r2")] {
        let mut pkgs = ALPINE_FIXED.to_vec();
        pkgs.push(Pkg {
            name: "zlib",
            version: zlib,
        });
        let files = trivy_db::alpine_files("3.22.1", arch, &pkgs);
        let (blobs, manifest) = trivy_db::image(&files, "linux", arch);
        let d = env
            .reg
            .push_raw(
                "acme/multi",
                &format!("1-{arch}"),
                &blobs,
                &manifest,
                OCI_MANIFEST,
            )
            .await;
        entries.push(serde_json::json!({
            "mediaType": OCI_MANIFEST, "digest": d, "size": manifest.len(),
            "platform": {"os": "linux", "architecture": arch}
        }));
        children.push(d);
    }
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries
    }))
    .unwrap();
    env.reg
        .push_raw("acme/multi", "1", &[], &index, OCI_INDEX)
        .await;

    let (code, text) = run(env.gate(&["--sbom-dir", "sbom", &env.image_ref("acme/multi", "1")]));
    assert_eq!(code, 1, "{text}");
    let line = text
        .lines()
        .find(|l| l.contains("CVE-2099-1003"))
        .unwrap_or_else(|| panic!("no CVE-2099-1003 finding:\n{text}"));
    assert!(
        line.contains("in `zlib` 1.3.1-r2, fixed in 1.3.1-r3 on linux/arm64"),
        "{line}"
    );
    assert!(!line.contains("linux/amd64"), "{line}");
    // One SBOM per child (named by the child's digest, which is what was scanned), each listing
    // that platform's packages.
    for ((arch, zlib), child) in [("amd64", "1.3.1-r3"), ("arm64", "1.3.1-r2")]
        .into_iter()
        .zip(&children)
    {
        let stem = child.replace(':', "-");
        let cdx = env.path(&format!("sbom/{stem}.cdx.json"));
        let bom: serde_json::Value = serde_json::from_slice(&std::fs::read(&cdx).unwrap()).unwrap();
        let comps = bom["components"].as_array().unwrap();
        for (name, version) in [("zlib", zlib), ("musl", "1.2.5-r11")] {
            assert!(
                comps
                    .iter()
                    .any(|c| c["name"] == name && c["version"] == version),
                "{arch}: {name} {version} not in {cdx:?}"
            );
        }
        validate_cyclonedx(&bom);
        let spdx = env.path(&format!("sbom/{stem}.spdx.json"));
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&spdx).unwrap()).unwrap();
        assert!(
            doc["packages"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "zlib" && p["versionInfo"] == zlib),
            "{arch}: zlib {zlib} not in {spdx:?}"
        );
        validate_spdx(&spdx);
    }
}

/// Trivy's ignore files apply when the command line (`--ignorefile`) or the trusted policy
/// (`vulnerabilities.trivyignore`) names them. One the tree merely holds in the working
/// directory is not applied (a pull request would accept its own vulnerabilities): the CVE
/// still fails the gate and the run says which file it did not apply and how to apply it.
#[tokio::test]
async fn real_trivy_honours_trivyignore_and_trivyignore_yaml() {
    let Some(env) = Real::or_skip("real_trivy_ignore_files").await else {
        return;
    };
    env.push(
        "acme/app",
        "vulnerable",
        &alpine(ALPINE_VULNERABLE),
        "amd64",
    )
    .await;
    let image = env.image_ref("acme/app", "vulnerable");

    // In the tree, named by nothing: not applied, said once.
    std::fs::write(env.path(".trivyignore"), "# accepted\nCVE-2099-1001\n").unwrap();
    let (code, text) = run(env.gate(&[&image]));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("CVE-2099-1001"), "{text}");
    assert_eq!(text.matches("not applied").count(), 1, "{text}");
    assert!(
        text.contains(".trivyignore`") && text.contains("--ignorefile PATH"),
        "{text}"
    );

    // Named on the command line, as Trivy's own flag.
    let (code, text) = run(env.gate(&[&image, "--ignorefile", ".trivyignore"]));
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("not applied"), "{text}");
    std::fs::remove_file(env.path(".trivyignore")).unwrap();

    let yaml = |expires: &str| {
        format!(
            "vulnerabilities:\n  - id: CVE-2099-1001\n    statement: fixture accepted\n{expires}"
        )
    };
    std::fs::write(env.path(".trivyignore.yaml"), yaml("")).unwrap();
    let (code, text) = run(env.gate(&[&image]));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(".trivyignore.yaml`"), "{text}");

    // Named by the trusted policy.
    std::fs::write(
        env.path("trusted.yaml"),
        "version: 1\nvulnerabilities:\n  trivyignore: .trivyignore.yaml\n",
    )
    .unwrap();
    let policy = env.path("trusted.yaml");
    let policy = policy.to_str().unwrap();
    let (code, text) = run(env.gate(&[&image, "--policy", policy]));
    assert_eq!(code, 0, "{text}");

    // An expired entry stops applying, as Trivy documents.
    std::fs::write(
        env.path(".trivyignore.yaml"),
        yaml("    expired_at: 2020-01-01\n"),
    )
    .unwrap();
    let (code, text) = run(env.gate(&[&image, "--ignorefile", ".trivyignore.yaml"]));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("CVE-2099-1001"), "{text}");
}

#[tokio::test]
async fn real_trivy_with_registry_auth_keeps_the_password_out_of_argv() {
    let Some(trivy) = trivy_or_skip("real_trivy_registry_auth") else {
        return;
    };
    const PASSWORD: &str = "s3cret-Gate-pw";
    let opts = Options {
        tls: false,
        auth: Some(("gate".into(), PASSWORD.into())),
        ..Options::default()
    };
    let env = Real::new(&trivy, opts).await;
    std::fs::create_dir_all(env.path("docker")).unwrap();
    let auth = base64_encode(&format!("gate:{PASSWORD}"));
    std::fs::write(
        env.path("docker/config.json"),
        serde_json::json!({"auths": {&env.reg.addr: {"auth": auth}}}).to_string(),
    )
    .unwrap();
    env.push_app().await;

    let (code, text) = run(env.gate(&[
        &env.image_ref("acme/app", "vulnerable"),
        &env.image_ref("acme/app", "fixed"),
    ]));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("CVE-2099-1001"), "{text}");
    assert!(!text.contains(PASSWORD), "{text}");
    // The server downloaded the DB from the authenticated mirror itself (its credential in the
    // server's per-process docker config, never in an argument).
    let argv = env.argv();
    assert!(
        argv.iter()
            .any(|a| a.starts_with("server ") && a.contains("--db-repository")),
        "{argv:?}"
    );
    assert!(!argv.iter().any(|a| a.contains(PASSWORD)), "{argv:?}");

    // Without the credential the mirror refuses: could not check.
    std::fs::remove_file(env.path("docker/config.json")).unwrap();
    let (code, text) = run(env.gate(&["--no-cache", &env.image_ref("acme/app", "fixed")]));
    assert_eq!(code, 2, "{text}");
}

fn base64_encode(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[tokio::test]
async fn real_trivy_missing_or_unreachable_db_mirror_fails_closed() {
    let Some(env) = Real::or_skip("real_trivy_missing_db_mirror").await else {
        return;
    };
    env.push("acme/app", "fixed", &alpine(ALPINE_FIXED), "amd64")
        .await;
    let image = env.image_ref("acme/app", "fixed");
    let missing = format!("{}/gate/no-such-db", env.reg.addr);
    for mirror in [missing.as_str(), "127.0.0.1:1/gate/trivy-db"] {
        let (code, text) = run(env.gate_with(mirror, &["--no-cache", &image]));
        assert_eq!(code, 2, "{mirror}: {text}");
        let reason = text
            .lines()
            .find(|l| l.contains("could not download its vulnerability database"))
            .unwrap_or_else(|| panic!("{mirror}: no reason in\n{text}"));
        assert!(reason.contains(mirror), "{reason}");
    }
    // Two images: the server downloads the DB (started beside resolve); it fails the same way.
    env.push(
        "acme/app",
        "vulnerable",
        &alpine(ALPINE_VULNERABLE),
        "amd64",
    )
    .await;
    let second = env.image_ref("acme/app", "vulnerable");
    let (code, text) = run(env.gate_with(&missing, &["--no-cache", &image, &second]));
    assert_eq!(code, 2, "{text}");
    let reason = text
        .lines()
        .find(|l| l.contains("could not download its vulnerability database"))
        .unwrap_or_else(|| panic!("no reason in\n{text}"));
    assert!(reason.contains(&missing), "{reason}");
    assert!(
        env.argv().iter().any(|a| a.starts_with("server ")),
        "{:?}",
        env.argv()
    );
    // No scan ran against an unknown DB.
    assert!(!env.argv().iter().any(|a| is_scan(a)), "{:?}", env.argv());
}

#[tokio::test]
async fn real_trivy_cold_run_of_many_images_then_a_warm_run_starts_no_trivy() {
    let Some(env) = Real::or_skip("real_trivy_warm_many").await else {
        return;
    };
    env.push_app().await;
    let images = [
        env.image_ref("acme/app", "vulnerable"),
        env.image_ref("acme/app", "fixed"),
    ];
    let (code, text) = run(env.gate(&[&images[0], &images[1]]));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("CVE-2099-1001"), "{text}");
    let cold = env.argv();
    assert_eq!(cold.iter().filter(|a| is_scan(a)).count(), 2, "{cold:?}");
    // The server gate started told it Trivy's version and DB times: no `trivy version` process.
    assert!(!cold.iter().any(|a| a.starts_with("version")), "{cold:?}");
    // Every image came from gate's cache: no Trivy process at all, not even a server started
    // ahead of resolve.
    let (code, text) = run(env.gate(&[&images[0], &images[1]]));
    assert_eq!(code, 1, "{text}");
    assert_eq!(env.argv(), cold);
}

#[tokio::test]
async fn real_trivy_rescans_when_the_db_is_due_and_not_when_it_is_fresh() {
    let Some(env) = Real::or_skip("real_trivy_db_update").await else {
        return;
    };
    let digest = env
        .push(
            "acme/app",
            "vulnerable",
            &alpine(ALPINE_VULNERABLE),
            "amd64",
        )
        .await;
    let image = env.image_ref("acme/app", "vulnerable");
    let scans = || {
        env.argv()
            .iter()
            .filter(|a| is_scan(a) && a.contains(&digest))
            .count()
    };

    // Fresh DB: scanned once, then served from gate's cache with no Trivy process at all.
    let (code, text) = run(env.gate(&[&image]));
    assert_eq!((code, scans()), (1, 1), "{text}");
    let before = env.argv().len();
    let (code, text) = run(env.gate(&[&image]));
    assert_eq!((code, scans()), (1, 1), "{text}");
    assert_eq!(env.argv().len(), before, "{:?}", env.argv());

    // Trivy's DB is past its NextUpdate (and not downloaded in the last hour) and the mirror
    // has a newer one: gate updates it and scans again.
    let meta_path = env.path("trivy-cache/db/metadata.json");
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    meta["NextUpdate"] = "2020-01-01T00:00:00Z".into();
    meta["DownloadedAt"] = "2020-01-01T00:00:00Z".into();
    std::fs::write(&meta_path, meta.to_string()).unwrap();
    std::thread::sleep(Duration::from_millis(10));
    env.push_db(&DbTimes::from_now(24)).await;
    let (code, text) = run(env.gate(&[&image]));
    assert_eq!((code, scans()), (1, 2), "{text}");
}

#[tokio::test]
async fn real_trivy_with_a_redis_cache_backend() {
    let Some(trivy) = trivy_or_skip("real_trivy_redis") else {
        return;
    };
    let Some(redis) = which::which("redis-server").ok() else {
        assert!(
            !in_ci(),
            "redis-server is not installed (scripts/install-deps)"
        );
        eprintln!("skipping real_trivy_redis: no redis-server (scripts/install-deps)");
        return;
    };
    let env = Real::new(&trivy, Options::default()).await;
    let port = free_port();
    let mut server = Command::new(redis)
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(env.dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(port, "redis-server", Duration::from_secs(10));
    env.push(
        "acme/app",
        "vulnerable",
        &alpine(ALPINE_VULNERABLE),
        "amd64",
    )
    .await;
    let backend = format!("redis://127.0.0.1:{port}");
    let (code, text) = run(env.gate(&[
        "--trivy-cache-backend",
        &backend,
        &env.image_ref("acme/app", "vulnerable"),
    ]));
    let keys = redis_keys(port);
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("CVE-2099-1001"), "{text}");
    // Trivy kept its layer cache in Redis (`fanal::…` keys), and the URL stayed off its argv.
    assert!(keys.iter().any(|k| k.starts_with("fanal::")), "{keys:?}");
    assert!(!env.argv().iter().any(|a| a.contains(&backend)));
}

/// A real `trivy server` the test runs itself (not through gate's wrapper), killed on drop.
struct UserServer(std::process::Child);

impl Drop for UserServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn real_trivy_through_a_user_supplied_trivy_server() {
    let Some(trivy) = trivy_or_skip("real_trivy_user_server") else {
        return;
    };
    let env = Real::new(&trivy, Options::default()).await;
    env.push_app().await;
    // The user's server gets the fixture DB the way an operator's would: a cache dir filled
    // from the mirror once, then served with `--skip-db-update`.
    let cache = env.path("server-cache");
    std::fs::create_dir_all(env.path("server-docker")).unwrap();
    let mirror = format!("{}/{DB_REPO}", env.reg.addr);
    let mut fill = Command::new(&trivy);
    fill.args(["image", "--download-db-only", "--quiet", "--insecure"])
        .args(["--db-repository", &mirror, "--cache-dir"])
        .arg(&cache)
        .env("DOCKER_CONFIG", env.path("server-docker"));
    let (code, text) = run(fill);
    assert_eq!(code, 0, "{text}");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let _server = UserServer(
        Command::new(&trivy)
            .args(["server", "--quiet", "--skip-db-update", "--listen", &listen])
            .arg("--cache-dir")
            .arg(&cache)
            .env("DOCKER_CONFIG", env.path("server-docker"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port, "trivy server", Duration::from_secs(60));
    let url = format!("http://{listen}");

    let (code, text) = run(env.gate(&[
        "--trivy-server",
        &url,
        &env.image_ref("acme/app", "vulnerable"),
    ]));
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("`CVE-2099-1001` (HIGH) in `musl` 1.2.5-r10, fixed in 1.2.5-r11"),
        "{text}"
    );
    let (code, text) =
        run(env.gate(&["--trivy-server", &url, &env.image_ref("acme/app", "fixed")]));
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("CVE-2099-1001"), "{text}");
    // Every scan was a client of the user's server; gate started no server and fetched no DB.
    let argv = env.argv();
    assert!(!argv.iter().any(|a| a.starts_with("server ")), "{argv:?}");
    assert!(
        !argv.iter().any(|a| a.contains("--download-db-only")),
        "{argv:?}"
    );
    let scans: Vec<&String> = argv.iter().filter(|a| a.starts_with("image ")).collect();
    assert_eq!(scans.len(), 2, "{argv:?}");
    let flag = format!("--server {url}");
    assert!(scans.iter().all(|a| a.contains(&flag)), "{argv:?}");
}

/// `KEYS *` over RESP, without a client library.
fn redis_keys(port: u16) -> Vec<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"*2\r\n$4\r\nKEYS\r\n$1\r\n*\r\n*1\r\n$4\r\nQUIT\r\n")
        .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.lines()
        .filter(|l| !l.starts_with(['*', '$', '+']))
        .map(str::to_owned)
        .collect()
}

/// `pyspdxtools`, the SPDX project's reference validator, from `scripts/install-deps`'s pinned
/// `spdx-tools` venv (no PyPI package ships the SPDX 2.3 JSON schema itself).
fn pyspdxtools() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("GATE_PYSPDXTOOLS") {
        return Some(PathBuf::from(p));
    }
    let cache = user_cache()?;
    Some(cache.join("gate/venv-spdx/bin/pyspdxtools")).filter(|p| p.is_file())
}

/// Validate an SPDX JSON document with `pyspdxtools -i FILE` (parse + SPDX validation; non-zero
/// exit on an invalid document), and show once that a broken copy is rejected.
fn validate_spdx(path: &Path) {
    let Some(tool) = pyspdxtools() else {
        assert!(!in_ci(), "no pyspdxtools (run scripts/install-deps)");
        eprintln!("not validating the SPDX SBOM: no pyspdxtools (scripts/install-deps)");
        return;
    };
    let check = |file: &Path| {
        let mut c = Command::new(&tool);
        c.arg("-i").arg(file);
        let (code, text) = run(c);
        (code == 0, text)
    };
    let (ok, text) = check(path);
    assert!(ok, "SPDX {path:?} is invalid:\n{text}");
    // And the validator is not vacuous: the same document with a package missing its SPDXID.
    let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    doc["packages"][0]
        .as_object_mut()
        .unwrap()
        .remove("SPDXID")
        .unwrap();
    let broken = path.with_extension("broken.json");
    std::fs::write(&broken, serde_json::to_vec(&doc).unwrap()).unwrap();
    let (ok, text) = check(&broken);
    assert!(
        !ok,
        "pyspdxtools accepted a package without SPDXID:\n{text}"
    );
}

/// CycloneDX's published schemas from `scripts/install-deps`'s pinned `cyclonedx-python-lib`.
fn cyclonedx_schemas() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("GATE_CYCLONEDX_SCHEMAS") {
        return Some(PathBuf::from(d));
    }
    let cache = user_cache()?;
    let lib = cache.join("gate/venv-sbom/lib");
    std::fs::read_dir(lib)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path().join("site-packages/cyclonedx/schema/_res"))
        .find(|p| p.is_dir())
}

/// Validate a CycloneDX BOM against the schema of its `specVersion` (and the schemas it refers
/// to), offline.
fn validate_cyclonedx(bom: &serde_json::Value) {
    let Some(dir) = cyclonedx_schemas() else {
        assert!(!in_ci(), "no CycloneDX schemas (run scripts/install-deps)");
        eprintln!("not validating the CycloneDX SBOM: no schemas (scripts/install-deps)");
        return;
    };
    let load = |name: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap()
    };
    let version = bom["specVersion"].as_str().unwrap();
    let base = "http://cyclonedx.org/schema/";
    // The schemas a BOM schema refers to (SPDX license IDs, JSF, cryptography definitions).
    let mut registry = jsonschema::Registry::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".schema.json") && !name.starts_with("bom-") {
            registry = registry.add(format!("{base}{name}"), load(&name)).unwrap();
        }
    }
    let registry = registry.prepare().unwrap();
    let schema = load(&format!("bom-{version}.SNAPSHOT.schema.json"));
    let validator = jsonschema::options()
        .with_registry(&registry)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator.iter_errors(bom).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "CycloneDX {version}: {errors:?}");
    // And the validator is not vacuous.
    let mut broken = bom.clone();
    broken["components"] = serde_json::json!("not a list");
    assert!(!validator.is_valid(&broken));
}
