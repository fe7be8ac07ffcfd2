//! Test support for the real scanner: a small Trivy vulnerability DB built from gate's own
//! fixture file (`tests/data/trivy-db/advisories.json`), packaged as the OCI artifact Trivy pulls
//! with `--db-repository`, and image layers with real package databases.
//!
//! The DB is Trivy's schema 2 layout, written with `bbolt-rs` (its `compat` feature writes Go
//! bbolt's on-disk format): a `vulnerability` bucket (ID → details), a `data-source` bucket
//! (advisory bucket name → source) and one bucket per advisory source (`alpine 3.22`,
//! `debian 12`, `npm::GitHub Security Advisory npm`) → package → ID → advisory. `metadata.json`
//! sits beside `trivy.db`; both travel in one `db.tar.gz` layer. Shared by the integration tests
//! (`tests/it/real_trivy.rs`) and `examples/trivy_fixture.rs` (the demo and `scripts/bench-scan`).

#![allow(dead_code)]

use bbolt_rs::{Bolt, BucketRwApi, DbApi, DbRwAPI, TxRwRefApi};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const DB_LAYER_MEDIA_TYPE: &str = "application/vnd.aquasec.trivy.db.layer.v1.tar+gzip";
pub const DB_CONFIG_MEDIA_TYPE: &str = "application/vnd.aquasec.trivy.config.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The tag Trivy pulls: the DB schema version.
pub const DB_TAG: &str = "2";

/// The fixture file shipped with the tests.
pub fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/trivy-db/advisories.json")
}

/// `advisories.json`: values are stored as written (Trivy DB's own field names).
#[derive(Debug, Deserialize)]
pub struct Fixture {
    /// Advisory bucket name → data source.
    pub sources: BTreeMap<String, Value>,
    /// Vulnerability ID → details (`Title`, `Severity`, `VendorSeverity`, …).
    pub vulnerabilities: BTreeMap<String, Value>,
    pub advisories: Vec<FixtureAdvisory>,
}

#[derive(Debug, Deserialize)]
pub struct FixtureAdvisory {
    /// Advisory bucket (`alpine 3.22`).
    pub source: String,
    pub package: String,
    pub id: String,
    /// `FixedVersion`, `Status`, `PatchedVersions`, … as Trivy stores them.
    pub advisory: Value,
}

impl Fixture {
    pub fn load(path: &Path) -> std::io::Result<Fixture> {
        let bytes = std::fs::read(path)?;
        serde_json::from_slice(&bytes).map_err(std::io::Error::other)
    }
}

/// When the DB was built and when Trivy should look for a newer one (RFC 3339).
#[derive(Debug, Clone)]
pub struct DbTimes {
    pub updated_at: String,
    pub next_update: String,
}

impl DbTimes {
    /// Built now, next update in `hours` (negative: already due).
    pub fn from_now(hours: i64) -> DbTimes {
        let now = chrono::Utc::now();
        let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string();
        DbTimes {
            updated_at: fmt(now),
            next_update: fmt(now + chrono::Duration::hours(hours)),
        }
    }
}

/// Write `trivy.db` and `metadata.json` into `dir`.
pub fn write_db(fixture: &Fixture, times: &DbTimes, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let db_path = dir.join("trivy.db");
    if db_path.exists() {
        std::fs::remove_file(&db_path)?;
    }
    let mut puts: Vec<(Vec<String>, String, Vec<u8>)> = Vec::new();
    for (id, v) in &fixture.vulnerabilities {
        puts.push((
            vec!["vulnerability".into()],
            id.clone(),
            v.to_string().into_bytes(),
        ));
    }
    for (bucket, v) in &fixture.sources {
        puts.push((
            vec!["data-source".into()],
            bucket.clone(),
            v.to_string().into_bytes(),
        ));
    }
    for a in &fixture.advisories {
        puts.push((
            vec![a.source.clone(), a.package.clone()],
            a.id.clone(),
            a.advisory.to_string().into_bytes(),
        ));
    }
    let mut db = Bolt::open(&db_path).map_err(std::io::Error::other)?;
    db.update(|mut tx| {
        for (path, key, value) in &puts {
            let mut bucket = tx.create_bucket_path(path)?;
            bucket.put(key, value)?;
        }
        Ok(())
    })
    .map_err(std::io::Error::other)?;
    db.close();
    let metadata = json!({
        "Version": 2,
        "NextUpdate": times.next_update,
        "UpdatedAt": times.updated_at,
        "DownloadedAt": "0001-01-01T00:00:00Z",
    });
    std::fs::write(dir.join("metadata.json"), metadata.to_string())
}

/// The OCI artifact Trivy pulls: blobs (config, layer) and manifest bytes.
pub struct DbArtifact {
    pub blobs: Vec<Vec<u8>>,
    pub manifest: Vec<u8>,
}

/// Package `dir/trivy.db` and `dir/metadata.json` as Trivy's DB artifact (one `db.tar.gz`
/// layer, titled so Trivy knows the file name).
pub fn db_artifact(dir: &Path) -> std::io::Result<DbArtifact> {
    let files = [
        ("metadata.json", std::fs::read(dir.join("metadata.json"))?),
        ("trivy.db", std::fs::read(dir.join("trivy.db"))?),
    ];
    let entries: Vec<(&str, &[u8], u32)> = files
        .iter()
        .map(|(n, b)| (*n, b.as_slice(), 0o644))
        .collect();
    let layer = gzip(&tar(&entries))?;
    let config = b"{}".to_vec();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": DB_CONFIG_MEDIA_TYPE,
        "config": {"mediaType": DB_CONFIG_MEDIA_TYPE, "digest": sha256(&config), "size": config.len()},
        "layers": [{
            "mediaType": DB_LAYER_MEDIA_TYPE, "digest": sha256(&layer), "size": layer.len(),
            "annotations": {"org.opencontainers.image.title": "db.tar.gz"}
        }]
    }))
    .map_err(std::io::Error::other)?;
    Ok(DbArtifact {
        blobs: vec![config, layer],
        manifest,
    })
}

pub fn sha256(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

/// A ustar archive of regular files (parent directories are implied).
pub fn tar(files: &[(&str, &[u8], u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data, mode) in files {
        let mut h = [0u8; 512];
        let name = name.trim_start_matches('/');
        let (prefix, base) = match name.len() {
            0..=100 => ("", name),
            _ => name.rsplit_once('/').unwrap_or(("", name)),
        };
        h[..base.len()].copy_from_slice(base.as_bytes());
        let octal = |h: &mut [u8; 512], at: usize, width: usize, v: u64| {
            let s = format!("{v:0w$o}\0", w = width - 1);
            h[at..at + width].copy_from_slice(s.as_bytes());
        };
        octal(&mut h, 100, 8, u64::from(*mode));
        octal(&mut h, 108, 8, 0);
        octal(&mut h, 116, 8, 0);
        octal(&mut h, 124, 12, data.len() as u64);
        octal(&mut h, 136, 12, 0);
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        let s = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(s.as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// `gzip -n` (reproducible: no name, no time).
pub fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut child = Command::new("gzip")
        .args(["-n", "-c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| std::io::Error::other("no stdin"))?;
    let data = data.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output()?;
    writer
        .join()
        .map_err(|_| std::io::Error::other("gzip writer panicked"))??;
    if !out.status.success() {
        return Err(std::io::Error::other(format!("gzip: {}", out.status)));
    }
    Ok(out.stdout)
}

/// One installed OS package.
#[derive(Debug, Clone, Copy)]
pub struct Pkg<'a> {
    pub name: &'a str,
    pub version: &'a str,
}

/// Alpine packages: vulnerable to CVE-2099-1001 (`musl`, HIGH) and CVE-2099-1002 (`busybox`,
/// LOW), and the same packages at their fixed versions.
pub const ALPINE_VULNERABLE: &[Pkg<'static>] = &[
    Pkg {
        name: "musl",
        version: "1.2.5-r10",
    },
    Pkg {
        name: "busybox",
        version: "1.37.0-r19",
    },
];
pub const ALPINE_FIXED: &[Pkg<'static>] = &[
    Pkg {
        name: "musl",
        version: "1.2.5-r11",
    },
    Pkg {
        name: "busybox",
        version: "1.37.0-r20",
    },
];

/// The files of an Alpine image (`/etc/alpine-release`, `/lib/apk/db/installed`).
pub fn alpine_files(release: &str, arch: &str, pkgs: &[Pkg<'_>]) -> Vec<(String, Vec<u8>)> {
    let apk_arch = match arch {
        "arm64" => "aarch64",
        _ => "x86_64",
    };
    let mut installed = String::new();
    for p in pkgs {
        installed.push_str(&format!(
            "P:{}\nV:{}\nA:{apk_arch}\nT:{} (gate fixture)\nL:MIT\no:{}\n\n",
            p.name, p.version, p.name, p.name
        ));
    }
    vec![
        (
            "etc/alpine-release".into(),
            format!("{release}\n").into_bytes(),
        ),
        (
            "etc/os-release".into(),
            format!("NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID={release}\n").into_bytes(),
        ),
        ("lib/apk/db/installed".into(), installed.into_bytes()),
    ]
}

/// The files of a Debian image (`/etc/os-release`, `/var/lib/dpkg/status`).
pub fn debian_files(version: &str, pkgs: &[Pkg<'_>]) -> Vec<(String, Vec<u8>)> {
    let mut status = String::new();
    for p in pkgs {
        status.push_str(&format!(
            "Package: {}\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\n\
             Version: {}\nDescription: {} (gate fixture)\n\n",
            p.name, p.version, p.name
        ));
    }
    vec![
        (
            "etc/os-release".into(),
            format!(
                "PRETTY_NAME=\"Debian GNU/Linux {version}\"\nNAME=\"Debian GNU/Linux\"\n\
                 VERSION_ID=\"{version}\"\nID=debian\n"
            )
            .into_bytes(),
        ),
        (
            "etc/debian_version".into(),
            format!("{version}.0\n").into_bytes(),
        ),
        ("var/lib/dpkg/status".into(), status.into_bytes()),
    ]
}

/// An npm package installed under `/app/node_modules`.
pub fn npm_files(pkgs: &[Pkg<'_>]) -> Vec<(String, Vec<u8>)> {
    pkgs.iter()
        .map(|p| {
            (
                format!("app/node_modules/{}/package.json", p.name),
                json!({"name": p.name, "version": p.version, "license": "MIT"})
                    .to_string()
                    .into_bytes(),
            )
        })
        .collect()
}

/// Config + one uncompressed tar layer + manifest bytes of an image holding `files`.
pub fn image(files: &[(String, Vec<u8>)], os: &str, arch: &str) -> (Vec<Vec<u8>>, Vec<u8>) {
    let entries: Vec<(&str, &[u8], u32)> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice(), 0o644))
        .collect();
    let layer = tar(&entries);
    let mut config = Map::new();
    config.insert("architecture".into(), arch.into());
    config.insert("os".into(), os.into());
    config.insert(
        "rootfs".into(),
        json!({"type": "layers", "diff_ids": [sha256(&layer)]}),
    );
    let config = Value::Object(config).to_string().into_bytes();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha256(&layer), "size": layer.len()}]
    }))
    .unwrap_or_default();
    (vec![config, layer], manifest)
}
