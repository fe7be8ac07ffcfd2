//! Why a reference could not be resolved: one line naming the registry, the cause and what to
//! do. Never a credential: only registry and repository names reach these messages.

use super::auth::AuthError;
use std::path::PathBuf;
use std::sync::Arc;

type Source = Arc<dyn std::error::Error + Send + Sync>;

/// A failed registry operation.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ResolveError {
    #[error("cannot connect to registry `{registry}` (is it running? is the port right?)")]
    Connect {
        registry: String,
        #[source]
        source: Arc<reqwest::Error>,
    },
    #[error(
        "registry `{registry}` speaks plain HTTP, not TLS: if that is expected (a local or \
         test registry), allow it with `--insecure-registry {registry}`"
    )]
    PlainHttp {
        registry: String,
        #[source]
        source: Arc<reqwest::Error>,
    },
    #[error(
        "TLS with registry `{registry}` failed (trust its CA with `--ca-file`, or allow plain \
         HTTP with `--insecure-registry {registry}`)"
    )]
    Tls {
        registry: String,
        #[source]
        source: Arc<reqwest::Error>,
    },
    #[error("registry `{registry}` did not answer in time")]
    Timeout {
        registry: String,
        #[source]
        source: Arc<reqwest::Error>,
    },
    #[error("request to registry `{registry}` failed")]
    Network {
        registry: String,
        #[source]
        source: Arc<reqwest::Error>,
    },
    #[error("{}", unauthorized(registry, repository, *had_credentials))]
    Unauthorized {
        registry: String,
        repository: String,
        had_credentials: bool,
    },
    #[error("denied: the credentials for `{registry}` may not pull `{repository}` (403)")]
    Denied {
        registry: String,
        repository: String,
    },
    #[error("not found: `{repository}` has no such tag or digest on `{registry}` (404{})", code.as_ref().map(|c| format!(" {c}")).unwrap_or_default())]
    NotFound {
        registry: String,
        repository: String,
        code: Option<String>,
    },
    #[error("registry `{registry}` answered `{repository}:{tag}` with digest `{digest}` but has no manifest with that digest (it lies about the tag's digest or bytes, or the tag moved meanwhile)")]
    AnnouncedDigestMissing {
        registry: String,
        repository: String,
        tag: String,
        digest: String,
    },
    #[error("registry `{registry}` answered HTTP {status} for `{repository}`{}", code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Status {
        registry: String,
        repository: String,
        status: u16,
        code: Option<String>,
    },
    #[error("registry `{registry}` sent content with digest {actual} where {expected} was asked for or announced")]
    DigestMismatch {
        registry: String,
        expected: String,
        actual: String,
    },
    #[error("`{digest}` is not a sha256 digest gate fetches from `{registry}`")]
    BadDigest { registry: String, digest: String },
    #[error(
        "`{reference}` is neither a tag nor a digest: gate does not put it in a request to \
         `{registry}`"
    )]
    BadReference { registry: String, reference: String },
    #[error("registry `{registry}` sent more than {} for `{repository}`", crate::units::size(*.limit))]
    TooLarge {
        registry: String,
        repository: String,
        limit: u64,
    },
    #[error("registry `{registry}` served a manifest {digest} gate cannot accept: {reason}")]
    BadManifest {
        registry: String,
        digest: String,
        reason: String,
    },
    #[error(
        "`{registry}` asks for credentials to be sent to `{realm}`, which is neither HTTPS nor \
         the registry itself; they were not sent"
    )]
    InsecureRealm { registry: String, realm: String },
    #[error("cannot read credentials for `{registry}`")]
    Credentials {
        registry: String,
        #[source]
        source: Arc<AuthError>,
    },
    #[error("cannot load CA certificates from `{}`", path.display())]
    CaFile {
        path: PathBuf,
        #[source]
        source: Source,
    },
    #[error("cannot build the HTTP client")]
    Client(#[source] Arc<reqwest::Error>),
    #[error("internal error: a resolution result went missing")]
    Internal,
}

fn unauthorized(registry: &str, repository: &str, had_credentials: bool) -> String {
    if had_credentials {
        format!("unauthorized: the credentials for `{registry}` were rejected for `{repository}`: run `docker login {registry}`")
    } else {
        format!("unauthorized: `{registry}` needs credentials for `{repository}`: run `docker login {registry}`")
    }
}

impl ResolveError {
    /// Classify a transport error so the message says what to do.
    pub fn network(registry: &str, e: reqwest::Error) -> Self {
        let registry = registry.to_string();
        let chain = chain_text(&e).to_ascii_lowercase();
        let source = Arc::new(e);
        if source.is_timeout() {
            Self::Timeout { registry, source }
        } else if chain.contains("invalidcontenttype")
            || chain.contains("corrupt message")
            || chain.contains("wrong version number")
        {
            // rustls got bytes that are no TLS record: an HTTP answer to its ClientHello.
            Self::PlainHttp { registry, source }
        } else if chain.contains("certificate")
            || chain.contains("tls")
            || chain.contains("handshake")
        {
            Self::Tls { registry, source }
        } else if source.is_connect() {
            Self::Connect { registry, source }
        } else {
            Self::Network { registry, source }
        }
    }
}

/// A reference that could not be resolved, and why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("`{reference}`")]
pub struct Unresolved {
    pub reference: String,
    #[source]
    pub error: ResolveError,
}

pub use crate::errors::chain_text;
