//! Pin: the pure rewrite over every real manifest with a fake digest per reference (bytes change
//! only inside reference spans or as added digest lines, the result parses to the same structure
//! with only image values changed, a second run is a no-op), check/diff/update/strip-tag modes,
//! and the atomic all-or-nothing writer.

use gate::discover::{discover_paths, discover_sources, DiscoverOutcome, SearchRules};
use gate::pin::{apply, diff, lookup_key, plan, to_resolve, PinError, PinOptions, PinPlan};
use gate::yaml::{parse_documents, Node, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A deterministic fake digest for every reference to resolve.
fn digests(o: &DiscoverOutcome, salt: &str) -> HashMap<String, String> {
    to_resolve(o)
        .into_iter()
        .map(|r| {
            if let (None, Some(pinned)) = (r.tag(), r.digest()) {
                // By digest only: the registry serves exactly that digest.
                return (r.to_string(), pinned.to_string());
            }
            let d = hex::encode(Sha256::digest(format!("{salt}{r}")));
            (r.to_string(), format!("sha256:{d}"))
        })
        .collect()
}

/// Same structure; scalars equal, or the new one is the old one pinned (`…@sha256:…`); a map
/// may gain a `digest` key, or a `tag` key holding `TAG@sha256:…`.
fn same_but_pinned(a: &Node, b: &Node, at: &str) {
    match (&a.value, &b.value) {
        (Value::Scalar(x, _), Value::Scalar(y, _)) => {
            let pinned = y.len() == x.len() + 72
                && y.starts_with(x.as_str())
                && y[x.len()..].starts_with("@sha256:");
            let re_pinned = x.contains("@sha256:")
                && y.contains("@sha256:")
                && x.split('@').next() == y.split('@').next();
            let digest_value = (x.is_empty() || x.starts_with("sha256:"))
                && y.starts_with("sha256:")
                && y.len() == 71;
            assert!(
                x == y || pinned || re_pinned || digest_value,
                "{at}: `{x}` became `{y}`"
            );
        }
        (Value::Seq(x), Value::Seq(y)) => {
            assert_eq!(x.len(), y.len(), "{at}");
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                same_but_pinned(p, q, &format!("{at}[{i}]"));
            }
        }
        (Value::Map(x), Value::Map(y)) => {
            let mut extra = y.len() - x.len();
            assert!(extra <= 1, "{at}: {} keys became {}", x.len(), y.len());
            let mut j = 0;
            for (k, v) in x {
                let (k2, v2) = &y[j];
                if k2.as_str() != k.as_str()
                    && extra == 1
                    && matches!(k2.as_str(), Some("digest" | "tag"))
                {
                    extra = 0;
                    j += 1;
                    let (k3, v3) = &y[j];
                    assert_eq!(k3.as_str(), k.as_str(), "{at}");
                    same_but_pinned(v, v3, &format!("{at}.{}", k.as_str().unwrap_or("?")));
                } else {
                    assert_eq!(k2.as_str(), k.as_str(), "{at}");
                    same_but_pinned(v, v2, &format!("{at}.{}", k.as_str().unwrap_or("?")));
                }
                j += 1;
            }
            if extra == 1 {
                let (k, v) = y.last().unwrap();
                assert!(
                    matches!(k.as_str(), Some("digest" | "tag")),
                    "{at}: added `{:?}`",
                    k.as_str()
                );
                assert!(v.as_str().unwrap().contains("sha256:"), "{at}");
            }
        }
        _ => panic!("{at}: node kind changed"),
    }
}

/// The text between consecutive uses is byte-identical before and after, except for an added
/// key line (`digest:` / `tag:`) in a map use.
fn only_spans_changed(
    before: &DiscoverOutcome,
    after: &DiscoverOutcome,
    file: &Path,
    old: &str,
    new: &str,
) {
    let a: Vec<_> = before.uses.iter().filter(|u| u.file == file).collect();
    let b: Vec<_> = after.uses.iter().filter(|u| u.file == file).collect();
    assert_eq!(a.len(), b.len(), "{}", file.display());
    let (mut pa, mut pb) = (0, 0);
    for (x, y) in a.iter().zip(&b) {
        let gap_a = &old[pa..x.span.start];
        let gap_b = &new[pb..y.span.start];
        if gap_a != gap_b {
            let added = gap_diff(gap_a, gap_b);
            assert!(
                added.trim_start().starts_with("digest: sha256:")
                    || added.trim_start().starts_with("tag: \""),
                "{}: bytes changed outside references: `{added}`",
                file.display()
            );
        }
        pa = x.span.end;
        pb = y.span.end;
    }
    let (tail_a, tail_b) = (&old[pa..], &new[pb..]);
    if tail_a != tail_b {
        let added = gap_diff(tail_a, tail_b);
        assert!(
            added.trim_start().starts_with("digest: sha256:"),
            "{}: tail changed: `{added}`",
            file.display()
        );
    }
}

/// What `b` has that `a` lacks, when `b` is `a` with one contiguous insertion.
fn gap_diff<'a>(a: &str, b: &'a str) -> &'a str {
    let pre = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let post = a[pre..]
        .bytes()
        .rev()
        .zip(b[pre..].bytes().rev())
        .take_while(|(x, y)| x == y)
        .count();
    assert_eq!(pre + post, a.len(), "not a pure insertion: `{a}` vs `{b}`");
    &b[pre..b.len() - post]
}

fn pin_all(o: &DiscoverOutcome, d: &HashMap<String, String>, opts: PinOptions) -> PinPlan {
    plan(o, d, &opts).unwrap()
}

#[test]
fn conformance_manifests_pure_rewrite_of_every_fixture() {
    let root = crate::fixtures::dir(crate::fixtures::Set::Manifests);
    let rules = SearchRules::default();
    let outcome = discover_paths(std::slice::from_ref(&root), &rules).unwrap();
    let d = digests(&outcome, "");
    let update = PinOptions {
        update: true,
        ..PinOptions::default()
    };
    let p = pin_all(&outcome, &d, update);
    // Every file with a use but argo-cd_image-reuse.yaml (pinned by digest only, nothing to do).
    assert_eq!(p.files.len(), 31);
    let rendered: Vec<_> = p.files.iter().map(|f| f.render().unwrap()).collect();
    let rewritten: Vec<(PathBuf, String)> = p
        .files
        .iter()
        .zip(&rendered)
        .map(|(f, r)| (f.path.clone(), r.updated.clone()))
        .collect();
    let after = discover_sources(&rewritten, &rules);
    assert!(
        after.notices.iter().all(|n| !n.kind.is_error()),
        "{:?}",
        after.notices
    );
    for (f, r) in p.files.iter().zip(&rendered) {
        only_spans_changed(&outcome, &after, &f.path, &r.original, &r.updated);
        if f.path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml")
        {
            let a = parse_documents(&r.original).unwrap();
            let b = parse_documents(&r.updated).unwrap();
            assert_eq!(a.len(), b.len());
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                same_but_pinned(x, y, &format!("{}#{i}", f.path.display()));
            }
        }
    }
    // Every use now carries the digest its tag resolves to (an untagged reference is now pinned
    // by digest only, which the registry answers with that digest).
    let d = digests(&after, "");
    for u in &after.uses {
        let key = lookup_key(&u.reference);
        assert_eq!(
            u.reference.digest(),
            d.get(&key).map(String::as_str),
            "{}:{} {key}",
            u.file.display(),
            u.line
        );
    }
    // Second run: nothing to do, nothing to report.
    let again = pin_all(&after, &d, update);
    assert!(
        again.files.is_empty(),
        "{:?}",
        again.files.iter().map(|f| &f.path).collect::<Vec<_>>()
    );
    assert!(!again.failed());
}

#[test]
fn conformance_manifests_check_mode_lists_unpinned_and_stale_with_locations() {
    let root = crate::fixtures::dir(crate::fixtures::Set::Manifests);
    let file = root.join("microservices-demo/kubernetes-manifests.yaml");
    let o = discover_paths(std::slice::from_ref(&file), &SearchRules::default()).unwrap();
    let d = digests(&o, "");
    let p = pin_all(
        &o,
        &d,
        PinOptions {
            check: true,
            ..PinOptions::default()
        },
    );
    assert!(p.failed());
    let unpinned = p
        .findings
        .iter()
        .filter(|f| f.rule == "GATE-IMG-001")
        .count();
    let stale: Vec<_> = p
        .findings
        .iter()
        .filter(|f| f.rule == "GATE-IMG-002")
        .collect();
    assert_eq!(unpinned, 12);
    // busybox is pinned to its real digest; the fake registry says the tag moved.
    assert_eq!(stale.len(), 1);
    let loc = stale[0].location.as_ref().unwrap();
    let line = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .nth(loc.line - 1)
        .unwrap()
        .to_string();
    assert!(line.contains("busybox:1.38.0@sha256:fd8d9a"), "{line}");
    assert_eq!(apply(&p).unwrap(), Vec::<PathBuf>::new());
    // Without --update a stale pin is reported but not rewritten.
    let p = pin_all(&o, &d, PinOptions::default());
    assert!(!p.files[0].render().unwrap().updated.contains(
        &d[&lookup_key(
            &o.uses
                .iter()
                .find(|u| u.reference.digest().is_some())
                .unwrap()
                .reference
        )]
    ));
}

fn tmp_with(files: &[(&str, &str)]) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let paths = files
        .iter()
        .map(|(n, t)| {
            let p = dir.path().join(n);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, t).unwrap();
            p
        })
        .collect();
    (dir, paths)
}

const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn crlf_bom_comments_quotes_and_no_final_newline_survive() {
    let src = "\u{feff}# top\r\napiVersion: v1\r\nkind: Pod\r\nspec:\r\n  containers:\r\n  - image: \"nginx:1.27\" # web\r\n    name: a\r\n  - {name: b, image: 'redis'}\r\n  - name: c\r\n    image: ghcr.io/x/y:v1";
    let o = discover_sources(
        &[(PathBuf::from("p.yaml"), src.into())],
        &SearchRules::default(),
    );
    let d = map(&[
        ("docker.io/library/nginx:1.27", D1),
        ("docker.io/library/redis", D2),
        ("ghcr.io/x/y:v1", D1),
    ]);
    let p = pin_all(&o, &d, PinOptions::default());
    let want = format!("\u{feff}# top\r\napiVersion: v1\r\nkind: Pod\r\nspec:\r\n  containers:\r\n  - image: \"nginx:1.27@{D1}\" # web\r\n    name: a\r\n  - {{name: b, image: 'redis@{D2}'}}\r\n  - name: c\r\n    image: ghcr.io/x/y:v1@{D1}");
    assert_eq!(p.files[0].render().unwrap().updated, want);
    let strip = pin_all(
        &o,
        &d,
        PinOptions {
            strip_tag: true,
            ..PinOptions::default()
        },
    );
    assert!(strip.files[0]
        .render()
        .unwrap()
        .updated
        .contains(&format!("\"nginx@{D1}\"")));
}

#[test]
fn kustomize_and_helm_write_digest_keys() {
    let kust = "images:\r\n- name: quay.io/argoproj/argocd\r\n  newName: quay.io/argoproj/argocd\r\n  newTag: latest\r\n- name: a\r\n  newTag: \"1\"\r\n  digest: sha256:0000000000000000000000000000000000000000000000000000000000000000\r\n- {name: b, newTag: \"2\"}\r\nresources: [x.yaml]\r\n";
    let helm = "image:\n  repository: acme/api\n  tag: \"1.0\" # pinned by gate\n  pullPolicy: IfNotPresent\nredis:\n  image:\n    registry: docker.io\n    repository: bitnami/redis\n    tag: 7.2\n    digest: \"\"\n";
    let o = discover_sources(
        &[
            (PathBuf::from("kustomization.yaml"), kust.into()),
            (PathBuf::from("values.yaml"), helm.into()),
        ],
        &SearchRules::default(),
    );
    assert_eq!(o.uses.len(), 5, "{:?}", o.notices);
    let d = map(&[
        ("quay.io/argoproj/argocd:latest", D1),
        ("docker.io/library/a:1", D2),
        ("docker.io/library/b:2", D1),
        ("docker.io/acme/api:1.0", D2),
        ("docker.io/bitnami/redis:7.2", D1),
    ]);
    let p = pin_all(
        &o,
        &d,
        PinOptions {
            update: true,
            ..PinOptions::default()
        },
    );
    let k = p.updated(Path::new("kustomization.yaml")).unwrap().unwrap();
    assert_eq!(k, format!("images:\r\n- name: quay.io/argoproj/argocd\r\n  newName: quay.io/argoproj/argocd\r\n  newTag: latest\r\n  digest: {D1}\r\n- name: a\r\n  newTag: \"1\"\r\n  digest: {D2}\r\n- {{name: b, newTag: \"2\", digest: {D1}}}\r\nresources: [x.yaml]\r\n"));
    let h = p.updated(Path::new("values.yaml")).unwrap().unwrap();
    assert_eq!(h, format!("image:\n  repository: acme/api\n  tag: \"1.0@{D2}\" # pinned by gate\n  pullPolicy: IfNotPresent\nredis:\n  image:\n    registry: docker.io\n    repository: bitnami/redis\n    tag: 7.2\n    digest: \"{D1}\"\n"));
    // Idempotent.
    let o2 = discover_sources(
        &[
            (PathBuf::from("kustomization.yaml"), k),
            (PathBuf::from("values.yaml"), h),
        ],
        &SearchRules::default(),
    );
    let p2 = pin_all(
        &o2,
        &d,
        PinOptions {
            update: true,
            ..PinOptions::default()
        },
    );
    assert!(p2.files.is_empty() && !p2.failed(), "{:?}", p2.findings);
}

#[test]
fn dockerfile_variables_pin_where_the_value_is_written() {
    let src = "ARG BASE=python:3.11-slim\nARG GO=1.22\nFROM ${BASE} AS base\nFROM golang:${GO}-alpine\nFROM base\n";
    let o = discover_sources(
        &[(PathBuf::from("Dockerfile"), src.into())],
        &SearchRules::default(),
    );
    let d = map(&[
        ("docker.io/library/python:3.11-slim", D1),
        ("docker.io/library/golang:1.22-alpine", D2),
    ]);
    let p = pin_all(&o, &d, PinOptions::default());
    let want = format!("ARG BASE=python:3.11-slim@{D1}\nARG GO=1.22\nFROM ${{BASE}} AS base\nFROM golang:${{GO}}-alpine@{D2}\nFROM base\n");
    assert_eq!(p.files[0].render().unwrap().updated, want);
    let o2 = discover_sources(
        &[(PathBuf::from("Dockerfile"), want)],
        &SearchRules::default(),
    );
    assert!(pin_all(&o2, &d, PinOptions::default()).files.is_empty());
}

#[test]
fn missing_digest_is_an_error_and_nothing_is_planned() {
    let o = discover_sources(
        &[(
            PathBuf::from("c.yaml"),
            "services:\n  a: {image: x:1}\n".into(),
        )],
        &SearchRules::default(),
    );
    let e = plan(&o, &HashMap::new(), &PinOptions::default()).unwrap_err();
    assert!(matches!(e, PinError::MissingDigest { .. }), "{e}");
    assert!(e.to_string().contains("c.yaml:2"), "{e}");
}

#[test]
fn diff_is_unified_and_writes_nothing() {
    let src = "services:\n  db:\n    image: postgres:15-alpine\n";
    let (_dir, paths) = tmp_with(&[("compose.yaml", src)]);
    let o = discover_paths(&paths, &SearchRules::default()).unwrap();
    let d = map(&[("docker.io/library/postgres:15-alpine", D1)]);
    let p = pin_all(
        &o,
        &d,
        PinOptions {
            diff: true,
            ..PinOptions::default()
        },
    );
    let name = paths[0].display();
    assert_eq!(
        diff(&p).unwrap(),
        format!("--- a/{name}\n+++ b/{name}\n@@ -1,3 +1,3 @@\n services:\n   db:\n-    image: postgres:15-alpine\n+    image: postgres:15-alpine@{D1}\n")
    );
    assert!(apply(&p).unwrap().is_empty());
    assert_eq!(std::fs::read_to_string(&paths[0]).unwrap(), src);
}

#[test]
fn apply_is_atomic_keeps_permissions_and_is_idempotent() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, paths) = tmp_with(&[
        (
            "a/compose.yaml",
            "services:\n  db:\n    image: postgres:15\n",
        ),
        ("b/Dockerfile", "FROM alpine:3.20\n"),
    ]);
    std::fs::set_permissions(&paths[0], std::fs::Permissions::from_mode(0o640)).unwrap();
    let o = discover_paths(&[_dir.path().to_path_buf()], &SearchRules::default()).unwrap();
    let d = map(&[
        ("docker.io/library/postgres:15", D1),
        ("docker.io/library/alpine:3.20", D2),
    ]);
    let p = pin_all(&o, &d, PinOptions::default());
    let rendered: Vec<_> = p.files.iter().map(|f| f.render().unwrap()).collect();
    let written = apply(&p).unwrap();
    assert_eq!(written.len(), 2);
    for (f, r) in p.files.iter().zip(&rendered) {
        assert_eq!(std::fs::read_to_string(&f.path).unwrap(), r.updated);
    }
    let mode = std::fs::metadata(&paths[0]).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let leftovers: Vec<_> = std::fs::read_dir(paths[0].parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    let o2 = discover_paths(&[_dir.path().to_path_buf()], &SearchRules::default()).unwrap();
    let p2 = pin_all(&o2, &d, PinOptions::default());
    assert!(p2.files.is_empty());
    assert!(apply(&p2).unwrap().is_empty());
}

#[test]
fn a_file_changed_on_disk_fails_and_nothing_is_written() {
    let (_dir, paths) = tmp_with(&[
        (
            "a/compose.yaml",
            "services:\n  db:\n    image: postgres:15\n",
        ),
        ("b/compose.yaml", "services:\n  db:\n    image: redis:7\n"),
    ]);
    let o = discover_paths(&paths, &SearchRules::default()).unwrap();
    let d = map(&[
        ("docker.io/library/postgres:15", D1),
        ("docker.io/library/redis:7", D2),
    ]);
    let p = pin_all(&o, &d, PinOptions::default());
    std::fs::write(&paths[1], "services:\n  db:\n    image: redis:8\n").unwrap();
    let e = apply(&p).unwrap_err();
    assert!(matches!(e, PinError::Changed { .. }), "{e}");
    assert_eq!(
        std::fs::read_to_string(&paths[0]).unwrap(),
        "services:\n  db:\n    image: postgres:15\n"
    );
    assert_eq!(
        std::fs::read_to_string(&paths[1]).unwrap(),
        "services:\n  db:\n    image: redis:8\n"
    );
}

/// Copy a directory tree, as a checkout would have it: the shared fixtures are read-only, and
/// pin refuses to replace a read-only file, so the copies get their owner's write bit.
fn copy_tree(from: &Path, to: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_tree(&p, &to.join(e.file_name()));
        } else {
            let dst = to.join(e.file_name());
            std::fs::copy(&p, &dst).unwrap();
            let mode = std::fs::metadata(&dst).unwrap().permissions().mode();
            std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(mode | 0o200)).unwrap();
        }
    }
}

/// Discover, resolve through the local registry, plan.
async fn resolve_plan(
    root: &Path,
    resolver: &gate::resolve::Resolver,
    opts: PinOptions,
) -> (
    DiscoverOutcome,
    HashMap<String, String>,
    Vec<String>,
    Result<PinPlan, PinError>,
) {
    let o = discover_paths(&[root.to_path_buf()], &SearchRules::default()).unwrap();
    let refs = to_resolve(&o);
    let mut map = HashMap::new();
    let mut failed = Vec::new();
    for (r, res) in refs.iter().zip(resolver.resolve_all(&refs).await) {
        match res {
            Ok(x) => {
                map.insert(r.to_string(), x.digest);
            }
            Err(_) => failed.push(r.to_string()),
        }
    }
    let p = plan(&o, &map, &opts);
    (o, map, failed, p)
}

#[tokio::test]
async fn conformance_manifests_pin_end_to_end_against_a_local_registry_through_mirrors() {
    use crate::harness::Registry;
    use gate::registry::ClientConfig;
    use gate::resolve::{Mirror, ResolveConfig, Resolver};
    let fixtures = crate::fixtures::dir(crate::fixtures::Set::Manifests);
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("manifests");
    copy_tree(&fixtures, &root);
    let pristine = discover_paths(std::slice::from_ref(&root), &SearchRules::default()).unwrap();

    // One small image per repository and tag the files name, under `ADDR/<registry>/<path>`.
    let reg = Registry::start();
    let mut domains = std::collections::BTreeSet::new();
    let mut pushed = HashMap::new();
    for r in to_resolve(&pristine) {
        domains.insert(r.domain().to_string());
        if r.digest().is_none() {
            let tag = r.tag().unwrap_or("latest");
            let d = reg
                .push_image(&format!("{}/{}", r.domain(), r.path()), tag)
                .await;
            pushed.insert(r.to_string(), d);
        }
    }
    let mirrors = domains
        .iter()
        .map(|d| format!("{d}={}/{d}", reg.addr).parse::<Mirror>().unwrap())
        .collect();
    let resolver = Resolver::new(ResolveConfig {
        client: ClientConfig {
            insecure: vec![reg.addr.clone()],
            timeout: std::time::Duration::from_secs(10),
            auth: gate::registry::auth::AuthSources::default(),
            ..ClientConfig::default()
        },
        mirrors,
        ..ResolveConfig::default()
    })
    .unwrap();
    let update = PinOptions {
        update: true,
        ..PinOptions::default()
    };

    // A reference pinned by digest only cannot exist in the test registry: it does not resolve,
    // so nothing can be planned and no file changes.
    let (_, _, failed, p) = resolve_plan(&root, &resolver, update).await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].starts_with("docker.io/tonistiigi/binfmt@sha256:"));
    assert!(matches!(p, Err(PinError::MissingDigest { .. })));
    let unchanged = discover_paths(std::slice::from_ref(&root), &SearchRules::default()).unwrap();
    assert_eq!(unchanged.sources, pristine.sources);

    std::fs::remove_file(root.join("github-workflows/argo-cd_image-reuse.yaml")).unwrap();
    let (before, _, failed, p) = resolve_plan(&root, &resolver, update).await;
    assert!(failed.is_empty(), "{failed:?}");
    let p = p.unwrap();
    let rendered: Vec<_> = p.files.iter().map(|f| f.render().unwrap()).collect();
    let written = apply(&p).unwrap();
    assert_eq!(written.len(), 31);
    let after = discover_paths(std::slice::from_ref(&root), &SearchRules::default()).unwrap();
    for (f, r) in p.files.iter().zip(&rendered) {
        let now = std::fs::read_to_string(&f.path).unwrap();
        assert_eq!(now, r.updated);
        only_spans_changed(&before, &after, &f.path, &r.original, &now);
        if f.path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml")
        {
            let a = parse_documents(&r.original).unwrap();
            let b = parse_documents(&now).unwrap();
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                same_but_pinned(x, y, &format!("{}#{i}", f.path.display()));
            }
        }
    }
    // Every tagged use now carries the digest the registry holds for its tag.
    for u in after.uses.iter().filter(|u| u.reference.tag().is_some()) {
        let key = lookup_key(&u.reference);
        assert_eq!(
            u.reference.digest(),
            pushed.get(&key).map(String::as_str),
            "{key}"
        );
    }
    // Second run: nothing to write, nothing unpinned or stale.
    let (_, _, failed, p) = resolve_plan(&root, &resolver, update).await;
    assert!(failed.is_empty(), "{failed:?}");
    let p = p.unwrap();
    assert!(p.files.is_empty() && !p.failed(), "{:?}", p.findings);
}

#[test]
fn a_symlinked_file_is_rewritten_through_its_link() {
    let (dir, paths) = tmp_with(&[("real/compose.yaml", "services:\n  a:\n    image: redis:7\n")]);
    let link = dir.path().join("docker-compose.yml");
    std::os::unix::fs::symlink(&paths[0], &link).unwrap();
    let o = discover_paths(std::slice::from_ref(&link), &SearchRules::default()).unwrap();
    let p = pin_all(
        &o,
        &map(&[("docker.io/library/redis:7", D1)]),
        PinOptions::default(),
    );
    assert_eq!(apply(&p).unwrap(), std::slice::from_ref(&link));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(&paths[0]).unwrap(),
        format!("services:\n  a:\n    image: redis:7@{D1}\n")
    );
}
