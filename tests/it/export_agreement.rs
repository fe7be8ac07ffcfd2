//! `gate export` agreement: one corpus of pods (with a live and an expired exception), gate's
//! verdict per (pod, rule), and the same verdicts from the real admission engines on what
//! `gate export` wrote: the Kyverno CLI (`kyverno apply` with the exported `ValidatingPolicy`s,
//! `PolicyException`s and `ValidatingAdmissionPolicy`s) and the Kubernetes Pod Security admission
//! library (`scripts/peers/psa-harness`) at the exported namespace labels. A row an engine cannot
//! express must be a gap the export states; every other row must agree. The table is printed
//! (`--nocapture`) for the report.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use crate::interop::peers;

/// Pods of the corpus, all in namespace `shop`. `compliant` meets restricted; each other one
/// breaks one thing (named after it).
const PODS: &str = r#"apiVersion: v1
kind: Pod
metadata: {name: compliant, namespace: shop}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: registry.example/app@sha256:0000000000000000000000000000000000000000000000000000000000000001
    resources: {limits: {cpu: 100m, memory: 64Mi}, requests: {cpu: 100m, memory: 64Mi}}
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
---
apiVersion: v1
kind: Pod
metadata: {name: privileged, namespace: shop}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: registry.example/app:1.0
    securityContext: {privileged: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
apiVersion: v1
kind: Pod
metadata: {name: privileged-excepted, namespace: shop}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: registry.example/app:1.0
    securityContext: {privileged: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
apiVersion: v1
kind: Pod
metadata: {name: privileged-expired, namespace: shop}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: registry.example/app:latest
    securityContext: {privileged: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
apiVersion: v1
kind: Pod
metadata: {name: host-network, namespace: shop}
spec:
  hostNetwork: true
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: registry.example/app
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
apiVersion: v1
kind: Pod
metadata: {name: host-path-and-port, namespace: shop}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  volumes: [{name: h, hostPath: {path: /var/run}}]
  containers:
  - name: app
    image: registry.example/app:1.0
    ports: [{containerPort: 80, hostPort: 8080}]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
apiVersion: v1
kind: Pod
metadata: {name: defaults, namespace: shop}
spec:
  containers:
  - name: app
    image: registry.example/app:1.0
---
apiVersion: v1
kind: Pod
metadata: {name: unconfined-caps, namespace: shop}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: Unconfined}}
  initContainers:
  - name: init
    image: registry.example/init:1.0
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL], add: [SYS_ADMIN]}}
  containers:
  - name: app
    image: registry.example/app:1.0
    securityContext: {allowPrivilegeEscalation: true, runAsNonRoot: false, capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}}
---
apiVersion: v1
kind: Pod
metadata: {name: windows, namespace: shop}
spec:
  os: {name: windows}
  securityContext: {runAsNonRoot: true}
  containers:
  - name: app
    image: registry.example/app:1.0
---
apiVersion: v1
kind: Pod
metadata: {name: proc-mount, namespace: shop}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: registry.example/app:1.0
    securityContext: {allowPrivilegeEscalation: false, procMount: Unmasked, capabilities: {drop: [ALL]}}
"#;

/// The trusted policy at `level`/`version`, with a live and an expired exception.
fn policy_text(level: &str, version: &str) -> String {
    format!(
        "manifests:\n  pss:\n    level: {level}\n    version: {version}\n\
         exceptions:\n\
         \x20 - rule: GATE-PSS-002\n    subject: Pod/shop/privileged-excepted\n    reason: CNI agent needs it\n    expires: 2099-01-01\n\
         \x20 - rule: privileged-container\n    subject: Pod/shop/privileged-expired\n    reason: was needed for the migration\n    expires: 2020-01-01\n"
    )
}

/// One verdict of one engine on one (pod, rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum V {
    Pass,
    Fail,
    /// An exception applied.
    Skip,
}

fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{:?}: {e}", cmd.get_program()));
    out
}

/// gate's verdicts: for each pod, rule → Fail (finding stands) or Skip (excepted).
fn gate_verdicts(dir: &Path, policy: &Path) -> BTreeMap<(String, String), V> {
    let report = dir.join("gate.json");
    let out = run(Command::new(env!("CARGO_BIN_EXE_gate"))
        .current_dir(dir)
        .args([
            "lint",
            "-q",
            "-f",
            "pods.yaml",
            "-f",
            "namespaces.yaml",
            "--policy",
        ])
        .arg(policy)
        .args(["--format", "json", "--output"])
        .arg(&report));
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "gate lint: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let mut v = BTreeMap::new();
    for f in json["findings"].as_array().unwrap() {
        let subject = f["subject"].as_str().unwrap_or_default();
        let Some(pod) = subject.strip_prefix("Pod/shop/") else {
            continue;
        };
        let rule = f["rule"].as_str().unwrap().to_string();
        let verdict = if f["exception"]["status"] == "applied" {
            V::Skip
        } else {
            V::Fail
        };
        let e = v.entry((pod.to_string(), rule)).or_insert(verdict);
        *e = (*e).max(verdict);
    }
    v
}

fn pods() -> Vec<String> {
    PODS.lines()
        .filter_map(|l| l.strip_prefix("metadata: {name: "))
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect()
}

/// The `gate.dev/rule` of every exported object, by name.
fn exported_rules(yaml: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let docs: Vec<Value> = yaml
        .split("---\n")
        .filter_map(|d| serde_saphyr::from_str::<Value>(d).ok())
        .collect();
    for d in docs {
        if let (Some(name), Some(rule)) = (
            d["metadata"]["name"].as_str(),
            d["metadata"]["annotations"]["gate.dev/rule"].as_str(),
        ) {
            out.insert(name.to_string(), rule.to_string());
        }
    }
    out
}

/// `kyverno apply` of the exported files (with the exported exceptions): (pod, gate rule) →
/// verdict, from the policy report.
fn kyverno_verdicts(kyverno: &Path, dir: &Path, files: &[&str]) -> BTreeMap<(String, String), V> {
    let mut rules = BTreeMap::new();
    for f in files {
        rules.extend(exported_rules(
            &std::fs::read_to_string(dir.join(f)).unwrap(),
        ));
    }
    let out = run(Command::new(kyverno)
        .current_dir(dir)
        .env("HOME", dir)
        .arg("apply")
        .args(files)
        .args([
            "--resource",
            "pods.yaml",
            "--exception",
            "kyverno-exceptions.yaml",
        ])
        .args([
            "--policy-report",
            "--output-format",
            "json",
            "--remove-color",
        ]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let start = stdout.find('{').unwrap_or_else(|| {
        panic!(
            "kyverno apply printed no report:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let report: Value = serde_json::Deserializer::from_str(&stdout[start..])
        .into_iter::<Value>()
        .next()
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let items: Vec<Value> = match report["items"].as_array() {
        Some(items) => items.clone(),
        None => vec![report.clone()],
    };
    let mut v = BTreeMap::new();
    for item in items {
        for r in item["results"].as_array().into_iter().flatten() {
            let policy = r["policy"].as_str().unwrap_or_default();
            let Some(rule) = rules.get(policy) else {
                continue;
            };
            let verdict = match r["result"].as_str() {
                Some("pass") => V::Pass,
                Some("fail") => V::Fail,
                Some("skip") => V::Skip,
                other => panic!("kyverno result {other:?} for {policy}: {r}"),
            };
            for res in r["resources"].as_array().into_iter().flatten() {
                if let Some(name) = res["name"].as_str() {
                    v.insert((name.to_string(), rule.clone()), verdict);
                }
            }
        }
    }
    v
}

/// The psa-harness verdict per pod: allowed, and the reasons.
fn psa_verdicts(harness: &Path, dir: &Path) -> BTreeMap<String, (bool, Vec<String>)> {
    let out = run(Command::new(harness)
        .current_dir(dir)
        .args(["namespaces.yaml", "pods.yaml"]));
    assert!(
        out.status.success(),
        "psa-harness: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let reasons = v["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_string())
                .collect();
            (
                v["name"].as_str().unwrap().to_string(),
                (v["allowed"].as_bool().unwrap(), reasons),
            )
        })
        .collect()
}

fn export(dir: &Path, policy: &Path) {
    let out = run(Command::new(env!("CARGO_BIN_EXE_gate"))
        .current_dir(dir)
        .args([
            "export",
            "-q",
            "--namespace",
            "shop",
            "--output-dir",
            "out",
            "--policy",
        ])
        .arg(policy));
    assert!(
        out.status.success(),
        "gate export: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "namespaces.yaml",
        "kyverno.yaml",
        "kyverno-exceptions.yaml",
        "validating-admission-policy.yaml",
    ] {
        std::fs::copy(dir.join("out").join(f), dir.join(f)).unwrap();
    }
}

/// The Pod Security admission library agrees with gate on every pod at the exported labels,
/// except where an exception applies (a gap the export states: PSA has no per-object
/// exceptions). Also: the exported labels are what gate linted the namespace at (no
/// GATE-K8S-041/043 on the exported Namespace).
#[test]
fn pod_security_admission_agrees_with_gate_at_the_exported_labels() {
    let Some(harness) = peers::psa_harness() else {
        return;
    };
    for (level, version) in [
        ("restricted", "latest"),
        ("baseline", "v1.25"),
        ("restricted", "v1.21"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let policy = dir.path().join("policy.yaml");
        std::fs::write(&policy, policy_text(level, version)).unwrap();
        std::fs::write(dir.path().join("pods.yaml"), PODS).unwrap();
        export(dir.path(), &policy);
        let ns = std::fs::read_to_string(dir.path().join("namespaces.yaml")).unwrap();
        assert!(
            ns.contains(&format!("pod-security.kubernetes.io/enforce: {level}"))
                && ns.contains(&format!(
                    "pod-security.kubernetes.io/enforce-version: {version}"
                )),
            "{ns}"
        );
        assert!(ns.contains("exceptions[0]"), "the PSA gap is stated:\n{ns}");
        let gate = gate_verdicts(dir.path(), &policy);
        assert!(
            !gate
                .keys()
                .any(|(_, r)| r == "GATE-K8S-041" || r == "GATE-K8S-043"),
            "{gate:?}"
        );
        let psa = psa_verdicts(&harness, dir.path());
        let mut rows = Vec::new();
        for pod in pods() {
            // Before exceptions: PSA has none.
            let gate_denies = gate
                .iter()
                .any(|((p, r), _)| *p == pod && r.starts_with("GATE-PSS-"));
            let excepted = gate
                .iter()
                .any(|((p, r), v)| *p == pod && r.starts_with("GATE-PSS-") && *v == V::Skip);
            let (allowed, reasons) = psa.get(&pod).cloned().unwrap_or_else(|| panic!("{pod}"));
            rows.push(format!(
                "{level}/{version} {pod:<20} gate={:<5} psa={:<5} {}{reasons:?}",
                if gate_denies { "deny" } else { "allow" },
                if allowed { "allow" } else { "deny" },
                if excepted {
                    "(gate exception: PSA gap) "
                } else {
                    ""
                },
            ));
            assert_eq!(
                !allowed,
                gate_denies,
                "{level}/{version} {pod}: PSA says allowed={allowed} {reasons:?}, gate {:?}",
                gate.iter()
                    .filter(|((p, _), _)| *p == pod)
                    .collect::<Vec<_>>()
            );
        }
        eprintln!("{}", rows.join("\n"));
    }
}

/// The Kyverno CLI, on the exported `ValidatingPolicy`s, `PolicyException`s and
/// `ValidatingAdmissionPolicy`s, gives gate's verdict on every (pod, rule) the export enforces;
/// the rules it does not enforce are gaps stated in the export.
#[test]
fn kyverno_cli_agrees_with_gate_on_the_exported_policies() {
    let Some(kyverno) = peers::kyverno() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, policy_text("restricted", "latest")).unwrap();
    std::fs::write(dir.path().join("pods.yaml"), PODS).unwrap();
    export(dir.path(), &policy);
    let gate = gate_verdicts(dir.path(), &policy);
    let files = ["kyverno.yaml", "validating-admission-policy.yaml"];
    let engine = kyverno_verdicts(&kyverno, dir.path(), &files);
    let enforced: BTreeSet<String> = engine.keys().map(|(_, r)| r.clone()).collect();
    let kyverno_yaml = std::fs::read_to_string(dir.path().join("kyverno.yaml")).unwrap();
    let vap_yaml =
        std::fs::read_to_string(dir.path().join("validating-admission-policy.yaml")).unwrap();
    let mut rows = Vec::new();
    let mut disagree = Vec::new();
    for pod in pods() {
        for rule in &enforced {
            let g = gate
                .get(&(pod.clone(), rule.clone()))
                .copied()
                .unwrap_or(V::Pass);
            let k = engine.get(&(pod.clone(), rule.clone())).copied();
            rows.push(format!("{pod:<20} {rule:<13} gate={g:?} kyverno={k:?}"));
            if k != Some(g) {
                disagree.push(format!("{pod} {rule}: gate {g:?}, kyverno {k:?}"));
            }
        }
    }
    // Every rule gate reported on the corpus is enforced by Kyverno or stated as a gap.
    let gate_rules: BTreeSet<&String> = gate.keys().map(|(_, r)| r).collect();
    for rule in gate_rules {
        if !enforced.contains(rule) {
            assert!(
                kyverno_yaml.contains(&format!("not enforced here: {rule}:"))
                    || vap_yaml.contains(&format!("not enforced here: {rule}:")),
                "{rule} is neither enforced by Kyverno nor a stated gap"
            );
            rows.push(format!("(gap) {rule}"));
        }
    }
    eprintln!("{}", rows.join("\n"));
    assert!(disagree.is_empty(), "{}", disagree.join("\n"));
    // The expired exception is exported with its expiry and does not apply (fail, not skip).
    assert_eq!(
        engine.get(&("privileged-expired".into(), "GATE-PSS-002".into())),
        Some(&V::Fail)
    );
    assert_eq!(
        engine.get(&("privileged-excepted".into(), "GATE-PSS-002".into())),
        Some(&V::Skip)
    );
    let exceptions = std::fs::read_to_string(dir.path().join("kyverno-exceptions.yaml")).unwrap();
    assert!(
        exceptions.contains("expiresAt: \"2020-01-02T00:00:00Z\""),
        "{exceptions}"
    );
}
