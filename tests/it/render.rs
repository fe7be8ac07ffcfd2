//! Render: kustomize overlays and Helm charts rendered by the real, pinned renderers
//! (`scripts/peers/{kustomize,helm}/install`), their objects checked by the same discovery and
//! lint as files, every finding pointing at the source line that produced it, pins written where
//! the deployer takes the reference from, and rendering refused where it would reach outside the
//! tree or run code.

use crate::check::Env;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const KUSTOMIZE: &str = "v5.5.0";
pub const HELM: &str = "v3.22.1";
const CLEAN: &str = "small-clean.json";

fn peers() -> PathBuf {
    match std::env::var_os("GATE_PEERS_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(&std::env::var_os("HOME").unwrap_or_default()).join(".cache/gate/peers"),
    }
}

/// The directory holding the pinned renderer, or `None` (with a notice) outside CI.
fn renderer(tool: &str, version: &str) -> Option<PathBuf> {
    let dir = peers().join(format!("{tool}-{version}"));
    if dir.join(tool).is_file() {
        return Some(dir);
    }
    let msg = format!(
        "{} is not installed: run `scripts/install-deps --peers`",
        dir.display()
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
    eprintln!("skipped: {msg}");
    None
}

/// `PATH` with both pinned renderers first, or `None` when one is missing (outside CI).
pub fn render_path() -> Option<String> {
    let k = renderer("kustomize", KUSTOMIZE)?;
    let h = renderer("helm", HELM)?;
    Some(format!(
        "{}:{}:{}",
        k.display(),
        h.display(),
        std::env::var("PATH").unwrap_or_default()
    ))
}

/// A tree of files under a new temporary directory.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), files);
    d
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

fn fixture(name: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/render")
            .join(name),
        d.path(),
    );
    d
}

fn copy(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&t).unwrap();
            copy(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), t).unwrap();
        }
    }
}

/// `gate ARGS --format json` in `dir` with the renderers on `PATH`.
fn run_gate(dir: &Path, path: &str, args: &[&str]) -> (Output, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_gate"))
        .current_dir(dir)
        .env("PATH", path)
        .env("CI", "true")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, json)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `(rule, subject, file:line)` of every finding.
fn found(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let at = format!(
                "{}:{}",
                f["location"]["file"].as_str().unwrap_or_default(),
                f["location"]["line"]
            );
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["subject"].as_str().unwrap_or_default().to_string(),
                at,
            )
        })
        .collect()
}

fn has(report: &Value, rule: &str, subject: &str, at: &str) -> bool {
    found(report)
        .iter()
        .any(|(r, s, a)| r == rule && s == subject && a == at)
}

/// The overlay: an inline JSON 6902 patch adds `hostNetwork` and `privileged` to a clean
/// base. Both are found on the rendered object, at the patch's lines in the kustomization.
#[test]
fn an_overlay_patch_is_found_at_its_line() {
    let Some(path) = render_path() else { return };
    let d = fixture("overlay");
    let (out, report) = run_gate(d.path(), &path, &["lint", "-f", "prod"]);
    assert_eq!(out.status.code(), Some(1), "{}\n{report:#}", stderr(&out));
    assert!(
        has(
            &report,
            "GATE-PSS-002",
            "Deployment/shop/prod-web",
            "prod/kustomization.yaml:16"
        ),
        "{:#?}",
        found(&report)
    );
    assert!(
        has(
            &report,
            "GATE-PSS-001",
            "Deployment/shop/prod-web",
            "prod/kustomization.yaml:13"
        ),
        "{:#?}",
        found(&report)
    );
    assert_eq!(report["lint"]["objects"], 1, "{report:#}");
    // `gate lint -f .` renders the overlay, not the base on its own.
    let (out, report) = run_gate(d.path(), &path, &["lint", "-f", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let subjects: Vec<String> = found(&report).into_iter().map(|f| f.1).collect();
    assert!(
        subjects
            .iter()
            .all(|s| s == "Deployment/shop/prod-web" || s == "Namespace/shop"),
        "{subjects:?}"
    );
    assert_eq!(report["lint"]["objects"], 1, "{report:#}");
    // `-k base` names the base: it is rendered on its own, and is clean of the patch's findings.
    let (out, report) = run_gate(d.path(), &path, &["lint", "-k", "base"]);
    assert_eq!(out.status.code(), Some(1), "{}\n{report:#}", stderr(&out));
    assert_eq!(report["lint"]["objects"], 1, "{report:#}");
    let f = found(&report);
    assert!(
        has(
            &report,
            "GATE-IMG-001",
            "Deployment/default/web",
            "base/deployment.yaml:19"
        ),
        "{f:#?}"
    );
    assert!(
        f.iter().all(|(r, _, _)| !r.starts_with("GATE-PSS-")),
        "{f:#?}"
    );
}

const BASE_KUSTOMIZATION: &str = "resources:\n  - deployment.yaml\n";

fn base_deployment() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/render/overlay/base/deployment.yaml"),
    )
    .unwrap()
}

/// Strategic-merge patches (a file and an inline one) that add, replace and `$patch: delete`
/// security settings: each finding is at the patch line that set the field; what a patch deleted
/// is reported where the base left the object without it.
#[test]
fn strategic_merge_patches_are_found_at_their_lines() {
    let Some(path) = render_path() else { return };
    let base = base_deployment();
    let d = tree(&[
        ("base/kustomization.yaml", BASE_KUSTOMIZATION),
        ("base/deployment.yaml", &base),
        (
            "overlay/kustomization.yaml",
            "resources:\n  - ../base\npatches:\n  - path: escalate.yaml\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata:\n        name: web\n      spec:\n        template:\n          spec:\n            securityContext:\n              $patch: delete\n",
        ),
        (
            "overlay/escalate.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          securityContext:\n            allowPrivilegeEscalation: true\n            capabilities:\n              add: [SYS_ADMIN]\n",
        ),
    ]);
    let (out, report) = run_gate(d.path(), &path, &["lint", "-f", "."]);
    assert_eq!(out.status.code(), Some(1), "{}\n{report:#}", stderr(&out));
    let f = found(&report);
    // One object: the patched base as rendered (the patch files are not objects of their own).
    assert_eq!(report["lint"]["objects"], 1, "{report:#}");
    // Replaced (false → true) and added, at the patch file's lines.
    assert!(
        has(
            &report,
            "GATE-PSS-014",
            "Deployment/default/web",
            "overlay/escalate.yaml:11"
        ),
        "{f:#?}"
    );
    assert!(
        has(
            &report,
            "GATE-PSS-003",
            "Deployment/default/web",
            "overlay/escalate.yaml:13"
        ),
        "{f:#?}"
    );
    // The pod's securityContext was deleted: runAsNonRoot is no longer set (the finding is on
    // the container, which the base declares).
    assert!(f.iter().any(|(r, _, _)| r == "GATE-PSS-015"), "{f:#?}");
    assert!(
        f.iter().all(|(_, _, at)| !at.contains("(kustomize build)")),
        "{f:#?}"
    );
}

/// `images:` overrides (`newTag`, `newName`, `digest`) and `replacements`: the unpinned-image
/// finding is on the image the overlay deploys, at the entry that set it; the base's own image
/// (replaced everywhere) is not reported.
#[test]
fn image_overrides_and_replacements_point_at_their_entries() {
    let Some(path) = render_path() else { return };
    let base = base_deployment();
    let digest = format!("sha256:{}", "a".repeat(64));
    let d = tree(&[
        ("base/kustomization.yaml", BASE_KUSTOMIZATION),
        ("base/deployment.yaml", &base),
        (
            "tag/kustomization.yaml",
            "resources:\n  - ../base\nnameSuffix: -tag\nimages:\n  - name: ghcr.io/acme/app\n    newTag: t2\n",
        ),
        (
            "name/kustomization.yaml",
            "resources:\n  - ../base\nnameSuffix: -name\nimages:\n  - name: ghcr.io/acme/app\n    newName: ghcr.io/acme/other\n    newTag: t3\n",
        ),
        (
            "digest/kustomization.yaml",
            &format!("resources:\n  - ../base\nnameSuffix: -digest\nimages:\n  - name: ghcr.io/acme/app\n    digest: {digest}\n"),
        ),
        (
            "replaced/kustomization.yaml",
            "resources:\n  - ../base\n  - versions.yaml\nnameSuffix: -replaced\nreplacements:\n  - source:\n      kind: ConfigMap\n      name: versions\n      fieldPath: data.app\n    targets:\n      - select: {kind: Deployment}\n        fieldPaths:\n          - spec.template.spec.containers.[name=app].image\n",
        ),
        (
            "replaced/versions.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: versions\ndata:\n  app: ghcr.io/acme/app:t4\n",
        ),
    ]);
    let (out, report) = run_gate(d.path(), &path, &["lint", "-f", "."]);
    assert_eq!(out.status.code(), Some(1), "{}\n{report:#}", stderr(&out));
    let f = found(&report);
    let img: Vec<&(String, String, String)> =
        f.iter().filter(|(r, _, _)| r == "GATE-IMG-001").collect();
    assert!(
        has(
            &report,
            "GATE-IMG-001",
            "Deployment/default/web-tag",
            "tag/kustomization.yaml:5"
        ),
        "{img:#?}"
    );
    assert!(
        has(
            &report,
            "GATE-IMG-001",
            "Deployment/default/web-name",
            "name/kustomization.yaml:6"
        ),
        "{img:#?}"
    );
    assert!(
        has(
            &report,
            "GATE-IMG-001",
            "Deployment/default/web-replaced",
            "replaced/kustomization.yaml:6"
        ),
        "{img:#?}"
    );
    // Pinned by the overlay's `digest:`: nothing to report; the base's `t1` nowhere.
    assert!(
        img.iter()
            .all(|(_, s, _)| s != "Deployment/default/web-digest"),
        "{img:#?}"
    );
    assert_eq!(img.len(), 3, "{img:#?}");
    let messages = report["findings"].to_string();
    assert!(!messages.contains("app:t1"), "{messages}");
    assert!(messages.contains("ghcr.io/acme/other:t3"), "{messages}");
}

/// A component adds a privileged sidecar; `namePrefix` and `namespace` rename what is
/// deployed; generators' literals reach the secrets rules, at the literal's line.
#[test]
fn components_transforms_and_generators() {
    let Some(path) = render_path() else { return };
    let base = base_deployment();
    let d = tree(&[
        ("base/kustomization.yaml", BASE_KUSTOMIZATION),
        ("base/deployment.yaml", &base),
        (
            "debug/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - path: sidecar.yaml\n",
        ),
        (
            "debug/sidecar.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: debug\n          image: ghcr.io/acme/debug@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n          securityContext:\n            privileged: true\n",
        ),
        (
            "stage/kustomization.yaml",
            "resources:\n  - ../base\ncomponents:\n  - ../debug\nnamePrefix: stage-\nnamespace: stage\nconfigMapGenerator:\n  - name: settings\n    literals:\n      - LOG_LEVEL=debug\n      - AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nsecretGenerator:\n  - name: db\n    literals:\n      - password=hunter2\n",
        ),
    ]);
    let (out, report) = run_gate(d.path(), &path, &["lint", "-f", "."]);
    assert_eq!(out.status.code(), Some(1), "{}\n{report:#}", stderr(&out));
    let f = found(&report);
    assert!(
        has(
            &report,
            "GATE-PSS-002",
            "Deployment/stage/stage-web",
            "debug/sidecar.yaml:12"
        ),
        "{f:#?}"
    );
    assert!(
        f.iter().any(|(r, s, at)| r == "GATE-K8S-051"
            && s.starts_with("ConfigMap/stage/stage-settings-")
            && at == "stage/kustomization.yaml:11"),
        "{f:#?}"
    );
    assert!(
        f.iter().any(|(r, s, at)| r == "GATE-K8S-052"
            && s.starts_with("Secret/stage/stage-db-")
            && at.starts_with("stage/kustomization.yaml:")),
        "{f:#?}"
    );
    // Nothing about the base, the component or the generators on their own.
    assert!(f.iter().all(|(_, s, _)| s.contains("/stage")), "{f:#?}");
}

/// The rendered output is kustomize's own: gate's build (with build metadata asked for through a
/// wrapper kustomization) gives the objects `kustomize build` gives, annotations aside.
#[test]
fn the_render_is_kustomize_build() {
    let Some(_) = render_path() else { return };
    let d = fixture("overlay");
    let kustomize = peers().join(format!("kustomize-{KUSTOMIZE}/kustomize"));
    let plain = Command::new(&kustomize)
        .arg("build")
        .arg(d.path().join("prod"))
        .output()
        .unwrap();
    assert!(plain.status.success(), "{}", stderr(&plain));
    let cfg = gate::render::RenderConfig {
        kustomize: Some(kustomize),
        ..gate::render::RenderConfig::default()
    };
    let renders = gate::render::render(&[], &[d.path().join("prod")], &cfg, d.path()).unwrap();
    assert_eq!(renders.sources.len(), 1);
    let ours = objects(&renders.sources[0].text, true);
    let theirs = objects(&String::from_utf8(plain.stdout).unwrap(), false);
    assert_eq!(ours, theirs);
    assert!(!ours.is_empty());
}

/// The documents of a YAML stream as JSON, without the build-metadata annotations.
fn objects(text: &str, strip: bool) -> Vec<Value> {
    fn json(n: &gate::yaml::Node) -> Value {
        use gate::yaml::Value as V;
        match &n.value {
            V::Scalar(s, _) => Value::String(s.clone()),
            V::Seq(items) => Value::Array(items.iter().map(json).collect()),
            V::Map(pairs) => Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), json(v)))
                    .collect(),
            ),
        }
    }
    gate::yaml::parse_documents(text)
        .unwrap()
        .iter()
        .filter(|d| !d.is_null())
        .map(|d| {
            let mut v = json(d);
            if strip {
                let meta = v["metadata"].as_object_mut().unwrap();
                let a = meta["annotations"].as_object_mut().unwrap();
                a.remove("config.kubernetes.io/origin");
                a.remove("alpha.config.kubernetes.io/transformations");
                if a.is_empty() {
                    meta.remove("annotations");
                }
            }
            v
        })
        .collect()
}

/// A chart: rendered with its default values, an image from values (tag from `.Chart.AppVersion`)
/// and a vendored subchart whose template sets `privileged: true`; findings at the values entry
/// and the template line. The trusted policy's `render:` entry renders it with a values file,
/// release and namespace: the finding moves to that values file's line.
#[test]
fn a_chart_is_rendered_with_its_values() {
    let Some(path) = render_path() else { return };
    let d = fixture("chart");
    let (out, report) = run_gate(d.path(), &path, &["lint", "-f", "."]);
    assert_eq!(out.status.code(), Some(1), "{}\n{report:#}", stderr(&out));
    let f = found(&report);
    assert!(
        has(
            &report,
            "GATE-PSS-002",
            "Deployment/default/web-cache",
            "web/charts/cache/templates/deployment.yaml:17"
        ),
        "{f:#?}"
    );
    assert!(
        has(
            &report,
            "GATE-IMG-001",
            "Deployment/default/web-web",
            "web/values.yaml:2"
        ),
        "{f:#?}"
    );
    assert!(
        has(
            &report,
            "GATE-IMG-001",
            "Deployment/default/web-cache",
            "web/charts/cache/Chart.yaml:4"
        ),
        "{f:#?}"
    );
    assert!(
        !has(
            &report,
            "GATE-PSS-002",
            "Deployment/default/web-web",
            "web/values.yaml:5"
        ),
        "{f:#?}"
    );
    assert_eq!(report["lint"]["objects"], 2, "{report:#}");
    let messages = report["findings"].to_string();
    assert!(messages.contains("ghcr.io/acme/web:1.4.2"), "{messages}");

    let policy = d.path().join("trusted.yaml");
    std::fs::write(
        &policy,
        "version: 1\nrender:\n  charts:\n    - chart: web\n      release: shop\n      namespace: prod\n      values: [values-prod.yaml]\n",
    )
    .unwrap();
    let p = policy.display().to_string();
    let (out, report) = run_gate(d.path(), &path, &["lint", "-f", ".", "--policy", &p]);
    assert_eq!(out.status.code(), Some(1), "{}\n{report:#}", stderr(&out));
    let f = found(&report);
    assert!(
        has(
            &report,
            "GATE-PSS-002",
            "Deployment/default/shop-web",
            "values-prod.yaml:2"
        ),
        "{f:#?}"
    );
    assert!(
        report["findings"]
            .to_string()
            .contains("ghcr.io/acme/web:1.5.0"),
        "{f:#?}"
    );
    // The values file is an input of the render, not a file checked on its own.
    assert!(
        f.iter()
            .all(|(_, s, _)| s.starts_with("Deployment/default/shop-") || s == "Namespace/default"),
        "{f:#?}"
    );
}

/// `helm template | gate lint -f -` keeps working: standard input is read as it always was.
#[test]
fn helm_template_output_on_standard_input() {
    let Some(path) = render_path() else { return };
    let d = fixture("chart");
    let helm = peers().join(format!("helm-{HELM}/helm"));
    let rendered = Command::new(helm)
        .args(["template", "web"])
        .arg(d.path().join("web"))
        .output()
        .unwrap();
    assert!(rendered.status.success(), "{}", stderr(&rendered));
    let mut child = Command::new(env!("CARGO_BIN_EXE_gate"))
        .current_dir(d.path())
        .env("PATH", &path)
        .args(["lint", "-f", "-", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&rendered.stdout)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        has(
            &report,
            "GATE-PSS-002",
            "Deployment/default/web-cache",
            "-:19"
        ),
        "{:#?}",
        found(&report)
    );
}

/// What the renderer says when it cannot render is the run's error (exit 2): a template that
/// does not parse, a dependency that is not vendored (nothing is downloaded).
#[test]
fn a_render_error_fails_the_run() {
    let Some(path) = render_path() else { return };
    let d = fixture("chart");
    std::fs::write(
        d.path().join("web/templates/broken.yaml"),
        "kind: ConfigMap\nmetadata:\n  name: {{ .Release.Name\n",
    )
    .unwrap();
    let (out, _) = run_gate(d.path(), &path, &["lint", "-f", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("helm could not render `./web`") || err.contains("helm could not render"),
        "{err}"
    );
    assert!(err.contains("broken.yaml"), "{err}");

    let d = fixture("chart");
    std::fs::remove_dir_all(d.path().join("web/charts")).unwrap();
    let (out, _) = run_gate(d.path(), &path, &["lint", "-f", "web"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("cache"), "{}", stderr(&out));

    let d = fixture("overlay");
    std::fs::write(
        d.path().join("prod/kustomization.yaml"),
        "resources:\n  - missing.yaml\n",
    )
    .unwrap();
    let (out, _) = run_gate(d.path(), &path, &["lint", "-k", "prod"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("kustomize could not render `prod`"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("missing.yaml"), "{}", stderr(&out));
}

/// Remote bases, `helmCharts` and directories outside the tree are refused before anything
/// runs, with the reference on one line; a file link out of the tree is refused by kustomize's
/// load restrictor.
#[test]
fn rendering_stays_inside_the_tree() {
    let Some(path) = render_path() else { return };
    let cases: &[(&str, &str)] = &[
        (
            "resources:\n  - github.com/acme/base?ref=v1\n",
            "remote resource `github.com/acme/base?ref=v1` is refused",
        ),
        (
            "resources:\n  - https://example.com/all.yaml\n",
            "remote resource `https://example.com/all.yaml` is refused",
        ),
        (
            "helmCharts:\n  - name: redis\n    repo: https://charts.example.com\n",
            "`helmCharts` is refused",
        ),
        ("resources:\n  - ../../outside\n", "is outside the tree"),
        ("resources:\n  - /etc\n", "is outside the tree"),
    ];
    for (kustomization, want) in cases {
        let d = tree(&[("app/overlay/kustomization.yaml", kustomization)]);
        let (out, _) = run_gate(&d.path().join("app"), &path, &["lint", "-f", "overlay"]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{kustomization}: {}",
            stderr(&out)
        );
        let err = stderr(&out);
        assert!(err.contains(want), "{kustomization}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    let d = tree(&[(
        "overlay/kustomization.yaml",
        "resources:\n  - passwd.yaml\n",
    )]);
    std::os::unix::fs::symlink("/etc/passwd", d.path().join("overlay/passwd.yaml")).unwrap();
    let (out, _) = run_gate(d.path(), &path, &["lint", "-f", "overlay"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("kustomize could not render"),
        "{}",
        stderr(&out)
    );
}

/// A `.gate.yaml` in the tree may not say what the renderers are given.
#[test]
fn a_tree_policy_cannot_set_render() {
    let Some(path) = render_path() else { return };
    let d = fixture("chart");
    std::fs::write(
        d.path().join(".gate.yaml"),
        "version: 1\nrender:\n  allow-remote: [github.com/acme/base]\n",
    )
    .unwrap();
    let (out, _) = run_gate(d.path(), &path, &["lint", "-f", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("may not set `render.allow-remote`"),
        "{}",
        stderr(&out)
    );
}

/// The renderer runs with a cleared environment and a fresh home; one that runs too long or
/// writes too much is stopped and fails the run.
#[test]
fn the_renderer_is_confined_and_bounded() {
    let d = fixture("overlay");
    let dump = d.path().join("env.txt");
    let fake = d.path().join("fake-kustomize");
    let script = |body: &str| {
        std::fs::write(&fake, format!("#!/bin/sh\n{body}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    let policy = d.path().join("trusted.yaml");
    let run = |extra: &str| {
        std::fs::write(
            &policy,
            format!(
                "version: 1\nrender:\n  kustomize: {}\n{extra}",
                fake.display()
            ),
        )
        .unwrap();
        Command::new(env!("CARGO_BIN_EXE_gate"))
            .current_dir(d.path())
            .env("AWS_SECRET_ACCESS_KEY", "leak-me")
            .env("GITHUB_TOKEN", "leak-me")
            .env("DOCKER_CONFIG", "/root/.docker")
            .args(["lint", "-k", "prod", "--policy"])
            .arg(&policy)
            .output()
            .unwrap()
    };
    script(&format!("/usr/bin/env > {}\necho 'apiVersion: v1'\necho 'kind: ConfigMap'\necho 'metadata: {{name: x}}'", dump.display()));
    let out = run("");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let env = std::fs::read_to_string(&dump).unwrap();
    assert!(!env.contains("leak-me"), "{env}");
    assert!(!env.contains("DOCKER_CONFIG"), "{env}");
    let home = env.lines().find_map(|l| l.strip_prefix("HOME=")).unwrap();
    assert!(home.contains("gate-render-"), "{env}");
    assert!(
        !Path::new(home).exists(),
        "the fresh home is removed: {home}"
    );

    script("exec /bin/sleep 30");
    let t = std::time::Instant::now();
    let out = run("  timeout-seconds: 1\n");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ran longer than 1 s"),
        "{}",
        stderr(&out)
    );
    assert!(t.elapsed() < std::time::Duration::from_secs(20));

    script("exec /usr/bin/yes 'a: b'");
    let out = run("  max-output-bytes: 100000\n");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("passed 100000 bytes"),
        "{}",
        stderr(&out)
    );
}

/// `gate check --pin` of an overlay: the image the overlay deploys (`newTag`) is resolved,
/// scanned and verified, the base's replaced tag is never looked up, and the digest is written
/// into the overlay's `images:` entry (`digest:`), not into the base or anywhere rendered. A
/// chart's image from values is pinned in the values file.
#[tokio::test]
async fn check_pins_where_the_deployer_takes_the_reference_from() {
    let Some(path) = render_path() else { return };
    let mut env = Env::new().await;
    let digest = env.image("app", "t2", true, CLEAN).await;
    let web = env.image("web", "1.4.2", true, CLEAN).await;
    let d = env.path("deploy");
    std::fs::create_dir_all(&d).unwrap();
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/render/overlay"),
        &d,
    );
    let chart = fixture("chart");
    copy(&chart.path().join("web"), &{
        let w = d.join("web");
        std::fs::create_dir_all(&w).unwrap();
        w
    });
    // Only the web chart's own image is checked here: drop the subchart's.
    std::fs::remove_dir_all(d.join("web/charts")).unwrap();
    let chart_yaml = d.join("web/Chart.yaml");
    let text = std::fs::read_to_string(&chart_yaml).unwrap();
    std::fs::write(&chart_yaml, text.split("dependencies:").next().unwrap()).unwrap();
    let base_before = std::fs::read_to_string(d.join("base/deployment.yaml")).unwrap();
    let mut c = env.gate(&["check", "-f", "deploy", "--pin", "--warn-only", "--key"]);
    c.arg(env.path("cosign.pub")).env("PATH", &path);
    let (out, report) = env.report(c);
    assert_eq!(out.status.code(), Some(0), "{}\n{report:#}", stderr(&out));
    let refs: Vec<&str> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["reference"].as_str())
        .collect();
    assert!(
        refs.iter().any(|r| r.contains("ghcr.io/acme/app:t2")),
        "{refs:?}"
    );
    assert!(
        refs.iter().any(|r| r.contains("ghcr.io/acme/web:1.4.2")),
        "{refs:?}"
    );
    assert!(refs.iter().all(|r| !r.contains(":t1")), "{refs:?}");
    let k = std::fs::read_to_string(d.join("prod/kustomization.yaml")).unwrap();
    assert!(
        k.contains(&format!(
            "  - name: ghcr.io/acme/app\n    newTag: t2\n    digest: {digest}\n"
        )),
        "{k}"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("base/deployment.yaml")).unwrap(),
        base_before
    );
    let values = std::fs::read_to_string(d.join("web/values.yaml")).unwrap();
    assert!(
        values.contains(&format!("tag: \"1.4.2@{web}\"")),
        "{values}"
    );
}
