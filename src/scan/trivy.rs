//! The scanner behind a small trait, and its real implementation: the `trivy` binary.
//!
//! Trivy's cache is a BoltDB file under one lock, so parallel standalone `trivy image` processes
//! serialise. With more than one image to scan, gate starts one `trivy server` on loopback and
//! runs `trivy image --server` clients concurrently; a user-supplied `--trivy-server URL` is used
//! the same way. Every process runs confined ([`super::isolate`]): an empty working directory, no
//! inherited `TRIVY_*`, and the scanned registry's credential alone in a per-scan docker config,
//! never on the command line.

use super::error::ScanError;
use super::isolate::{registry_of, Sandbox};
use super::process::Invocation;
use super::report::{VersionInfo, MAX_REPORT_BYTES};
use super::sbom::SbomFormat;
use super::server::{self, TrivyServer};
use super::spool::ReportFile;
use super::{ScanConfig, TrivyDb};
use crate::registry::auth::Credential;
use std::ffi::OsString;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// One scan to do: one image by digest (an index's children are scanned as images of their own,
/// so Trivy is never asked to choose a platform).
#[derive(Debug, Clone)]
pub struct ScanJob<'a> {
    /// `repo@sha256:…`.
    pub image: &'a str,
    pub digest: &'a str,
    pub credential: Option<&'a Credential>,
    pub insecure: bool,
}

/// A vulnerability scanner. `prepare` is told how many scans are coming (so an implementation
/// can start a shared server); `finish` releases what `prepare` started.
pub trait Scanner: Sync {
    /// Scanner version and vulnerability DB time (one cheap call per run).
    fn version(&self) -> impl Future<Output = Result<VersionInfo, ScanError>> + Send;
    fn prepare(&mut self, pending: usize) -> impl Future<Output = Result<(), ScanError>> + Send;
    /// Scan one image by digest; the raw JSON report, on disk (never held in memory whole).
    fn scan(&self, job: &ScanJob<'_>)
        -> impl Future<Output = Result<ReportFile, ScanError>> + Send;
    /// Turn a JSON report (a file) into an SBOM written to `out`.
    fn convert(
        &self,
        subject: &str,
        report: &Path,
        format: SbomFormat,
        out: &Path,
    ) -> impl Future<Output = Result<(), ScanError>> + Send;
    fn finish(&mut self) -> impl Future<Output = ()> + Send;
    /// Whether results may be cached under the local DB version (not with a remote server,
    /// whose DB gate cannot see).
    fn cacheable(&self) -> bool;
}

/// The `trivy` binary.
pub struct TrivyScanner {
    program: PathBuf,
    timeout: Duration,
    offline: bool,
    cache_dir: Option<PathBuf>,
    external_server: Option<String>,
    server: Option<TrivyServer>,
    sandbox: Sandbox,
    db: TrivyDb,
    /// This run already updated the vulnerability DB from the mirror.
    db_ready: bool,
    /// Where Trivy's version is remembered (see `quick`); `None` with `--no-cache`.
    memo: Option<PathBuf>,
    /// Why the set-up started ahead of the scan ([`TrivyScanner::warm_up`]) failed: every
    /// scan fails with it.
    setup_failure: Option<Arc<ScanError>>,
    /// Trivy clients at once, at most (the run's `concurrency`).
    concurrency: usize,
    /// `GOMAXPROCS` for each client, set by [`TrivyScanner::prepare`] ([`client_procs`]).
    client_procs: Option<String>,
}

impl TrivyScanner {
    /// Find `trivy`: the configured path, else `PATH` (or `cfg.search_path`).
    pub fn locate(cfg: &ScanConfig) -> Result<TrivyScanner, ScanError> {
        let program = match &cfg.trivy {
            // Trivy runs in its own directory: a relative path means the caller's.
            Some(p) if p.components().count() > 1 => absolute(p),
            Some(p) => find(p.as_os_str(), cfg)?,
            None => find("trivy".as_ref(), cfg)?,
        };
        let sandbox = Sandbox::new()
            .map_err(|source| ScanError::Io {
                program: program.clone(),
                source,
            })?
            .with_go_memory(super::memory_per_process(cfg.concurrency.max(1)));
        let memo = match cfg.no_cache {
            true => None,
            false => super::cache::Cache::open(cfg.cache_dir.as_deref())
                .and_then(|c| super::quick::memo_path(c.dir(), &program)),
        };
        Ok(TrivyScanner {
            memo,
            sandbox,
            program,
            timeout: cfg.timeout,
            offline: cfg.offline,
            cache_dir: cfg.trivy_cache_dir.as_deref().map(absolute),
            external_server: cfg.server.clone(),
            server: None,
            db: cfg.db.clone(),
            db_ready: false,
            setup_failure: None,
            concurrency: cfg.concurrency.max(1),
            client_procs: None,
        })
    }

    pub fn program(&self) -> &Path {
        &self.program
    }

    /// Whether [`TrivyScanner::warm_up`] pays for a run naming `images` images: at least two,
    /// no server of the user's, and every one of them certain to be scanned (`--no-cache`, or
    /// no trusted DB times in Trivy's configured cache: see [`super::quick::db_missing_or_due`]).
    /// A run that may be served from the cache starts no Trivy process before it knows.
    pub fn warm_up_pays(cfg: &ScanConfig, images: usize) -> bool {
        images >= 2
            && cfg.server.is_none()
            && (cfg.no_cache
                || super::quick::db_missing_or_due(cfg.trivy_cache_dir.as_deref(), cfg.offline))
    }

    /// Start what the scan of `images` images will need before the images are resolved: the DB
    /// download and the shared server, then Trivy's version (remembered, so the scan does not
    /// ask again). A failure is kept, and every scan of the run fails with it.
    pub async fn warm_up(&mut self, images: usize) {
        let _span = crate::trace::span("scan.warm-up", || format!("{images} image(s)"));
        if let Err(e) = self.prepare(images).await {
            self.setup_failure = Some(Arc::new(e));
            return;
        }
        let _ = self.version().await;
    }

    /// `trivy version --format json`, run.
    async fn version_process(&self) -> Result<VersionInfo, ScanError> {
        let mut inv = self.invocation("version", "trivy");
        inv.args = vec!["version".into(), "--format".into(), "json".into()];
        if let Some(dir) = &self.cache_dir {
            inv.args.push("--cache-dir".into());
            inv.args.push(dir.into());
        }
        inv.args = self.confined(inv.args, false);
        let out = inv.run().await?;
        VersionInfo::parse(&out.stdout).map_err(|source| ScanError::Report {
            command: "version",
            subject: "trivy".into(),
            last_line: super::process::last_line(&out.stderr, &[]),
            source,
        })
    }

    fn server_url(&self) -> Option<&str> {
        self.external_server
            .as_deref()
            .or(self.server.as_ref().map(TrivyServer::url))
    }

    /// Gate's own deadline: Trivy's `--timeout` plus a grace period for it to report its own
    /// timeout before it is killed.
    fn deadline(&self) -> Duration {
        self.timeout + (self.timeout / 5).min(Duration::from_secs(10))
    }

    /// Update the vulnerability DB from the mirror, once, before any scan; the mirror's
    /// credential is in this process's environment only.
    async fn download_db(&self) -> Result<(), ScanError> {
        let _span = crate::trace::span("scan.db-download", String::new);
        let subject = self.db.mirror_subject();
        let mut inv = self.invocation("image --download-db-only", &subject);
        inv.args = self.db.download_args();
        inv.args.push("--timeout".into());
        inv.args.push(go_duration(self.timeout).into());
        if let Some(dir) = &self.cache_dir {
            inv.args.push("--cache-dir".into());
            inv.args.push(dir.into());
        }
        inv.args = self.confined(inv.args, false);
        let mirror = self.db.repositories.first().map_or("", |r| registry_of(r));
        self.authorise(&mut inv, mirror, self.db.credential.as_ref())?;
        match inv.run().await {
            Ok(_) => Ok(()),
            Err(ScanError::Failed { last_line, .. }) => Err(ScanError::DbDownload {
                subject: subject.clone(),
                last_line,
            }),
            Err(e) => Err(e),
        }
    }

    fn invocation<'a>(&'a self, command: &'static str, subject: &'a str) -> Invocation<'a> {
        Invocation {
            program: &self.program,
            args: Vec::new(),
            env: Vec::new(),
            env_remove: Vec::new(),
            timeout: self.deadline(),
            limit: self.timeout,
            command,
            subject,
            secrets: Vec::new(),
            sandbox: Some(&self.sandbox),
        }
    }

    /// Give `inv` a per-process docker config holding only `registry`'s credential, and keep
    /// that credential out of its messages.
    fn authorise(
        &self,
        inv: &mut Invocation<'_>,
        registry: &str,
        credential: Option<&Credential>,
    ) -> Result<(), ScanError> {
        let docker = self.docker_config(registry, credential)?;
        inv.env.push(("DOCKER_CONFIG", docker));
        inv.secrets = secrets_of(credential);
        Ok(())
    }

    /// A per-process docker config directory holding only `registry`'s credential.
    fn docker_config(
        &self,
        registry: &str,
        credential: Option<&Credential>,
    ) -> Result<String, ScanError> {
        let docker = self
            .sandbox
            .docker_config(registry, credential)
            .map_err(|source| ScanError::Io {
                program: self.program.clone(),
                source,
            })?;
        Ok(docker.to_string_lossy().into_owned())
    }

    /// `args` with the sandbox's `--config`/`--ignorefile` after the subcommand.
    fn confined(&self, mut args: Vec<OsString>, ignorefile: bool) -> Vec<OsString> {
        let at = 1.min(args.len());
        args.splice(at..at, self.sandbox.args(ignorefile));
        args
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

fn find(name: &std::ffi::OsStr, cfg: &ScanConfig) -> Result<PathBuf, ScanError> {
    let found = match &cfg.search_path {
        Some(path) => {
            // Only relative `PATH` entries need the working directory.
            let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
            which::which_in(name, Some(path), cwd)
        }
        None => which::which(name),
    };
    found.map_err(|source| ScanError::NotFound { source })
}

/// `trivy image` arguments for one job (pure, so the exact command line is tested).
pub fn image_args(
    job: &ScanJob<'_>,
    timeout: Duration,
    offline: bool,
    cache_dir: Option<&Path>,
    server: Option<&str>,
    extra: &[OsString],
) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "image",
        "--format",
        "json",
        "--scanners",
        "vuln",
        "--list-all-pkgs",
        "--quiet",
        "--timeout",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    args.push(go_duration(timeout).into());
    if job.insecure {
        args.push("--insecure".into());
    }
    if let Some(dir) = cache_dir {
        args.push("--cache-dir".into());
        args.push(dir.into());
    }
    match server {
        Some(url) => {
            args.push("--server".into());
            args.push(url.into());
            if offline {
                args.push("--offline-scan".into());
            }
        }
        None if offline => {
            for flag in [
                "--skip-db-update",
                "--skip-java-db-update",
                "--offline-scan",
            ] {
                args.push(flag.into());
            }
        }
        None => {}
    }
    args.extend(extra.iter().cloned());
    args.push(job.image.into());
    args
}

/// `GOMAXPROCS` for Trivy clients when `at_once` of them share `cores`: each its share of the
/// cores, at least one, so that clients that fill the machine do not each run a scheduler
/// thread per core (`scripts/bench-trivy-levers`, 100 images on 2 cores, 4 at once: 4% less
/// wall, 4–7% less CPU). `None`, Go's default, when one client gets every core (a single large
/// image still analyses its layers in parallel) or when the user set `GOMAXPROCS`.
pub fn client_procs(cores: usize, at_once: usize, set: impl Fn(&str) -> bool) -> Option<String> {
    let share = (cores / at_once.max(1)).max(1);
    (share < cores && !set("GOMAXPROCS")).then(|| share.to_string())
}

/// A Go `time.Duration` string Trivy's `--timeout` accepts.
pub fn go_duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs().max(1))
    } else {
        format!("{}ms", d.as_millis().max(1))
    }
}

/// The strings of a job's credential that must never reach a message.
fn secrets_of(c: Option<&Credential>) -> Vec<String> {
    match c {
        None => Vec::new(),
        Some(Credential::Basic { password, .. }) => vec![password.clone()],
        Some(Credential::IdentityToken(t)) => vec![t.clone()],
    }
}

impl Scanner for TrivyScanner {
    async fn version(&self) -> Result<VersionInfo, ScanError> {
        let memo = self.memo.as_deref();
        let mut span = crate::trace::span("scan.version", String::new);
        if let Some(v) = memo.and_then(|m| super::quick::version(m, self.cache_dir.as_deref())) {
            if let Some(s) = span.as_mut() {
                s.note("remembered");
            }
            return Ok(v);
        }
        // gate's own server knows its binary's version and the DB it opened: one request
        // instead of a Trivy process on the way to the first scan.
        let served = match &self.server {
            Some(server) => server.version_json().await,
            None => None,
        };
        let info = match served.and_then(|b| VersionInfo::parse(&b).ok()) {
            Some(info) => {
                if let Some(s) = span.as_mut() {
                    s.note("from the server");
                }
                info
            }
            None => self.version_process().await?,
        };
        // Only beside cache entries: a run that caches nothing leaves gate's cache untouched.
        if let (Some(m), true, true) = (memo, info.db_updated_at.is_some(), self.cacheable()) {
            super::quick::remember(m, &info.version);
        }
        Ok(info)
    }

    async fn prepare(&mut self, pending: usize) -> Result<(), ScanError> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.client_procs = client_procs(cores, self.concurrency.min(pending), |k| {
            std::env::var_os(k).is_some()
        });
        if let Some(e) = &self.setup_failure {
            return Err(ScanError::Shared(Arc::clone(e)));
        }
        if self.external_server.is_some() || self.server.is_some() {
            return Ok(());
        }
        let download = !self.db_ready && self.db.downloads(self.offline);
        if pending < 2 {
            if download {
                self.download_db().await?;
                self.db_ready = true;
            }
            return Ok(());
        }
        // The server downloads the DB itself before it listens: one Trivy process fewer on the
        // way to the first scan. The mirror's credential is in its environment (it never sees
        // an image's: the clients pull the images).
        let (env, secrets) = self.db.cache_env();
        let mut setup = server::Setup {
            extra: self.db.server_args(self.db_ready, download),
            env,
            secrets,
            db_subject: match download {
                true => self.db.mirror_subject(),
                false => "trivy server".into(),
            },
        };
        if download {
            let mirror = self.db.repositories.first().map_or("", |r| registry_of(r));
            let credential = self.db.credential.as_ref();
            setup
                .env
                .push(("DOCKER_CONFIG", self.docker_config(mirror, credential)?));
            setup.secrets.extend(secrets_of(credential));
        }
        let _span = crate::trace::span("scan.server-start", || format!("download: {download}"));
        let server = TrivyServer::start(
            &self.program,
            self.cache_dir.as_deref(),
            self.offline,
            self.timeout,
            &self.sandbox,
            &setup,
        )
        .await?;
        self.server = Some(server);
        self.db_ready |= download;
        Ok(())
    }

    async fn scan(&self, job: &ScanJob<'_>) -> Result<ReportFile, ScanError> {
        let subject = job.image.to_owned();
        let _span = crate::trace::span("scan.trivy-image", || subject.clone());
        let mut inv = self.invocation("image", &subject);
        let client = self.server_url().is_some();
        inv.args = image_args(
            job,
            self.timeout,
            self.offline,
            self.cache_dir.as_deref(),
            self.server_url(),
            &self.db.scan_args(self.db_ready, client),
        );
        inv.args = self.confined(inv.args, true);
        self.authorise(&mut inv, registry_of(job.image), job.credential)?;
        if !client {
            let (env, secrets) = self.db.cache_env();
            inv.env.extend(env);
            inv.secrets.extend(secrets);
        }
        if let Some(procs) = &self.client_procs {
            inv.env.push(("GOMAXPROCS", procs.clone()));
        }
        if let Some(server) = &self.server {
            inv.env.push(("TRIVY_TOKEN", server.token().to_owned()));
            inv.secrets.push(server.token().to_owned());
        }
        // Removed again if the scan fails.
        let report = ReportFile::spooled(self.sandbox.report_path());
        inv.run_to_file(report.path(), MAX_REPORT_BYTES).await?;
        Ok(report)
    }

    async fn convert(
        &self,
        subject: &str,
        report: &Path,
        format: SbomFormat,
        out: &Path,
    ) -> Result<(), ScanError> {
        let _span = crate::trace::span("scan.convert", || subject.to_owned());
        let mut inv = self.invocation("convert", subject);
        inv.args = vec![
            "convert".into(),
            "--quiet".into(),
            "--format".into(),
            format.trivy_format().into(),
            "--output".into(),
            absolute(out).into(),
            absolute(report).into(),
        ];
        inv.args = self.confined(inv.args, true);
        inv.run().await.map(drop)
    }

    async fn finish(&mut self) {
        if let Some(server) = self.server.take() {
            let _span = crate::trace::span("scan.server-stop", String::new);
            server.stop().await;
        }
    }

    fn cacheable(&self) -> bool {
        self.external_server.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

    #[test]
    fn clients_that_fill_the_machine_get_their_share_of_its_cores() {
        let unset = |_: &str| false;
        assert_eq!(client_procs(2, 4, unset).as_deref(), Some("1"));
        assert_eq!(client_procs(2, 2, unset).as_deref(), Some("1"));
        assert_eq!(client_procs(8, 3, unset).as_deref(), Some("2"));
        assert_eq!(
            client_procs(8, 1, unset),
            None,
            "one client keeps every core"
        );
        assert_eq!(
            client_procs(1, 4, unset),
            None,
            "one core is Go's default already"
        );
        assert_eq!(client_procs(2, 0, unset), None);
        assert_eq!(
            client_procs(2, 4, |k| k == "GOMAXPROCS"),
            None,
            "the user's own"
        );
    }

    fn strings(v: Vec<OsString>) -> Vec<String> {
        v.into_iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn standalone_offline_command_line() {
        let image = format!("127.0.0.1:5000/app@{DIGEST}");
        let job = ScanJob {
            image: &image,
            digest: DIGEST,
            credential: None,
            insecure: true,
        };
        let args = image_args(
            &job,
            Duration::from_secs(300),
            true,
            Some(Path::new("/c")),
            None,
            &[],
        );
        assert_eq!(
            strings(args).join(" "),
            format!(
                "image --format json --scanners vuln --list-all-pkgs --quiet --timeout 300s \
                 --insecure --cache-dir /c --skip-db-update \
                 --skip-java-db-update --offline-scan {image}"
            )
        );
    }

    #[test]
    fn client_command_line_and_credentials_stay_in_env() {
        let image = format!("ghcr.io/a/b@{DIGEST}");
        let cred = Credential::Basic {
            username: "u".into(),
            password: "s3cret".into(),
        };
        let job = ScanJob {
            image: &image,
            digest: DIGEST,
            credential: Some(&cred),
            insecure: false,
        };
        let args = strings(image_args(
            &job,
            Duration::from_millis(1500),
            false,
            None,
            Some("http://127.0.0.1:4954"),
            &[],
        ));
        assert!(args.contains(&"1500ms".to_string()));
        assert!(args
            .windows(2)
            .any(|w| w == ["--server", "http://127.0.0.1:4954"]));
        assert!(!args
            .iter()
            .any(|a| a.contains("s3cret") || a == "--insecure"));
        assert_eq!(secrets_of(Some(&cred)), ["s3cret"]);
    }
}
