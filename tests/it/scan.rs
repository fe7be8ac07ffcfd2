//! Stage `scan` end to end against `gate-trivy-replay` (a replaying `trivy`), plus conformance
//! with Trivy's own golden reports and ignore files from the `trivy` conformance data set.

use crate::check::walk;
use gate::registry::auth::Credential;
use gate::scan::{
    evaluate, scan_all, unused, IgnoreFile, Report, ScanConfig, ScanError, ScanResult, ScanTarget,
    VulnPolicy,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Trivy's golden reports, when the data set is here (these tests run either way: with our own
/// recorded reports otherwise; the conformance tests below require the set).
fn fixtures() -> Option<PathBuf> {
    crate::fixtures::find(crate::fixtures::Set::Trivy)
}

/// A real Trivy report when the fixtures are there, else one of ours.
fn pick(real: &str, own: &str) -> String {
    match fixtures() {
        Some(f) if f.join("reports").join(real).exists() => real.into(),
        _ => own.into(),
    }
}

fn report_file(name: &str) -> PathBuf {
    if let Some(f) = fixtures() {
        let p = f.join("reports").join(name);
        if p.exists() {
            return p;
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/scan")
        .join(name)
}

fn digest(n: u32) -> String {
    format!("sha256:{n:064x}")
}

fn target(repo: &str, n: u32) -> ScanTarget {
    ScanTarget {
        image: format!("{repo}@{}", digest(n)),
        digest: digest(n),
        credential: None,
        insecure: false,
    }
}

/// A temp dir with `bin/trivy` → the replay, its config and log.
struct Replay {
    dir: tempfile::TempDir,
    run: usize,
}

impl Replay {
    fn new(map: Value, settings: Value) -> Replay {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_gate-trivy-replay"), bin.join("trivy"))
            .unwrap();
        std::fs::write(dir.path().join("map.json"), map.to_string()).unwrap();
        let r = Replay { dir, run: 0 };
        r.configure(settings);
        r
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn trivy(&self) -> PathBuf {
        self.path("bin/trivy")
    }

    fn log_path(&self) -> PathBuf {
        self.path(&format!("log-{}", self.run))
    }

    fn configure(&self, mut settings: Value) {
        settings["map"] = json!(self.path("map.json"));
        settings["log"] = json!(self.log_path());
        std::fs::write(self.path("bin/replay.json"), settings.to_string()).unwrap();
    }

    /// A new log (a new "run" for the replay's duplicate check), with new settings.
    fn next_run(&mut self, settings: Value) {
        self.run += 1;
        self.configure(settings);
    }

    fn cfg(&self) -> ScanConfig {
        ScanConfig {
            trivy: Some(self.trivy()),
            cache_dir: Some(self.path("cache")),
            timeout: Duration::from_secs(30),
            ..ScanConfig::default()
        }
    }

    fn log(&self) -> Vec<String> {
        std::fs::read_to_string(self.log_path())
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn count(&self, prefix: &str) -> usize {
        self.log().iter().filter(|l| l.starts_with(prefix)).count()
    }

    fn assert_no_failures(&self) {
        let fails: Vec<_> = self
            .log()
            .into_iter()
            .filter(|l| l.starts_with("FAIL"))
            .collect();
        assert!(fails.is_empty(), "replay refused calls: {fails:?}");
    }
}

fn expected_vulns(report: &str, platform: Option<&str>) -> usize {
    let bytes = std::fs::read(report_file(report)).unwrap();
    Report::parse(&bytes)
        .unwrap()
        .vulnerabilities(platform)
        .len()
}

fn ok(results: Vec<Result<ScanResult, ScanError>>) -> Vec<ScanResult> {
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("scan failed: {e}")))
        .collect()
}

#[test]
fn conformance_trivy_every_report_parses() {
    let f = crate::fixtures::dir(crate::fixtures::Set::Trivy);
    // (file, vulnerabilities by severity) from fixtures/trivy/README.md.
    let table: &[(&str, &[(&str, usize)])] = &[
        ("alpine-310.json", &[("MEDIUM", 4)]),
        ("alpine-39.json", &[("CRITICAL", 2), ("MEDIUM", 4)]),
        ("alpine-39-high-critical.json", &[("CRITICAL", 2)]),
        ("alpine-39-ignore-cveids.json", &[("MEDIUM", 2)]),
        ("alpine-39-skip.json", &[]),
        ("sl-micro-rancher5.4.json", &[]),
        ("debian-buster.json", &[("CRITICAL", 1), ("LOW", 1)]),
        ("debian-stretch.json", &[("MEDIUM", 4), ("LOW", 1)]),
        ("ubuntu-1804.json", &[("MEDIUM", 4), ("LOW", 1)]),
        ("fluentd-gems.json", &[("CRITICAL", 1), ("HIGH", 1)]),
        ("ubi-7-comprehensive.json", &[("LOW", 1), ("HIGH", 1)]),
        ("spring4shell-jre11.json", &[("CRITICAL", 1)]),
        ("npm.json", &[("MEDIUM", 1)]),
        ("pip.json", &[("HIGH", 1), ("MEDIUM", 1)]),
        ("gomod.json", &[("UNKNOWN", 4), ("MEDIUM", 1)]),
        ("helm_testchart.json", &[]),
        ("dockerfile.json", &[]),
        ("secrets.json", &[]),
    ];
    let dir = f.join("reports");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let report =
            Report::parse(&std::fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let vulns = report.vulnerabilities(None);
        // Read from the file as a scan's report is (fast path, and serde alone): the same.
        for read in [Report::read(&path), Report::read_exact(&path)] {
            let read = read.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(read.vulnerabilities(None), vulns, "{name}");
        }
        let (_, want) = table
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("{name} is not in the table"));
        for (severity, n) in *want {
            let got = vulns.iter().filter(|v| v.severity == *severity).count();
            assert_eq!(got, *n, "{name}: {severity}");
        }
        assert_eq!(
            vulns.len(),
            want.iter().map(|(_, n)| n).sum::<usize>(),
            "{name}"
        );
        assert!(vulns
            .iter()
            .all(|v| !v.id.is_empty() && !v.pkg_name.is_empty()));
        seen += 1;
    }
    assert_eq!(seen, table.len());
    // The skip report has no `Results` key at all.
    let skip = Report::parse(&std::fs::read(dir.join("alpine-39-skip.json")).unwrap()).unwrap();
    assert!(skip.results.is_none());
    // Language packages carry their path and PURL; unfixed statuses are recognised.
    let gems = Report::parse(&std::fs::read(dir.join("fluentd-gems.json")).unwrap()).unwrap();
    let gem = gems
        .vulnerabilities(None)
        .into_iter()
        .find(|v| v.class.as_deref() == Some("lang-pkgs"))
        .unwrap();
    assert!(gem.pkg_path.is_some() && gem.purl.is_some());
    let buster = Report::parse(&std::fs::read(dir.join("debian-buster.json")).unwrap()).unwrap();
    assert_eq!(
        buster
            .vulnerabilities(None)
            .iter()
            .filter(|v| v.is_unfixed())
            .count(),
        1
    );
}

#[test]
fn conformance_trivy_ignore_files() {
    let f = crate::fixtures::dir(crate::fixtures::Set::Trivy);
    let today = "2026-11-26".parse().unwrap();
    // Trivy's own test: 8 entries survive pruning in `.trivyignore`, 5 vulnerabilities in YAML.
    let lines = IgnoreFile::load(&f.join("ignore/trivyignore")).unwrap();
    assert_eq!(lines.active(today).count(), 8);
    let yaml = IgnoreFile::load(&f.join("ignore/trivyignore.yaml")).unwrap();
    assert_eq!(yaml.active(today).count(), 5);
    let ids: Vec<_> = yaml.active(today).map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "CVE-2019-0001",
            "CVE-2019-0002",
            "CVE-2019-0003",
            "CVE-2019-0004",
            "CVE-2019-0007"
        ]
    );
    // Behaviour through the verdict, as in Trivy's filter tests.
    let vuln = |id: &str, target: &str, purl: &str| gate::scan::Vulnerability {
        id: id.into(),
        pkg_name: "foo".into(),
        pkg_path: None,
        purl: Some(purl.into()),
        installed_version: "1.2.3".into(),
        fixed_version: Some("1.2.4".into()),
        status: Some("fixed".into()),
        severity: "HIGH".into(),
        title: None,
        primary_url: None,
        target: target.into(),
        class: Some("lang-pkgs".into()),
        platform: None,
    };
    let result = ScanResult {
        digest: digest(1),
        scanner: "trivy".into(),
        scanner_version: "dev".into(),
        db_updated_at: None,
        vulnerabilities: vec![
            vuln(
                "CVE-2019-0001",
                "foo/package-lock.json",
                "pkg:npm/foo@1.2.3",
            ),
            vuln("CVE-2019-0001", "foo/package.json", "pkg:npm/foo@1.2.3"),
            vuln("CVE-2019-0002", "bar/package.json", "pkg:npm/foo@1.2.3"),
            vuln(
                "CVE-2019-0005",
                "foo/package-lock.json",
                "pkg:npm/foo@1.2.3",
            ),
            vuln(
                "CVE-2019-0007",
                "go.mod",
                "pkg:golang/github.com/aquasecurity/bar@1.2.3",
            ),
            vuln(
                "CVE-2019-0007",
                "go.mod",
                "pkg:golang/github.com/aquasecurity/foo@1.2.3",
            ),
        ],
        sboms: vec![],
        cached: false,
    };
    let policy = VulnPolicy {
        trivyignore: Some(yaml),
        ..VulnPolicy::default()
    };
    let findings = evaluate(&result, "app", &policy, today);
    let verdict: Vec<(String, bool)> = findings
        .iter()
        .filter(|f| f.rule == "GATE-VULN-001")
        .map(|f| {
            (
                f.message.split('`').nth(1).unwrap().to_owned(),
                f.exception.is_some(),
            )
        })
        .collect();
    let expect = [
        ("CVE-2019-0001", true),
        ("CVE-2019-0001", false),
        ("CVE-2019-0002", true),
        ("CVE-2019-0005", false),
        ("CVE-2019-0007", true),
        ("CVE-2019-0007", false),
    ];
    let expect: Vec<(String, bool)> = expect.iter().map(|(a, b)| (a.to_string(), *b)).collect();
    assert_eq!(verdict, expect);
    // CVE-2019-0005 expired on 2023-01-01: reported, not applied.
    assert!(findings
        .iter()
        .any(|f| f.rule == "GATE-VULN-002" && f.message.contains("CVE-2019-0005")));
    let warnings: Vec<_> = unused(&policy).into_iter().map(|f| f.message).collect();
    assert!(
        warnings.iter().any(|m| m.contains("`CVE-2019-0003`")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|m| m.contains("`CVE-2019-0006`")),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn one_image_is_scanned_by_digest_standalone() {
    let report = pick("alpine-39.json", "small-critical.json");
    let r = Replay::new(json!({ digest(1): report }), json!({}));
    let results = ok(scan_all(vec![target("ghcr.io/acme/app", 1)], &r.cfg()).await);
    r.assert_no_failures();
    assert_eq!(results.len(), 1);
    let res = &results[0];
    assert_eq!(res.digest, digest(1));
    assert_eq!(res.scanner, "trivy");
    assert_eq!(res.scanner_version, "0.58.1");
    assert_eq!(res.db_updated_at.as_deref(), Some("2026-11-26T06:00:00Z"));
    assert!(!res.cached);
    assert_eq!(res.vulnerabilities.len(), expected_vulns(&report, None));
    assert_eq!(r.count("image"), 1);
    assert_eq!(r.count("server"), 0, "one image needs no server");
    assert!(r.log().iter().any(|l| l.contains("standalone")));

    let findings = evaluate(
        res,
        "ghcr.io/acme/app:1.0",
        &VulnPolicy::default(),
        "2026-11-26".parse().unwrap(),
    );
    assert!(!findings.is_empty());
    assert!(findings.iter().all(
        |f| f.rule == "GATE-VULN-001" && f.subject == format!("ghcr.io/acme/app@{}", digest(1))
    ));
    let failing = res
        .vulnerabilities
        .iter()
        .filter(|v| v.severity == "HIGH" || v.severity == "CRITICAL")
        .count();
    assert_eq!(findings.len(), failing);
}

#[tokio::test]
async fn many_images_go_through_one_server_each_digest_once() {
    let a = pick("alpine-39.json", "small-critical.json");
    let b = pick("debian-buster.json", "small-clean.json");
    let c = pick("alpine-39-skip.json", "small-no-results.json");
    let r = Replay::new(
        json!({ digest(1): a, digest(2): b, digest(3): c }),
        json!({}),
    );
    let targets = vec![
        target("ghcr.io/acme/a", 1),
        target("ghcr.io/acme/b", 2),
        target("ghcr.io/acme/a-again", 1),
        target("ghcr.io/acme/c", 3),
        target("ghcr.io/acme/b", 2),
    ];
    let results = ok(scan_all(targets, &r.cfg()).await);
    r.assert_no_failures();
    let digests: Vec<_> = results.iter().map(|r| r.digest.clone()).collect();
    assert_eq!(digests, [digest(1), digest(2), digest(3)]);
    assert_eq!(r.count("server"), 1);
    assert_eq!(r.count("image"), 3, "{:?}", r.log());
    assert!(r
        .log()
        .iter()
        .filter(|l| l.starts_with("image"))
        .all(|l| l.contains(" client ") && !l.contains("--platform")));
    assert_eq!(results[0].vulnerabilities.len(), expected_vulns(&a, None));
    assert!(results[0]
        .vulnerabilities
        .iter()
        .all(|v| v.platform.is_none()));
    assert_eq!(results[2].vulnerabilities.len(), expected_vulns(&c, None));
}

#[tokio::test]
async fn warm_cache_starts_no_scanner_and_corrupt_entries_are_rewritten() {
    let a = pick("alpine-39.json", "small-critical.json");
    let mut r = Replay::new(json!({ "*": a }), json!({}));
    let targets = || vec![target("r/a", 1), target("r/b", 2)];
    let cold = ok(scan_all(targets(), &r.cfg()).await);
    r.assert_no_failures();
    assert_eq!(r.count("image"), 2);

    r.next_run(json!({}));
    let warm = ok(scan_all(targets(), &r.cfg()).await);
    assert_eq!(r.count("image"), 0);
    assert_eq!(r.count("server"), 0);
    assert_eq!(r.count("version"), 1, "one cheap version call per run");
    assert!(warm.iter().all(|w| w.cached));
    for (c, w) in cold.iter().zip(&warm) {
        assert_eq!(c.vulnerabilities, w.vulnerabilities);
    }

    // Corrupt every entry: ignored, rescanned, rewritten.
    for entry in walk(&r.path("cache")) {
        std::fs::write(entry, b"{\"SchemaVersion\": 2, \"Resu").unwrap();
    }
    r.next_run(json!({}));
    let again = ok(scan_all(targets(), &r.cfg()).await);
    r.assert_no_failures();
    assert_eq!(r.count("image"), 2);
    assert!(again.iter().all(|w| !w.cached));
    r.next_run(json!({}));
    ok(scan_all(targets(), &r.cfg()).await);
    assert_eq!(r.count("image"), 0, "rewritten entries are used");

    // `no_cache` scans again; a new DB misses the cache.
    r.next_run(json!({}));
    let mut cfg = r.cfg();
    cfg.no_cache = true;
    ok(scan_all(targets(), &cfg).await);
    assert_eq!(r.count("image"), 2);
    r.next_run(json!({ "db_updated_at": "2026-11-27T06:00:00Z" }));
    ok(scan_all(targets(), &r.cfg()).await);
    assert_eq!(r.count("image"), 2);
    // A DB due for an update is not trusted for cache hits.
    r.next_run(
        json!({ "db_updated_at": "2026-11-27T06:00:00Z", "next_update": "2020-01-01T00:00:00Z" }),
    );
    ok(scan_all(targets(), &r.cfg()).await);
    assert_eq!(r.count("image"), 2);
}

#[tokio::test]
async fn sboms_come_from_the_one_report_and_carry_the_digest() {
    let a = pick("npm.json", "small-critical.json");
    let mut r = Replay::new(json!({ "*": a }), json!({}));
    let mut cfg = r.cfg();
    cfg.sbom_dir = Some(r.path("sboms"));
    let res = ok(scan_all(vec![target("r/a", 7)], &cfg).await);
    r.assert_no_failures();
    assert_eq!(r.count("image"), 1);
    assert_eq!(r.count("convert"), 2);
    let hex = &digest(7)[7..];
    let cdx = r.path(&format!("sboms/sha256-{hex}.cdx.json"));
    let spdx = r.path(&format!("sboms/sha256-{hex}.spdx.json"));
    assert_eq!(res[0].sboms, [cdx.clone(), spdx.clone()]);
    let doc: Value = serde_json::from_slice(&std::fs::read(&cdx).unwrap()).unwrap();
    assert_eq!(doc["bomFormat"], "CycloneDX");
    assert!(!doc["components"].as_array().unwrap().is_empty());
    let doc: Value = serde_json::from_slice(&std::fs::read(&spdx).unwrap()).unwrap();
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    let names: Vec<_> = std::fs::read_dir(r.path("sboms"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "no temporary files left: {names:?}");

    // Warm: SBOMs come from the cache too, no process but `version`.
    std::fs::remove_dir_all(r.path("sboms")).unwrap();
    r.next_run(json!({}));
    let res = ok(scan_all(vec![target("r/a", 7)], &cfg).await);
    assert_eq!(r.count("image") + r.count("convert"), 0);
    assert!(res[0].cached);
    assert!(cdx.exists() && spdx.exists());

    // A failing convert fails the digest.
    r.next_run(json!({ "mode": "convert-fail" }));
    cfg.no_cache = true;
    let res = scan_all(vec![target("r/a", 7)], &cfg).await;
    let err = res[0].as_ref().unwrap_err().to_string();
    assert!(err.contains("failed to convert"), "{err}");
}

#[tokio::test]
async fn credentials_travel_in_the_environment_only() {
    let a = pick("alpine-310.json", "small-clean.json");
    let r = Replay::new(
        json!({
            digest(1): { "report": a, "username": "robot", "password": "hunter2-secret" },
            digest(2): { "report": a, "token": "tok-3141592" },
        }),
        json!({}),
    );
    let mut basic = target("reg.example/a", 1);
    basic.credential = Some(Credential::Basic {
        username: "robot".into(),
        password: "hunter2-secret".into(),
    });
    let mut token = target("reg.example/b", 2);
    token.credential = Some(Credential::IdentityToken("tok-3141592".into()));
    ok(scan_all(vec![basic.clone(), token], &r.cfg()).await);
    r.assert_no_failures();
    assert_eq!(r.count("image"), 2);

    // The referee notices missing credentials, and gate's error does not leak any.
    let mut r2 = Replay::new(
        json!({ digest(1): { "report": a, "username": "robot", "password": "hunter2-secret" } }),
        json!({}),
    );
    let mut wrong = basic.clone();
    wrong.credential = Some(Credential::Basic {
        username: "robot".into(),
        password: "wrong-password-42".into(),
    });
    let res = scan_all(vec![wrong], &r2.cfg()).await;
    let err = res[0].as_ref().unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("UNAUTHORIZED"), "{text}");
    assert!(
        !text.contains("wrong-password-42") && !text.contains("hunter2"),
        "{text}"
    );
    r2.next_run(json!({}));
    let res = scan_all(vec![target("reg.example/a", 1)], &r2.cfg()).await;
    assert!(res[0].is_err());
}

async fn fails_closed(mode: &str, images: u32, timeout: Duration) -> String {
    let a = pick("alpine-39.json", "small-critical.json");
    let r = Replay::new(json!({ "*": a }), json!({ "mode": mode }));
    let mut cfg = r.cfg();
    cfg.timeout = timeout;
    let targets = (1..=images).map(|n| target("r/a", n)).collect();
    let results = scan_all(targets, &cfg).await;
    assert_eq!(results.len(), images as usize);
    let errors: Vec<String> = results
        .iter()
        .map(|r| match r {
            Ok(_) => panic!("mode `{mode}` passed the gate"),
            Err(e) => e.to_string(),
        })
        .collect();
    errors[0].clone()
}

#[tokio::test]
async fn crash_garbage_schema_and_scan_errors_fail_closed() {
    let crash = fails_closed("crash", 1, Duration::from_secs(30)).await;
    assert!(
        crash.contains("signal") || crash.contains("SIGABRT"),
        "{crash}"
    );
    let garbage = fails_closed("garbage", 1, Duration::from_secs(30)).await;
    assert!(
        garbage.contains("did not print a Trivy JSON report"),
        "{garbage}"
    );
    assert!(garbage.contains("panic: runtime error"), "{garbage}");
    let schema = fails_closed("schema", 1, Duration::from_secs(30)).await;
    assert!(
        schema.contains("did not print a Trivy JSON report"),
        "{schema}"
    );
    let fail = fails_closed("fail", 2, Duration::from_secs(30)).await;
    assert!(
        fail.contains("unable to find the specified image"),
        "{fail}"
    );
    let version = fails_closed("version-fail", 2, Duration::from_secs(30)).await;
    assert!(version.contains("permission denied"), "{version}");
}

#[tokio::test]
async fn db_download_failure_fails_closed_standalone_and_server() {
    let one = fails_closed("db-fail", 1, Duration::from_secs(30)).await;
    assert!(
        one.starts_with("Trivy could not download its vulnerability database"),
        "{one}"
    );
    assert!(one.contains("TOOMANYREQUESTS"), "{one}");
    let many = fails_closed("db-fail", 3, Duration::from_secs(30)).await;
    assert!(many.contains("database download error"), "{many}");
}

#[tokio::test]
async fn hanging_scanner_is_killed_at_the_timeout() {
    let start = Instant::now();
    let err = fails_closed("hang", 1, Duration::from_secs(1)).await;
    assert!(
        err.contains("did not finish within the scan timeout of 1s")
            && err.contains("`--scan-timeout`")
            && err.contains("killed"),
        "{err}"
    );
    assert!(start.elapsed() < Duration::from_secs(20));
    let err = fails_closed("server-hang", 2, Duration::from_secs(1)).await;
    assert!(err.contains("`trivy server` did not become ready"), "{err}");
}

#[tokio::test]
async fn insecure_offline_and_first_run_without_db() {
    let a = pick("alpine-39.json", "small-critical.json");
    let map = json!({ digest(1): { "report": a, "insecure": true }, digest(2): a });
    let mut r = Replay::new(map, json!({ "offline": true }));
    let mut plain = target("127.0.0.1:5000/a", 1);
    plain.insecure = true;
    let mut cfg = r.cfg();
    cfg.offline = true;
    // One image (standalone), then two (server clients).
    ok(scan_all(vec![plain.clone()], &cfg).await);
    r.next_run(json!({ "offline": true }));
    cfg.no_cache = true;
    ok(scan_all(vec![plain.clone(), target("r/b", 2)], &cfg).await);
    r.assert_no_failures();
    assert_eq!(r.count("image"), 2);
    // The referee notices a missing `--insecure` and missing offline flags.
    r.next_run(json!({ "offline": true }));
    let mut secure = plain.clone();
    secure.insecure = false;
    assert!(scan_all(vec![secure], &cfg).await[0].is_err());
    r.next_run(json!({ "offline": true }));
    let mut online = r.cfg();
    online.no_cache = true;
    assert!(scan_all(vec![plain.clone()], &online).await[0].is_err());

    // Before Trivy's first DB download there is no `UpdatedAt` to key the cache with.
    r.next_run(json!({ "mode": "no-db" }));
    let mut fresh = r.cfg();
    fresh.cache_dir = Some(r.path("cache-no-db"));
    let res = ok(scan_all(vec![target("r/b", 2)], &fresh).await);
    r.assert_no_failures();
    assert_eq!(res[0].db_updated_at, None);
    assert!(!r.path("cache-no-db").exists());
}

#[tokio::test]
async fn tags_are_refused_before_trivy_runs() {
    let r = Replay::new(
        json!({ "*": pick("alpine-39.json", "small-critical.json") }),
        json!({}),
    );
    let mut t = target("r/a", 1);
    t.image = "r/a:latest".into();
    let res = scan_all(vec![t], &r.cfg()).await;
    assert!(matches!(res[0], Err(ScanError::NotByDigest { .. })));
    assert_eq!(r.count("image"), 0);
}

#[tokio::test]
async fn missing_trivy_fails_every_image_and_path_lookup_works() {
    let r = Replay::new(
        json!({ "*": pick("alpine-39.json", "small-critical.json") }),
        json!({}),
    );
    let empty = tempfile::tempdir().unwrap();
    let mut cfg = r.cfg();
    cfg.trivy = None;
    cfg.search_path = Some(empty.path().as_os_str().to_owned());
    let res = scan_all(vec![target("r/a", 1), target("r/b", 2)], &cfg).await;
    assert_eq!(res.len(), 2);
    for r in &res {
        let err = r.as_ref().unwrap_err().to_string();
        assert!(err.contains("`trivy` was not found"), "{err}");
    }
    // The replay first on a search path, found as `trivy`.
    let mut path = r.path("bin").into_os_string();
    path.push(":");
    path.push(empty.path());
    cfg.search_path = Some(path);
    ok(scan_all(vec![target("r/a", 1)], &cfg).await);
    r.assert_no_failures();
    assert_eq!(r.count("image"), 1);
}

#[tokio::test]
async fn external_server_is_used_and_not_cached() {
    let a = pick("alpine-39.json", "small-critical.json");
    let r = Replay::new(json!({ "*": a }), json!({}));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = tokio::process::Command::new(r.trivy())
        .args(["server", "--listen", &format!("127.0.0.1:{port}")])
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "replay server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut cfg = r.cfg();
    cfg.server = Some(format!("http://127.0.0.1:{port}"));
    ok(scan_all(vec![target("r/a", 1), target("r/b", 2)], &cfg).await);
    r.assert_no_failures();
    assert_eq!(r.count("server"), 1, "only the test's own server");
    assert_eq!(r.count("image"), 2);
    assert!(!r.path("cache").exists(), "a remote DB is not a cache key");
    server.kill().await.unwrap();
}

#[test]
fn the_referee_refuses_tags_duplicates_and_credentials_in_arguments() {
    let r = Replay::new(
        json!({ "*": pick("alpine-39.json", "small-critical.json") }),
        json!({}),
    );
    let run = |args: &[&str]| {
        std::process::Command::new(r.trivy())
            .args([
                "image",
                "--format",
                "json",
                "--scanners",
                "vuln",
                "--list-all-pkgs",
            ])
            .args(["--quiet", "--timeout", "5s"])
            .args(args)
            .output()
            .unwrap()
    };
    let image = format!("r/a@{}", digest(1));
    assert!(run(&[&image]).status.success());
    assert!(!run(&[&image]).status.success(), "same digest twice");
    assert!(!run(&["r/a:latest"]).status.success(), "tag");
    assert!(!run(&["--password", "x", &format!("r/a@{}", digest(2))])
        .status
        .success());
    assert_eq!(r.count("FAIL"), 3);
}
