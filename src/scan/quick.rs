//! `trivy version` without starting Trivy, so a warm run (every digest cached) runs no Trivy
//! process at all: Trivy's version is remembered per binary (canonical path, size, mtime) in
//! gate's cache, and the DB's times are read from `<Trivy cache>/db/metadata.json`, the file
//! `trivy version` itself reports from, when Trivy's cache directory is configured
//! (`--trivy-cache-dir`; Trivy's default depends on an environment gate does not control).
//! Whenever either is unknown, gate asks Trivy.

use super::report::VersionInfo;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Metadata {
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    next_update: Option<String>,
}

/// Where the remembered version of `program` lives under gate's cache directory `dir`.
pub fn memo_path(dir: &Path, program: &Path) -> Option<PathBuf> {
    let real = std::fs::canonicalize(program).ok()?;
    let meta = std::fs::metadata(&real).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    let mut h = Sha256::new();
    h.update(real.as_os_str().as_encoded_bytes());
    h.update(meta.len().to_le_bytes());
    h.update(mtime.as_nanos().to_le_bytes());
    Some(dir.join(format!(
        "trivy-version-{}",
        hex::encode(&h.finalize()[..16])
    )))
}

/// The version and DB times, if both are known without running Trivy.
pub fn version(memo: &Path, trivy_cache_dir: Option<&Path>) -> Option<VersionInfo> {
    let version = std::fs::read_to_string(memo).ok()?.trim().to_owned();
    let db = trivy_cache_dir?.join("db/metadata.json");
    let meta: Metadata = serde_json::from_slice(&std::fs::read(db).ok()?).ok()?;
    let updated = meta.updated_at.filter(|s| !s.is_empty())?;
    (!version.is_empty()).then(|| VersionInfo {
        version,
        db_updated_at: Some(updated),
        db_next_update: meta.next_update.filter(|s| !s.is_empty()),
    })
}

/// Remember `version` for the binary (best effort: a failure costs a `trivy version` later).
pub fn remember(memo: &Path, version: &str) {
    if let Some(dir) = memo.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = crate::fsutil::write_atomic_in(memo, version.as_bytes(), true);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_only_with_a_remembered_version_and_a_db() {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("trivy");
        std::fs::write(&program, "#!/bin/sh\n").unwrap();
        let memo = memo_path(&dir.path().join("gate"), &program).unwrap();
        let trivy_cache = dir.path().join("tc");
        assert!(version(&memo, Some(&trivy_cache)).is_none());
        remember(&memo, "0.76.0");
        assert!(version(&memo, Some(&trivy_cache)).is_none(), "no DB yet");
        std::fs::create_dir_all(trivy_cache.join("db")).unwrap();
        std::fs::write(
            trivy_cache.join("db/metadata.json"),
            r#"{"Version":2,"NextUpdate":"2030-01-01T00:00:00Z","UpdatedAt":"2026-11-29T04:07:13.1Z"}"#,
        )
        .unwrap();
        let v = version(&memo, Some(&trivy_cache)).unwrap();
        assert_eq!(v.version, "0.76.0");
        assert_eq!(v.db_updated_at.as_deref(), Some("2026-11-29T04:07:13.1Z"));
        // Another binary (here: other contents, so another size) is asked again.
        std::fs::write(&program, "#!/bin/sh\nexit 0\n").unwrap();
        assert_ne!(memo_path(&dir.path().join("gate"), &program).unwrap(), memo);
    }
}
