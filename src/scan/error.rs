//! Why a scan could not be done. Every variant means "could not check" (exit code 2), never a
//! pass; messages carry Trivy's own last error line and never a credential.

use super::report::ReportError;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("`trivy` was not found on `PATH`; install it (scripts/install-trivy) or pass `--trivy PATH`")]
    NotFound {
        #[source]
        source: which::Error,
    },
    #[error("could not start `{program}`")]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("lost contact with `{program}` while it ran")]
    Io {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("refusing to scan `{image}`: it does not name the resolved digest `{digest}`")]
    NotByDigest { image: String, digest: String },
    #[error("`trivy {command}` for `{subject}` failed ({status}): {last_line}")]
    Failed {
        command: &'static str,
        subject: String,
        status: String,
        last_line: String,
    },
    #[error("Trivy could not download its vulnerability database for `{subject}`: {last_line}")]
    DbDownload { subject: String, last_line: String },
    #[error(
        "`trivy {command}` for `{subject}` did not finish within the scan timeout of {} and was \
         killed: raise it with `--scan-timeout` or the policy's `scanner.timeout`",
        crate::units::duration(*timeout)
    )]
    Timeout {
        command: &'static str,
        subject: String,
        timeout: Duration,
    },
    #[error(
        "`trivy {command}` for `{subject}` printed more than {} MiB, gate's limit for its output; it was stopped",
        limit >> 20
    )]
    TooLarge {
        command: &'static str,
        subject: String,
        /// Bytes ([`super::MAX_REPORT_BYTES`] for a scan).
        limit: u64,
    },
    #[error("`trivy {command}` for `{subject}` did not print a Trivy JSON report: {last_line}")]
    Report {
        command: &'static str,
        subject: String,
        last_line: String,
        #[source]
        source: ReportError,
    },
    #[error("`trivy server` did not become ready at `{url}`: {last_line}")]
    Server { url: String, last_line: String },
    #[error("could not write `{path}`")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An index gate cannot pass while a node may run what it holds.
    #[error("cannot scan the index `{image}`: {reason}")]
    Index { image: String, reason: String },
    /// A child of an index a node in scope may run could not be scanned.
    #[error("cannot scan the `{platform}` child `{child}` of the index `{image}`")]
    Child {
        image: String,
        platform: String,
        child: String,
        #[source]
        source: Arc<ScanError>,
    },
    /// One failure shared by every image of the run (e.g. `trivy` missing).
    #[error(transparent)]
    Shared(Arc<ScanError>),
}
