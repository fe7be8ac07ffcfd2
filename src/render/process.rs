//! Running a renderer confined: a cleared environment (no credentials, no proxies, no
//! `KUBECONFIG`), a fresh `HOME` and XDG and Helm directories in a temporary directory that is
//! removed afterwards, no standard input, a wall-clock bound and a bound on what it may write.
//! A renderer that runs out of either is killed and the render fails.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The most of a renderer's standard error kept for its message.
const STDERR_BYTES: u64 = 16 << 10;

/// How one renderer run ended badly.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("cannot run `{}`", exe.display())]
    Spawn {
        exe: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot set up a private home directory for the renderer")]
    Home(#[source] std::io::Error),
    #[error("{0}")]
    Failed(String),
    #[error("it ran longer than {} s and was stopped", .0.as_secs())]
    Timeout(Duration),
    #[error("its output passed {0} bytes and it was stopped")]
    TooLarge(usize),
    #[error("its output is not UTF-8 text")]
    NotUtf8,
}

/// What a renderer may be given.
pub struct Run<'a> {
    pub exe: &'a Path,
    pub args: Vec<OsString>,
    /// Let the renderer find `git` on the standard `PATH` (only for remote bases a trusted policy
    /// allows); otherwise `PATH` is empty.
    pub path: bool,
    pub timeout: Duration,
    pub max_output: usize,
}

/// Run to completion; the standard output on success, the renderer's own message otherwise.
pub fn run(r: &Run) -> Result<String, ProcessError> {
    let home = tempfile::Builder::new()
        .prefix("gate-render-")
        .tempdir()
        .map_err(ProcessError::Home)?;
    let h = home.path();
    let mut cmd = Command::new(r.exe);
    cmd.args(&r.args)
        .env_clear()
        .current_dir(h)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, sub) in [
        ("HOME", ""),
        ("TMPDIR", "tmp"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_DATA_HOME", "data"),
        ("HELM_CONFIG_HOME", "helm/config"),
        ("HELM_CACHE_HOME", "helm/cache"),
        ("HELM_DATA_HOME", "helm/data"),
        ("HELM_PLUGINS", "helm/plugins"),
        ("HELM_REGISTRY_CONFIG", "helm/registry.json"),
        ("HELM_REPOSITORY_CONFIG", "helm/repositories.yaml"),
        ("HELM_REPOSITORY_CACHE", "helm/repository"),
        ("KUSTOMIZE_PLUGIN_HOME", "kustomize/plugin"),
        ("KUBECONFIG", "kubeconfig"),
    ] {
        let p = h.join(sub);
        if !sub.contains('.') {
            std::fs::create_dir_all(&p).map_err(ProcessError::Home)?;
        }
        cmd.env(key, p);
    }
    cmd.env(
        "PATH",
        if r.path {
            "/usr/local/bin:/usr/bin:/bin"
        } else {
            ""
        },
    );
    let mut child = cmd.spawn().map_err(|source| ProcessError::Spawn {
        exe: r.exe.to_path_buf(),
        source,
    })?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        let _ = child.kill();
        return Err(ProcessError::Failed("no output pipes".into()));
    };
    let limit = r.max_output as u64 + 1;
    let out = std::thread::spawn(move || {
        let mut b = Vec::new();
        stdout.take(limit).read_to_end(&mut b).map(|_| b)
    });
    let err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stderr.take(STDERR_BYTES).read_to_end(&mut b);
        b
    });
    let deadline = Instant::now() + r.timeout;
    // Set when the output is closed (or at its bound) while the process still runs.
    let mut closed: Option<Instant> = None;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() >= deadline => break None,
            Ok(None) => {}
            Err(_) => break None,
        }
        if out.is_finished() {
            // Output at its bound blocks the writer: stop it after a short grace.
            let since = *closed.get_or_insert_with(Instant::now);
            if since.elapsed() > Duration::from_secs(2) {
                break None;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        let over = closed.is_some()
            && out
                .join()
                .ok()
                .and_then(Result::ok)
                .is_some_and(|b| b.len() > r.max_output);
        return Err(if over {
            ProcessError::TooLarge(r.max_output)
        } else {
            ProcessError::Timeout(r.timeout)
        });
    };
    let stdout = out
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
        .map_err(|e| ProcessError::Failed(format!("cannot read its output: {e}")))?;
    let stderr = err.join().unwrap_or_default();
    if stdout.len() > r.max_output {
        return Err(ProcessError::TooLarge(r.max_output));
    }
    if !status.success() {
        let msg = String::from_utf8_lossy(&stderr);
        let msg = msg.trim();
        // One line: the renderer's message without its usage text.
        let line = msg
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .find(|l| l.starts_with("Error") || l.starts_with("error"))
            .or_else(|| msg.lines().find(|l| !l.trim().is_empty()))
            .unwrap_or("it exited without a message");
        return Err(ProcessError::Failed(format!("{line} ({status})")));
    }
    String::from_utf8(stdout).map_err(|_| ProcessError::NotUtf8)
}
