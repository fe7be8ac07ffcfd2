//! Atomic file writes: a temporary file in the same directory, synced, then renamed over the
//! destination, so readers (and a crashed run) never see half a file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A unique temporary path next to `dest`.
pub fn temp_path(dest: &Path) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

/// Write `bytes` to `dest` atomically and durably (synced before the rename), creating its
/// directory. For files the user asked for (SBOMs).
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write(dest, bytes, true)
}

/// Atomic but not synced: for the cache, where a lost entry only costs a rescan and a sync
/// per entry would cost more than gate's whole per-image budget.
pub fn write_atomic_unsynced(dest: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write(dest, bytes, false)
}

fn write(dest: &Path, bytes: &[u8], durable: bool) -> std::io::Result<()> {
    place(dest, durable, |tmp| {
        std::fs::File::create(tmp)?.write_all(bytes)
    })
}

/// Copy the file `src` to `dest` atomically (synced before the rename when `durable`),
/// creating its directory; the bytes go file to file, never through memory whole.
pub fn copy_atomic(src: &Path, dest: &Path, durable: bool) -> std::io::Result<()> {
    place(dest, durable, |tmp| std::fs::copy(src, tmp).map(drop))
}

/// Fill a temporary file next to `dest` with `fill`, then rename it over `dest`.
fn place(
    dest: &Path,
    durable: bool,
    fill: impl FnOnce(&Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = temp_path(dest);
    let result = (|| {
        fill(&tmp)?;
        if durable {
            std::fs::File::open(&tmp)?.sync_all()?;
        }
        std::fs::rename(&tmp, dest)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_without_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("sub/a.json");
        write_atomic(&dest, b"one").unwrap();
        write_atomic(&dest, b"two").unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
        let copy = dir.path().join("other/b.json");
        copy_atomic(&dest, &copy, false).unwrap();
        assert_eq!(std::fs::read(&copy).unwrap(), b"two");
        assert!(copy_atomic(&dir.path().join("missing"), &copy, true).is_err());
        assert_eq!(
            std::fs::read(&copy).unwrap(),
            b"two",
            "a failed copy changed the file"
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("other")).unwrap().count(),
            1
        );
    }
}
