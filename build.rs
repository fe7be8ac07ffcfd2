//! Build script: take Sigstore's public-good `trusted_root.json` from the `sigstore` crate, which
//! embeds it (`trust_root/prod/trusted_root.json` in its package), and the bootstrap TUF
//! `root.json` beside it, so gate ships the roots of the sigstore version it is built with and the
//! project never carries a copy of its own.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=Cargo.lock");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"))
        .join("Cargo.toml");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target = std::env::var("TARGET").expect("cargo sets TARGET");
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--filter-platform",
            &target,
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let meta: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let sigstore = meta["packages"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "sigstore"))
        .and_then(|p| p["manifest_path"].as_str())
        .map(PathBuf::from)
        .expect("the sigstore package is a dependency");
    let root = sigstore
        .parent()
        .expect("a manifest has a directory")
        .join("trust_root/prod/trusted_root.json");
    println!("cargo:rerun-if-changed={}", root.display());
    let bytes =
        std::fs::read(&root).unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()));
    // `gate version`: the newest validity start in the embedded root (when it was last rotated).
    let newest = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .map(|root| {
            let mut starts = Vec::new();
            collect_starts(&root, &mut starts);
            starts.into_iter().max().unwrap_or_default()
        })
        .unwrap_or_default();
    std::fs::write(out.join("sigstore_trusted_root.json"), bytes).expect("OUT_DIR is writable");
    // The bootstrap `root.json` of Sigstore's public-good TUF repository, shipped beside it.
    let tuf_root = root.with_file_name("root.json");
    println!("cargo:rerun-if-changed={}", tuf_root.display());
    let bytes = std::fs::read(&tuf_root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", tuf_root.display()));
    std::fs::write(out.join("sigstore_tuf_root.json"), bytes).expect("OUT_DIR is writable");
    let date = newest.get(..10).unwrap_or("unknown").to_string();
    println!("cargo:rustc-env=GATE_TRUSTED_ROOT_DATE={date}");
    version_info(&target);
}

/// Every `validFor.start` in a trusted root.
fn collect_starts(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if let Some(s) = m.get("validFor").and_then(|f| f["start"].as_str()) {
                out.push(s.to_string());
            }
            m.values().for_each(|x| collect_starts(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_starts(x, out)),
        _ => {}
    }
}

/// Build facts for `gate version`: commit and date (`GATE_BUILD_COMMIT`/`GATE_BUILD_DATE`, set
/// by the release build; else git's HEAD and its commit date, read when the build script runs),
/// the target triple, and the Trivy version `scripts/install-trivy` pins.
fn version_info(target: &str) {
    println!("cargo:rerun-if-env-changed=GATE_BUILD_COMMIT");
    println!("cargo:rerun-if-env-changed=GATE_BUILD_DATE");
    println!("cargo:rerun-if-changed=scripts/install-trivy");
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let commit = std::env::var("GATE_BUILD_COMMIT")
        .ok()
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".into());
    let date = std::env::var("GATE_BUILD_DATE")
        .ok()
        .or_else(|| git(&["log", "-1", "--format=%cs"]))
        .unwrap_or_else(|| "unknown".into());
    let trivy = std::fs::read_to_string("scripts/install-trivy")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("TRIVY_VERSION=").map(str::to_string))
        })
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=GATE_BUILD_COMMIT={commit}");
    println!("cargo:rustc-env=GATE_BUILD_DATE={date}");
    println!("cargo:rustc-env=GATE_BUILD_TARGET={target}");
    println!("cargo:rustc-env=GATE_TRIVY_VERSION={trivy}");
}
