//! Writes gate's fixture Trivy DB and image root filesystems for the demo and the scan
//! benchmark (the integration tests use the same code, `tests/support/trivy_db.rs`):
//!
//!   trivy_fixture db OUT [NEXT_UPDATE_HOURS]   OUT/trivy.db, OUT/metadata.json and the OCI
//!                                              artifact in OUT/artifact/ (config.json,
//!                                              db.tar.gz, manifest.json) to push as `REPO:2`
//!   trivy_fixture rootfs KIND DIR              the files of a test image, KIND one of
//!                                              alpine-vulnerable, alpine-fixed,
//!                                              alpine-legacy (HIGH + CRITICAL),
//!                                              debian-vulnerable, debian-fixed, npm-vulnerable

#![allow(clippy::unwrap_used)]

#[path = "../tests/support/trivy_db.rs"]
mod trivy_db;

use std::path::Path;
use trivy_db::{DbTimes, Fixture, Pkg, ALPINE_FIXED, ALPINE_VULNERABLE};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["db", out, rest @ ..] => {
            let hours = rest.first().map(|h| h.parse().unwrap()).unwrap_or(24 * 365);
            let out = Path::new(out);
            let fixture = Fixture::load(&trivy_db::fixture_path())?;
            trivy_db::write_db(&fixture, &DbTimes::from_now(hours), out)?;
            let art = trivy_db::db_artifact(out)?;
            let dir = out.join("artifact");
            std::fs::create_dir_all(&dir)?;
            std::fs::write(dir.join("config.json"), &art.blobs[0])?;
            std::fs::write(dir.join("db.tar.gz"), &art.blobs[1])?;
            std::fs::write(dir.join("manifest.json"), &art.manifest)
        }
        ["rootfs", kind, dir] => {
            let files = match *kind {
                "alpine-vulnerable" => trivy_db::alpine_files("3.22.1", "amd64", ALPINE_VULNERABLE),
                "alpine-fixed" => trivy_db::alpine_files("3.22.1", "amd64", ALPINE_FIXED),
                "alpine-legacy" => {
                    let mut pkgs = ALPINE_VULNERABLE.to_vec();
                    pkgs.push(Pkg {
                        name: "zlib",
                        version: "1.3.1-r2",
                    });
                    trivy_db::alpine_files("3.22.1", "amd64", &pkgs)
                }
                "debian-vulnerable" => trivy_db::debian_files(
                    "12",
                    &[Pkg {
                        name: "openssl",
                        version: "3.0.17-1~deb12u1",
                    }],
                ),
                "debian-fixed" => trivy_db::debian_files(
                    "12",
                    &[Pkg {
                        name: "openssl",
                        version: "3.0.17-1~deb12u2",
                    }],
                ),
                "npm-vulnerable" => trivy_db::npm_files(&[Pkg {
                    name: "lodash",
                    version: "4.17.20",
                }]),
                other => panic!("unknown rootfs kind {other}"),
            };
            for (name, bytes) in files {
                let p = Path::new(dir).join(name);
                std::fs::create_dir_all(p.parent().unwrap())?;
                std::fs::write(p, bytes)?;
            }
            Ok(())
        }
        _ => {
            eprintln!("usage: trivy_fixture db OUT [HOURS] | trivy_fixture rootfs KIND DIR");
            std::process::exit(2)
        }
    }
}
