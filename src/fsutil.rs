//! Atomic file writes: a temp file in the same directory, fsync, rename. Either the whole new
//! content is there or the old file is untouched.

use std::io::Write;
use std::path::Path;

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

/// Permissions of a file gate creates for the user (a report, a policy, a public key): what
/// `touch` gives under the usual umask, so others on the machine and CI steps can read it.
pub const NEW_FILE_MODE: u32 = 0o644;
/// Permissions of a new file that holds a secret (`cosign.key`): the owner's alone.
pub const SECRET_FILE_MODE: u32 = 0o600;

/// Write `bytes` to `path` atomically, keeping the permissions of an existing file (a new one
/// gets [`NEW_FILE_MODE`]); refused when something other than a regular file is at `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_mode(path, bytes, NEW_FILE_MODE, true)
}

/// [`write_atomic`] for a file holding a secret: it gets [`SECRET_FILE_MODE`], whatever the
/// file it replaces allowed.
pub fn write_secret(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_mode(path, bytes, SECRET_FILE_MODE, false)
}

/// `keep`: an existing file's permissions win over `mode`.
fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32, keep: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    check_replaceable(path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".gate-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    let permissions = match std::fs::metadata(path) {
        Ok(meta) if keep => meta.permissions(),
        _ => std::fs::Permissions::from_mode(mode),
    };
    tmp.as_file().set_permissions(permissions)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
