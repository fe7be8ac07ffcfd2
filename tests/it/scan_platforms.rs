//! Every child of an index a node may run is scanned, with the real Trivy and a real registry:
//! containerd's fallbacks (an amd64 node runs `linux/386`, an arm64 node `linux/arm/v7`, an
//! x86-64-v3 node prefers `amd64/v3`), a scope only the trusted policy narrows (never a
//! Dockerfile's `FROM --platform=`, Compose's `platform:` or a node selector), attestation
//! manifests left out, and a child that cannot be fetched failing closed.

use crate::harness::{OCI_INDEX, OCI_MANIFEST};
use crate::real_trivy::{is_scan, Real};
use crate::trivy_db::{self, Pkg, ALPINE_FIXED, ALPINE_VULNERABLE};
use serde_json::{json, Value};

/// One child to put in an index: platform `os/arch[/variant]` (or `None`), vulnerable or not,
/// left in the registry or deleted once the index is pushed, with annotations.
struct Kid {
    platform: Option<&'static str>,
    vulnerable: bool,
    kept: bool,
    annotations: Option<Value>,
}

fn kid(platform: &'static str, vulnerable: bool) -> Kid {
    Kid {
        platform: Some(platform),
        vulnerable,
        kept: true,
        annotations: None,
    }
}

/// Push each child (an Alpine image, musl vulnerable or fixed) and an index of them as
/// `acme/multi:<tag>`, then delete the children not `kept` (the registry refuses an index whose
/// children it does not have); the index digest and the children's digests, in order.
async fn push_index(env: &Real, tag: &str, kids: &[Kid]) -> (String, Vec<String>) {
    let mut entries = Vec::new();
    let mut digests = Vec::new();
    for (i, k) in kids.iter().enumerate() {
        let mut parts = k.platform.unwrap_or("linux/amd64").split('/');
        let (os, arch, variant) = (parts.next().unwrap(), parts.next().unwrap(), parts.next());
        let mut pkgs: Vec<Pkg<'_>> = if k.vulnerable {
            ALPINE_VULNERABLE.to_vec()
        } else {
            ALPINE_FIXED.to_vec()
        };
        // Distinct content per child, so no two children share a digest.
        let marker = format!("0.{i}-r0");
        pkgs.push(Pkg {
            name: "gate-marker",
            version: &marker,
        });
        let files = trivy_db::alpine_files("3.22.1", arch, &pkgs);
        let (blobs, manifest) = trivy_db::image(&files, os, arch);
        let digest = env
            .reg
            .push_raw(
                "acme/multi",
                &format!("{tag}-{i}"),
                &blobs,
                &manifest,
                OCI_MANIFEST,
            )
            .await;
        let mut entry =
            json!({"mediaType": OCI_MANIFEST, "digest": digest, "size": manifest.len()});
        if k.platform.is_some() {
            let mut p = json!({"os": os, "architecture": arch});
            if let Some(v) = variant {
                p["variant"] = v.into();
            }
            entry["platform"] = p;
        }
        if let Some(a) = &k.annotations {
            entry["annotations"] = a.clone();
        }
        entries.push(entry);
        digests.push(digest);
    }
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries
    }))
    .unwrap();
    let d = env
        .reg
        .push_raw("acme/multi", tag, &[], &index, OCI_INDEX)
        .await;
    for (k, digest) in kids.iter().zip(&digests) {
        if !k.kept {
            let url = format!("http://{}/v2/acme/multi/manifests/{digest}", env.reg.addr);
            let ok = std::process::Command::new("curl")
                .args(["-sSf", "-X", "DELETE", &url])
                .status()
                .unwrap()
                .success();
            assert!(ok, "DELETE {url}");
        }
    }
    (d, digests)
}

/// Exit code, stdout + stderr, and the JSON evidence.
fn check(env: &Real, args: &[&str]) -> (i32, String, Value) {
    let report = env.path("report.json");
    let _ = std::fs::remove_file(&report);
    let mut c = env.gate(args);
    c.arg("--report").arg(format!("json={}", report.display()));
    let out = c.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let json = std::fs::read(&report)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), text, json)
}

fn policy(env: &Real, platforms: &str) -> String {
    let path = env.path(&format!("policy-{}.yaml", platforms.replace('/', "-")));
    std::fs::write(
        &path,
        format!("signatures:\n  required: false\nscanner:\n  platforms: [{platforms}]\n"),
    )
    .unwrap();
    path.display().to_string()
}

/// The line naming the musl CVE, which must name `platform`.
fn assert_cve_on(text: &str, platform: &str) {
    let line = text
        .lines()
        .find(|l| l.contains("CVE-2099-1001"))
        .unwrap_or_else(|| panic!("no CVE-2099-1001 finding:\n{text}"));
    assert!(line.contains(&format!("on {platform}")), "{line}");
}

/// The evidence's record of the image's children: `(digest, scanned, reason)`.
fn children(json: &Value) -> Vec<(String, bool, String)> {
    json["images"][0]["scan"]["children"]
        .as_array()
        .unwrap_or_else(|| panic!("no children recorded: {json}"))
        .iter()
        .map(|c| {
            (
                c["digest"].as_str().unwrap().to_string(),
                c["scanned"].as_bool().unwrap(),
                c["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn platforms_a_vulnerable_386_child_fails_by_default_and_under_an_amd64_scope() {
    let Some(env) = Real::or_skip("platforms_386").await else {
        return;
    };
    let kids = [
        kid("linux/amd64", false),
        kid("linux/arm64", false),
        kid("linux/386", true),
    ];
    let (_, digests) = push_index(&env, "1", &kids).await;
    let image = env.image_ref("acme/multi", "1");

    let (code, text, json) = check(&env, &[&image]);
    assert_eq!(code, 1, "{text}");
    assert_cve_on(&text, "linux/386");
    let kids = children(&json);
    assert_eq!(kids.len(), 3, "{kids:?}");
    assert!(kids.iter().all(|(_, scanned, _)| *scanned), "{kids:?}");
    assert_eq!(kids[2].0, digests[2]);

    // An amd64 node falls back to the 386 child: a linux/amd64 scope scans it.
    let amd64 = policy(&env, "linux/amd64");
    let (code, text, json) = check(&env, &["--policy", &amd64, &image]);
    assert_eq!(code, 1, "{text}");
    assert_cve_on(&text, "linux/386");
    let kids = children(&json);
    assert_eq!(
        kids[2],
        (
            digests[2].clone(),
            true,
            "`linux/amd64` nodes fall back to it".into()
        )
    );
    assert!(!kids[1].1, "{kids:?}");
    // Scanned by the child's own digest, never by asking Trivy to pick a platform.
    let argv = env.argv();
    assert!(
        argv.iter()
            .filter(|a| is_scan(a))
            .all(|a| !a.contains("--platform")),
        "{argv:?}"
    );
    assert!(
        argv.iter().any(|a| is_scan(a) && a.ends_with(&digests[2])),
        "{argv:?}"
    );

    // A trusted scope no node of which runs the 386 child does not scan it.
    let arm64 = policy(&env, "linux/arm64");
    let (code, text, _) = check(&env, &["--policy", &arm64, &image]);
    assert_eq!(code, 0, "{text}");
}

#[tokio::test]
async fn platforms_an_arm64_scope_scans_the_arm_v7_child_arm64_nodes_run() {
    let Some(env) = Real::or_skip("platforms_arm_v7").await else {
        return;
    };
    // With and without an arm64 child of its own: an arm64 node accepts arm/v7 either way.
    for (tag, kids) in [
        (
            "2",
            vec![kid("linux/amd64", false), kid("linux/arm/v7", true)],
        ),
        (
            "3",
            vec![
                kid("linux/amd64", false),
                kid("linux/arm64", false),
                kid("linux/arm/v7", true),
            ],
        ),
    ] {
        push_index(&env, tag, &kids).await;
        let image = env.image_ref("acme/multi", tag);
        let arm64 = policy(&env, "linux/arm64");
        let (code, text, json) = check(&env, &["--policy", &arm64, &image]);
        assert_eq!(code, 1, "{tag}: {text}");
        assert_cve_on(&text, "linux/arm/v7");
        let last = children(&json).pop().unwrap();
        assert_eq!(last.2, "`linux/arm64` nodes fall back to it", "{tag}");
    }
}

#[tokio::test]
async fn platforms_an_amd64_v3_child_is_scanned_beside_plain_amd64() {
    let Some(env) = Real::or_skip("platforms_amd64_v3").await else {
        return;
    };
    let kids = [
        kid("linux/amd64", false),
        kid("linux/amd64/v3", true),
        kid("linux/arm64", false),
    ];
    push_index(&env, "4", &kids).await;
    let image = env.image_ref("acme/multi", "4");
    let (code, text, _) = check(&env, &[&image]);
    assert_eq!(code, 1, "{text}");
    assert_cve_on(&text, "linux/amd64/v3");
    let amd64 = policy(&env, "linux/amd64");
    let (code, text, json) = check(&env, &["--policy", &amd64, &image]);
    assert_eq!(code, 1, "{text}");
    assert_cve_on(&text, "linux/amd64/v3");
    assert_eq!(children(&json)[1].2, "`linux/amd64/v3` nodes run it");
}

#[tokio::test]
async fn platforms_an_attestation_manifest_is_not_scanned() {
    let Some(env) = Real::or_skip("platforms_attestation").await else {
        return;
    };
    // BuildKit's attestation manifest: `unknown/unknown`, and vulnerable, and gone from the
    // registry, so a scan of it would fail (or find the CVE).
    let attestation = Kid {
        platform: Some("unknown/unknown"),
        vulnerable: true,
        kept: false,
        annotations: Some(json!({
            "vnd.docker.reference.type": "attestation-manifest",
            "vnd.docker.reference.digest": format!("sha256:{}", "cd".repeat(32))
        })),
    };
    let (_, digests) = push_index(&env, "5", &[kid("linux/amd64", false), attestation]).await;
    let (code, text, json) = check(&env, &[&env.image_ref("acme/multi", "5")]);
    assert_eq!(code, 0, "{text}");
    let kids = children(&json);
    assert_eq!(kids[0], (digests[0].clone(), true, kids[0].2.clone()));
    assert!(!kids[1].1, "{kids:?}");
    assert!(kids[1].2.contains("attestation"), "{kids:?}");
    assert_eq!(json["images"][0]["platforms"], json!(["linux/amd64"]));
}

#[tokio::test]
async fn platforms_a_child_that_cannot_be_fetched_fails_closed() {
    let Some(env) = Real::or_skip("platforms_missing_child").await else {
        return;
    };
    let kids = [
        kid("linux/amd64", false),
        Kid {
            platform: Some("linux/386"),
            vulnerable: false,
            kept: false,
            annotations: None,
        },
    ];
    let (_, digests) = push_index(&env, "6", &kids).await;
    let image = env.image_ref("acme/multi", "6");
    for args in [
        vec![image.as_str()],
        vec!["--policy", "amd64.yaml", image.as_str()],
    ] {
        std::fs::write(
            env.path("amd64.yaml"),
            "signatures:\n  required: false\nscanner:\n  platforms: [linux/amd64]\n",
        )
        .unwrap();
        let (code, text, _) = check(&env, &args);
        assert_eq!(code, 2, "{text}");
        let line = text
            .lines()
            .find(|l| l.contains(&digests[1]))
            .unwrap_or_else(|| panic!("no line names the child:\n{text}"));
        assert!(line.contains("linux/386"), "{line}");
    }
}

#[tokio::test]
async fn platforms_the_tree_cannot_narrow_the_scope() {
    let Some(env) = Real::or_skip("platforms_tree").await else {
        return;
    };
    let kids = [
        kid("linux/amd64", false),
        kid("linux/arm64", false),
        kid("linux/386", true),
    ];
    let (index, _) = push_index(&env, "7", &kids).await;
    let pinned = format!("{}@{index}", env.image_ref("acme/multi", "7"));
    let deploy = env.path("deploy");
    std::fs::create_dir_all(&deploy).unwrap();
    std::fs::write(
        deploy.join("Dockerfile"),
        format!("FROM --platform=linux/arm64 {pinned}\nRUN true\n"),
    )
    .unwrap();
    std::fs::write(
        deploy.join("compose.yaml"),
        format!("services:\n  app:\n    image: {pinned}\n    platform: linux/arm64\n"),
    )
    .unwrap();
    std::fs::write(
        deploy.join("pod.yaml"),
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  nodeSelector:\n    \
             kubernetes.io/arch: arm64\n  affinity:\n    nodeAffinity:\n      \
             requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        \
             - matchExpressions:\n          - key: kubernetes.io/arch\n            operator: In\n            \
             values: [arm64]\n  containers:\n  - name: app\n    image: {pinned}\n"
        ),
    )
    .unwrap();
    for file in [
        "deploy/Dockerfile",
        "deploy/compose.yaml",
        "deploy/pod.yaml",
    ] {
        let (code, text, _) = check(&env, &["-f", file]);
        assert_eq!(code, 1, "{file}: {text}");
        assert_cve_on(&text, "linux/386");
    }
}
