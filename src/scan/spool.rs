//! Raw Trivy reports on disk. A scan's report streams from Trivy's standard output into a file
//! in the run's private directory ([`super::isolate::Sandbox`]), cut off at
//! [`MAX_REPORT_BYTES`](super::report::MAX_REPORT_BYTES), and is parsed from there: a report
//! never sits in memory whole, however many images a run scans. The file is removed when
//! dropped, unless it was moved into the scan cache, which happens only after the scans, once
//! the vulnerability-DB version that keys the cache is known.

use super::report::{Report, ReportError};
use crate::fsutil::copy_atomic;
use std::path::{Path, PathBuf};

/// One raw report on disk.
#[derive(Debug)]
pub struct ReportFile {
    path: PathBuf,
    /// Removed on drop (a spooled scan output, not yet moved into the cache).
    temporary: bool,
}

impl ReportFile {
    /// A report spooled into the run's private directory: removed when dropped.
    pub fn spooled(path: PathBuf) -> Self {
        Self {
            path,
            temporary: true,
        }
    }

    /// A report kept elsewhere (a cache entry): left alone when dropped.
    pub fn cached(path: PathBuf) -> Self {
        Self {
            path,
            temporary: false,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Parse it, streaming ([`Report::read`]).
    pub fn parse(&self) -> Result<Report, ReportError> {
        Report::read(&self.path)
    }

    /// Move the file to `dest`, atomically: a rename, or across file systems a copy beside
    /// `dest` renamed into place (never through memory). From then on it is `dest`, which is
    /// kept when this is dropped. On error nothing changed.
    pub fn move_to(&mut self, dest: &Path) -> std::io::Result<()> {
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir)?;
        }
        match std::fs::rename(&self.path, dest) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => {
                copy_atomic(&self.path, dest, false)?;
                if self.temporary {
                    let _ = std::fs::remove_file(&self.path);
                }
            }
            Err(e) => return Err(e),
        }
        self.path = dest.to_owned();
        self.temporary = false;
        Ok(())
    }
}

impl Drop for ReportFile {
    fn drop(&mut self) {
        if self.temporary {
            // Best effort: the run's private directory goes when the scanner does.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spooled_files_go_when_dropped_and_stay_once_moved() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.json");
        std::fs::write(&a, br#"{"SchemaVersion":2}"#).unwrap();
        drop(ReportFile::spooled(a.clone()));
        assert!(!a.exists(), "a spooled report outlived its scan");

        std::fs::write(&a, br#"{"SchemaVersion":2}"#).unwrap();
        let mut f = ReportFile::spooled(a.clone());
        let dest = dir.path().join("cache/ab/k.report.json");
        f.move_to(&dest).unwrap();
        assert_eq!(f.path(), dest);
        assert_eq!(f.parse().unwrap().schema_version, 2);
        drop(f);
        assert!(!a.exists() && dest.exists(), "the moved report was removed");

        drop(ReportFile::cached(dest.clone()));
        assert!(dest.exists(), "a cache entry was removed");
    }

    /// The run's directory and the cache may be on different file systems: then the report is
    /// copied beside its place and renamed, and the spooled file removed.
    #[test]
    fn moves_across_file_systems() {
        use std::os::unix::fs::MetadataExt;
        let shm = Path::new("/dev/shm");
        let here = tempfile::tempdir().unwrap();
        let other_fs = shm.is_dir()
            && std::fs::metadata(shm).unwrap().dev()
                != std::fs::metadata(here.path()).unwrap().dev();
        let Some(there) = other_fs.then(|| tempfile::tempdir_in(shm).ok()).flatten() else {
            eprintln!("skipped: no second file system (/dev/shm) here");
            return;
        };
        let a = there.path().join("a.json");
        std::fs::write(&a, br#"{"SchemaVersion":2}"#).unwrap();
        let mut f = ReportFile::spooled(a.clone());
        let dest = here.path().join("k.report.json");
        f.move_to(&dest).unwrap();
        assert!(!a.exists(), "the spooled report was left");
        assert_eq!(std::fs::read(&dest).unwrap(), br#"{"SchemaVersion":2}"#);
        assert_eq!(
            std::fs::read_dir(here.path()).unwrap().count(),
            1,
            "a temp file was left"
        );
    }
}
