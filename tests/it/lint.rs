//! Lint: Pod Security conformance over the upstream fixtures, and each guardrail on small
//! manifests under tests/data/lint (a failing and a passing case each, exact rule IDs and lines).

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use chrono::NaiveDate;
use gate::finding::Finding;
use gate::lint::pss::{Level, Version};
use gate::lint::{lint_paths, lint_sources, InlineExceptions, LintConfig};

use std::path::{Path, PathBuf};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
}

fn cfg(level: Level, version: Version) -> LintConfig {
    LintConfig {
        level,
        version,
        ..LintConfig::default()
    }
}

fn pss_findings(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.rule.id.starts_with("GATE-PSS-"))
        .collect()
}

/// The rules a fail fixture of upstream check `check` may trigger at `level` and `1.minor`.
fn expected_rules(check: &str, level: &str, minor: u32) -> Vec<&'static str> {
    let restricted = level == "restricted";
    let own: &[&str] = match check {
        "hostnamespaces" => &["GATE-PSS-001"],
        "privileged" => &["GATE-PSS-002"],
        // At restricted the restricted check that subsumes a baseline one reports beside it.
        "capabilities_baseline" if restricted && minor >= 22 => &["GATE-PSS-003", "GATE-PSS-018"],
        "capabilities_baseline" => &["GATE-PSS-003"],
        "hostpathvolumes" if restricted => &["GATE-PSS-004", "GATE-PSS-013"],
        "hostpathvolumes" => &["GATE-PSS-004"],
        "hostports" => &["GATE-PSS-005"],
        "apparmorprofile" => &["GATE-PSS-006"],
        "selinuxoptions" => &["GATE-PSS-007"],
        "procmount" if restricted && minor >= 35 => &["GATE-PSS-008", "GATE-PSS-019"],
        "procmount" => &["GATE-PSS-008"],
        "seccompprofile_baseline" if restricted && minor >= 19 => &["GATE-PSS-009", "GATE-PSS-017"],
        "seccompprofile_baseline" => &["GATE-PSS-009"],
        "sysctls" => &["GATE-PSS-010"],
        "windowshostprocess" => &["GATE-PSS-011"],
        "hostprobesandhostlifecycle" => &["GATE-PSS-012"],
        "restrictedvolumes" => &["GATE-PSS-013", "GATE-PSS-004"],
        "allowprivilegeescalation" => &["GATE-PSS-014"],
        "runasnonroot" => &["GATE-PSS-015"],
        "runasuser" => &["GATE-PSS-016"],
        "seccompprofile_restricted" => &["GATE-PSS-017", "GATE-PSS-009"],
        "capabilities_restricted" => &["GATE-PSS-018", "GATE-PSS-003"],
        "procmount_restricted" => &["GATE-PSS-019", "GATE-PSS-008"],
        other => panic!("unknown fixture check `{other}`"),
    };
    // Fixtures that need a second violation to be valid pods: HostProcess pods must use the host
    // network; a privileged container cannot set `allowPrivilegeEscalation: false`; one
    // privilege-escalation case has no security context at all.
    let also: &[&str] = match check {
        "windowshostprocess" => &["GATE-PSS-001"],
        "privileged" => &["GATE-PSS-014"],
        "allowprivilegeescalation" => &["GATE-PSS-018", "GATE-PSS-003"],
        _ => &[],
    };
    own.iter().chain(also).copied().collect()
}

#[test]
fn conformance_pss_every_fixture_at_every_level_and_version() {
    let root = crate::fixtures::dir(crate::fixtures::Set::Pss);
    let mut total = 0;
    let mut ok = 0;
    let mut failures = Vec::new();
    for level in ["baseline", "restricted"] {
        for minor in 0..=37 {
            let version = format!("v1.{minor}");
            let config = cfg(level.parse().unwrap(), version.parse().unwrap());
            for expect in ["pass", "fail"] {
                let dir = root.join(level).join(&version).join(expect);
                let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect();
                files.sort();
                for file in files {
                    total += 1;
                    let text = std::fs::read_to_string(&file).unwrap();
                    let out = lint_sources(&[(file.clone(), text)], &config, today());
                    assert!(
                        out.notices.is_empty(),
                        "{}: {:?}",
                        file.display(),
                        out.notices
                    );
                    assert_eq!(out.objects, 1);
                    let pss = pss_findings(&out.findings);
                    let admitted = pss.is_empty();
                    if expect == "fail" {
                        // A fail fixture is the base pod with one violation: only its check
                        // (or the restricted check that replaces it) may fire.
                        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
                        let check = name.trim_end_matches(|c: char| c.is_ascii_digit());
                        let want = expected_rules(check, level, minor);
                        for f in &pss {
                            if !want.contains(&f.rule.id) {
                                failures.push(format!(
                                    "{level}:{version} {}: unexpected {} {}",
                                    file.display(),
                                    f.rule,
                                    f.message
                                ));
                            }
                        }
                    }
                    if admitted == (expect == "pass") {
                        ok += 1;
                    } else {
                        failures.push(format!(
                            "{level}:{version} {}: {:?}",
                            file.display(),
                            pss.iter().map(|f| &f.message).collect::<Vec<_>>()
                        ));
                    }
                }
            }
        }
    }
    println!("PSS conformance: {ok}/{total}");
    eprintln!("PSS conformance: {ok}/{total}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(total, 4537);
}

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/lint")
        .join(rel)
}

/// `(rule, line)` of every finding by `rule` when linting `path` with `config`.
fn lines_of(path: &Path, rule: &str, config: &LintConfig) -> Vec<usize> {
    let out = lint_paths(&[path.to_path_buf()], config, today()).unwrap();
    assert!(
        out.notices.is_empty(),
        "{}: {:?}",
        path.display(),
        out.notices
    );
    out.findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| {
            let l = f.location.as_ref().unwrap();
            assert_eq!(l.file, path);
            l.line
        })
        .collect()
}

/// Each guardrail's fixture directory (named after the rule), the rule, and the lines of its
/// findings in `fail.yaml`; `pass.yaml` must have none.
const GUARDRAILS: &[(&str, &str, &[usize])] = &[
    ("rbac-pod-exec", "GATE-K8S-013", &[7, 10]),
    ("rbac-secrets-read", "GATE-K8S-014", &[6, 9, 12]),
    ("rbac-workload-create", "GATE-K8S-015", &[7, 10]),
    ("rbac-escalation-verbs", "GATE-K8S-016", &[6, 9]),
    ("rbac-nodes-proxy", "GATE-K8S-017", &[6]),
    ("anonymous-binding", "GATE-K8S-018", &[11, 13, 26]),
    ("authenticated-binding", "GATE-K8S-019", &[10]),
    ("missing-service-account", "GATE-K8S-022", &[10]),
    ("network-policy-selects-nothing", "GATE-K8S-032", &[22]),
    (
        "network-policy-peer-selects-nothing",
        "GATE-K8S-033",
        &[26, 33],
    ),
    ("exposed-service-without-policy", "GATE-K8S-034", &[21]),
    ("host-users-enabled", "GATE-K8S-066", &[7, 17]),
    ("rbac-wildcard", "GATE-K8S-010", &[6, 8]),
    (
        "cluster-admin-binding",
        "GATE-K8S-011",
        &[10, 15, 17, 19, 21, 34],
    ),
    ("default-service-account-binding", "GATE-K8S-012", &[11]),
    ("default-service-account", "GATE-K8S-020", &[9]),
    ("automount-service-account-token", "GATE-K8S-021", &[15, 29]),
    ("missing-default-deny", "GATE-K8S-030", &[4]),
    ("dns-egress-blocked", "GATE-K8S-031", &[7]),
    ("namespace-without-pss-label", "GATE-K8S-040", &[4]),
    ("namespace-pss-weaker-than-policy", "GATE-K8S-041", &[6]),
    (
        "namespace-pss-version-older-than-policy",
        "GATE-K8S-043",
        &[7],
    ),
    ("invalid-pss-label", "GATE-K8S-042", &[6, 7]),
    ("secret-in-env", "GATE-K8S-050", &[14, 16, 20, 22, 25]),
    ("secret-in-configmap", "GATE-K8S-051", &[7, 10, 12, 13, 16]),
    ("literal-secret", "GATE-K8S-052", &[8]),
    ("secretstore-plain-http", "GATE-K8S-053", &[9]),
    ("unpinned-image", "GATE-IMG-001", &[11]),
    ("image-latest-tag", "GATE-K8S-060", &[9, 12]),
    ("missing-memory-limit", "GATE-K8S-061", &[14, 16]),
    ("missing-memory-request", "GATE-K8S-063", &[14, 16]),
    ("missing-cpu-limit", "GATE-K8S-064", &[14, 16]),
    ("missing-cpu-request", "GATE-K8S-065", &[14, 16]),
    ("writable-root-filesystem", "GATE-K8S-062", &[13]),
    ("dapr-component-without-scopes", "GATE-DAPR-001", &[1]),
    ("dapr-mtls-disabled", "GATE-DAPR-002", &[8]),
    ("dapr-missing-app-token", "GATE-DAPR-003", &[10]),
];

/// Every lint rule has fixtures: a guardrail a fail/pass pair above, a Pod Security rule the
/// upstream conformance fixtures (it is the rule some check's fail fixtures expect), an
/// exception rule the exceptions test. Nothing passes silently when a rule has none.
#[test]
fn every_rule_has_fixtures() {
    let exceptions_test = ["GATE-LINT-001", "GATE-LINT-002"];
    let checks = [
        "hostnamespaces",
        "privileged",
        "capabilities_baseline",
        "hostpathvolumes",
        "hostports",
        "apparmorprofile",
        "selinuxoptions",
        "procmount",
        "seccompprofile_baseline",
        "sysctls",
        "windowshostprocess",
        "hostprobesandhostlifecycle",
        "restrictedvolumes",
        "allowprivilegeescalation",
        "runasnonroot",
        "runasuser",
        "seccompprofile_restricted",
        "capabilities_restricted",
        "procmount_restricted",
    ];
    let conformance: Vec<&str> = checks
        .iter()
        .flat_map(|c| expected_rules(c, "baseline", 37))
        .collect();
    for rule in gate::lint::RULES {
        let covered = GUARDRAILS.iter().any(|(_, r, _)| *r == rule.id)
            || (rule.id.starts_with("GATE-PSS-") && conformance.contains(&rule.id))
            || exceptions_test.contains(&rule.id);
        assert!(covered, "{} `{}` has no fixtures", rule.id, rule.name);
    }
    for (dir, _, want) in GUARDRAILS {
        assert!(!want.is_empty(), "{dir}/fail.yaml must fail");
        assert!(
            data(&format!("{dir}/pass.yaml")).is_file(),
            "{dir}/pass.yaml"
        );
    }
}

#[test]
fn guardrails_fail_and_pass() {
    let config = LintConfig {
        require_dapr_app_token: true,
        ..LintConfig::default()
    };
    for (dir, rule, want) in GUARDRAILS {
        let fail = lines_of(&data(&format!("{dir}/fail.yaml")), rule, &config);
        assert_eq!(&fail, want, "{dir}/fail.yaml: lines of {rule}");
        let pass = lines_of(&data(&format!("{dir}/pass.yaml")), rule, &config);
        assert!(pass.is_empty(), "{dir}/pass.yaml: {rule} at {pass:?}");
        let documented = gate::rules::find(rule).unwrap();
        assert_eq!(documented.name, *dir, "{rule} is named after its directory");
    }
}

#[test]
fn guardrail_messages_name_the_problem_without_secrets() {
    let out = lint_paths(
        &[
            data("secret-in-env/fail.yaml"),
            data("dns-egress-blocked/fail.yaml"),
        ],
        &LintConfig::default(),
        today(),
    )
    .unwrap();
    let text: Vec<&str> = out.findings.iter().map(|f| f.message.as_str()).collect();
    assert!(
        text.iter()
            .all(|m| !m.contains("hunter2") && !m.contains("s3cr3t")),
        "{text:?}"
    );
    let dns = out
        .findings
        .iter()
        .find(|f| f.rule == "GATE-K8S-031")
        .unwrap();
    assert!(dns.message.contains("TCP port 53"), "{}", dns.message);
    assert_eq!(dns.subject, "NetworkPolicy/shop/default-deny-all");
    let dapr_off = lint_paths(
        &[data("dapr-missing-app-token/fail.yaml")],
        &LintConfig::default(),
        today(),
    )
    .unwrap();
    assert!(dapr_off.findings.iter().all(|f| f.rule != "GATE-DAPR-003"));
    // Literal Secrets name what the shared detector recognises, never the value.
    let secret = lint_paths(
        &[data("literal-secret/fail.yaml")],
        &LintConfig::default(),
        today(),
    )
    .unwrap();
    let f = secret
        .findings
        .iter()
        .find(|f| f.rule == "GATE-K8S-052")
        .unwrap();
    assert!(
        f.message.contains("(`password` has a secret-looking name")
            && !f.message.contains("hunter2"),
        "{}",
        f.message
    );
}

#[test]
fn pss_applies_to_every_workload_at_its_namespace_level() {
    let out = lint_paths(&[data("pss-workloads")], &LintConfig::default(), today()).unwrap();
    assert!(out.notices.is_empty(), "{:?}", out.notices);
    assert_eq!(out.objects, 6);
    let spelled: Vec<(&str, usize, String)> = pss_findings(&out.findings)
        .iter()
        .map(|f| {
            (
                f.rule.id,
                f.location.as_ref().unwrap().line,
                f.subject.to_string(),
            )
        })
        .collect();
    let pss: Vec<(&str, usize, &str)> = spelled
        .iter()
        .map(|(r, l, s)| (*r, *l, s.as_str()))
        .collect();
    assert_eq!(
        pss,
        vec![
            ("GATE-PSS-002", 19, "CronJob/shop/report"),
            ("GATE-PSS-001", 46, "Deployment/base/web"),
            ("GATE-PSS-005", 64, "Rollout/base/canary"),
        ]
    );
    let cron = out
        .findings
        .iter()
        .find(|f| f.rule == "GATE-PSS-002")
        .unwrap();
    assert!(
        cron.message.contains(
            "`spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged`"
        ),
        "{}",
        cron.message
    );
    assert!(
        cron.message.contains("restricted:latest"),
        "{}",
        cron.message
    );
    let web = out
        .findings
        .iter()
        .find(|f| f.rule == "GATE-PSS-001")
        .unwrap();
    assert!(web.message.contains("baseline:v1.22"), "{}", web.message);

    // Without the Namespace objects, the policy's level applies everywhere.
    let workloads = data("pss-workloads/workloads.yaml");
    let baseline = cfg(Level::Baseline, Version::LATEST);
    let rules: Vec<&str> = lint_paths(&[workloads], &baseline, today())
        .unwrap()
        .findings
        .iter()
        .filter(|f| f.rule.id.starts_with("GATE-PSS-"))
        .map(|f| f.rule.id)
        .collect();
    assert_eq!(
        rules,
        vec![
            "GATE-PSS-002",
            "GATE-PSS-001",
            "GATE-PSS-002",
            "GATE-PSS-001",
            "GATE-PSS-005"
        ]
    );
}

#[test]
fn exceptions_inline_config_expired_and_malformed() {
    use gate::exception::Exception;
    let config = LintConfig {
        exceptions: vec![
            Exception::new(
                vec!["GATE-K8S-010".into()],
                vec![],
                Some("Role/team-a/*".into()),
                "team owns its namespace".into(),
                None,
                Some("team-a".into()),
                "policy.yaml:10".into(),
            )
            .unwrap(),
            Exception::new(
                vec!["rbac-wildcard".into()],
                vec![],
                Some("ClusterRole/sloppy".into()),
                "temporary".into(),
                Some(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()),
                None,
                "policy.yaml:20".into(),
            )
            .unwrap(),
        ],
        inline: InlineExceptions::all(),
        ..LintConfig::default()
    };
    let out = lint_paths(&[data("exceptions/annotated.yaml")], &config, today()).unwrap();
    let got = rule_line_exception(&out.findings);
    let vendor = Some("vendor operator manages every CRD it installs");
    assert_eq!(
        got,
        vec![
            ("GATE-K8S-010", 8, vendor),
            ("GATE-K8S-010", 9, vendor),
            ("GATE-K8S-010", 19, None),
            ("GATE-LINT-001", 19, None),
            ("GATE-LINT-002", 28, None),
            ("GATE-K8S-010", 30, None),
            ("GATE-LINT-001", 30, None),
            ("GATE-K8S-010", 41, Some("team owns its namespace")),
            ("GATE-LINT-002", 50, None),
        ]
    );
    let expired = &out.findings[3];
    assert!(
        expired.message.contains("expired on 2026-01-31"),
        "{}",
        expired.message
    );
    assert_eq!(expired.subject, "ClusterRole/old-operator");
    assert!(
        out.findings[4].message.contains("no `reason=`"),
        "{}",
        out.findings[4].message
    );
    assert_eq!(config.exceptions[0].uses(), 1);
}

#[test]
fn bad_input_is_a_notice_and_the_rest_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();
    w(
        "a-malformed.yaml",
        b"apiVersion: v1\nkind: Pod\nmetadata: [oops\n",
    );
    w(
        "b-helm.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n{{- if .Values.x }}\ndata: {}\n{{- end }}\n",
    );
    w("c-binary.yaml", b"apiVersion: v1\nkind: \xff\xfe\n");
    w(
        "d-nokind.yaml",
        b"apiVersion: v1\nmetadata:\n  name: x\n---\nkind: Pod\napiVersion: v1\nspec: {}\n",
    );
    w("e-list.json", br#"{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "dg=="}}]}"#);
    w(
        "e-shape.yaml",
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    name: c\n",
    );
    w(
        "f-good.yaml",
        b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: t\nstringData:\n  k: v\n",
    );
    w("notes.txt", b"not yaml: [");
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    let out = lint_paths(&[dir.path().to_path_buf()], &LintConfig::default(), today()).unwrap();
    let notices: Vec<(String, usize, gate::finding::Severity)> = out
        .notices
        .iter()
        .map(|n| {
            (
                n.file.file_name().unwrap().to_string_lossy().into_owned(),
                n.line,
                n.severity,
            )
        })
        .collect();
    use gate::finding::Severity::*;
    assert_eq!(
        notices,
        vec![
            ("a-malformed.yaml".to_string(), 4, Error),
            ("b-helm.yaml".to_string(), 4, Note),
            ("c-binary.yaml".to_string(), 2, Error),
            ("d-nokind.yaml".to_string(), 1, Note),
            ("d-nokind.yaml".to_string(), 5, Warning),
            ("e-shape.yaml".to_string(), 7, Error),
        ],
        "{:#?}",
        out.notices
    );
    assert!(out.notices[0].to_string().contains("malformed YAML"));
    assert_eq!(out.objects, 3);
    let secrets: Vec<String> = out
        .findings
        .iter()
        .filter(|f| f.rule == "GATE-K8S-052")
        .map(|f| f.subject.to_string())
        .collect();
    assert_eq!(secrets, vec!["Secret/default/s", "Secret/default/t"]);
}

#[test]
fn truncated_and_corrupted_input_never_panics() {
    let files = [
        data("pss-workloads/workloads.yaml"),
        data("exceptions/annotated.yaml"),
        data("dns-egress-blocked/pass.yaml"),
        data("secret-in-configmap/fail.yaml"),
    ];
    let config = LintConfig {
        require_dapr_app_token: true,
        ..LintConfig::default()
    };
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let whole = lint_sources(&[(file.clone(), text.clone())], &config, today());
        assert!(whole.objects > 0 && whole.notices.is_empty());
        for cut in (0..text.len()).step_by(5) {
            let prefix = text[..cut].to_string();
            let mut swapped = text.clone().into_bytes();
            swapped[cut] = b"{[:-'\"&*!|>#%@`"[cut % 15];
            let swapped = String::from_utf8_lossy(&swapped).into_owned();
            for variant in [prefix, swapped] {
                let out = lint_sources(&[(file.clone(), variant)], &config, today());
                for n in &out.notices {
                    assert!(n.line >= 1 && n.column >= 1, "{n}");
                }
            }
        }
    }
}

/// Turning a restricted rule off never hides the baseline finding it subsumes (issue: with
/// `GATE-PSS-013: off` a `hostPath` of the Docker socket passed; with `GATE-PSS-018: off`,
/// `NET_ADMIN` and `SYS_ADMIN` passed).
#[test]
fn pss_rules_stand_on_their_own() {
    let pod = data("pss-independent/pod.yaml");
    let out = lint_paths(std::slice::from_ref(&pod), &LintConfig::default(), today()).unwrap();
    let mut rules: Vec<&str> = pss_findings(&out.findings)
        .iter()
        .map(|f| f.rule.id)
        .collect();
    rules.sort_unstable();
    rules.dedup();
    assert_eq!(
        rules,
        [
            "GATE-PSS-003",
            "GATE-PSS-004",
            "GATE-PSS-013",
            "GATE-PSS-018"
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    for (off, still) in [
        ("GATE-PSS-013", "GATE-PSS-004"),
        ("GATE-PSS-018", "GATE-PSS-003"),
        ("GATE-PSS-004", "GATE-PSS-013"),
        ("GATE-PSS-003", "GATE-PSS-018"),
    ] {
        let policy = dir.path().join(format!("{off}.yaml"));
        std::fs::write(&policy, format!("manifests:\n  rules:\n    {off}: off\n")).unwrap();
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_gate"))
            .args(["lint", "--format", "json", "--policy"])
            .arg(&policy)
            .arg("-f")
            .arg(&pod)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert_eq!(run.status.code(), Some(1), "{off} off: {stdout}");
        assert!(stdout.contains(still), "{off} off hides {still}: {stdout}");
        assert!(
            !stdout.contains(&format!("\"{off}\"")),
            "{off} is off: {stdout}"
        );
    }
}

/// Pod specs nested in custom resources are linted as pods: a privileged container in a KEDA
/// ScaledJob's job template and in an Argo Workflow template fails Pod Security, at the
/// container's line. Before: neither object had a pod to check.
#[test]
fn pod_specs_nested_in_custom_resources_are_linted_as_pods() {
    let src = "apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nmetadata: {name: s, namespace: n}\n\
               spec:\n  jobTargetRef:\n    template:\n      spec:\n        containers:\n        \
               - name: w\n          image: x:1\n          securityContext: {privileged: true}\n---\n\
               apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: w, namespace: n}\n\
               spec:\n  templates:\n  - name: a\n    initContainers:\n    - name: i\n      image: y:1\n      \
               securityContext: {privileged: true}\n";
    let out = lint_sources(
        &[(PathBuf::from("cr.yaml"), src.to_string())],
        &cfg(Level::Baseline, Version::LATEST),
        today(),
    );
    let privileged: Vec<(usize, &str)> = out
        .findings
        .iter()
        .filter(|f| f.rule.id == "GATE-PSS-002")
        .map(|f| (f.location.as_ref().unwrap().line, f.message.as_str()))
        .collect();
    assert_eq!(privileged.len(), 2, "{:#?}", out.findings);
    assert_eq!(privileged[0].0, 11, "{privileged:?}");
    assert!(
        privileged[0]
            .1
            .contains("spec.jobTargetRef.template.spec.containers[0]"),
        "{privileged:?}"
    );
    assert!(
        privileged[1]
            .1
            .contains("spec.templates[0].initContainers[0]"),
        "{privileged:?}"
    );
}

/// `(rule, line, exception reason)` of each finding.
fn rule_line_exception(findings: &[gate::finding::Finding]) -> Vec<(&str, usize, Option<&str>)> {
    findings
        .iter()
        .map(|f| {
            (
                f.rule.id,
                f.location.as_ref().unwrap().line,
                f.exception.as_deref(),
            )
        })
        .collect()
}

/// kube-linter's `ignore-check.kube-linter.io/<check>` annotation applies to the gate rules its
/// check maps to, with its value as the reason; an empty reason or another check's annotation
/// covers nothing.
#[test]
fn kube_linter_ignore_annotations_apply_to_the_mapped_rules() {
    let out = lint_paths(
        &[data("exceptions/kube-linter.yaml")],
        &LintConfig {
            inline: InlineExceptions::all(),
            ..LintConfig::default()
        },
        today(),
    )
    .unwrap();
    let got = rule_line_exception(&out.findings);
    assert_eq!(
        got,
        vec![
            (
                "GATE-K8S-010",
                8,
                Some(
                    "vendor operator manages every CRD it installs (kube-linter \
                     `ignore-check.kube-linter.io/wildcard-in-rules`)"
                )
            ),
            ("GATE-K8S-010", 19, None),
            ("GATE-K8S-010", 30, None),
        ]
    );
}

/// Inline annotations apply only as far as `manifests.inline-exceptions` allows: not at all by
/// default (the finding stands and names the annotation and its line), only for the rules its
/// globs cover, and only with an `expires=` date when it requires one (so never kube-linter's).
#[test]
fn inline_exceptions_apply_only_as_the_policy_allows() {
    let run = |inline: InlineExceptions, file: &str| {
        let config = LintConfig {
            inline,
            ..LintConfig::default()
        };
        let out = lint_paths(&[data(file)], &config, today()).unwrap();
        rule_line_exception(&out.findings)
            .into_iter()
            .map(|(r, l, e)| (r.to_string(), l, e.is_some()))
            .collect::<Vec<_>>()
    };
    let excepted = |got: &[(String, usize, bool)]| got.iter().filter(|g| g.2).count();
    let glob = |g: &str| globset::Glob::new(g).unwrap().compile_matcher();
    for file in ["exceptions/annotated.yaml", "exceptions/kube-linter.yaml"] {
        assert!(excepted(&run(InlineExceptions::all(), file)) > 0, "{file}");
        assert_eq!(
            excepted(&run(InlineExceptions::default(), file)),
            0,
            "{file}"
        );
        let other_rules = InlineExceptions {
            rules: vec![glob("GATE-PSS-*")],
            ..InlineExceptions::all()
        };
        assert_eq!(excepted(&run(other_rules, file)), 0, "{file}");
        let by_name = InlineExceptions {
            rules: vec![glob("rbac-*")],
            ..InlineExceptions::all()
        };
        assert_eq!(
            run(by_name, file),
            run(InlineExceptions::all(), file),
            "{file}"
        );
    }
    let dated = InlineExceptions {
        require_expires: true,
        ..InlineExceptions::all()
    };
    assert_eq!(
        excepted(&run(dated.clone(), "exceptions/kube-linter.yaml")),
        0
    );
    let out = lint_paths(
        &[data("exceptions/kube-linter.yaml")],
        &LintConfig::default(),
        today(),
    )
    .unwrap();
    let first = &out.findings[0];
    assert!(
        first
            .message
            .contains("`ignore-check.kube-linter.io/wildcard-in-rules`")
            && first.message.contains("kube-linter.yaml:")
            && first.message.contains("not applied"),
        "{}",
        first.message
    );
}
