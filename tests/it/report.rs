//! Reports: every format snapshotted (insta) on one fixed scenario, SARIF validated against the
//! OASIS 2.1.0 schema and GitHub code scanning's extra requirements, the JSON evidence record
//! round-tripped.
//!
//! The scenario: four images (one passing, one vulnerable with an excepted and an
//! expired-exception finding, one unsigned from the command line, one whose registry was down),
//! manifest findings with file:line, an expired and an unused exception. Rule names and
//! descriptions are pinned here, not taken from the live registry, so snapshots stay stable
//! while stages add rules.

use crate::fixtures;
use gate::evidence::*;
use gate::finding::{Location, Severity};
use gate::report;
use gate::rules::Rule;
use std::collections::BTreeMap;

const RULES: &[Rule] = &[
    rule(
        "GATE-VULN-001",
        "vulnerable-image",
        "Image has a vulnerability the policy forbids",
    ),
    rule(
        "GATE-SIG-001",
        "unsigned-image",
        "Image has no signature the policy trusts",
    ),
    rule(
        "GATE-K8S-003",
        "privilege-escalation",
        "Container may gain more privileges than its parent",
    ),
    rule("GATE-K8S-010", "rbac-wildcard", "RBAC rule grants `*`"),
];

const fn rule(id: &'static str, name: &'static str, summary: &'static str) -> Rule {
    Rule {
        id,
        name,
        severity: Severity::Error,
        section: gate::finding::Section::Rules,
        summary,
        explain: "## What it checks\nA test rule.\n\n## Why it matters\nBecause.\n\n\
## How to fix\nFix it.\n\n## References\n- https://example.com\n",
    }
}

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

fn file(f: &str, line: usize, column: usize) -> Source {
    Source::File {
        file: f.into(),
        line,
        column,
    }
}

fn loc(f: &str, line: usize, column: usize) -> Option<Location> {
    Some(Location {
        file: f.into(),
        line,
        column,
    })
}

fn finding(rule: &str, severity: Severity, subject: &str, message: &str) -> FindingRecord {
    let mut f = FindingRecord::new(rule, severity, subject, message);
    f.name = RULES
        .iter()
        .find(|r| r.id == rule)
        .map(|r| r.name.to_string());
    f
}

fn vuln(
    subject: &str,
    id: &str,
    severity: &str,
    exception: Option<AppliedException>,
) -> FindingRecord {
    let mut f = finding(
        "GATE-VULN-001",
        Severity::Error,
        subject,
        &format!("`{id}` ({severity}) in `openssl` 3.0.11, fixed in 3.0.13"),
    );
    f.key = Some(id.to_string());
    f.vulnerability = Some(Box::new(Vulnerability {
        id: id.to_string(),
        severity: severity.to_string(),
        package: "openssl".into(),
        installed_version: "3.0.11".into(),
        fixed_version: Some("3.0.13".into()),
        platform: None,
        title: None,
        primary_url: Some(format!("https://avd.aquasec.com/nvd/{}", id.to_lowercase())),
    }));
    f.exception = exception;
    f
}

fn scan(counts: &[(&str, usize)], cached: bool) -> Option<ScanSummary> {
    Some(ScanSummary {
        scanner: "trivy".into(),
        scanner_version: "0.58.1".into(),
        db_updated_at: Some(at("2026-11-25T06:00:00Z")),
        platforms: vec!["linux/amd64".into()],
        counts: counts
            .iter()
            .map(|(k, n)| (k.to_string(), *n))
            .collect::<BTreeMap<_, _>>(),
        sbom: vec![],
        cached,
        children: vec![],
    })
}

/// The fixed scenario every snapshot renders.
pub fn scenario() -> Evidence {
    let policy = PolicyRef {
        source: ".gate.yaml".into(),
        sha256: "sha256:5f1e7a0c3b2d4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7".into(),
    };
    let mut ev = Evidence::new("0.1.0-test", policy, at("2026-11-26T12:00:00Z"));
    ev.working_directory = Some("/work/repo".into());
    for (stage, ms) in [
        ("discover", 4),
        ("resolve", 180),
        ("scan", 2100),
        ("verify", 350),
        ("lint", 12),
    ] {
        ev.time(stage, ms);
    }

    let api_digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    let mut api = ImageEvidence::new("ghcr.io/acme/api:1.4.2");
    api.sources = vec![
        file("deploy/api.yaml", 21, 18),
        file("deploy/worker.yaml", 30, 16),
    ];
    api.canonical = Some(format!("ghcr.io/acme/api@{api_digest}"));
    api.digest = Some(api_digest.into());
    api.media_type = Some("application/vnd.oci.image.index.v1+json".into());
    api.platforms = vec!["linux/amd64".into(), "linux/arm64".into()];
    api.scan = scan(&[("LOW", 2)], true);
    let keyless = Signer::Identity {
        identity: "https://github.com/acme/api/.github/workflows/release.yml@refs/tags/v1.4.2"
            .into(),
        issuer: "https://token.actions.githubusercontent.com".into(),
    };
    let rekor = RekorEntry {
        log_index: 151_234_567,
        integrated_time: at("2026-11-20T09:30:00Z"),
    };
    api.signatures = vec![Signature {
        signer: keyless.clone(),
        rekor: Some(rekor.clone()),
        layout: None,
    }];
    api.attestations = vec![Attestation {
        predicate_type: "https://slsa.dev/provenance/v1".into(),
        signer: keyless,
        rekor: Some(rekor),
        layout: None,
        slsa: None,
    }];

    let web_digest = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    let mut web = ImageEvidence::new("nginx:1.25");
    web.sources = vec![file("deploy/web.yaml", 19, 16)];
    web.canonical = Some(format!("docker.io/library/nginx@{web_digest}"));
    web.digest = Some(web_digest.into());
    web.media_type = Some("application/vnd.oci.image.manifest.v1+json".into());
    web.scan = scan(&[("CRITICAL", 1), ("HIGH", 2), ("MEDIUM", 4)], false);
    web.scan.as_mut().unwrap().sbom = vec!["sbom/nginx-2222222222222222.cdx.json".into()];
    web.signatures = vec![Signature {
        signer: Signer::Key {
            fingerprint: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
                .into(),
        },
        rekor: None,
        layout: None,
    }];

    let cache_digest = "sha256:3333333333333333333333333333333333333333333333333333333333333333";
    let mut cache = ImageEvidence::new("ghcr.io/acme/cache:7");
    cache.sources = vec![Source::CommandLine];
    cache.canonical = Some(format!("ghcr.io/acme/cache@{cache_digest}"));
    cache.digest = Some(cache_digest.into());
    cache.scan = scan(&[], false);

    let mut migrate = ImageEvidence::new("registry.internal:5000/tools/migrate:2");
    migrate.sources = vec![file("deploy/job.yaml", 12, 20)];
    migrate.errors = vec![CheckError::new(
        "resolve",
        "cannot reach `registry.internal:5000`: connection refused",
    )];

    let web_subject = web.canonical.clone().unwrap();
    let cache_subject = cache.canonical.clone().unwrap();
    ev.images = vec![api, web, cache, migrate];

    let mut crit = vuln(&web_subject, "CVE-2024-0001", "CRITICAL", None);
    crit.location = None;
    let excepted = vuln(
        &web_subject,
        "CVE-2024-0002",
        "HIGH",
        Some(AppliedException {
            reason: "Not reachable: we do not use `openssl` s_server".into(),
            origin: ".gate.yaml:31".into(),
            status: ExceptionStatus::Applied,
        }),
    );
    let expired = vuln(
        &web_subject,
        "CVE-2024-0003",
        "HIGH",
        Some(AppliedException {
            reason: "Waiting for the 1.25.4 base image".into(),
            origin: ".gate.yaml:36".into(),
            status: ExceptionStatus::Expired,
        }),
    );
    let unsigned = finding(
        "GATE-SIG-001",
        Severity::Error,
        &cache_subject,
        "No signature matches the policy's keys or identities",
    );
    let mut wildcard = finding(
        "GATE-K8S-010",
        Severity::Error,
        "ClusterRole/ops-admin",
        // Markup and escape-worthy characters on purpose: every format must escape them.
        "`ClusterRole` grants verbs `*` on resources `*`, e.g. <all> & 100%",
    );
    wildcard.location = loc("deploy/rbac.yaml", 9, 5);
    let mut escalation = finding(
        "GATE-K8S-003",
        Severity::Warning,
        "Deployment/prod/web",
        "Container `web` allows privilege escalation",
    );
    escalation.key = Some("web".into());
    escalation.location = loc("deploy/web.yaml", 24, 11);
    ev.findings = vec![crit, excepted, expired, unsigned, wildcard, escalation];

    ev.lint = Some(LintSummary {
        files: ["api", "job", "rbac", "web", "worker"]
            .iter()
            .map(|f| format!("deploy/{f}.yaml").into())
            .collect(),
        objects: 12,
        notices: vec!["deploy/job.yaml: skipped a document without `kind`".into()],
    });
    ev.exceptions = vec![
        ExceptionRecord {
            origin: ".gate.yaml:36".into(),
            rules: vec!["GATE-VULN-001".into()],
            ids: vec!["CVE-2024-0003".into()],
            subject: Some("docker.io/library/nginx@*".into()),
            reason: "Waiting for the 1.25.4 base image".into(),
            expires: Some("2026-10-31".parse().unwrap()),
            owner: Some("team-web".into()),
            status: ExceptionStatus::Expired,
        },
        ExceptionRecord {
            origin: ".gate.yaml:41".into(),
            rules: vec!["rbac-wildcard".into()],
            ids: vec![],
            subject: Some("ClusterRole/legacy-*".into()),
            reason: "Legacy operator, removed in Q1".into(),
            expires: None,
            owner: None,
            status: ExceptionStatus::Unused,
        },
    ];
    ev.pinned = vec![
        PinnedFile {
            file: "deploy/api.yaml".into(),
            references: 1,
            digests: Vec::new(),
        },
        PinnedFile {
            file: "deploy/worker.yaml".into(),
            references: 1,
            digests: Vec::new(),
        },
    ];
    ev.finish(at("2026-11-26T12:00:03Z"));
    ev
}

#[test]
fn scenario_verdicts() {
    let ev = scenario();
    let verdicts: Vec<Verdict> = ev.images.iter().map(|i| i.verdict).collect();
    assert_eq!(
        verdicts,
        [
            Verdict::Passed,
            Verdict::Failed,
            Verdict::Failed,
            Verdict::Incomplete
        ]
    );
    assert_eq!(ev.verdict, Verdict::Incomplete);
    assert_eq!(
        ev.count(Severity::Error),
        4,
        "excepted finding does not count, expired does"
    );
    assert_eq!(ev.count(Severity::Warning), 1);
}

#[test]
fn table_snapshot() {
    let ev = scenario();
    let plain = report::table::render(&ev, report::table::Style::PLAIN);
    insta::assert_snapshot!("table", plain);
    assert!(!plain.contains('\x1b'));
    assert!(
        plain.ends_with(
            "gate: incomplete — 4 errors, 1 warning, 1 excepted; 4 images (2 failed, 1 not\n      \
checked), 12 objects; 1 check could not run\n"
        ),
        "{plain}"
    );
    let colored = report::table::render(
        &ev,
        report::table::Style {
            color: true,
            ..report::table::Style::PLAIN
        },
    );
    assert!(colored.contains("\x1b[31m"));
    // 80 columns wherever a line can be broken: only a single word too long for any line (a
    // full digest, a signer identity) may stand past it.
    for line in plain.lines().filter(|l| l.chars().count() > 80) {
        let indent = line.len() - line.trim_start().len();
        assert!(
            line.split(' ').any(|w| indent + w.chars().count() > 50),
            "a breakable line over 80 columns:\n{line}"
        );
    }
    // Most severe first within each image: the counted errors, then the excepted finding.
    let at = |id: &str| plain.find(id).unwrap();
    assert!(at("CVE-2024-0003") < at("CVE-2024-0002"), "{plain}");
    // The advisory link of a vulnerability is under its finding.
    assert!(
        plain.contains("https://avd.aquasec.com/nvd/cve-2024-0001"),
        "{plain}"
    );
    // Narrower terminals wrap too.
    let narrow = report::table::render(
        &ev,
        report::table::Style {
            width: 60,
            ..report::table::Style::PLAIN
        },
    );
    for line in narrow.lines().filter(|l| l.chars().count() > 60) {
        let indent = line.len() - line.trim_start().len();
        assert!(
            line.split(' ').any(|w| indent + w.chars().count() > 30),
            "a breakable line over 60 columns:\n{line}"
        );
    }
}

#[test]
fn json_snapshot_and_round_trip() {
    let ev = scenario();
    let text = report::json::render(&ev).unwrap();
    insta::assert_snapshot!("json", text);
    let back: Evidence = serde_json::from_str(&text).unwrap();
    assert_eq!(back, ev);
}

#[test]
fn junit_snapshot() {
    let text = report::junit::render(&scenario());
    insta::assert_snapshot!("junit", text);
    // 4 image suites + 5 files (the image findings live in image suites).
    assert_eq!(text.matches("<testsuite ").count(), 9);
    assert!(text.contains("&lt;all&gt; &amp; 100%"));
}

#[test]
fn github_snapshot() {
    let ev = scenario();
    let commands = report::github::render(&ev);
    insta::assert_snapshot!("github_commands", commands);
    insta::assert_snapshot!("github_summary", report::github::step_summary(&ev));
    assert!(commands
        .contains("::error file=deploy/rbac.yaml,line=9,col=5,title=GATE-K8S-010 rbac-wildcard::"));
    // The command-line image has no file: the annotation carries no position.
    assert!(commands.contains("::error title=GATE-SIG-001 unsigned-image::ghcr.io/acme/cache@"));
    assert!(
        !commands.contains("CVE-2024-0002"),
        "excepted findings are not annotated"
    );
}

#[test]
fn dispatcher_returns_step_summary_only_for_github() {
    let ev = scenario();
    let r = report::render(&ev, gate::cli::Format::Github, report::table::Style::PLAIN).unwrap();
    assert!(r
        .step_summary
        .unwrap()
        .starts_with("## ⚠️ gate: incomplete"));
    let r = report::render(&ev, gate::cli::Format::Sarif, report::table::Style::PLAIN).unwrap();
    assert!(r.step_summary.is_none());
}

fn sarif() -> serde_json::Value {
    let rules: Vec<&Rule> = RULES.iter().collect();
    let text = report::sarif::render_with_rules(&scenario(), &rules).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn sarif_snapshot() {
    let rules: Vec<&Rule> = RULES.iter().collect();
    let text = report::sarif::render_with_rules(&scenario(), &rules).unwrap();
    insta::assert_snapshot!("sarif", text);
}

#[test]
fn sarif_meets_github_code_scanning_requirements() {
    let log = sarif();
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 4);
    for r in rules {
        let sev: f64 = r["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&sev));
        assert!(r["shortDescription"]["text"].is_string());
        assert!(r["fullDescription"]["text"].is_string());
        assert!(r["help"]["markdown"].is_string());
        assert!(!r["properties"]["tags"].as_array().unwrap().is_empty());
    }
    let vuln = rules.iter().find(|r| r["id"] == "GATE-VULN-001").unwrap();
    assert_eq!(
        vuln["properties"]["security-severity"], "9.5",
        "worst CVE is CRITICAL"
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    for r in results {
        let id = r["ruleId"].as_str().unwrap();
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], id);
        // GitHub rejects the whole upload when one result lacks a location URI.
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(!uri.is_empty() && !uri.starts_with('/'));
        assert!(r["partialFingerprints"]["gateFingerprint/v1"].is_string());
    }
    let by_key = |k: &str| {
        results
            .iter()
            .find(|r| r["message"]["text"].as_str().unwrap().contains(k))
            .unwrap()
    };
    // An image finding without a location points at the first file naming the image.
    let crit = by_key("CVE-2024-0001");
    assert_eq!(
        crit["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "deploy/web.yaml"
    );
    assert_eq!(
        crit["locations"][0]["physicalLocation"]["region"]["startLine"],
        19
    );
    assert_eq!(
        by_key("CVE-2024-0002")["suppressions"][0]["status"],
        "accepted"
    );
    assert!(by_key("CVE-2024-0003")["suppressions"].is_null());
    // The command-line image: its repository name, line 1.
    let unsigned = by_key("No signature");
    assert_eq!(
        unsigned["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "ghcr.io/acme/cache"
    );
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
}

#[test]
fn sarif_fingerprints_ignore_line_moves() {
    let rules: Vec<&Rule> = RULES.iter().collect();
    let mut ev = scenario();
    let before = report::sarif::render_with_rules(&ev, &rules).unwrap();
    for f in &mut ev.findings {
        if let Some(l) = &mut f.location {
            l.line += 3;
        }
    }
    let after = report::sarif::render_with_rules(&ev, &rules).unwrap();
    let prints = |t: &str| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(t).unwrap();
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["gateFingerprint/v1"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_ne!(before, after);
    assert_eq!(prints(&before), prints(&after));
    let mut unique = prints(&before);
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 6, "fingerprints distinguish findings");
}

#[test]
fn conformance_sarif_validates_against_the_oasis_schema() {
    let root = fixtures::dir(fixtures::Set::Sarif);
    let schema_text = std::fs::read_to_string(root.join("sarif-schema-2.1.0.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&schema_text).unwrap();
    // Formats (`uri`, `date-time`) are checked too, not only structure.
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let mut logs = vec![sarif()];
    // Also the registry-backed rendering and an empty run.
    logs.push(serde_json::from_str(&report::sarif::render(&scenario()).unwrap()).unwrap());
    let empty = Evidence::new(
        "0.1.0",
        PolicyRef {
            source: "built-in default".into(),
            sha256: "sha256:00".into(),
        },
        at("2026-11-26T12:00:00Z"),
    );
    logs.push(serde_json::from_str(&report::sarif::render(&empty).unwrap()).unwrap());
    for log in &logs {
        let errors: Vec<String> = validator
            .iter_errors(log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "SARIF schema violations: {errors:#?}");
    }
    // A broken log must fail, so the check above can fail too.
    let mut broken = sarif();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken));
    let mut broken = sarif();
    broken["runs"][0]["invocations"][0]["startTimeUtc"] = "yesterday".into();
    assert!(!validator.is_valid(&broken), "formats are validated");
}

#[test]
fn github_summary_caps_finding_rows_and_annotations_stay_one_line() {
    let mut ev = scenario();
    for i in 0..600 {
        let mut f = finding(
            "GATE-K8S-003",
            Severity::Warning,
            &format!("Deployment/prod/app-{i}"),
            "Line one\nline two, 50%: done",
        );
        f.location = loc("deploy/many.yaml", i + 1, 1);
        ev.findings.push(f);
    }
    ev.finish(at("2026-11-26T12:00:03Z"));
    let summary = report::github::step_summary(&ev);
    assert!(summary.contains("…and 106 more"), "{summary}");
    let commands = report::github::render(&ev);
    assert!(commands.contains("Line one%0Aline two, 50%25: done"));
    assert!(commands
        .lines()
        .all(|l| l.starts_with("::") || l.starts_with("gate: ")));
}

#[test]
fn annotations_are_capped_per_kind_most_severe_first_with_a_closing_notice() {
    let mut ev = scenario();
    for i in 0..25 {
        let mut f = finding(
            "GATE-K8S-003",
            Severity::Warning,
            &format!("Deployment/prod/w-{i}"),
            "warn",
        );
        f.location = loc("deploy/many.yaml", i + 1, 1);
        ev.findings.push(f);
        let mut f = finding(
            "GATE-K8S-010",
            Severity::Error,
            &format!("Role/r-{i}"),
            "err",
        );
        f.location = loc("deploy/many.yaml", 100 + i, 1);
        ev.findings.push(f);
    }
    ev.finish(at("2026-11-26T12:00:03Z"));
    let commands = report::github::render(&ev);
    let lines: Vec<&str> = commands.lines().collect();
    let count = |p: &str| lines.iter().filter(|l| l.starts_with(p)).count();
    assert_eq!(count("::error "), 10, "{commands}");
    assert_eq!(count("::warning "), 10, "{commands}");
    assert_eq!(count("::notice "), 1, "{commands}");
    // Errors first, and the could-not-check error leads them.
    let first_warning = lines
        .iter()
        .position(|l| l.starts_with("::warning"))
        .unwrap();
    let last_error = lines
        .iter()
        .rposition(|l| l.starts_with("::error"))
        .unwrap();
    assert!(last_error < first_warning, "{commands}");
    assert!(lines[0].contains("gate could not check"), "{commands}");
    // scenario: 4 errors + 1 could-not-check + 2 exception warnings + 1 warning, plus 50 here.
    let notice = lines.iter().find(|l| l.starts_with("::notice")).unwrap();
    assert!(notice.contains("38 annotations not shown"), "{notice}");
    assert!(notice.contains("SARIF"), "{notice}");
}

#[test]
fn paths_are_repository_relative_and_sarif_names_srcroot() {
    let mut ev = scenario();
    ev.working_directory = Some("/work/repo/sub".into());
    ev.repository_root = Some("/work/repo".into());
    let commands = report::github::render(&ev);
    assert!(
        commands.contains("::error file=sub/deploy/rbac.yaml,line=9,"),
        "{commands}"
    );
    let rules: Vec<&Rule> = RULES.iter().collect();
    let log: serde_json::Value =
        serde_json::from_str(&report::sarif::render_with_rules(&ev, &rules).unwrap()).unwrap();
    let run = &log["runs"][0];
    assert_eq!(
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        "file:///work/repo/"
    );
    let rbac = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "GATE-K8S-010")
        .unwrap();
    let loc = &rbac["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(loc["uri"], "sub/deploy/rbac.yaml");
    assert_eq!(loc["uriBaseId"], "%SRCROOT%");
    let rule = &run["tool"]["driver"]["rules"][0];
    assert!(rule["helpUri"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/docs/rules/{}.md", rule["id"].as_str().unwrap())));
    assert!(!rule["help"]["text"].as_str().unwrap().contains("## "));
}

#[test]
fn junit_names_survive_line_moves_and_testsuites_has_no_skipped() {
    let mut ev = scenario();
    let before = report::junit::render(&ev);
    for f in &mut ev.findings {
        if let Some(l) = &mut f.location {
            l.line += 7;
        }
    }
    let after = report::junit::render(&ev);
    let names = |t: &str| -> Vec<String> {
        t.lines()
            .filter_map(|l| l.split(" name=\"").nth(1))
            .map(|n| n.split('"').next().unwrap().to_string())
            .collect()
    };
    assert_ne!(before, after, "the positions moved");
    assert_eq!(names(&before), names(&after));
    let head = before.lines().nth(1).unwrap();
    assert!(
        head.starts_with("<testsuites ") && !head.contains("skipped="),
        "{head}"
    );
    let cases: Vec<&str> = before
        .lines()
        .filter(|l| l.trim_start().starts_with("<testcase "))
        .collect();
    assert!(!cases.is_empty(), "{before}");
    assert!(cases.iter().all(|l| l.contains(" time=\"")));
}

/// A file name from the change carrying CR, a workflow command and ESC reaches neither the
/// terminal table nor the GitHub annotations raw (issue 14, "Output").
#[test]
fn hostile_file_names_are_escaped_in_table_and_github() {
    let dir = tempfile::tempdir().unwrap();
    let name = "evil\r::warning file=x::forged\u{1b}[2J.yaml";
    std::fs::write(
        dir.path().join(name),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  \
         - name: c\n    image: nginx:1.27@sha256:0000000000000000000000000000000000000000000000000000000000000000\n    \
         securityContext: {privileged: true}\n",
    )
    .unwrap();
    for format in ["table", "github"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gate"))
            .args(["lint", "-q", "--format", format, "-f"])
            .arg(dir.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("forged"), "{format}: {text}");
        assert!(
            !text.contains('\r') && !text.contains('\u{1b}'),
            "{format}: {text:?}"
        );
        assert!(
            !text.lines().any(|l| l.starts_with("::warning file=x")),
            "{format}: {text:?}"
        );
    }
}
