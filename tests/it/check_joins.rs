//! `gate check` joins each image to its own digest's results (issue 12): images that share a
//! digest, scan errors on a shared digest, pin findings on their image, exceptions for every
//! rule, and standard input. Real binary, real registry, replay scanner.

use crate::check::Env;
use serde_json::Value;
use std::io::Write;
use std::process::Stdio;

const CLEAN: &str = "small-clean.json";
const VULNERABLE: &str = "small-critical.json";

fn image<'a>(report: &'a Value, reference: &str) -> &'a Value {
    report["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["reference"] == reference)
        .unwrap_or_else(|| panic!("no image `{reference}` in {report:#}"))
}

fn subjects(report: &Value, rule: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| f["subject"].as_str().unwrap().to_string())
        .collect()
}

fn check_images(env: &Env, images: &[&str]) -> (std::process::Output, Value) {
    let mut c = env.gate(&["check"]);
    c.args(images).arg("--key").arg(env.path("cosign.pub"));
    env.report(c)
}

/// Two names of one vulnerable build beside a clean image: both names fail with their own
/// findings, the clean one passes with its own scan, and the digest is scanned once.
#[tokio::test]
async fn images_sharing_a_digest_each_get_their_own_verdict() {
    let mut env = Env::new().await;
    let d = env
        .build("one", "t1", "shared", true, Some(VULNERABLE))
        .await;
    let d2 = env
        .build("two", "t1", "shared", true, Some(VULNERABLE))
        .await;
    assert_eq!(d, d2, "the harness must push one digest under two names");
    let clean = env.image("clean", "t1", true, CLEAN).await;
    let (out, report) = check_images(
        &env,
        &[
            "ghcr.io/acme/one:t1",
            "ghcr.io/acme/two:t1",
            "ghcr.io/acme/clean:t1",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    for (name, verdict) in [("one", "failed"), ("two", "failed"), ("clean", "passed")] {
        let img = image(&report, &format!("ghcr.io/acme/{name}:t1"));
        assert_eq!(img["verdict"], verdict, "{name}: {img:#}");
        assert!(img["scan"].is_object(), "{name} has no scan: {img:#}");
        assert_eq!(img["errors"].as_array().unwrap().len(), 0, "{img:#}");
    }
    let vulns = subjects(&report, "GATE-VULN-001");
    for name in ["one", "two"] {
        let subject = format!("ghcr.io/acme/{name}@{d}");
        assert!(vulns.contains(&subject), "{subject} not in {vulns:?}");
    }
    assert!(
        !vulns.iter().any(|s| s.contains(&clean)),
        "a finding of the vulnerable build is on the clean image: {vulns:?}"
    );
    let log = std::fs::read_to_string(env.path("bin/log")).unwrap();
    assert_eq!(log.matches(&d).count(), 1, "{log}");
}

/// A scan that fails for a shared digest makes every image naming it incomplete (exit 2); the
/// clean image still passes on its own scan; `--pin` pins none of them.
#[tokio::test]
async fn a_scan_error_on_a_shared_digest_reaches_every_image_that_names_it() {
    // Names sorted so that the shared digest comes first: zipping results by position gave
    // the clean image nothing (it passed unscanned).
    let mut env = Env::new().await;
    env.build("one", "t1", "unscannable", true, None).await;
    env.build("two", "t1", "unscannable", true, None).await;
    env.image("zclean", "t1", true, CLEAN).await;
    let (out, report) = check_images(
        &env,
        &[
            "ghcr.io/acme/one:t1",
            "ghcr.io/acme/two:t1",
            "ghcr.io/acme/zclean:t1",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{report:#}");
    for name in ["one", "two"] {
        let img = image(&report, &format!("ghcr.io/acme/{name}:t1"));
        assert_eq!(img["verdict"], "incomplete", "{img:#}");
        assert!(img["errors"].to_string().contains("scan"), "{img:#}");
    }
    let clean = image(&report, "ghcr.io/acme/zclean:t1");
    assert_eq!(clean["verdict"], "passed", "{clean:#}");
    assert!(clean["scan"].is_object(), "{clean:#}");
}

/// Unpinned and stale-pin findings carry their image's digest target as subject, so the
/// image's verdict counts them.
#[tokio::test]
async fn pin_findings_attach_to_their_image() {
    let mut env = Env::new().await;
    let old = env.image("shop-api", "1.4.2", true, CLEAN).await;
    let web = env.image("shop-web", "2.0.0", true, CLEAN).await;
    let stale = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: shop}}\nspec:\n  containers:\n    - name: c\n      image: ghcr.io/acme/shop-api:1.4.2@{old}\n"
    );
    env.deploy(&["namespace.yaml", "web.yaml"], &[("stale.yaml", &stale)]);
    // The tag moves on: the pin in stale.yaml is now stale.
    env.build("shop-api", "1.4.2", "moved on", true, Some(CLEAN))
        .await;
    let mut c = env.gate(&["check", "-f", "deploy", "--key"]);
    c.arg(env.path("cosign.pub"));
    let (_, report) = env.report(c);
    let unpinned = subjects(&report, "GATE-IMG-001");
    assert_eq!(
        unpinned,
        [format!("ghcr.io/acme/shop-web@{web}")],
        "{report:#}"
    );
    let img = image(&report, "ghcr.io/acme/shop-web:2.0.0");
    assert_eq!(img["verdict"], "failed", "an unpinned image fails: {img:#}");
    assert_eq!(
        subjects(&report, "GATE-IMG-002"),
        [format!("ghcr.io/acme/shop-api@{old}")],
        "{report:#}"
    );
}

/// A policy exception applies to a signature rule (not only lint and scan rules) and the
/// evidence names where it is written.
#[tokio::test]
async fn exceptions_apply_to_signature_rules_with_their_origin() {
    let mut env = Env::new().await;
    env.image("shop-worker", "0.9.1", false, CLEAN).await;
    let policy = env.path("policy.yaml");
    std::fs::write(
        &policy,
        "exceptions:\n  - rule: GATE-SIG-001\n    subject: 'ghcr.io/acme/shop-worker@*'\n    reason: Signed by the vendor later\n",
    )
    .unwrap();
    let mut c = env.gate(&["check", "ghcr.io/acme/shop-worker:0.9.1", "--policy"]);
    c.arg(&policy).arg("--key").arg(env.path("cosign.pub"));
    let (out, report) = env.report(c);
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "GATE-SIG-001")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(f["exception"]["status"], "applied", "{f:#}");
    assert!(
        f["exception"]["origin"]
            .as_str()
            .unwrap()
            .ends_with("policy.yaml:2"),
        "{f:#}"
    );
    assert_eq!(report["exceptions"].as_array().unwrap().len(), 0);
}

/// `gate check -f -`: discover and lint both read the one standard input.
#[tokio::test]
async fn check_reads_standard_input_once_for_discover_and_lint() {
    let mut env = Env::new().await;
    let digest = env.image("shop-api", "1.4.2", true, CLEAN).await;
    let read = |f: &str| std::fs::read_to_string(crate::check::examples().join(f)).unwrap();
    let text = format!("{}\n---\n{}", read("namespace.yaml"), read("api.yaml")).replace(
        "ghcr.io/acme/shop-api:1.4.2",
        &format!("ghcr.io/acme/shop-api:1.4.2@{digest}"),
    );
    let mut c = env.gate(&["check", "-f", "-", "--key"]);
    c.arg(env.path("cosign.pub"))
        .arg("--trivy")
        .arg(env.path("bin/trivy"))
        .args(["--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{report:#}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report["lint"]["objects"].as_u64() >= Some(1), "{report:#}");
    assert_eq!(
        image(&report, &format!("ghcr.io/acme/shop-api:1.4.2@{digest}"))["verdict"],
        "passed"
    );
}

/// `registries.allowed` is enforced: an image outside it fails with its own finding; the
/// allowed one passes.
#[tokio::test]
async fn images_outside_the_allowed_registries_fail() {
    let mut env = Env::new().await;
    let tools = env.image("tools", "1", true, CLEAN).await;
    env.image("shop-api", "1.4.2", true, CLEAN).await;
    let policy = env.path("policy.yaml");
    std::fs::write(&policy, "registries:\n  allowed: ['ghcr.io/acme/shop-*']\n").unwrap();
    let mut c = env.gate(&[
        "check",
        "ghcr.io/acme/tools:1",
        "ghcr.io/acme/shop-api:1.4.2",
        "--policy",
    ]);
    c.arg(&policy).arg("--key").arg(env.path("cosign.pub"));
    let (out, report) = env.report(c);
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    assert_eq!(
        subjects(&report, "GATE-IMG-004"),
        [format!("ghcr.io/acme/tools@{tools}")]
    );
    assert_eq!(image(&report, "ghcr.io/acme/tools:1")["verdict"], "failed");
    assert_eq!(
        image(&report, "ghcr.io/acme/shop-api:1.4.2")["verdict"],
        "passed"
    );
}

/// `--pin --update` writes a stale pin's new digest only when that digest passed the gate
/// (it joins the checked set), and the evidence lists the digest written.
#[tokio::test]
async fn pin_update_writes_only_a_checked_digest() {
    let mut env = Env::new().await;
    let old = env.image("shop-api", "1.4.2", true, CLEAN).await;
    let read = |f: &str| std::fs::read_to_string(crate::check::examples().join(f)).unwrap();
    let api = read("api.yaml").replace(
        "ghcr.io/acme/shop-api:1.4.2",
        &format!("ghcr.io/acme/shop-api:1.4.2@{old}"),
    );
    let d = env.deploy(&["namespace.yaml"], &[("api.yaml", &api)]);
    // The tag moves to an unsigned build.
    let new = env
        .build("shop-api", "1.4.2", "moved on", false, Some(CLEAN))
        .await;
    let (out, report) = env.check(&["--update"]);
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    assert_eq!(std::fs::read_to_string(d.join("api.yaml")).unwrap(), api);
    assert!(
        subjects(&report, "GATE-SIG-001").contains(&format!("ghcr.io/acme/shop-api@{new}")),
        "{report:#}"
    );
    // Signed, it passes and is written.
    env.build("shop-api", "1.4.2", "moved on", true, Some(CLEAN))
        .await;
    let (out, report) = env.check(&["--update"]);
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    let text = std::fs::read_to_string(d.join("api.yaml")).unwrap();
    assert!(text.contains(&format!("shop-api:1.4.2@{new}")), "{text}");
    assert_eq!(report["pinned"][0]["digests"], serde_json::json!([new]));
}

/// `gate pin` reads the policy: its registry mirrors (and insecure registries) apply.
#[tokio::test]
async fn gate_pin_reads_the_policy() {
    let mut env = Env::new().await;
    let digest = env.image("shop-api", "1.4.2", true, CLEAN).await;
    let d = env.deploy(&["api.yaml"], &[]);
    let policy = env.path("policy.yaml");
    let reg = &env.upstream;
    std::fs::write(
        &policy,
        format!("registries:\n  mirrors:\n    ghcr.io/acme: {reg}/acme\n  insecure: ['{reg}']\n"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gate"))
        .current_dir(env.dir.path())
        .env("DOCKER_CONFIG", env.path("no-docker-config"))
        .args(["pin", "-f", "deploy", "--policy"])
        .arg(&policy)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(d.join("api.yaml")).unwrap();
    assert!(text.contains(&format!("shop-api:1.4.2@{digest}")), "{text}");
}

/// `gate lint` loads only what lint needs: a signing key the policy names but that is missing
/// on this machine does not stop it.
#[tokio::test]
async fn gate_lint_does_not_load_signing_keys() {
    let env = Env::new().await;
    env.deploy(&["namespace.yaml", "api.yaml"], &[]);
    let policy = env.path("policy.yaml");
    std::fs::write(
        &policy,
        "signatures:\n  required: true\n  keys: [/nonexistent/cosign.pub]\n",
    )
    .unwrap();
    let out = env
        .gate(&["lint", "-f", "deploy", "--policy"])
        .arg(&policy)
        .output()
        .unwrap();
    // 1: the unpinned image is a lint finding; 2 would be "could not check".
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("GATE-IMG-001"));
}
