//! Running one Trivy process: bounded output, a hard timeout that kills the process, and the
//! failure turned into a [`ScanError`] carrying Trivy's last error line (credentials redacted).
//! A scan's report streams to a file ([`Invocation::run_to_file`]); only small outputs
//! (`trivy version`) are read into memory.

use super::error::ScanError;
use std::ffi::OsString;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{ChildStdout, Command};

/// Largest output gate reads into memory from a Trivy command that is not a scan (`version`).
pub const STDOUT_LIMIT: u64 = 4 << 20;
/// How much of the end of standard error is kept for the error message.
const STDERR_KEEP: usize = 64 << 10;

/// One Trivy invocation.
pub struct Invocation<'a> {
    pub program: &'a Path,
    pub args: Vec<OsString>,
    /// Extra environment (credentials go here, never in `args`).
    pub env: Vec<(&'static str, String)>,
    /// Inherited variables to drop (so a user's stray credential does not mix with ours).
    pub env_remove: Vec<&'static str>,
    /// Gate's deadline: the process is killed after it.
    pub timeout: Duration,
    /// The timeout the user set (`scanner.timeout`, `--scan-timeout`), which messages name;
    /// [`Invocation::timeout`] adds a grace period for Trivy to report its own timeout.
    pub limit: Duration,
    /// Subcommand for messages (`image`, `convert`, `version`).
    pub command: &'static str,
    /// What is being worked on, for messages (`repo@sha256:…`).
    pub subject: &'a str,
    /// Strings that must never reach a message.
    pub secrets: Vec<String>,
    /// Where the process runs, with what environment ([`super::isolate::confine`]).
    pub sandbox: Option<&'a super::isolate::Sandbox>,
}

/// What a successful process printed.
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Invocation<'_> {
    pub fn build(&self) -> Command {
        let mut cmd = Command::new(self.program);
        cmd.args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(sandbox) = self.sandbox {
            super::isolate::confine(&mut cmd, sandbox);
        }
        for k in &self.env_remove {
            cmd.env_remove(k);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Run to completion (or kill at the timeout) and classify the outcome; standard output
    /// read into memory, up to [`STDOUT_LIMIT`].
    pub async fn run(self) -> Result<Output, ScanError> {
        let (stdout, stderr) = self.execute(|out| read_bounded(out, STDOUT_LIMIT)).await?;
        Ok(Output { stdout, stderr })
    }

    /// [`Invocation::run`] with standard output streamed into `dest` (a new file) instead,
    /// and the process killed as soon as it has printed more than `limit` bytes.
    pub async fn run_to_file(self, dest: &Path, limit: u64) -> Result<(), ScanError> {
        self.execute(|out| spool(out, dest, limit)).await.map(drop)
    }

    async fn execute<T, F, Fut>(&self, read_stdout: F) -> Result<(T, Vec<u8>), ScanError>
    where
        F: FnOnce(Option<ChildStdout>) -> Fut,
        Fut: Future<Output = Result<T, ReadError>>,
    {
        let mut child = self.build().spawn().map_err(|source| ScanError::Spawn {
            program: self.program.to_owned(),
            source,
        })?;
        let stdout = child.stdout.take();
        let mut stderr = tokio::spawn(read_tail(child.stderr.take()));
        let finished = tokio::time::timeout(self.timeout, async {
            let out = read_stdout(stdout).await;
            if out.is_err() {
                // Over the limit, or the report cannot be written: stop it now.
                let _ = child.start_kill();
            }
            let err = match (&mut stderr).await {
                Ok(r) => r,
                Err(e) => Err(ReadError::Io(std::io::Error::other(e))),
            };
            let status = child.wait().await;
            (out, err, status)
        })
        .await;
        let Ok((out, err, status)) = finished else {
            stderr.abort();
            // Best effort: the process may have exited on its own meanwhile.
            let _ = child.start_kill();
            let _ = child.wait().await;
            return Err(ScanError::Timeout {
                command: self.command,
                subject: self.subject.to_owned(),
                timeout: self.limit,
            });
        };
        let status = status.map_err(|source| ScanError::Io {
            program: self.program.to_owned(),
            source,
        })?;
        let stdout = out.map_err(|e| self.read_error(e))?;
        let stderr = err.map_err(|e| self.read_error(e))?;
        if status.success() {
            return Ok((stdout, stderr));
        }
        let last_line = last_line(&stderr, &self.secrets);
        if is_db_download_failure(&stderr) {
            return Err(ScanError::DbDownload {
                subject: self.subject.to_owned(),
                last_line,
            });
        }
        Err(ScanError::Failed {
            command: self.command,
            subject: self.subject.to_owned(),
            status: status.to_string(),
            last_line,
        })
    }

    fn read_error(&self, e: ReadError) -> ScanError {
        match e {
            ReadError::TooLarge(limit) => ScanError::TooLarge {
                command: self.command,
                subject: self.subject.to_owned(),
                limit,
            },
            ReadError::Io(source) => ScanError::Io {
                program: self.program.to_owned(),
                source,
            },
            ReadError::Write { path, source } => ScanError::Write { path, source },
        }
    }
}

pub enum ReadError {
    /// More than this many bytes.
    TooLarge(u64),
    Io(std::io::Error),
    /// The spool file could not be written.
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

async fn read_bounded<R: AsyncRead + Unpin>(
    r: Option<R>,
    limit: u64,
) -> Result<Vec<u8>, ReadError> {
    let mut buf = Vec::new();
    let Some(r) = r else { return Ok(buf) };
    r.take(limit + 1)
        .read_to_end(&mut buf)
        .await
        .map_err(ReadError::Io)?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge(limit));
    }
    Ok(buf)
}

/// Stream standard output into `dest` (created new), stopping past `limit` bytes; the bytes
/// written. Memory: one buffer, whatever the size.
async fn spool<R: AsyncRead + Unpin>(
    r: Option<R>,
    dest: &Path,
    limit: u64,
) -> Result<u64, ReadError> {
    let write = |source| ReadError::Write {
        path: dest.to_owned(),
        source,
    };
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dest)
        .await
        .map_err(write)?;
    let mut total = 0u64;
    if let Some(mut r) = r {
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = r.read(&mut buf).await.map_err(ReadError::Io)?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > limit {
                return Err(ReadError::TooLarge(limit));
            }
            file.write_all(&buf[..n]).await.map_err(write)?;
        }
    }
    // A `tokio::fs::File` write may still be in flight until flushed.
    file.flush().await.map_err(write)?;
    Ok(total)
}

/// Read all of standard error (so the child never blocks on a full pipe), keeping the end.
async fn read_tail<R: AsyncRead + Unpin>(r: Option<R>) -> Result<Vec<u8>, ReadError> {
    let mut keep = Vec::new();
    let Some(mut r) = r else { return Ok(keep) };
    let mut chunk = [0u8; 8192];
    loop {
        let n = r.read(&mut chunk).await.map_err(ReadError::Io)?;
        if n == 0 {
            return Ok(keep);
        }
        keep.extend_from_slice(&chunk[..n]);
        if keep.len() > 2 * STDERR_KEEP {
            keep.drain(..keep.len() - STDERR_KEEP);
        }
    }
}

/// Trivy's last non-empty line of standard error, with secrets replaced.
pub fn last_line(stderr: &[u8], secrets: &[String]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("no error output");
    // Redact first: a secret straddling the cut would otherwise be printed in part.
    let mut line = line.to_owned();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        line = line.replace(s.as_str(), "<redacted>");
    }
    line.chars().take(500).collect()
}

/// Trivy reports a failed DB download as `… DB error: failed to download vulnerability DB …`.
pub fn is_db_download_failure(stderr: &[u8]) -> bool {
    let text = String::from_utf8_lossy(stderr).to_ascii_lowercase();
    text.contains("failed to download vulnerability db")
        || (text.contains("db error") && text.contains("download"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_line_redacts_and_skips_blank_lines() {
        let err = b"INFO a\nFATAL\tauth failed for user:hunter2 \n\n";
        assert_eq!(
            last_line(err, &["hunter2".into()]),
            "FATAL\tauth failed for user:<redacted>"
        );
        assert_eq!(last_line(b"", &[]), "no error output");
    }

    #[test]
    fn a_secret_across_the_cut_is_redacted_not_printed_in_part() {
        let secret = "Zq81-straddling-pa55word";
        let line = format!("FATAL {}{secret} tail", "x".repeat(490));
        let shown = last_line(line.as_bytes(), &[secret.into()]);
        assert!(!shown.contains("Zq81"), "{shown}");
        assert!(shown.ends_with("<red"), "{shown}");
    }

    /// A scanner that prints without end, and ignores the closed pipe, is stopped at the
    /// limit, not left to run until the timeout.
    #[tokio::test]
    async fn output_past_the_limit_stops_the_process() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("report.json");
        let inv = Invocation {
            program: Path::new("/bin/sh"),
            args: vec![
                "-c".into(),
                "trap '' PIPE; while :; do echo 0123456789abcdef; done".into(),
            ],
            env: Vec::new(),
            env_remove: Vec::new(),
            timeout: Duration::from_secs(60),
            limit: Duration::from_secs(60),
            command: "image",
            subject: "x@sha256:00",
            secrets: Vec::new(),
            sandbox: None,
        };
        let start = std::time::Instant::now();
        let e = inv.run_to_file(&dest, 1 << 20).await.unwrap_err();
        assert!(
            matches!(e, ScanError::TooLarge { limit, .. } if limit == 1 << 20),
            "{e}"
        );
        assert!(e.to_string().contains("more than 1 MiB"), "{e}");
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{:?}",
            start.elapsed()
        );
        let written = std::fs::metadata(&dest).unwrap().len();
        assert!(written <= 1 << 20, "{written}");
    }

    #[test]
    fn recognises_db_download_failures() {
        assert!(is_db_download_failure(
            b"FATAL\tinit error: DB error: failed to download vulnerability DB: OCI artifact error"
        ));
        assert!(!is_db_download_failure(
            b"FATAL\tscan error: unable to inspect the image"
        ));
    }
}
