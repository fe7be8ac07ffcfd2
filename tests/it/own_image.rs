//! gate's own container image, dogfooded: `scripts/build-image` writes an OCI image layout from
//! the gate binary under test (no Docker daemon), the layout is pushed to the loopback registry,
//! signed with `gate sign`, and `gate check` checks it like any other image: resolve, scan with
//! the real Trivy (the fixture DB of `real_trivy.rs`), verify the signature.
//!
//! The image carries the gate binary under test (a dynamic glibc build: the layer then holds
//! its loader and libraries too) or `$GATE_IMAGE_BINARY`, e.g. the static musl build the
//! release ships. Without a real `trivy` this prints a skip notice; with `CI=true` it fails.

use crate::harness::{sha256, OCI_MANIFEST};
use crate::real_trivy::{is_scan, Real};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const VERSION: &str = "v9.8.7";
const REVISION: &str = "0123456789abcdef0123456789abcdef01234567";
const SOURCE: &str = "https://github.com/gate-dev/gate";
const CREATED: &str = "2026-01-02T03:04:05Z";

/// The gate binary the image carries: the one under test, or `$GATE_IMAGE_BINARY` (e.g. a
/// static musl build: `cargo build --target x86_64-unknown-linux-musl`).
fn binary() -> PathBuf {
    std::env::var_os("GATE_IMAGE_BINARY")
        .map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_gate")), PathBuf::from)
}

fn build_image(out: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/build-image");
    let o = Command::new(script)
        .arg("--binary")
        .arg(binary())
        .arg("--strip")
        .args(["--version", VERSION, "--revision", REVISION])
        .args(["--source", SOURCE, "--created", CREATED])
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A blob of the layout, checked against its digest.
fn blob(layout: &Path, digest: &str) -> Vec<u8> {
    let hex = digest.strip_prefix("sha256:").unwrap();
    let bytes = std::fs::read(layout.join("blobs/sha256").join(hex)).unwrap();
    assert_eq!(
        sha256(&bytes),
        digest,
        "the layout's blob bytes match its name"
    );
    bytes
}

/// The one manifest descriptor of `index.json`.
fn descriptor(layout: &Path) -> serde_json::Value {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let manifests = index["manifests"].as_array().unwrap();
    assert_eq!(manifests.len(), 1, "{index:#}");
    manifests[0].clone()
}

/// Run the image's `gate version` from the unpacked layer, through the loader and libraries the
/// layer carries when the binary is dynamic (so nothing of the host's is needed).
fn run_from_rootfs(rootfs: &Path) -> Output {
    let gate = rootfs.join("usr/local/bin/gate");
    let mut sos: Vec<PathBuf> = Vec::new();
    let mut stack = vec![rootfs.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap().to_string_lossy().contains(".so") {
                sos.push(p);
            }
        }
    }
    let loader = sos.iter().find(|p| {
        let name = p.file_name().unwrap().to_string_lossy();
        name.starts_with("ld-linux") || name.starts_with("ld-musl")
    });
    let mut cmd = match loader {
        Some(loader) => {
            let mut dirs: Vec<String> = sos
                .iter()
                .map(|p| p.parent().unwrap().display().to_string())
                .collect();
            dirs.sort();
            dirs.dedup();
            let mut c = Command::new(loader);
            c.arg("--library-path").arg(dirs.join(":")).arg(&gate);
            c
        }
        None => Command::new(&gate),
    };
    cmd.env_clear().arg("version").output().unwrap()
}

#[tokio::test]
async fn gate_checks_its_own_image_built_without_docker() {
    let Some(env) = Real::or_skip("gate_checks_its_own_image").await else {
        return;
    };

    // Build the layout; a second build of the same inputs is byte-identical.
    let layout = env.path("layout");
    build_image(&layout);
    let again = env.path("layout-again");
    build_image(&again);
    let desc = descriptor(&layout);
    assert_eq!(desc, descriptor(&again), "the build is reproducible");
    assert_eq!(desc["mediaType"], OCI_MANIFEST);
    assert_eq!(desc["platform"]["os"], "linux");
    assert_eq!(
        desc["annotations"]["org.opencontainers.image.ref.name"],
        VERSION
    );

    let digest = desc["digest"].as_str().unwrap().to_owned();
    let manifest_bytes = blob(&layout, &digest);
    let manifest: serde_json::Value = serde_json::from_slice(&manifest_bytes).unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1, "{manifest:#}");
    let config_bytes = blob(&layout, manifest["config"]["digest"].as_str().unwrap());
    let layer = blob(&layout, layers[0]["digest"].as_str().unwrap());
    let config: serde_json::Value = serde_json::from_slice(&config_bytes).unwrap();
    assert_eq!(
        config["config"]["Entrypoint"],
        serde_json::json!(["/usr/local/bin/gate"])
    );
    let labels = &config["config"]["Labels"];
    for (key, want) in [
        ("org.opencontainers.image.source", SOURCE),
        ("org.opencontainers.image.revision", REVISION),
        ("org.opencontainers.image.version", VERSION),
        ("org.opencontainers.image.created", CREATED),
    ] {
        assert_eq!(labels[key], want, "{key} in {config:#}");
        assert_eq!(manifest["annotations"][key], want, "{key} in {manifest:#}");
    }

    // The layer alone runs gate: unpack it and run `gate version` from it.
    let rootfs = env.path("rootfs");
    std::fs::create_dir_all(&rootfs).unwrap();
    std::fs::write(env.path("layer.tar.gz"), &layer).unwrap();
    let o = Command::new("tar")
        .arg("-xzf")
        .arg(env.path("layer.tar.gz"))
        .arg("-C")
        .arg(&rootfs)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(rootfs.join("etc/ssl/certs/ca-certificates.crt").is_file());
    let o = run_from_rootfs(&rootfs);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("gate "),
        "{}",
        text(&o)
    );

    // Push the layout as it is: the registry gets the layout's own manifest bytes.
    let pushed = env
        .reg
        .push_raw(
            "gate-dev/gate",
            VERSION,
            &[config_bytes, layer],
            &manifest_bytes,
            OCI_MANIFEST,
        )
        .await;
    assert_eq!(pushed, digest);
    let image = env.image_ref("gate-dev/gate", VERSION);

    // Sign it with gate, then gate checks its own image.
    let gate = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_gate"));
        c.current_dir(env.path(""))
            .env("DOCKER_CONFIG", env.path("docker"))
            .env_remove("REGISTRY_AUTH_FILE")
            .env("XDG_CACHE_HOME", env.path("cache"))
            .env("COSIGN_PASSWORD", "dogfood")
            .args(["--insecure-registry", &env.reg.addr])
            .args(args);
        c.output().unwrap()
    };
    let key = env.path("cosign");
    let o = gate(&[
        "generate-key-pair",
        "--output-key-prefix",
        key.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = gate(&[
        "sign",
        "--key",
        env.path("cosign.key").to_str().unwrap(),
        &image,
    ]);
    assert!(o.status.success(), "{}", text(&o));

    let public = env.path("cosign.pub");
    let o = env
        .gate(&[
            "--key",
            public.to_str().unwrap(),
            "--format",
            "json",
            &image,
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["verdict"], "passed", "{report:#}");
    let images = report["images"].as_array().unwrap();
    assert_eq!(images.len(), 1, "{report:#}");
    assert_eq!(images[0]["digest"], digest.as_str(), "{report:#}");
    assert!(images[0]["scan"].is_object(), "scanned: {report:#}");
    assert_eq!(
        images[0]["signatures"].as_array().unwrap().len(),
        1,
        "{report:#}"
    );
    let scans: Vec<String> = env.argv().into_iter().filter(|a| is_scan(a)).collect();
    assert_eq!(scans.len(), 1, "the real Trivy scanned it once");
    assert!(
        scans[0].contains(&format!("gate-dev/gate@{digest}")),
        "{scans:?}"
    );

    // The same image under a name nobody signed fails the same check.
    env.reg
        .push_raw(
            "gate-dev/unsigned",
            VERSION,
            &[
                blob(&layout, manifest["config"]["digest"].as_str().unwrap()),
                blob(&layout, layers[0]["digest"].as_str().unwrap()),
            ],
            &manifest_bytes,
            OCI_MANIFEST,
        )
        .await;
    let o = env
        .gate(&[
            "--key",
            public.to_str().unwrap(),
            "--format",
            "json",
            &env.image_ref("gate-dev/unsigned", VERSION),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}
