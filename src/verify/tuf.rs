//! Sigstore's `trusted_root.json` obtained through TUF, as cosign, sigstore-go and
//! sigstore-python do, so trust follows key rotations instead of freezing at build time.
//!
//! The TUF client is `tough` (the implementation the `sigstore` crate uses); this module only
//! chooses the bootstrap root, the transport, and where verified files are kept. Bootstrap: the
//! public-good `root.json` the `sigstore` crate ships (taken at build time, see `build.rs`), or
//! `--tuf-root` for a private mirror. Every verified file is kept, byte for byte as fetched, in a
//! local mirror under `$XDG_CACHE_HOME/gate/tuf/<mirror>/repo`; `tough`'s datastore (the last
//! trusted timestamp, snapshot and targets, for rollback checks) sits beside it.
//!
//! - Warm start: the cached mirror is loaded through `tough` from disk with expiry enforced; while
//!   its metadata is current no network is used.
//! - Refresh: when the cached metadata has expired (or there is none), the remote mirror is
//!   loaded starting from the newest cached root, so root rotations are followed and rollbacks
//!   are refused across runs. If that fails the error stands: there is no silent fallback.
//! - `--offline`: the cached mirror is loaded from disk with signatures and hashes checked but
//!   expiry not enforced (go-tuf's "unsafe local mode"); no cache is an error saying how to get
//!   one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::TryStreamExt;
use tough::{
    ExpirationEnforcement, FilesystemTransport, RepositoryLoader, TargetName, Transport,
    TransportError, TransportErrorKind, TransportStream,
};
use url::Url;

/// Sigstore's public-good TUF repository.
pub const PUBLIC_GOOD_MIRROR: &str = "https://tuf-repo-cdn.sigstore.dev";

/// The bootstrap `root.json` of the public-good repository, shipped in the binary.
pub const PUBLIC_GOOD_ROOT: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/sigstore_tuf_root.json"));

/// The target that holds Sigstore's trust material.
const TRUSTED_ROOT: &str = "trusted_root.json";

/// The largest metadata or target file accepted from a mirror (Sigstore's are a few KiB).
const MAX_FILE: usize = 16 << 20;

/// Where and how to get the trusted root.
#[derive(Debug, Clone)]
pub struct TufOptions {
    /// The repository's base URL; metadata and targets are under `/` and `/targets/`.
    pub mirror: String,
    /// The bootstrap `root.json` for `mirror` (`None`: the embedded public-good root).
    pub root: Option<PathBuf>,
    /// gate's cache directory (`None`: `$XDG_CACHE_HOME/gate`, else `~/.cache/gate`).
    pub cache: Option<PathBuf>,
    /// Use the cached repository only, with no network.
    pub offline: bool,
    /// Timeout of one request to the mirror.
    pub timeout: Duration,
    /// Extra PEM CA certificates for an HTTPS mirror.
    pub ca_files: Vec<PathBuf>,
}

impl Default for TufOptions {
    fn default() -> Self {
        Self {
            mirror: PUBLIC_GOOD_MIRROR.to_string(),
            root: None,
            cache: None,
            offline: false,
            timeout: Duration::from_secs(30),
            ca_files: Vec::new(),
        }
    }
}

/// What the command line or the policy says about trust: `--trusted-root`, `--tuf-mirror`,
/// `--tuf-root` (policy `signatures.trusted-root`, `tuf-mirror`, `tuf-root`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustChoice {
    pub trusted_root: Option<PathBuf>,
    pub tuf_mirror: Option<String>,
    pub tuf_root: Option<PathBuf>,
}

impl TrustChoice {
    /// Whether anything was chosen.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// `self` (the command line) where it says anything, else `policy`.
    #[must_use]
    pub fn over(self, policy: TrustChoice) -> TrustChoice {
        if self.is_empty() {
            policy
        } else {
            self
        }
    }

    /// The `trusted_root.json` to verify with: `--trusted-root` as given, else the one TUF
    /// verifies from the chosen (default: public-good) mirror. `base` carries the timeout,
    /// `--offline`, CA files and cache directory.
    pub fn resolve(&self, base: &TufOptions) -> Result<PathBuf, TufError> {
        if let Some(path) = &self.trusted_root {
            return Ok(path.clone());
        }
        let opts = TufOptions {
            mirror: self
                .tuf_mirror
                .clone()
                .unwrap_or_else(|| base.mirror.clone()),
            root: self.tuf_root.clone().or_else(|| base.root.clone()),
            ..base.clone()
        };
        trusted_root(&opts).map(|v| v.path)
    }
}

/// How the trusted root was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Fetched from the mirror in this run.
    Fetched,
    /// The cached repository was current; no network was used.
    Cached,
    /// `--offline`: the cached repository, expiry not enforced.
    Offline,
}

/// A `trusted_root.json` that TUF verified.
#[derive(Debug, Clone)]
pub struct VerifiedTrustedRoot {
    /// The verified copy in the cache.
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub freshness: Freshness,
    /// The version of the TUF root that signed it.
    pub root_version: u64,
}

/// Why no trusted root could be obtained through TUF.
#[derive(Debug, thiserror::Error)]
pub enum TufError {
    #[error("`{mirror}` is not a valid TUF mirror URL")]
    Mirror {
        mirror: String,
        #[source]
        source: url::ParseError,
    },
    #[error("cannot read the TUF root `{}`", path.display())]
    Root {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no cache directory for TUF metadata: set `XDG_CACHE_HOME` or `HOME`")]
    NoCacheDir,
    #[error("cannot write the TUF cache `{}`", path.display())]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "no cached Sigstore trusted root for the TUF mirror `{mirror}` (in `{}`): run gate once \
         without `--offline` to fetch it, or give `--trusted-root FILE`",
        dir.display()
    )]
    NoCache { mirror: String, dir: PathBuf },
    #[error("the TUF repository at `{mirror}` did not verify")]
    Repository {
        mirror: String,
        #[source]
        source: Box<tough::error::Error>,
    },
    #[error("the TUF repository at `{mirror}` has no `{TRUSTED_ROOT}` target")]
    NoTarget { mirror: String },
    #[error("cannot build the HTTP client for the TUF mirror")]
    Client(#[source] reqwest::Error),
    #[error("cannot read the CA file `{}`", path.display())]
    CaFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid CA file `{}`", path.display())]
    CaPem {
        path: PathBuf,
        #[source]
        source: reqwest::Error,
    },
    #[error("cannot start the TUF client")]
    Runtime(#[source] std::io::Error),
}

/// The trusted root for `opts`, through TUF. Blocking: runs the client on its own thread and
/// runtime, so it may be called from synchronous code and from inside an async runtime alike.
pub fn trusted_root(opts: &TufOptions) -> Result<VerifiedTrustedRoot, TufError> {
    std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(TufError::Runtime)?;
            rt.block_on(fetch(opts))
        })
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The cache directory of one mirror: `<cache>/tuf/<mirror without scheme, one path segment>`.
pub fn mirror_dir(opts: &TufOptions) -> Result<PathBuf, TufError> {
    let base = match &opts.cache {
        Some(dir) => dir.clone(),
        None => crate::scan::cache::default_root().ok_or(TufError::NoCacheDir)?,
    };
    let name = opts
        .mirror
        .split_once("://")
        .map_or(opts.mirror.as_str(), |(_, rest)| rest)
        .trim_end_matches('/');
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    // Never `.` or `..`: one directory below `tuf/`, whatever the URL.
    let name = if name.starts_with('.') || name.is_empty() {
        format!("_{name}")
    } else {
        name
    };
    Ok(base.join("tuf").join(name))
}

async fn fetch(opts: &TufOptions) -> Result<VerifiedTrustedRoot, TufError> {
    let dir = mirror_dir(opts)?;
    let local = dir.join("repo");
    let cached = local.join("metadata").join("timestamp.json").is_file();
    if opts.offline {
        if !cached {
            return Err(TufError::NoCache {
                mirror: opts.mirror.clone(),
                dir,
            });
        }
        return load_local(
            opts,
            &local,
            ExpirationEnforcement::Unsafe,
            Freshness::Offline,
        )
        .await;
    }
    if cached {
        // Current cache: no network. Expired or damaged: refresh from the mirror below.
        if let Ok(v) =
            load_local(opts, &local, ExpirationEnforcement::Safe, Freshness::Cached).await
        {
            return Ok(v);
        }
    }
    load_remote(opts, &dir).await
}

/// Loads the cached copy of the repository through `tough` from disk.
async fn load_local(
    opts: &TufOptions,
    local: &Path,
    expiry: ExpirationEnforcement,
    freshness: Freshness,
) -> Result<VerifiedTrustedRoot, TufError> {
    let repo_err = |source| TufError::Repository {
        mirror: opts.mirror.clone(),
        source: Box::new(source),
    };
    let root_path = local.join("metadata").join("root.json");
    let root = std::fs::read(&root_path).map_err(|source| TufError::Root {
        path: root_path,
        source,
    })?;
    let dir_url = |sub: &str| {
        Url::from_directory_path(local.join(sub)).map_err(|()| TufError::Cache {
            path: local.join(sub),
            source: std::io::Error::other("not an absolute path"),
        })
    };
    let repo = RepositoryLoader::new(&root, dir_url("metadata")?, dir_url("targets")?)
        .transport(FilesystemTransport)
        .expiration_enforcement(expiry)
        .load()
        .await
        .map_err(repo_err)?;
    let bytes = read_target(&repo, opts).await?;
    Ok(VerifiedTrustedRoot {
        path: local.join("targets").join(TRUSTED_ROOT),
        bytes,
        freshness,
        root_version: repo.root().signed.version.get(),
    })
}

/// Loads the repository from the mirror, starting from the newest root trusted so far, and
/// replaces the cached copy with what verified.
async fn load_remote(opts: &TufOptions, dir: &Path) -> Result<VerifiedTrustedRoot, TufError> {
    let mirror = opts.mirror.trim_end_matches('/').to_string() + "/";
    let parse = |s: &str| {
        Url::parse(s).map_err(|source| TufError::Mirror {
            mirror: opts.mirror.clone(),
            source,
        })
    };
    let metadata_base = parse(&mirror)?;
    let targets_base = parse(&format!("{mirror}targets/"))?;
    let bootstrap = match &opts.root {
        Some(path) => std::fs::read(path).map_err(|source| TufError::Root {
            path: path.clone(),
            source,
        })?,
        None => PUBLIC_GOOD_ROOT.to_vec(),
    };
    // The newest root a previous run verified, when it is newer than the bootstrap root;
    // `tough` checks its signatures again.
    let cached_root = std::fs::read(dir.join("repo").join("metadata").join("root.json")).ok();
    let start = match cached_root {
        Some(c) if root_version(&c) >= root_version(&bootstrap) => c,
        _ => bootstrap,
    };
    let datastore = dir.join("datastore");
    std::fs::create_dir_all(&datastore).map_err(|source| TufError::Cache {
        path: datastore.clone(),
        source,
    })?;
    let transport = Recording::new(http_client(opts)?);
    let repo = RepositoryLoader::new(&start, metadata_base.clone(), targets_base.clone())
        .transport(transport.clone())
        .expiration_enforcement(ExpirationEnforcement::Safe)
        .datastore(&datastore)
        .load()
        .await
        .map_err(|source| TufError::Repository {
            mirror: opts.mirror.clone(),
            source: Box::new(source),
        })?;
    let bytes = read_target(&repo, opts).await?;
    let fetched = transport.take();
    let local = save_mirror(dir, &start, &fetched, &metadata_base, &targets_base, &bytes)?;
    Ok(VerifiedTrustedRoot {
        path: local.join("targets").join(TRUSTED_ROOT),
        bytes,
        freshness: Freshness::Fetched,
        root_version: repo.root().signed.version.get(),
    })
}

/// `trusted_root.json`, its length and hash checked by `tough` against the targets metadata.
async fn read_target(repo: &tough::Repository, opts: &TufOptions) -> Result<Vec<u8>, TufError> {
    let repo_err = |source| TufError::Repository {
        mirror: opts.mirror.clone(),
        source: Box::new(source),
    };
    let name = TargetName::new(TRUSTED_ROOT).map_err(repo_err)?;
    let stream = repo
        .read_target(&name)
        .await
        .map_err(repo_err)?
        .ok_or_else(|| TufError::NoTarget {
            mirror: opts.mirror.clone(),
        })?;
    let chunks: Vec<_> = stream.try_collect().await.map_err(repo_err)?;
    Ok(chunks.concat())
}

/// The `signed.version` of a root (0 when unreadable, so it is never preferred).
fn root_version(bytes: &[u8]) -> u64 {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| v["signed"]["version"].as_u64())
        .unwrap_or(0)
}

/// Writes the verified files as a mirror `tough` can load from disk: `metadata/` holds every
/// metadata file fetched under its own name plus the newest root as `root.json`; `targets/` the
/// target. The new copy replaces the old one in one rename.
fn save_mirror(
    dir: &Path,
    start_root: &[u8],
    fetched: &BTreeMap<String, Vec<u8>>,
    metadata_base: &Url,
    targets_base: &Url,
    target: &[u8],
) -> Result<PathBuf, TufError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TufError::Cache { path, source }
    };
    let staging = tempfile::Builder::new()
        .prefix("repo.")
        .tempdir_in(dir)
        .map_err(io(dir))?;
    let meta = staging.path().join("metadata");
    let targets = staging.path().join("targets");
    std::fs::create_dir_all(&meta).map_err(io(&meta))?;
    std::fs::create_dir_all(&targets).map_err(io(&targets))?;
    let mut newest_root = (root_version(start_root), start_root);
    for (url, bytes) in fetched {
        let (into, name) = if let Some(name) = url.strip_prefix(targets_base.as_str()) {
            (&targets, name)
        } else if let Some(name) = url.strip_prefix(metadata_base.as_str()) {
            (&meta, name)
        } else {
            continue;
        };
        if name.is_empty() || name.contains('/') || name.starts_with('.') {
            continue;
        }
        if let Some(v) = name.strip_suffix(".root.json") {
            if let Ok(v) = v.parse::<u64>() {
                if v > newest_root.0 {
                    newest_root = (v, bytes);
                }
            }
        }
        std::fs::write(into.join(name), bytes).map_err(io(&into.join(name)))?;
    }
    let root = meta.join("root.json");
    std::fs::write(&root, newest_root.1).map_err(io(&root))?;
    // The verified target under its plain name too, for `--trusted-root`-style use.
    let plain = targets.join(TRUSTED_ROOT);
    std::fs::write(&plain, target).map_err(io(&plain))?;
    let local = dir.join("repo");
    let old = dir.join("repo.old");
    let _ = std::fs::remove_dir_all(&old);
    if local.exists() {
        std::fs::rename(&local, &old).map_err(io(&local))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, &local).map_err(io(&local))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(local)
}

fn http_client(opts: &TufOptions) -> Result<reqwest::Client, TufError> {
    let mut b = reqwest::Client::builder()
        .user_agent(concat!("gate/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(opts.timeout)
        .timeout(opts.timeout)
        .redirect(reqwest::redirect::Policy::limited(5));
    for path in &opts.ca_files {
        let pem = std::fs::read(path).map_err(|source| TufError::CaFile {
            path: path.clone(),
            source,
        })?;
        let certs =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|source| TufError::CaPem {
                path: path.clone(),
                source,
            })?;
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    b.build().map_err(TufError::Client)
}

/// An HTTP(S) transport for `tough` that keeps each body it returned, so what verified can be
/// cached byte for byte. Plain HTTP is allowed: every byte is checked against signed metadata.
#[derive(Debug, Clone)]
struct Recording {
    client: reqwest::Client,
    fetched: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
}

impl Recording {
    fn new(client: reqwest::Client) -> Self {
        Self {
            client,
            fetched: Arc::default(),
        }
    }

    fn take(&self) -> BTreeMap<String, Vec<u8>> {
        std::mem::take(&mut *self.fetched.lock().unwrap_or_else(|p| p.into_inner()))
    }

    async fn get(&self, url: &Url) -> Result<Vec<u8>, TransportError> {
        let other = |e: reqwest::Error| {
            let kind = match e.status() {
                Some(s) if matches!(s.as_u16(), 403 | 404 | 410) => {
                    TransportErrorKind::FileNotFound
                }
                _ => TransportErrorKind::Other,
            };
            TransportError::new_with_cause(kind, url.clone(), e)
        };
        let response = self
            .client
            .get(url.as_str())
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(other)?;
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.try_next().await.map_err(other)? {
            if body.len() + chunk.len() > MAX_FILE {
                return Err(TransportError::new_with_cause(
                    TransportErrorKind::Other,
                    url.clone(),
                    std::io::Error::other(format!("larger than {MAX_FILE} bytes")),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

#[tough::async_trait]
impl Transport for Recording {
    async fn fetch(&self, url: Url) -> Result<TransportStream, TransportError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(TransportError::new(
                TransportErrorKind::UnsupportedUrlScheme,
                url,
            ));
        }
        let body = self.get(&url).await?;
        self.fetched
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(url.to_string(), body.clone());
        let chunk: Result<tough::Bytes, TransportError> = Ok(tough::Bytes::from(body));
        Ok(Box::pin(futures::stream::iter([chunk])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_dir_is_one_segment_per_mirror() {
        let opts = |mirror: &str| TufOptions {
            mirror: mirror.into(),
            cache: Some(PathBuf::from("/c")),
            ..TufOptions::default()
        };
        assert_eq!(
            mirror_dir(&opts(PUBLIC_GOOD_MIRROR)).unwrap(),
            PathBuf::from("/c/tuf/tuf-repo-cdn.sigstore.dev")
        );
        assert_eq!(
            mirror_dir(&opts("http://127.0.0.1:8080/a/../b/")).unwrap(),
            PathBuf::from("/c/tuf/127.0.0.1_8080_a_.._b")
        );
    }

    #[test]
    fn embedded_bootstrap_root_is_a_tuf_root() {
        let v: serde_json::Value = serde_json::from_slice(PUBLIC_GOOD_ROOT).unwrap();
        assert_eq!(v["signed"]["_type"], "root");
        assert!(root_version(PUBLIC_GOOD_ROOT) >= 1);
    }

    #[test]
    fn offline_without_cache_says_how_to_get_one() {
        let dir = tempfile::tempdir().unwrap();
        let opts = TufOptions {
            mirror: "http://127.0.0.1:9".into(),
            cache: Some(dir.path().to_path_buf()),
            offline: true,
            ..TufOptions::default()
        };
        let err = trusted_root(&opts).unwrap_err();
        assert!(matches!(err, TufError::NoCache { .. }), "{err:?}");
        assert!(err.to_string().contains("without `--offline`"), "{err}");
    }
}
