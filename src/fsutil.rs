//! Reading and writing the files gate is given. Reads are bounded and regular
//! ([`read_input`]): only a regular file is read (a device, a FIFO, a socket or a file of
//! `/proc`, `/sys` or `/dev` is an error naming the path, and opening never blocks), at most
//! [`MAX_FILE_BYTES`] per file and [`MAX_RUN_BYTES`] per run ([`ReadBudget`]). Writes are atomic:
//! a temp file in the same directory, fsync, rename; either the whole new content is there or
//! the old file is untouched.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The most bytes gate reads from one input file (or standard input).
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// The most bytes gate reads from all its inputs in one run.
pub const MAX_RUN_BYTES: u64 = 1 << 30;

/// What one run may still read, shared by every thread that reads its inputs.
#[derive(Debug)]
pub struct ReadBudget {
    left: AtomicU64,
}

impl Default for ReadBudget {
    fn default() -> Self {
        Self::new(MAX_RUN_BYTES)
    }
}

impl ReadBudget {
    pub fn new(bytes: u64) -> Self {
        Self {
            left: AtomicU64::new(bytes),
        }
    }

    /// Take `n` bytes from the budget, or fail when fewer are left.
    fn take(&self, n: u64) -> bool {
        self.left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |l| l.checked_sub(n))
            .is_ok()
    }
}

/// Why an input was not read: each says what the file is and what to do.
#[derive(Debug, thiserror::Error)]
pub enum InputRefused {
    #[error(
        "it is a {0}, not a regular file; gate reads only regular files (remove it from the \
         tree, or name the files to check)"
    )]
    NotRegular(&'static str),
    #[error(
        "it is `{}`, a file of the kernel's `/proc`, `/sys` or `/dev`; gate reads only files of \
         the tree",
        .0.display()
    )]
    Kernel(std::path::PathBuf),
    #[error("it is larger than {} MiB, the most gate reads from one file", MAX_FILE_BYTES >> 20)]
    TooLarge,
    #[error(
        "this run's inputs are larger than {} MiB, the most gate reads in one run; check the \
         tree in parts",
        MAX_RUN_BYTES >> 20
    )]
    RunTooLarge,
}

fn refused(why: InputRefused) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, why)
}

/// Read an input file whole, bounded and regular: the path (after links) must not be in
/// `/proc`, `/sys` or `/dev`; it is opened with `O_NONBLOCK` (a FIFO never blocks the open),
/// then `fstat`ed on the open descriptor (so what is read is what was checked) and read only if
/// it is a regular file, at most [`MAX_FILE_BYTES`], each byte counted against `budget`.
pub fn read_input(path: &Path, budget: &ReadBudget) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    read_input_into(path, budget, &mut bytes)?;
    Ok(bytes)
}

/// [`read_input`] into `bytes` (cleared first), so a caller reading many files can reuse one
/// buffer: its pages are touched once, not once per file.
pub fn read_input_into(
    path: &Path,
    budget: &ReadBudget,
    bytes: &mut Vec<u8>,
) -> std::io::Result<()> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    bytes.clear();
    if let Ok(real) = std::fs::canonicalize(path) {
        if ["/proc", "/sys", "/dev"]
            .iter()
            .any(|k| real.starts_with(k))
        {
            return Err(refused(InputRefused::Kernel(real)));
        }
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let meta = file.metadata()?;
    let t = meta.file_type();
    if !t.is_file() {
        return Err(refused(InputRefused::NotRegular(if t.is_dir() {
            "directory"
        } else if t.is_fifo() {
            "FIFO"
        } else if t.is_socket() {
            "socket"
        } else {
            "device"
        })));
    }
    // The size now is a hint only (the file may change while read): it spares the growing
    // buffer's copies and page faults; the bounds below still hold on what is read.
    let hint = meta.len().min(MAX_FILE_BYTES) as usize;
    read_bounded(file, budget, hint, bytes)
}

/// Read standard input (or any stream) whole, bounded like a file.
pub fn read_stream(r: impl Read, budget: &ReadBudget) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    read_bounded(r, budget, 0, &mut bytes)?;
    Ok(bytes)
}

/// Read `r` whole into `bytes` (empty), within [`MAX_FILE_BYTES`] and the run's `budget`;
/// `hint`: the bytes expected (room for them is made at once, plus one byte to see the end).
/// The kernel copies straight into `bytes`' spare room (no bounce buffer, no zeroing); a file
/// is never read past [`MAX_FILE_BYTES`] + 1 bytes, and what was read is then taken from the
/// run's budget.
fn read_bounded(
    r: impl Read,
    budget: &ReadBudget,
    hint: usize,
    bytes: &mut Vec<u8>,
) -> std::io::Result<()> {
    bytes.reserve(hint.saturating_add(1));
    r.take(MAX_FILE_BYTES + 1).read_to_end(bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        bytes.clear();
        return Err(refused(InputRefused::TooLarge));
    }
    if !budget.take(bytes.len() as u64) {
        bytes.clear();
        return Err(refused(InputRefused::RunTooLarge));
    }
    Ok(())
}

/// What stands at a path gate would replace, when it is not a regular file.
#[derive(Debug, thiserror::Error)]
#[error(
    "it is a {0}, not a regular file; gate replaces only regular files \
     (remove it, or write the report to standard output)"
)]
pub struct NotRegular(&'static str);

/// Refuse to replace anything but a regular file (or nothing): renaming over a symlink, a
/// device node (`-o /dev/null` as root), a FIFO or a socket would replace the node itself.
fn check_replaceable(path: &Path) -> std::io::Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    let t = meta.file_type();
    let what = if t.is_file() {
        return Ok(());
    } else if t.is_symlink() {
        "symbolic link"
    } else if t.is_dir() {
        "directory"
    } else {
        "device, FIFO or socket"
    };
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        NotRegular(what),
    ))
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A unique temporary path next to `dest` (`.NAME.PID.N.tmp`).
pub fn temp_path(dest: &Path) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

/// How a write is placed.
#[derive(Debug, Clone, Copy)]
struct Place {
    /// Synced before the rename (files the user asked for); a cache entry is not, since a lost
    /// entry only costs a rescan.
    durable: bool,
    /// Create the destination's directory first.
    create_dir: bool,
    /// The file holds a secret (`cosign.key`): the owner's alone (0600), whatever the file it
    /// replaces allowed. Other new files get the umask's default (0644 under the usual 022),
    /// an existing file keeps its permissions.
    secret: bool,
}

/// Write `bytes` to `path` atomically and durably, keeping the permissions of an existing file;
/// refused when something other than a regular file is at `path`. For files the user names
/// (reports, `gate init`, signatures, SBOMs).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let how = Place {
        durable: true,
        create_dir: false,
        secret: false,
    };
    place(path, how, |f| f.write_all(bytes))
}

/// [`write_atomic`] for a file holding a secret (a private key): 0600, see [`Place::secret`].
pub fn write_secret(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let how = Place {
        durable: true,
        create_dir: false,
        secret: true,
    };
    place(path, how, |f| f.write_all(bytes))
}

/// [`write_atomic`], creating the directory, durable or not: for gate's own files (the scan
/// cache, the SBOM directory).
pub fn write_atomic_in(path: &Path, bytes: &[u8], durable: bool) -> std::io::Result<()> {
    let how = Place {
        durable,
        create_dir: true,
        secret: false,
    };
    place(path, how, |f| f.write_all(bytes))
}

/// Copy the file `src` to `dest` atomically (synced before the rename when `durable`),
/// creating its directory; the bytes go file to file, never through memory whole.
pub fn copy_atomic(src: &Path, dest: &Path, durable: bool) -> std::io::Result<()> {
    let mut from = std::fs::File::open(src)?;
    let how = Place {
        durable,
        create_dir: true,
        secret: false,
    };
    place(dest, how, |f| std::io::copy(&mut from, f).map(drop))
}

/// Fill a temporary file next to `dest` with `fill`, then rename it over `dest`.
fn place(
    dest: &Path,
    how: Place,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    check_replaceable(dest)?;
    if how.create_dir {
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
    }
    let tmp = temp_path(dest);
    let result = (|| {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(if how.secret { 0o600 } else { 0o666 })
            .open(&tmp)?;
        fill(&mut f)?;
        if how.durable {
            f.sync_all()?;
        }
        if how.secret {
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        } else if let Ok(meta) = std::fs::metadata(dest) {
            f.set_permissions(meta.permissions())?;
        }
        drop(f);
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
    fn reads_regular_files_only_and_within_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let budget = ReadBudget::new(10);
        let f = dir.path().join("a.yaml");
        std::fs::write(&f, b"kind: Pod\n").unwrap();
        assert_eq!(read_input(&f, &budget).unwrap(), b"kind: Pod\n");
        // The run's budget is spent: the next byte is refused.
        let e = read_input(&f, &budget).unwrap_err();
        assert!(e.to_string().contains("most gate reads in one run"), "{e}");
        let fifo = dir.path().join("fifo.yaml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let e = read_input(&fifo, &ReadBudget::default()).unwrap_err();
        assert!(e.to_string().contains("FIFO, not a regular file"), "{e}");
        for (target, what) in [("/dev/zero", "/dev/zero"), ("/proc/self/pagemap", "/proc/")] {
            let link = dir.path().join(format!("{}.yaml", what.len()));
            std::os::unix::fs::symlink(target, &link).unwrap();
            let e = read_input(&link, &ReadBudget::default()).unwrap_err();
            assert!(e.to_string().contains(what), "{e}");
        }
        let e = read_input(dir.path(), &ReadBudget::default()).unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");
        let big = std::io::repeat(b'a').take(MAX_FILE_BYTES + 1);
        let e = read_stream(big, &ReadBudget::default()).unwrap_err();
        assert!(e.to_string().contains("from one file"), "{e}");
    }

    #[test]
    fn replaces_regular_files_and_refuses_links_and_devices() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("r.json");
        write_atomic(&f, b"one").unwrap();
        write_atomic(&f, b"two").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"two");
        let outside = dir.path().join("outside");
        std::fs::write(&outside, b"keep").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        let e = write_atomic(&link, b"x").unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(std::fs::read(&outside).unwrap(), b"keep");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let e = write_atomic(&fifo, b"x").unwrap_err();
        assert!(e.to_string().contains("device, FIFO or socket"), "{e}");
        assert!(std::os::unix::fs::FileTypeExt::is_fifo(
            &std::fs::symlink_metadata(&fifo).unwrap().file_type()
        ));
        let e = write_atomic(dir.path(), b"x").unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");
    }

    #[test]
    fn writes_and_replaces_without_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("sub/a.json");
        write_atomic_in(&dest, b"one", true).unwrap();
        write_atomic_in(&dest, b"two", false).unwrap();
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
