//! One `trivy server` on loopback for the run, so several `trivy image --server` clients scan in
//! parallel instead of queueing on Trivy's cache lock.
//!
//! The server listens on a free `127.0.0.1` port and requires a per-run token (`TRIVY_TOKEN` in
//! the environment of server and clients), so other local users cannot use it. Readiness is
//! Trivy's `GET /healthz`; a server that exits first (e.g. its DB download failed) is an error
//! carrying its last stderr line. The process is killed when the run ends, or when dropped.

use super::error::ScanError;
use super::process::{is_db_download_failure, last_line};
use sha2::{Digest, Sha256};
use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

const STDERR_KEEP: usize = 64 << 10;

pub struct TrivyServer {
    child: Child,
    url: String,
    token: String,
}

/// How the server is started besides gate's fixed flags.
#[derive(Debug, Default)]
pub struct Setup {
    /// DB arguments ([`super::TrivyDb::server_args`]).
    pub extra: Vec<OsString>,
    /// The cache backend, and the DB mirror's docker config when the server downloads the DB.
    pub env: Vec<(&'static str, String)>,
    /// Strings that must never reach a message (the cache backend's or the mirror's password).
    pub secrets: Vec<String>,
    /// What a failed DB download is reported for (`trivy server`, or the mirror it used).
    pub db_subject: String,
}

impl TrivyServer {
    pub async fn start(
        program: &Path,
        cache_dir: Option<&Path>,
        offline: bool,
        timeout: Duration,
        sandbox: &super::isolate::Sandbox,
        setup: &Setup,
    ) -> Result<TrivyServer, ScanError> {
        let (extra, env) = (&setup.extra, &setup.env);
        let addr = free_loopback_addr().map_err(|source| ScanError::Spawn {
            program: program.to_owned(),
            source,
        })?;
        let url = format!("http://{addr}");
        let token = run_token(&addr);
        let mut cmd = Command::new(program);
        cmd.arg("server").args(sandbox.args(false));
        cmd.args(["--quiet", "--listen", &addr]);
        super::isolate::confine(&mut cmd, sandbox);
        if let Some(dir) = cache_dir {
            cmd.arg("--cache-dir").arg(dir);
        }
        if offline && !extra.iter().any(|a| a == "--skip-db-update") {
            cmd.arg("--skip-db-update");
        }
        cmd.args(extra);
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        cmd.env("TRIVY_TOKEN", &token)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|source| ScanError::Spawn {
            program: program.to_owned(),
            source,
        })?;
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut reader = None;
        if let Some(mut pipe) = child.stderr.take() {
            let sink = Arc::clone(&stderr);
            reader = Some(tokio::spawn(async move {
                let mut chunk = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut chunk).await {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut buf) = sink.lock() {
                        buf.extend_from_slice(&chunk[..n]);
                        if buf.len() > 2 * STDERR_KEEP {
                            let cut = buf.len() - STDERR_KEEP;
                            buf.drain(..cut);
                        }
                    }
                }
            }));
        }
        let mut server = TrivyServer { child, url, token };
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                // The pipe is closed once the process is gone: let the reader collect the
                // last words (bounded, in case a grandchild still holds the pipe).
                if let Some(r) = reader.take() {
                    let _ = tokio::time::timeout(Duration::from_secs(2), r).await;
                }
                let err = stderr.lock().map(|b| b.clone()).unwrap_or_default();
                let line = format!("exited ({status}): {}", last_line(&err, &setup.secrets));
                return Err(if is_db_download_failure(&err) {
                    ScanError::DbDownload {
                        subject: setup.db_subject.clone(),
                        last_line: last_line(&err, &setup.secrets),
                    }
                } else {
                    ScanError::Server {
                        url: server.url.clone(),
                        last_line: line,
                    }
                });
            }
            if healthy(&addr).await {
                return Ok(server);
            }
            if Instant::now() >= deadline {
                let err = stderr.lock().map(|b| b.clone()).unwrap_or_default();
                server.stop_ref().await;
                return Err(ScanError::Server {
                    url: server.url.clone(),
                    last_line: format!(
                        "not ready after {timeout:?}, killed; {}",
                        last_line(&err, &setup.secrets)
                    ),
                });
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// The server's `GET /version`: the same JSON as `trivy version --format json`, for the
    /// binary and DB this server scans with, without starting another Trivy process. `None`
    /// when it does not answer `200` with a body within 64 KiB and a second.
    pub async fn version_json(&self) -> Option<Vec<u8>> {
        get_ok(self.url.strip_prefix("http://")?, "/version", 64 << 10).await
    }

    pub async fn stop(mut self) {
        self.stop_ref().await;
    }

    async fn stop_ref(&mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

fn free_loopback_addr() -> std::io::Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.to_string())
}

/// A token nobody else can guess in the lifetime of one run.
fn run_token(addr: &str) -> String {
    let mut h = Sha256::new();
    h.update(addr.as_bytes());
    h.update(std::process::id().to_le_bytes());
    if let Ok(t) = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) {
        h.update(t.as_nanos().to_le_bytes());
    }
    let local = 0u8;
    h.update(format!("{:p}", &local).as_bytes());
    if let Ok(bytes) = std::fs::read("/proc/sys/kernel/random/uuid") {
        h.update(bytes);
    }
    hex::encode(&h.finalize()[..16])
}

/// Trivy's health endpoint answers `200 ok`.
async fn healthy(addr: &str) -> bool {
    get_ok(addr, "/healthz", 4 << 10).await.is_some()
}

/// `GET path` from the server at `addr` (loopback, plain HTTP/1.0): the body when it answers
/// `200` within `limit` bytes and a second, else `None`.
async fn get_ok(addr: &str, path: &str, limit: u64) -> Option<Vec<u8>> {
    let probe = async {
        let mut s = TcpStream::connect(addr).await.ok()?;
        s.write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
            .await
            .ok()?;
        let mut buf = Vec::new();
        s.take(limit).read_to_end(&mut buf).await.ok()?;
        let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = std::str::from_utf8(&buf[..end]).ok()?;
        let ok = head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200");
        ok.then(|| buf[end + 4..].to_vec())
    };
    tokio::time::timeout(Duration::from_secs(1), probe)
        .await
        .ok()
        .flatten()
}
