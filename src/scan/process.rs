//! Running one Trivy process: bounded output, a hard timeout that kills the process, and the
//! failure turned into a [`ScanError`] carrying Trivy's last error line (credentials redacted).

use super::error::ScanError;
use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

/// Largest report gate reads from Trivy's standard output.
pub const STDOUT_LIMIT: usize = 256 << 20;
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
    pub timeout: Duration,
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

    /// Run to completion (or kill at the timeout) and classify the outcome.
    pub async fn run(self) -> Result<Output, ScanError> {
        let mut child = self.build().spawn().map_err(|source| ScanError::Spawn {
            program: self.program.to_owned(),
            source,
        })?;
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let finished = tokio::time::timeout(self.timeout, async {
            let (out, err) = tokio::join!(read_bounded(stdout), read_tail(stderr));
            let status = child.wait().await;
            (out, err, status)
        })
        .await;
        let Ok((out, err, status)) = finished else {
            // Best effort: the process may have exited on its own meanwhile.
            let _ = child.start_kill();
            let _ = child.wait().await;
            return Err(ScanError::Timeout {
                command: self.command,
                subject: self.subject.to_owned(),
                timeout: self.timeout,
            });
        };
        let status = status.map_err(|source| ScanError::Io {
            program: self.program.to_owned(),
            source,
        })?;
        let stdout = out.map_err(|e| self.read_error(e))?;
        let stderr = err.map_err(|e| self.read_error(e))?;
        if status.success() {
            return Ok(Output { stdout, stderr });
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
            ReadError::TooLarge => ScanError::TooLarge {
                command: self.command,
                subject: self.subject.to_owned(),
                limit: STDOUT_LIMIT,
            },
            ReadError::Io(source) => ScanError::Io {
                program: self.program.to_owned(),
                source,
            },
        }
    }
}

pub enum ReadError {
    TooLarge,
    Io(std::io::Error),
}

async fn read_bounded<R: AsyncRead + Unpin>(r: Option<R>) -> Result<Vec<u8>, ReadError> {
    let mut buf = Vec::new();
    let Some(r) = r else { return Ok(buf) };
    let limit = u64::try_from(STDOUT_LIMIT).unwrap_or(u64::MAX);
    r.take(limit + 1)
        .read_to_end(&mut buf)
        .await
        .map_err(ReadError::Io)?;
    if buf.len() > STDOUT_LIMIT {
        return Err(ReadError::TooLarge);
    }
    Ok(buf)
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
