//! Lint speed without changing what lint sees: the bodies of kinds no rule reads are skipped only
//! when the document's own head says so for certain, and files linted in parallel give the
//! serial outcome.

use chrono::NaiveDate;
use gate::lint::{lint_paths, LintConfig, LintOutcome, Linter};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
}

const PRIVILEGED: &str = "spec:\n  containers:\n  - name: c\n    image: x@sha256:0000000000000000000000000000000000000000000000000000000000000000\n    securityContext: {privileged: true}\n";

fn lint_text(text: &str) -> LintOutcome {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.yaml");
    std::fs::write(&path, text).unwrap();
    lint_paths(&[path], &LintConfig::default(), today()).unwrap()
}

/// Subjects of the privileged-container findings.
fn privileged(out: &LintOutcome) -> Vec<String> {
    out.findings
        .iter()
        .filter(|f| f.rule == "GATE-PSS-002")
        .map(|f| f.subject.to_string())
        .collect()
}

#[test]
fn a_crd_head_never_hides_a_pod() {
    let docs = [
        // `kind` nested where the root's is not.
        format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: nested}}\n{PRIVILEGED}  kind: CustomResourceDefinition\n"),
        // A merge key after the written kind replaces it.
        format!("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n<<: {{kind: Pod, apiVersion: v1}}\nmetadata: {{name: merged}}\n{PRIVILEGED}"),
        // Quoted and escaped keys.
        format!("apiVersion: v1\n\"kind\": Pod\nmetadata: {{name: quoted}}\n{PRIVILEGED}"),
        format!("apiVersion: v1\n\"\\x6bind\": Pod\nmetadata: {{name: escaped}}\n{PRIVILEGED}"),
        // The same kind name in another group is a custom resource, with a pod template here.
        format!("apiVersion: example.com/v1\nkind: CustomResourceDefinition\nmetadata: {{name: custom}}\nspec:\n  template:\n    {}", PRIVILEGED.replace('\n', "\n    ").trim_end()),
        // A List's items may be anything.
        format!("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {{name: listed}}\n  {}", PRIVILEGED.replace('\n', "\n  ").trim_end()),
    ];
    let text = docs.join("\n---\n") + "\n";
    let out = lint_text(&text);
    assert!(out.notices.is_empty(), "{:?}", out.notices);
    let mut subjects = privileged(&out);
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "CustomResourceDefinition/custom",
            "Pod/default/escaped",
            "Pod/default/listed",
            "Pod/default/merged",
            "Pod/default/nested",
            "Pod/default/quoted",
        ]
    );
}

#[test]
fn a_kind_line_inside_a_quoted_scalar_is_not_taken_for_the_kind() {
    // go-yaml reads the scalar across the column-0 line (kind: Pod); gate's parser refuses the
    // document, and either way it is not skipped as a CustomResourceDefinition.
    let out = lint_text(&format!(
        "apiVersion: apiextensions.k8s.io/v1\nnote: \"a\nkind: CustomResourceDefinition\"\nkind: Pod\nmetadata: {{name: p}}\n{PRIVILEGED}"
    ));
    assert_eq!(out.notices.len(), 1, "{:?}", out.notices);
    assert_eq!(out.notices[0].severity, gate::finding::Severity::Error);
}

#[test]
fn skipped_kinds_are_still_counted_checked_for_inline_exceptions_and_read_strictly() {
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: w.example.com\n  annotations:\n    gate.dev/ignore: \"not a rule list\"\nspec:\n  group: example.com\n  names: {kind: W, plural: w}\n";
    let nameless = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {labels: {a: b}}\nspec: {}\n";
    let out = lint_text(&format!("{crd}---\n{nameless}"));
    assert_eq!(out.objects, 1);
    let invalid: Vec<(&str, usize)> = out
        .findings
        .iter()
        .map(|f| (f.rule.id, f.location.as_ref().unwrap().line))
        .collect();
    assert_eq!(invalid, [("GATE-LINT-002", 6)], "{:?}", out.findings);
    assert_eq!(out.notices.len(), 1, "{:?}", out.notices);
    assert!(
        out.notices[0].message.contains("metadata.name"),
        "{:?}",
        out.notices
    );
    assert_eq!(out.notices[0].line, 11);
    // A kind written twice is the parser's error, as before.
    let twice = lint_text(&format!("{crd}kind: Pod\n"));
    assert!(
        twice
            .notices
            .iter()
            .any(|n| n.message.contains("duplicate key `kind`")),
        "{:?}",
        twice.notices
    );
}

/// A document whose kind adds nothing to the first pass (a workload, a ConfigMap, a Role…) is
/// parsed once, in the second pass, which then also reports it malformed, counts it and reads
/// its inline exceptions: the outcome is the full parse's on every thread count, a malformed one
/// fails the gate at its own line, and the documents around it are still checked.
#[test]
fn a_document_parsed_only_in_the_second_pass_reads_as_the_full_parse() {
    let dir = tempfile::tempdir().unwrap();
    let pod = |name: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: apps}}\n{PRIVILEGED}"
        )
    };
    let text = [
        "# leading comment\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: broken, namespace: apps}\nspec:\n  template: [unclosed\n".to_string(),
        pod("after-broken"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  annotations:\n    gate.dev/ignore: \"not a rule list\"\ndata: {a: b}\n".to_string(),
        "apiVersion: v1\nkind: Secret\nmetadata: {labels: {a: b}}\n".to_string(),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n  labels: {pod-security.kubernetes.io/enforce: privileged}\n".to_string(),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: no-template}\nspec: {replicas: 1}\n".to_string(),
        pod("last"),
    ]
    .join("---\n");
    let path = dir.path().join("m.yaml");
    std::fs::write(&path, &text).unwrap();
    let cfg = LintConfig::default();
    let none = HashMap::new();
    let paths = [path.clone()];
    let full = Linter::new(&cfg, today())
        .with_threads(1)
        .without_skipping()
        .run(&paths, &none)
        .unwrap();
    for threads in [1, 3] {
        let skimmed = Linter::new(&cfg, today())
            .with_threads(threads)
            .run(&paths, &none)
            .unwrap();
        assert_eq!(skimmed.objects, full.objects, "{threads} threads");
        assert_eq!(skimmed.findings, full.findings, "{threads} threads");
        assert_eq!(skimmed.notices, full.notices, "{threads} threads");
    }
    // The malformed Deployment at its own line; the nameless Secret; the rest is checked:
    // both pods (the Namespace after them still sets their level), the ConfigMap's annotation.
    let notices: Vec<(usize, bool)> = full
        .notices
        .iter()
        .map(|n| (n.line, n.message.starts_with("malformed YAML")))
        .collect();
    assert_eq!(notices, [(7, true), (25, false)], "{:?}", full.notices);
    assert_eq!(full.objects, 5, "{:?}", full.notices);
    assert!(full
        .findings
        .iter()
        .any(|f| f.rule == "GATE-LINT-002" && f.location.as_ref().unwrap().line == 22));
    let mut subjects = privileged(&full);
    subjects.sort();
    assert!(subjects.is_empty(), "privileged namespace: {subjects:?}");
    assert!(
        full.findings
            .iter()
            .any(|f| f.subject == "Pod/apps/after-broken"),
        "{:?}",
        full.findings
    );
}

fn manifests() -> Vec<PathBuf> {
    let mut paths = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/lint")];
    let m = crate::fixtures::dir(crate::fixtures::Set::Manifests);
    for d in [
        "argo-cd",
        "cert-manager",
        "kube-prometheus",
        "microservices-demo",
    ] {
        paths.push(m.join(d));
    }
    paths.push(m.join("example-voting-app/k8s-specifications"));
    paths
}

/// Skipping bodies and linting on many threads change nothing: the outcome equals the serial
/// full parse on the real manifests (CRD-heavy: cert-manager, Argo CD, kube-prometheus) and on
/// every guardrail fixture.
#[test]
fn conformance_manifests_skipping_and_threads_change_nothing() {
    let cfg = LintConfig::default();
    let paths = manifests();
    let none = HashMap::new();
    let serial_full = Linter::new(&cfg, today())
        .with_threads(1)
        .without_skipping()
        .run(&paths, &none)
        .unwrap();
    let parallel = Linter::new(&cfg, today())
        .with_threads(4)
        .run(&paths, &none)
        .unwrap();
    assert!(!serial_full.findings.is_empty());
    assert!(serial_full.objects > 100, "{}", serial_full.objects);
    assert_eq!(parallel.objects, serial_full.objects);
    assert_eq!(parallel.findings, serial_full.findings);
    assert_eq!(parallel.notices, serial_full.notices);
    let default = lint_paths(&paths, &cfg, today()).unwrap();
    assert_eq!(default.findings, serial_full.findings);
}

/// No rule fixture holds a kind whose body lint skips: a rule that starts reading a kind in
/// `SKIPPED_KINDS` (with a fixture to prove it) fails here until the kind leaves that list.
#[test]
fn no_rule_fixture_is_of_a_skipped_kind() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/lint");
    let mut kinds = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let Ok(docs) = gate::yaml::parse_documents(&std::fs::read_to_string(&path).unwrap())
            else {
                continue; // the malformed-input fixtures
            };
            for doc in &docs {
                let items = doc.get("items").and_then(|i| i.as_seq()).unwrap_or(&[]);
                for o in std::iter::once(doc).chain(items) {
                    if let (Some(api), Some(kind)) = (o.get_str("apiVersion"), o.get_str("kind")) {
                        assert!(
                            !gate::lint::rules::is_skipped(api, kind),
                            "{}: {api} {kind} is a fixture of a rule, and skipped",
                            path.display()
                        );
                        kinds.push(kind.to_string());
                    }
                }
            }
        }
    }
    kinds.sort();
    kinds.dedup();
    assert!(kinds.len() > 10, "{kinds:?}");
}
