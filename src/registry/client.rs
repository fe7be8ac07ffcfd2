//! The registry client: OCI distribution API requests with auth, retries, timeouts and limits.
//!
//! Built on the same `reqwest` (rustls) that `oci-client` uses, because the resolve path needs
//! what `oci-client`'s API does not expose: the `Content-Type` and size of a HEAD response,
//! `Retry-After` on 429/503, and a hard cap on manifest size while the body streams in. Bearer
//! tokens are fetched once per registry and scope (concurrent requests share one token fetch);
//! Basic credentials are sent only to the registry they belong to, and reqwest drops the
//! `Authorization` header on redirects to another origin.

use super::auth::{AuthSources, Credential};
use super::retry::{retry_after, retryable, Backoff};
use super::ResolveError;
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// Every manifest media type gate understands, as the `Accept` list.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// What a blob request accepts: any bytes (the digest says what they must be).
const BLOB_ACCEPT: &str = "*/*";

/// The largest manifest gate reads (cosign's limit).
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// How the client talks to registries.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `host[:port]` reached over plain HTTP; everything else is HTTPS with verified TLS.
    pub insecure: Vec<String>,
    /// Extra PEM CA certificates to trust.
    pub ca_files: Vec<PathBuf>,
    /// Per-request timeout (connect + headers + body).
    pub timeout: Duration,
    /// Attempts per request on 408/429/500/502/503/504 and connection resets (1 = no retry).
    pub attempts: u32,
    /// The longest wait between attempts, whatever `Retry-After` says.
    pub max_backoff: Duration,
    pub auth: AuthSources,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            insecure: Vec::new(),
            ca_files: Vec::new(),
            timeout: Duration::from_secs(30),
            attempts: 4,
            max_backoff: Duration::from_secs(10),
            auth: AuthSources::from_env(),
        }
    }
}

/// What a HEAD (or GET) told us about a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestHead {
    pub digest: String,
    pub media_type: Option<String>,
    pub size: Option<u64>,
}

/// A manifest's bytes, verified against its digest.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub digest: String,
    pub media_type: Option<String>,
    pub bytes: bytes::Bytes,
}

/// One registry repository: where a request goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Repo {
    pub domain: String,
    pub path: String,
}

/// A shared registry client. Cheap to clone.
#[derive(Clone)]
pub struct RegistryClient {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    tokens: Arc<Mutex<TokenCells>>,
    schemes: Arc<Mutex<HashMap<String, Challenge>>>,
    creds: Arc<Mutex<HashMap<String, Option<Credential>>>>,
    manifests: Arc<Mutex<ManifestCache>>,
}

/// The most manifest bytes one client keeps for reuse ([`ManifestCache`]).
const MANIFEST_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// Manifests this client fetched, verified, by repository and digest: the bytes behind a
/// digest never change, so a stage asking for one another stage already fetched (inspect after
/// resolve, verify's platform walk after inspect) gets them without a request. Per repository,
/// so a digest fetched from one repository is never answered for another. Bounded: past
/// [`MANIFEST_CACHE_BYTES`], manifests are fetched each time again.
#[derive(Default)]
struct ManifestCache {
    entries: HashMap<(Repo, String), Manifest>,
    bytes: usize,
}

impl ManifestCache {
    fn get(&self, repo: &Repo, digest: &str) -> Option<Manifest> {
        self.entries
            .get(&(repo.clone(), digest.to_string()))
            .cloned()
    }

    fn put(&mut self, repo: &Repo, m: &Manifest) {
        let key = (repo.clone(), m.digest.clone());
        if self.entries.contains_key(&key) || self.bytes + m.bytes.len() > MANIFEST_CACHE_BYTES {
            return;
        }
        self.bytes += m.bytes.len();
        self.entries.insert(key, m.clone());
    }
}

/// One token cell per (registry, scope): the first request fills it, the others wait on it.
type TokenCells = HashMap<(String, String), Arc<OnceCell<Token>>>;

#[derive(Debug, Clone)]
struct Token {
    value: Option<String>,
    expires: Instant,
}

/// What a registry asked for in `WWW-Authenticate`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

impl RegistryClient {
    pub fn new(config: ClientConfig) -> Result<Self, ResolveError> {
        let mut b = reqwest::Client::builder()
            .user_agent(concat!("gate/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10).min(config.timeout))
            .timeout(config.timeout)
            .pool_max_idle_per_host(64)
            .redirect(reqwest::redirect::Policy::limited(5));
        for path in &config.ca_files {
            let pem = std::fs::read(path).map_err(|source| ResolveError::CaFile {
                path: path.clone(),
                source: Arc::new(source),
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|source| {
                ResolveError::CaFile {
                    path: path.clone(),
                    source: Arc::new(source),
                }
            })?;
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        let http = b.build().map_err(|e| ResolveError::Client(Arc::new(e)))?;
        Ok(Self {
            http,
            config: Arc::new(config),
            tokens: Arc::default(),
            schemes: Arc::default(),
            creds: Arc::default(),
            manifests: Arc::default(),
        })
    }

    fn base(&self, domain: &str) -> String {
        let scheme = if self.config.insecure.iter().any(|h| h == domain) {
            "http"
        } else {
            "https"
        };
        // Docker Hub's API lives on registry-1.docker.io.
        let host = if domain == "docker.io" {
            "registry-1.docker.io"
        } else {
            domain
        };
        format!("{scheme}://{host}")
    }

    /// `…/v2/<repository>/<rest>` on `repo`'s registry.
    fn url(&self, repo: &Repo, rest: &str) -> String {
        format!("{}/v2/{}/{rest}", self.base(&repo.domain), repo.path)
    }

    /// The URL of a manifest by tag or digest; any other text (a referrer's "digest" from a
    /// registry's index, say) is refused before it can change the request's path.
    fn manifest_url(&self, repo: &Repo, reference: &str) -> Result<String, ResolveError> {
        if !is_reference(reference) {
            return Err(ResolveError::BadReference {
                registry: repo.domain.clone(),
                reference: reference.to_string(),
            });
        }
        Ok(self.url(repo, &format!("manifests/{reference}")))
    }

    /// HEAD a manifest by tag or digest; falls back to GET when the registry sends no digest
    /// header, hashing the (bounded) body. A digest reference must come back with that digest.
    pub async fn head_manifest(
        &self,
        repo: &Repo,
        reference: &str,
    ) -> Result<ManifestHead, ResolveError> {
        let url = self.manifest_url(repo, reference)?;
        let resp = self
            .send(repo, reqwest::Method::HEAD, &url, MANIFEST_ACCEPT)
            .await?;
        let head = header_digest(&resp);
        let media_type = content_type(&resp);
        let size = resp.content_length().filter(|n| *n > 0);
        match head {
            Some(digest) => {
                check_expected(repo, reference, &digest)?;
                Ok(ManifestHead {
                    digest,
                    media_type,
                    size,
                })
            }
            None => {
                let m = self.get_manifest(repo, reference).await?;
                Ok(ManifestHead {
                    size: Some(m.bytes.len() as u64),
                    digest: m.digest,
                    media_type: m.media_type,
                })
            }
        }
    }

    /// GET a manifest, at most [`MAX_MANIFEST_BYTES`], and verify its bytes: against the
    /// requested digest, and against `Docker-Content-Digest` when the registry sends one. A
    /// digest this client already fetched by that digest from `repo` is answered from memory
    /// (the bytes were verified against it then); a tag is always asked.
    pub async fn get_manifest(
        &self,
        repo: &Repo,
        reference: &str,
    ) -> Result<Manifest, ResolveError> {
        let cached = self
            .manifests
            .lock()
            .ok()
            .and_then(|c| c.get(repo, reference));
        if let Some(m) = cached {
            return Ok(m);
        }
        let m = self.fetch_manifest(repo, reference).await?;
        // Only an answer by digest shows that the registry serves that digest: bytes that came
        // for a tag are not kept, so the by-digest GET after them still asks.
        if m.digest == reference {
            if let Ok(mut c) = self.manifests.lock() {
                c.put(repo, &m);
            }
        }
        Ok(m)
    }

    async fn fetch_manifest(&self, repo: &Repo, reference: &str) -> Result<Manifest, ResolveError> {
        let url = self.manifest_url(repo, reference)?;
        let resp = self
            .send(repo, reqwest::Method::GET, &url, MANIFEST_ACCEPT)
            .await?;
        let header = header_digest(&resp);
        let media_type = content_type(&resp);
        let bytes = read_limited(repo, resp, MAX_MANIFEST_BYTES).await?;
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        if let Some(h) = header.filter(|h| h.starts_with("sha256:")) {
            if h != digest {
                return Err(ResolveError::DigestMismatch {
                    registry: repo.domain.clone(),
                    expected: h,
                    actual: digest,
                });
            }
        }
        check_expected(repo, reference, &digest)?;
        Ok(Manifest {
            digest,
            media_type,
            bytes,
        })
    }

    /// GET the OCI referrers index of `digest` (filtered by `artifact_type`), at most
    /// [`MAX_MANIFEST_BYTES`] read while streaming: an endless or huge body fails closed
    /// instead of being buffered whole. `None` when the registry has no referrers API (404, 400
    /// or 406); else the answer's media type (`Content-Type`) and bytes.
    pub async fn get_referrers(
        &self,
        repo: &Repo,
        digest: &str,
        artifact_type: &str,
    ) -> Result<Option<(Option<String>, bytes::Bytes)>, ResolveError> {
        if !is_reference(digest) || is_tag(digest) {
            return Err(ResolveError::BadReference {
                registry: repo.domain.clone(),
                reference: digest.to_string(),
            });
        }
        let url = self.url(
            repo,
            &format!(
                "referrers/{digest}?artifactType={}",
                artifact_type.replace('+', "%2B")
            ),
        );
        match self
            .send(repo, reqwest::Method::GET, &url, MANIFEST_ACCEPT)
            .await
        {
            Ok(resp) => {
                let media_type = content_type(&resp);
                let bytes = read_limited(repo, resp, MAX_MANIFEST_BYTES).await?;
                Ok(Some((media_type, bytes)))
            }
            Err(ResolveError::NotFound { .. }) => Ok(None),
            // go-containerregistry (what cosign reads with) takes 400 and 406 to mean no API
            // too, as some registries answer: the tag schema is asked instead. That can only
            // find more referrers, never fewer; any other status still fails closed.
            Err(ResolveError::Status {
                status: 400 | 406, ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// GET the blob `digest` (`sha256:<64 hex>`, else refused unasked), at most `limit` bytes
    /// (a larger `Content-Length` is refused before the body, a longer body cut off while it
    /// streams), its bytes checked against the digest. Authenticated, retried and timed out
    /// like manifests, with the same token: no `/v2/` ping, no handshake of its own.
    pub async fn get_blob(
        &self,
        repo: &Repo,
        digest: &str,
        limit: u64,
    ) -> Result<bytes::Bytes, ResolveError> {
        if !is_sha256_digest(digest) {
            return Err(ResolveError::BadDigest {
                registry: repo.domain.clone(),
                digest: digest.to_string(),
            });
        }
        let url = self.url(repo, &format!("blobs/{digest}"));
        let resp = self
            .send(repo, reqwest::Method::GET, &url, BLOB_ACCEPT)
            .await?;
        let bytes = read_limited(repo, resp, limit).await?;
        let actual = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        if actual != digest {
            return Err(ResolveError::DigestMismatch {
                registry: repo.domain.clone(),
                expected: digest.to_string(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// Send one request with auth, timeouts and bounded retries; non-2xx becomes an error.
    async fn send(
        &self,
        repo: &Repo,
        method: reqwest::Method,
        url: &str,
        accept: &str,
    ) -> Result<reqwest::Response, ResolveError> {
        let mut backoff = Backoff::new(self.config.attempts, self.config.max_backoff);
        let mut authed = false;
        loop {
            let mut req = self
                .http
                .request(method.clone(), url)
                .header(reqwest::header::ACCEPT, accept);
            req = self.authorize(repo, req).await?;
            let result = req.send().await;
            let resp = match result {
                Ok(r) => r,
                Err(e) => {
                    // A refused or reset connection may be a registry restarting: retry it.
                    // A timeout is not retried, so a hanging registry costs one timeout.
                    if e.is_connect() && !e.is_timeout() {
                        if let Some(wait) = backoff.next(None) {
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                    }
                    return Err(ResolveError::network(&repo.domain, e));
                }
            };
            let status = resp.status();
            if status == reqwest::StatusCode::UNAUTHORIZED && !authed {
                authed = true;
                if self.learn_challenge(repo, &resp)? {
                    continue;
                }
            }
            if retryable(status.as_u16()) {
                if let Some(wait) = backoff.next(retry_after(resp.headers())) {
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
            if status.is_success() {
                return Ok(resp);
            }
            return Err(self.status_error(repo, resp).await);
        }
    }

    async fn status_error(&self, repo: &Repo, resp: reqwest::Response) -> ResolveError {
        let status = resp.status().as_u16();
        let registry = repo.domain.clone();
        let repository = repo.path.clone();
        // The registry's own error code, if it sent the standard envelope (bounded read).
        let code = read_limited(repo, resp, 64 * 1024)
            .await
            .ok()
            .and_then(|b| serde_json::from_slice::<Envelope>(&b).ok())
            .and_then(|e| e.errors.into_iter().next())
            .map(|e| e.code);
        match status {
            401 => ResolveError::Unauthorized {
                registry,
                repository,
                had_credentials: self.cached_credential(&repo.domain, &repo.path).is_some(),
            },
            403 => ResolveError::Denied {
                registry,
                repository,
            },
            404 => ResolveError::NotFound {
                registry,
                repository,
                code,
            },
            _ => ResolveError::Status {
                registry,
                repository,
                status,
                code,
            },
        }
    }

    fn cached_credential(&self, domain: &str, path: &str) -> Option<Credential> {
        self.creds
            .lock()
            .ok()
            .and_then(|m| m.get(&cred_key(domain, path)).cloned())
            .flatten()
    }

    /// The credential for one repository: looked up per repository (a podman key
    /// `host/team/app` must not serve `host/other/app`), then remembered for it.
    fn credential(&self, domain: &str, path: &str) -> Result<Option<Credential>, ResolveError> {
        let key = cred_key(domain, path);
        if let Some(c) = self.creds.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(c);
        }
        let c =
            self.config
                .auth
                .lookup(domain, path)
                .map_err(|source| ResolveError::Credentials {
                    registry: domain.to_string(),
                    source: Arc::new(source),
                })?;
        if let Ok(mut m) = self.creds.lock() {
            m.insert(key, c.clone());
        }
        Ok(c)
    }

    /// Remember how this registry wants to be asked; `true` when a retry with auth makes sense.
    fn learn_challenge(&self, repo: &Repo, resp: &reqwest::Response) -> Result<bool, ResolveError> {
        let Some(h) = resp
            .headers()
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
        else {
            return Ok(false);
        };
        let Some(ch) = parse_challenge(h) else {
            return Ok(false);
        };
        if ch == Challenge::Basic && self.credential(&repo.domain, &repo.path)?.is_none() {
            return Ok(false);
        }
        if let Ok(mut m) = self.schemes.lock() {
            m.insert(repo.domain.clone(), ch);
        }
        Ok(true)
    }

    async fn authorize(
        &self,
        repo: &Repo,
        req: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, ResolveError> {
        let scheme = self
            .schemes
            .lock()
            .ok()
            .and_then(|m| m.get(&repo.domain).cloned());
        match scheme {
            None => Ok(req),
            Some(Challenge::Basic) => match self.credential(&repo.domain, &repo.path)? {
                Some(Credential::Basic { username, password }) => {
                    Ok(req.basic_auth(username, Some(password)))
                }
                _ => Ok(req),
            },
            Some(Challenge::Bearer { realm, service }) => {
                let token = self.token(repo, &realm, service.as_deref()).await?;
                Ok(match token {
                    Some(t) => req.bearer_auth(t),
                    None => req,
                })
            }
        }
    }

    /// One token per (registry, scope), fetched once however many requests want it.
    async fn token(
        &self,
        repo: &Repo,
        realm: &str,
        service: Option<&str>,
    ) -> Result<Option<String>, ResolveError> {
        let scope = format!("repository:{}:pull", repo.path);
        let key = (repo.domain.clone(), scope.clone());
        loop {
            let cell = {
                let mut m = self
                    .tokens
                    .lock()
                    .map_err(|_poisoned| ResolveError::Internal)?;
                m.entry(key.clone()).or_default().clone()
            };
            let t = cell
                .get_or_try_init(|| self.fetch_token(repo, realm, service, &scope))
                .await?;
            if t.expires > Instant::now() {
                return Ok(t.value.clone());
            }
            if let Ok(mut m) = self.tokens.lock() {
                if m.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                    m.remove(&key);
                }
            }
        }
    }

    async fn fetch_token(
        &self,
        repo: &Repo,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<Token, ResolveError> {
        let cred = self.credential(&repo.domain, &repo.path)?;
        if cred.is_some() && !may_send_credentials(&self.base(&repo.domain), realm) {
            return Err(ResolveError::InsecureRealm {
                registry: repo.domain.clone(),
                realm: realm.to_owned(),
            });
        }
        let mut backoff = Backoff::new(self.config.attempts, self.config.max_backoff);
        loop {
            let req = match &cred {
                Some(Credential::IdentityToken(refresh)) => {
                    let mut form = vec![
                        ("grant_type", "refresh_token"),
                        ("refresh_token", refresh.as_str()),
                        ("client_id", "gate"),
                        ("scope", scope),
                    ];
                    if let Some(s) = service {
                        form.push(("service", s));
                    }
                    self.http.post(realm).form(&form)
                }
                other => {
                    let mut q = vec![("scope", scope)];
                    if let Some(s) = service {
                        q.push(("service", s));
                    }
                    let req = self.http.get(realm).query(&q);
                    match other {
                        Some(Credential::Basic { username, password }) => {
                            req.basic_auth(username, Some(password))
                        }
                        _ => req,
                    }
                }
            };
            let resp = req
                .send()
                .await
                .map_err(|e| ResolveError::network(&repo.domain, e))?;
            let status = resp.status().as_u16();
            if retryable(status) {
                if let Some(wait) = backoff.next(retry_after(resp.headers())) {
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
            if status == 401 || status == 403 {
                return Err(ResolveError::Unauthorized {
                    registry: repo.domain.clone(),
                    repository: repo.path.clone(),
                    had_credentials: cred.is_some(),
                });
            }
            if !resp.status().is_success() {
                return Err(ResolveError::Status {
                    registry: repo.domain.clone(),
                    repository: repo.path.clone(),
                    status,
                    code: Some("token endpoint".into()),
                });
            }
            let body = read_limited(repo, resp, 1024 * 1024).await?;
            let t: TokenReply =
                serde_json::from_slice(&body).map_err(|_bad_json| ResolveError::Status {
                    registry: repo.domain.clone(),
                    repository: repo.path.clone(),
                    status,
                    code: Some("token endpoint sent no token".into()),
                })?;
            let ttl = t.expires_in.unwrap_or(60).clamp(10, 3600);
            return Ok(Token {
                value: t.token.or(t.access_token).filter(|t| !t.is_empty()),
                // Renew a little early.
                expires: Instant::now() + Duration::from_secs(ttl.saturating_sub(5)),
            });
        }
    }
}

#[derive(serde::Deserialize)]
struct TokenReply {
    token: Option<String>,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

#[derive(serde::Deserialize)]
struct Envelope {
    errors: Vec<EnvelopeError>,
}

#[derive(serde::Deserialize)]
struct EnvelopeError {
    code: String,
}

fn parse_challenge(h: &str) -> Option<Challenge> {
    let (scheme, params) = h.trim().split_once(' ').unwrap_or((h.trim(), ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut realm = None;
    let mut service = None;
    let re = regex::Regex::new(r#"(\w+)\s*=\s*(?:"([^"]*)"|([^,\s]*))"#).ok()?;
    for c in re.captures_iter(params) {
        let v = c.get(2).or(c.get(3)).map(|m| m.as_str().to_string());
        match c.get(1).map(|m| m.as_str().to_ascii_lowercase()).as_deref() {
            Some("realm") => realm = v,
            Some("service") => service = v,
            _ => {}
        }
    }
    Some(Challenge::Bearer {
        realm: realm?,
        service,
    })
}

fn header_digest(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn content_type(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.split(';').next().unwrap_or(s).trim().to_string())
}

/// A by-digest request must be answered with that digest.
fn check_expected(repo: &Repo, reference: &str, got: &str) -> Result<(), ResolveError> {
    if reference.contains(':') && reference != got {
        return Err(ResolveError::DigestMismatch {
            registry: repo.domain.clone(),
            expected: reference.to_string(),
            actual: got.to_string(),
        });
    }
    Ok(())
}

/// A tag (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`, the distribution grammar).
fn is_tag(r: &str) -> bool {
    let b = r.as_bytes();
    (1..=128).contains(&b.len())
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

/// A tag or a digest (`algorithm:encoded`, OCI's characters): what a manifest URL may hold.
/// Neither has a `/`, `%`, `?` or `#`, nor is either ever `.` or `..`, so neither can change the
/// path of the URL it is put in.
fn is_reference(r: &str) -> bool {
    let digest = r.split_once(':').is_some_and(|(algorithm, encoded)| {
        !algorithm.is_empty()
            && algorithm.bytes().all(|c| {
                c.is_ascii_lowercase()
                    || c.is_ascii_digit()
                    || matches!(c, b'+' | b'.' | b'_' | b'-')
            })
            && !encoded.is_empty()
            && encoded
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'=' | b'_' | b'-'))
    });
    digest || is_tag(r)
}

/// `sha256:` and 64 lower-case hex digits: the only digest gate fetches a blob by, and one that
/// cannot change the path of the URL it is put in.
fn is_sha256_digest(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Read a body, failing as soon as it passes `max` bytes (before buffering more).
async fn read_limited(
    repo: &Repo,
    mut resp: reqwest::Response,
    max: u64,
) -> Result<bytes::Bytes, ResolveError> {
    let too_large = || ResolveError::TooLarge {
        registry: repo.domain.clone(),
        repository: repo.path.clone(),
        limit: max,
    };
    if resp.content_length().is_some_and(|n| n > max) {
        return Err(too_large());
    }
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| ResolveError::network(&repo.domain, e))?
    {
        if (buf.len() + chunk.len()) as u64 > max {
            return Err(too_large());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// The credential cache key: one entry per repository.
fn cred_key(domain: &str, path: &str) -> String {
    format!("{domain}/{path}")
}

/// Whether credentials may go to a token `realm` a registry at `base` named: an HTTPS realm,
/// or the registry's own origin (scheme, host and port). A TLS registry naming a plain-HTTP
/// realm on another host would have them sent in clear text to a server of its choosing.
fn may_send_credentials(base: &str, realm: &str) -> bool {
    let (Ok(base), Ok(realm)) = (reqwest::Url::parse(base), reqwest::Url::parse(realm)) else {
        return false;
    };
    realm.scheme() == "https" || realm.origin() == base.origin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_and_basic_challenges() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into())
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="gate""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Bearer service=x"), None);
        assert_eq!(parse_challenge("Negotiate"), None);
    }

    #[test]
    fn credentials_go_only_to_an_https_realm_or_the_registrys_own_origin() {
        assert!(may_send_credentials(
            "https://r.io",
            "https://auth.r.io/token"
        ));
        assert!(may_send_credentials(
            "http://127.0.0.1:5000",
            "http://127.0.0.1:5000/token"
        ));
        assert!(!may_send_credentials("https://r.io", "http://r.io/token"));
        assert!(!may_send_credentials(
            "https://r.io",
            "http://evil.example/token"
        ));
        assert!(!may_send_credentials(
            "http://127.0.0.1:5000",
            "http://127.0.0.1:5001/t"
        ));
        assert!(!may_send_credentials("https://r.io", "not a url"));
        assert_ne!(cred_key("h", "team/app"), cred_key("h", "other/app"));
    }

    #[test]
    fn the_manifest_cache_is_per_repository_and_bounded() {
        let repo = |path: &str| Repo {
            domain: "r.io".into(),
            path: path.into(),
        };
        let manifest = |n: usize, digest: &str| Manifest {
            digest: digest.into(),
            media_type: None,
            bytes: bytes::Bytes::from(vec![0u8; n]),
        };
        let mut c = ManifestCache::default();
        c.put(&repo("a"), &manifest(10, "sha256:1"));
        assert!(c.get(&repo("a"), "sha256:1").is_some());
        assert!(
            c.get(&repo("b"), "sha256:1").is_none(),
            "another repository"
        );
        c.put(&repo("a"), &manifest(MANIFEST_CACHE_BYTES, "sha256:2"));
        assert!(c.get(&repo("a"), "sha256:2").is_none(), "past the bound");
        assert_eq!(c.bytes, 10);
    }

    #[test]
    fn blobs_are_fetched_by_sha256_digests_only() {
        let hex = "0123456789abcdef".repeat(4);
        assert!(is_sha256_digest(&format!("sha256:{hex}")));
        for bad in [
            format!("sha256:{}", hex.to_uppercase()),
            format!("sha256:{}", &hex[1..]),
            format!("sha512:{hex}"),
            format!("sha256:{}/../../x", &hex[..60]),
            format!("sha256:{hex}?x"),
            String::new(),
        ] {
            assert!(!is_sha256_digest(&bad), "{bad}");
        }
    }

    #[test]
    fn manifest_urls_hold_only_tags_and_digests() {
        let hex = "0123456789abcdef".repeat(4);
        for good in [
            "latest".to_string(),
            "v1.2.3-rc_1".to_string(),
            "_x".to_string(),
            format!("sha256:{hex}"),
            format!("sha256-{hex}.sig"),
            "sha512:AbC=_-".to_string(),
            "a".repeat(128),
        ] {
            assert!(is_reference(&good), "{good}");
        }
        // What a hostile registry's referrers index could list as a "digest".
        for bad in [
            String::new(),
            ".".to_string(),
            "..".to_string(),
            "-x".to_string(),
            format!("sha256:{}/../../other/manifests/x", &hex[..8]),
            "../../other/manifests/latest".to_string(),
            format!("sha256:{hex}?ns=elsewhere"),
            format!("sha256:{hex}#x"),
            "sha256:%2e%2e".to_string(),
            ":abc".to_string(),
            "sha256:".to_string(),
            "a".repeat(129),
        ] {
            assert!(!is_reference(&bad), "{bad}");
        }
        assert!(!is_tag(&format!("sha256:{hex}")));
    }
}
