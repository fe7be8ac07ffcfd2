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
    std::fs::write(out.join("sigstore_trusted_root.json"), bytes).expect("OUT_DIR is writable");
    // The bootstrap `root.json` of Sigstore's public-good TUF repository, shipped beside it.
    let tuf_root = root.with_file_name("root.json");
    println!("cargo:rerun-if-changed={}", tuf_root.display());
    let bytes = std::fs::read(&tuf_root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", tuf_root.display()));
    std::fs::write(out.join("sigstore_tuf_root.json"), bytes).expect("OUT_DIR is writable");
}
