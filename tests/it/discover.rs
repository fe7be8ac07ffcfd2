//! Discovery: the exact image set of every real-world manifest in the `manifests` conformance data set,
//! zero false references over the Pod Security Standards fixtures, and our own small cases
//! (tests/data/discover) for the formats the fixtures leave out.

use gate::discover::{
    discover_paths, discover_sources, DiscoverOutcome, NoticeKind, SearchRuleSpec, SearchRules,
    Target, UseKind,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const MD: &str = "us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo";
const BUSYBOX: &str =
    "busybox:1.38.0@sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d";
const ARGO: [&str; 3] = [
    "quay.io/argoproj/argocd:latest",
    "ghcr.io/dexidp/dex:v2.45.1",
    "public.ecr.aws/docker/library/redis:8.10.1-alpine",
];
const RBAC_PROXY: &str = "quay.io/brancz/kube-rbac-proxy:v0.22.1";
const VOTING: [&str; 5] = [
    "dockersamples/examplevotingapp_vote",
    "dockersamples/examplevotingapp_result",
    "dockersamples/examplevotingapp_worker",
    "postgres:15-alpine",
    "redis:alpine",
];

/// (file, number of uses, distinct references as written, unresolvable notices, kind)
type Expected = (&'static str, usize, Vec<String>, usize, Option<UseKind>);

fn expected() -> Vec<Expected> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let services = [
        "adservice",
        "cartservice",
        "checkoutservice",
        "currencyservice",
        "emailservice",
        "frontend",
        "loadgenerator",
        "paymentservice",
        "productcatalogservice",
        "recommendationservice",
        "shippingservice",
    ];
    let mut md: Vec<String> = services
        .iter()
        .map(|x| format!("{MD}/{x}:v0.10.6"))
        .collect();
    md.push("redis:alpine".into());
    md.push(BUSYBOX.into());
    use UseKind::*;
    vec![
        ("microservices-demo/kubernetes-manifests.yaml", 13, md, 0, Some(Kubernetes)),
        ("microservices-demo/istio-manifests.yaml", 0, vec![], 0, None),
        ("argo-cd/install.yaml", 10, s(&ARGO), 0, Some(Kubernetes)),
        ("argo-cd/namespace-install.yaml", 10, s(&ARGO), 0, Some(Kubernetes)),
        ("cert-manager/cert-manager-v1.17.2.yaml", 3, s(&[
            "quay.io/jetstack/cert-manager-cainjector:v1.17.2",
            "quay.io/jetstack/cert-manager-controller:v1.17.2",
            "quay.io/jetstack/cert-manager-webhook:v1.17.2",
        ]), 0, Some(Kubernetes)),
        ("kube-prometheus/alertmanager-alertmanager.yaml", 1, s(&["quay.io/prometheus/alertmanager:v0.33.1"]), 0, Some(Crd)),
        ("kube-prometheus/prometheus-prometheus.yaml", 1, s(&["quay.io/prometheus/prometheus:v3.13.2"]), 0, Some(Crd)),
        ("kube-prometheus/blackboxExporter-deployment.yaml", 3, s(&[
            "quay.io/prometheus/blackbox-exporter:v0.28.0",
            "ghcr.io/jimmidyson/configmap-reload:v0.15.0",
            RBAC_PROXY,
        ]), 0, Some(Kubernetes)),
        ("kube-prometheus/grafana-deployment.yaml", 1, s(&["grafana/grafana:13.1.3"]), 0, Some(Kubernetes)),
        ("kube-prometheus/kubeStateMetrics-deployment.yaml", 3, s(&[
            "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.19.1",
            RBAC_PROXY,
        ]), 0, Some(Kubernetes)),
        ("kube-prometheus/nodeExporter-daemonset.yaml", 2, s(&["quay.io/prometheus/node-exporter:v1.12.1", RBAC_PROXY]), 0, Some(Kubernetes)),
        ("kube-prometheus/prometheusAdapter-deployment.yaml", 1, s(&["registry.k8s.io/prometheus-adapter/prometheus-adapter:v0.12.0"]), 0, Some(Kubernetes)),
        ("kube-prometheus/prometheusOperator-deployment.yaml", 2, s(&["quay.io/prometheus-operator/prometheus-operator:v0.93.1", RBAC_PROXY]), 0, Some(Kubernetes)),
        // `images.repository` is a path prefix the chart's templates extend: not an image.
        ("helm-values/microservices-demo.values.yaml", 0, vec![], 0, None),
        ("helm-values/microservices-demo.Chart.yaml", 0, vec![], 0, None),
        // Tag empty (appVersion of a Chart.yaml we do not have): reported, not guessed.
        ("helm-values/trivy.values.yaml", 0, vec![], 1, None),
        // Five components whose name the chart assembles from imageRegistry/imageNamespace.
        ("helm-values/cert-manager.values.yaml", 0, vec![], 5, None),
        ("kustomize/argo-cd_base.kustomization.yaml", 1, s(&["quay.io/argoproj/argocd:latest"]), 0, Some(Kustomize)),
        ("kustomize/microservices-demo_container-images-tag.kustomization.yaml", 0, vec![], 11, None),
        ("kustomize/microservices-demo_container-images-registry.kustomization.yaml", 0, vec![], 12, None),
        ("kustomize/microservices-demo_container-images-tag-suffix.kustomization.yaml", 0, vec![], 11, None),
        ("kustomize/microservices-demo_base.kustomization.yaml", 0, vec![], 0, None),
        ("kustomize/microservices-demo_kubernetes-manifests.kustomization.yaml", 0, vec![], 0, None),
        ("example-voting-app/docker-compose.yml", 2, s(&["postgres:15-alpine", "redis:alpine"]), 0, Some(Compose)),
        ("example-voting-app/docker-compose.images.yml", 5, s(&VOTING), 0, Some(Compose)),
        ("example-voting-app/docker-stack.yml", 5, s(&VOTING), 0, Some(Compose)),
        ("example-voting-app/result_docker-compose.test.yml", 2, s(&["postgres:9.4", "redis:alpine"]), 0, Some(Compose)),
        ("example-voting-app/k8s-specifications/db-deployment.yaml", 1, s(&["postgres:15-alpine"]), 0, Some(Kubernetes)),
        ("example-voting-app/k8s-specifications/redis-deployment.yaml", 1, s(&["redis:alpine"]), 0, Some(Kubernetes)),
        ("example-voting-app/k8s-specifications/result-deployment.yaml", 1, s(&[VOTING[1]]), 0, Some(Kubernetes)),
        ("example-voting-app/k8s-specifications/vote-deployment.yaml", 1, s(&[VOTING[0]]), 0, Some(Kubernetes)),
        ("example-voting-app/k8s-specifications/worker-deployment.yaml", 1, s(&[VOTING[2]]), 0, Some(Kubernetes)),
        ("example-voting-app/k8s-specifications/db-service.yaml", 0, vec![], 0, None),
        ("example-voting-app/k8s-specifications/redis-service.yaml", 0, vec![], 0, None),
        ("example-voting-app/k8s-specifications/result-service.yaml", 0, vec![], 0, None),
        ("example-voting-app/k8s-specifications/vote-service.yaml", 0, vec![], 0, None),
        ("dockerfiles/microservices-demo_frontend.Dockerfile", 2, s(&[
            "golang:1.26.5-alpine@sha256:0178a641fbb4858c5f1b48e34bdaabe0350a330a1b1149aabd498d0699ff5fb2",
            "gcr.io/distroless/static",
        ]), 0, Some(Dockerfile)),
        ("dockerfiles/microservices-demo_cartservice.Dockerfile", 2, s(&[
            "mcr.microsoft.com/dotnet/sdk:10.0.100-noble@sha256:c7445f141c04f1a6b454181bd098dcfa606c61ba0bd213d0a702489e5bd4cd71",
            "mcr.microsoft.com/dotnet/runtime-deps:10.0.0-noble-chiseled@sha256:b857c8cb8d929183cfe4c6dd9994abba92a2639dd2dbaf06005379f815991604",
        ]), 0, Some(Dockerfile)),
        ("dockerfiles/microservices-demo_loadgenerator.Dockerfile", 1, s(&[
            "python:3.14.6-alpine@sha256:26730869004e2b9c4b9ad09cab8625e81d256d1ce97e72df5520e806b1709f92",
        ]), 0, Some(Dockerfile)),
        ("dockerfiles/microservices-demo_adservice.Dockerfile", 2, s(&[
            "eclipse-temurin:24.0.2_12-jdk-noble@sha256:dacac8e9a0df0d2bd24e702b4431132875c249930b70555ebd7ca285b5bee684",
            "eclipse-temurin:25.0.3_9-jre-alpine@sha256:28db6fdf60e38945e43d840c0333aeaec66c15943070104f7586fd3c9d1665b0",
        ]), 0, Some(Dockerfile)),
        ("dockerfiles/example-voting-app_vote.Dockerfile", 1, s(&["python:3.11-slim"]), 0, Some(Dockerfile)),
        ("dockerfiles/example-voting-app_worker.Dockerfile", 2, s(&[
            "mcr.microsoft.com/dotnet/sdk:7.0",
            "mcr.microsoft.com/dotnet/runtime:7.0",
        ]), 0, Some(Dockerfile)),
        ("dockerfiles/example-voting-app_result.Dockerfile", 1, s(&["node:18-slim"]), 0, Some(Dockerfile)),
        ("github-workflows/cosign_validate-release.yml", 2, s(&[
            "ghcr.io/sigstore/cosign/cosign:v3.1.1-dev@sha256:0dcd21d8b6464a526e3225f44c50f34687e861dcf010f566b3caa4f0e5cd898a",
            "ghcr.io/gythialy/golang-cross:v1.26.4-0@sha256:638b15f32291895696ec579e36cbf37ee186374f828e4a211072558b816c3c7e",
        ]), 0, Some(Workflow)),
        ("github-workflows/cosign_e2e-tests.yml", 1, s(&["hashicorp/vault:latest"]), 0, Some(Workflow)),
        ("github-workflows/argo-cd_image-reuse.yaml", 1, s(&[
            "tonistiigi/binfmt@sha256:d3b963f787999e6c0219a48dba02978769286ff61a5f4d26245cb6a6e5567ea3",
        ]), 0, Some(Workflow)),
        ("github-workflows/trivy_publish-chart.yaml", 0, vec![], 1, None),
    ]
}

/// Every fixture file, relative to the manifests root.
pub fn manifest_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap() != "README.md" {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn originals(o: &DiscoverOutcome, file: &Path) -> (usize, BTreeSet<String>) {
    let uses: Vec<_> = o.uses.iter().filter(|u| u.file == file).collect();
    (
        uses.len(),
        uses.iter()
            .map(|u| u.reference.original().to_string())
            .collect(),
    )
}

#[test]
fn conformance_manifests_every_fixture_yields_exactly_its_images() {
    let root = crate::fixtures::dir(crate::fixtures::Set::Manifests);
    let outcome = discover_paths(std::slice::from_ref(&root), &SearchRules::default()).unwrap();
    assert!(!outcome.has_errors(), "{:#?}", outcome.notices);
    let table = expected();
    let listed: BTreeSet<PathBuf> = table.iter().map(|t| root.join(t.0)).collect();
    for f in manifest_files(&root) {
        assert!(listed.contains(&f), "no expectation for {}", f.display());
    }
    for (file, count, refs, notices, kind) in table {
        let path = root.join(file);
        let (n, got) = originals(&outcome, &path);
        let want: BTreeSet<String> = refs.into_iter().collect();
        assert_eq!(got, want, "{file}: distinct references");
        assert_eq!(n, count, "{file}: number of uses");
        let unresolvable = outcome
            .notices
            .iter()
            .filter(|x| x.file == path && x.kind == NoticeKind::Unresolvable)
            .count();
        assert_eq!(
            unresolvable, notices,
            "{file}: notices {:#?}",
            outcome.notices
        );
        for u in outcome.uses.iter().filter(|u| u.file == path) {
            assert_eq!(Some(u.kind), kind, "{file}:{}", u.line);
            let text = std::fs::read_to_string(&path).unwrap();
            // The span holds the reference text and the line/column point at it.
            if u.target == Target::Text {
                assert_eq!(
                    &text[u.span.clone()],
                    u.reference.original(),
                    "{file}:{}",
                    u.line
                );
            }
            let line = text.lines().nth(u.line - 1).unwrap();
            let col: String = line.chars().skip(u.column - 1).collect();
            assert!(
                col.starts_with(&text[u.span.clone()]) || !matches!(u.target, Target::Text),
                "{file}:{}:{} points at `{col}`",
                u.line,
                u.column
            );
        }
    }
}

#[test]
fn conformance_pss_fixtures_have_no_false_references() {
    let root = crate::fixtures::dir(crate::fixtures::Set::Pss);
    let files = manifest_files(&root);
    assert!(files.len() > 4500, "{} files", files.len());
    let outcome = discover_paths(std::slice::from_ref(&root), &SearchRules::default()).unwrap();
    assert!(!outcome.has_errors(), "{:?}", outcome.notices.first());
    // Every container of every fixture, found independently: one `- image:` line each.
    let mut containers = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        containers += text
            .lines()
            .filter(|l| l.trim_start().starts_with("- image: "))
            .count();
    }
    assert_eq!(outcome.uses.len(), containers);
    let refs: BTreeSet<String> = outcome
        .uses
        .iter()
        .map(|u| u.reference.to_string())
        .collect();
    assert_eq!(refs, BTreeSet::from(["registry.k8s.io/pause".to_string()]));
    assert!(outcome.notices.is_empty(), "{:?}", outcome.notices.first());
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/discover")
        .join(name)
}

fn one(name: &str) -> DiscoverOutcome {
    discover_paths(&[data(name)], &SearchRules::default()).unwrap()
}

#[test]
fn kubernetes_kinds_lists_and_non_container_images() {
    let o = one("workloads.yaml");
    let got: Vec<&str> = o.uses.iter().map(|u| u.reference.original()).collect();
    assert_eq!(
        got,
        [
            "pod:1",
            "init:1",
            "debug:1",
            "cron:1",
            "tmpl:1",
            "listed:1",
            "rollout:1",
            "quoted:1",
            "single:1"
        ]
    );
    assert!(
        o.notices.iter().any(|n| n.message.contains("$(IMAGE)")),
        "{:?}",
        o.notices
    );
}

#[test]
fn podless_builtin_kinds_are_not_parsed_unless_a_rule_reads_them() {
    // A CustomResourceDefinition runs no pod: its body is not parsed (not even a pod template
    // written into it); the same kind in another group is a custom resource and is; a search
    // rule naming the kind still reads it; a head that cannot be read for certain is parsed.
    let template = "spec:\n  template:\n    spec:\n      containers:\n      - image: a:1\n";
    let crd = format!("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {{name: c}}\n{template}");
    let custom = format!("apiVersion: example.com/v1\nkind: CustomResourceDefinition\nmetadata: {{name: c}}\n{template}");
    let merged = format!("apiVersion: apps/v1\nkind: CustomResourceDefinition\n<<: {{kind: Deployment}}\nmetadata: {{name: c}}\n{template}");
    let uses = |src: &str, rules: &SearchRules| {
        discover_sources(&[(PathBuf::from("c.yaml"), src.into())], rules)
            .uses
            .len()
    };
    assert_eq!(uses(&crd, &SearchRules::default()), 0);
    assert_eq!(uses(&custom, &SearchRules::default()), 1);
    assert_eq!(uses(&merged, &SearchRules::default()), 1);
    let spec = SearchRuleSpec {
        kind: Some("CustomResourceDefinition".into()),
        api_version: Some("apiextensions.k8s.io".into()),
        path: "spec.template.spec.containers[].image".into(),
    };
    let rules = SearchRules::with_user(&[spec]).unwrap();
    assert!(uses(&crd, &rules) >= 1);
}

#[test]
fn user_search_rules_reach_custom_resources() {
    let spec = SearchRuleSpec {
        kind: Some("Widget".into()),
        api_version: Some("example.com".into()),
        path: "spec.parts[].image".into(),
    };
    let rules = SearchRules::with_user(&[spec]).unwrap();
    let src = "apiVersion: example.com/v1\nkind: Widget\nspec:\n  parts:\n  - image: a:1\n  - image: b:2\n";
    let o = discover_sources(&[(PathBuf::from("w.yaml"), src.into())], &rules);
    assert_eq!(o.uses.len(), 2);
    let o = discover_sources(
        &[(PathBuf::from("w.yaml"), src.into())],
        &SearchRules::default(),
    );
    assert!(o.uses.is_empty());
}

#[test]
fn compose_anchors_are_found_once_at_the_anchor() {
    let src = "x-base: &base\n  image: shared:1\nservices:\n  a:\n    <<: *base\n  b:\n    <<: *base\n  c:\n    image: \"c:${TAG:-1}\"\n";
    let o = discover_sources(
        &[(PathBuf::from("compose.yaml"), src.into())],
        &SearchRules::default(),
    );
    assert_eq!(o.uses.len(), 1, "{:?}", o.uses);
    assert_eq!(&src[o.uses[0].span.clone()], "shared:1");
    assert_eq!(o.notices.len(), 1);
    assert_eq!(o.notices[0].kind, NoticeKind::Unresolvable);
}

#[test]
fn helm_values_maps_strings_and_chart_app_version() {
    let o = one("chart");
    let got: BTreeSet<String> = o.uses.iter().map(|u| u.reference.to_string()).collect();
    let want = BTreeSet::from(
        [
            "ghcr.io/acme/api:1.4.0",
            "docker.io/bitnami/redis:7.2",
            "docker.io/library/busybox:1.36",
            "quay.io/acme/worker:2.0@sha256:1111111111111111111111111111111111111111111111111111111111111111",
        ]
        .map(String::from),
    );
    assert_eq!(got, want);
    assert!(o.uses.iter().all(|u| u.kind == UseKind::HelmValues));
}

#[test]
fn workflows_and_stdin_style_content_detection() {
    let src = "on: push\njobs:\n  a:\n    container: node:20\n    services:\n      db:\n        image: postgres:16\n    steps:\n      - uses: docker://alpine:3.20\n      - uses: actions/checkout@v4\n";
    let o = discover_sources(&[(PathBuf::from("-"), src.into())], &SearchRules::default());
    let got: Vec<(&str, &str)> = o
        .uses
        .iter()
        .map(|u| (u.reference.original(), &src[u.span.clone()]))
        .collect();
    assert_eq!(
        got,
        [
            ("node:20", "node:20"),
            ("postgres:16", "postgres:16"),
            ("alpine:3.20", "alpine:3.20")
        ]
    );
}

#[test]
fn bad_files_are_notices_and_others_still_found() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "kind: Pod\nspec: [image: \n  x: {\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("latin1.yaml"), b"image: caf\xe9\n").unwrap();
    std::fs::write(
        dir.path().join("ok.yaml"),
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: ok:1\n",
    )
    .unwrap();
    let o = discover_paths(&[dir.path().to_path_buf()], &SearchRules::default()).unwrap();
    assert_eq!(o.uses.len(), 1);
    let kinds: Vec<_> = o.notices.iter().map(|n| n.kind).collect();
    assert!(kinds.contains(&NoticeKind::InvalidYaml), "{:?}", o.notices);
    assert!(kinds.contains(&NoticeKind::NotUtf8), "{:?}", o.notices);
    let bad = o
        .notices
        .iter()
        .find(|n| n.kind == NoticeKind::InvalidYaml)
        .unwrap();
    let shown = bad.to_string();
    assert!(shown.contains("bad.yaml:") && bad.line >= 2, "{shown}");
    assert!(o.has_errors());
}

#[test]
fn alias_bomb_is_a_notice_not_a_blow_up() {
    let mut s = String::from(
        "kind: Pod\nimage: x\na0: &a0 [image, image, image, image, image, image, image, image, image, image]\n",
    );
    for i in 1..12 {
        let p = i - 1;
        s.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let o = discover_sources(&[(PathBuf::from("bomb.yaml"), s)], &SearchRules::default());
    assert_eq!(o.notices.len(), 1);
    assert_eq!(o.notices[0].kind, NoticeKind::InvalidYaml);
}

#[test]
fn missing_path_is_an_error() {
    let e = discover_paths(&[data("does-not-exist")], &SearchRules::default()).unwrap_err();
    assert!(e.to_string().contains("does-not-exist"), "{e}");
}

/// Every prefix of every format (truncated input is the commonest hostile case): discovery and
/// the rewrite never panic, and what they produce re-discovers to the same references.
#[test]
fn truncated_inputs_never_panic() {
    use gate::pin::{plan, to_resolve, PinOptions};
    let samples = [
        ("workloads.yaml", std::fs::read_to_string(data("workloads.yaml")).unwrap()),
        ("values.yaml", std::fs::read_to_string(data("chart/values.yaml")).unwrap()),
        (
            "kustomization.yaml",
            "images:\n- name: a\n  newTag: \"1\"\n- {name: b, newTag: '2'}\n".to_string(),
        ),
        (
            "Dockerfile",
            "ARG B=\"alpine:3.20\"\nFROM --platform=$P ${B} AS x\nFROM x\nCOPY --from=nginx:1 / /\n"
                .to_string(),
        ),
        (
            "ci.yml",
            "jobs:\n  a:\n    container: {image: 'node:20'}\n    steps:\n    - uses: \"docker://alpine:3\"\n"
                .to_string(),
        ),
    ];
    for (name, text) in &samples {
        for cut in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let src = vec![(PathBuf::from(name), text[..cut].to_string())];
            let o = discover_sources(&src, &SearchRules::default());
            let digests = to_resolve(&o)
                .into_iter()
                .map(|r| {
                    let d = r.digest().unwrap_or(
                        "sha256:3333333333333333333333333333333333333333333333333333333333333333",
                    );
                    (r.to_string(), d.to_string())
                })
                .collect();
            let Ok(p) = plan(&o, &digests, &PinOptions::default()) else {
                continue;
            };
            for f in &p.files {
                let r = f.render().unwrap();
                let again =
                    discover_sources(&[(f.path.clone(), r.updated)], &SearchRules::default());
                let names = |o: &DiscoverOutcome| -> Vec<String> {
                    o.uses.iter().map(|u| u.reference.name()).collect()
                };
                assert_eq!(names(&again), names(&o), "{name} cut at {cut}");
            }
        }
    }
}
