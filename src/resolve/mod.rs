//! Stage `resolve`: each image reference to the digest it names today, through the OCI
//! distribution API, with the user's credentials.
//!
//! Distinct references are resolved concurrently (bounded by `concurrency`), identical ones once.
//! A tag costs one HEAD (a GET only when the registry sends no digest header, and then the bytes
//! are hashed); a reference that already carries a digest is checked to exist, never trusted
//! (with a HEAD, or with the GET a caller that reads every manifest needs anyway:
//! [`Resolver::reading_manifests`]).
//! `--mirror SRC=DST` sends requests for `SRC/...` to `DST/...` while the result keeps the
//! user's reference, so what gets pinned is what the user wrote.

pub mod config;

// The registry client moved to `crate::registry`; these names stay reachable here for callers
// that think of them as resolve's.
pub use crate::registry::{
    chain_text, Child, ClientConfig, Inspected, Manifest, ManifestHead, Platform, RegistryClient,
    Repo, ResolveError, Unresolved, MAX_INDEX_CHILDREN,
};

use crate::finding::{Rule, Severity};
use crate::reference::{Reference, DEFAULT_TAG};
use futures::StreamExt;
use serde::Serialize;
use std::collections::HashMap;

/// The rules this stage's configuration decides (resolution failures are errors, not findings).
pub const RULES: &[Rule] = &[REGISTRY_NOT_ALLOWED];

/// `registries.allowed` (the policy section this stage owns): an image from a registry it does
/// not allow, reported by the check where each reference is attached to its image.
pub const REGISTRY_NOT_ALLOWED: Rule = Rule {
    id: "GATE-IMG-004",
    name: "registry-not-allowed",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Image comes from a registry the policy does not allow",
    explain: "## What it checks\nEvery image reference's `registry/repository` (normalised: \
`nginx` is `docker.io/library/nginx`) is matched against the globs of the policy's \
`registries.allowed`. When the list is not empty and no glob matches, the image is reported.\n\n\
## Why it matters\nA pull request can point a workload at any registry, including one its author \
runs. Restricting where images come from keeps deployments on registries the organisation \
trusts, mirrors and scans.\n\n## How to fix\nUse an image from an allowed registry (or its \
mirror), or add the registry to `registries.allowed` in the trusted policy.\n\n## References\n\
- https://kubernetes.io/docs/concepts/containers/images/\n",
};

/// The default number of registry requests in flight.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// A reference and the digest it resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// The reference as the user wrote it.
    #[serde(serialize_with = "ser_reference")]
    pub reference: Reference,
    /// `sha256:…` of the manifest or index.
    pub digest: String,
    pub media_type: Option<String>,
    pub size: Option<u64>,
    /// Where it was resolved (`domain/path`), when a mirror was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

fn ser_reference<S: serde::Serializer>(r: &Reference, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(r.original())
}

impl Resolved {
    /// The canonical by-digest form every later stage works on: `docker.io/library/x@sha256:…`.
    pub fn canonical(&self) -> String {
        self.reference.by_digest(&self.digest)
    }

    /// Is this an index (multi-platform) rather than a single manifest?
    pub fn is_index(&self) -> bool {
        self.media_type.as_deref().is_some_and(|m| {
            m == "application/vnd.oci.image.index.v1+json"
                || m == "application/vnd.docker.distribution.manifest.list.v2+json"
        })
    }
}

/// `SRC=DST`: resolve `SRC/...` through `DST/...` (registry hosts or `host/path` prefixes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    pub from: String,
    pub to: String,
}

impl std::str::FromStr for Mirror {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (from, to) = s
            .split_once('=')
            .ok_or_else(|| format!("mirror `{s}` is not of the form SRC=DST"))?;
        let clean = |x: &str| {
            let x = x.trim().trim_end_matches('/');
            let (host, rest) = x.split_once('/').unwrap_or((x, ""));
            let host = crate::registry::auth::canonical_registry(host);
            if rest.is_empty() {
                host
            } else {
                format!("{host}/{rest}")
            }
        };
        let (from, to) = (clean(from), clean(to));
        if from.is_empty() || to.is_empty() {
            return Err(format!("mirror `{s}` has an empty side"));
        }
        Ok(Self { from, to })
    }
}

impl Mirror {
    /// Where `domain/path` is fetched from through this mirror, if it applies.
    fn map(&self, name: &str) -> Option<Repo> {
        let rest = if name == self.from {
            ""
        } else {
            name.strip_prefix(&self.from)?.strip_prefix('/')?
        };
        let target = if rest.is_empty() {
            self.to.clone()
        } else {
            format!("{}/{rest}", self.to)
        };
        let (domain, path) = target.split_once('/')?;
        Some(Repo {
            domain: domain.to_string(),
            path: path.to_string(),
        })
    }
}

/// Everything resolution needs to know.
#[derive(Debug, Clone)]
pub struct ResolveConfig {
    pub client: ClientConfig,
    pub mirrors: Vec<Mirror>,
    pub concurrency: usize,
}

impl Default for ResolveConfig {
    fn default() -> Self {
        Self {
            client: ClientConfig::default(),
            mirrors: Vec::new(),
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// Resolves references to digests.
#[derive(Clone)]
pub struct Resolver {
    client: RegistryClient,
    mirrors: Vec<Mirror>,
    concurrency: usize,
    /// Check a digest reference with a GET instead of a HEAD ([`Resolver::reading_manifests`]).
    get: bool,
}

impl Resolver {
    pub fn new(config: ResolveConfig) -> Result<Self, ResolveError> {
        Ok(Self {
            client: RegistryClient::new(config.client)?,
            mirrors: config.mirrors,
            concurrency: config.concurrency.max(1),
            get: false,
        })
    }

    /// A resolver for a caller that goes on to [`Resolver::inspect`] every digest it resolves
    /// (`gate check`): a reference that carries a digest is checked to exist with one GET by
    /// that digest, whose verified bytes the client keeps for the inspect, instead of a HEAD
    /// and then the same GET. A tag is still looked up with a HEAD: the GET by digest after it
    /// is what shows that the registry serves the digest it announced (which is what a
    /// deployer will pull), and a GET by tag alone would not.
    pub fn reading_manifests(mut self) -> Self {
        self.get = true;
        self
    }

    /// The client, for later stages that fetch manifests and blobs by digest.
    pub fn client(&self) -> &RegistryClient {
        &self.client
    }

    /// Where requests for `r` go: its own registry, or the first mirror that covers it.
    pub fn repo_for(&self, r: &Reference) -> (Repo, Option<String>) {
        let name = r.name();
        for m in &self.mirrors {
            if let Some(repo) = m.map(&name) {
                let via = format!("{}/{}", repo.domain, repo.path);
                return (repo, Some(via));
            }
        }
        (
            Repo {
                domain: r.domain().to_string(),
                path: r.path().to_string(),
            },
            None,
        )
    }

    /// Resolve one reference: a digest is checked to exist; a tag (default `latest`) is looked up.
    pub async fn resolve(&self, r: &Reference) -> Result<Resolved, Unresolved> {
        let (repo, via) = self.repo_for(r);
        let target = r.digest().or(r.tag()).unwrap_or(DEFAULT_TAG);
        let head = if self.get && r.digest().is_some() {
            self.client
                .get_manifest(&repo, target)
                .await
                .map(|m| ManifestHead {
                    size: Some(m.bytes.len() as u64),
                    digest: m.digest,
                    media_type: m.media_type,
                })
        } else {
            self.client.head_manifest(&repo, target).await
        };
        let head = head.map_err(|error| Unresolved {
            reference: r.original().to_string(),
            error,
        })?;
        Ok(Resolved {
            reference: r.clone(),
            digest: head.digest,
            media_type: head.media_type,
            size: head.size,
            via,
        })
    }

    /// Fetch the manifest behind a resolved digest (verified) and list an index's children.
    pub async fn inspect(&self, r: &Resolved) -> Result<Inspected, Unresolved> {
        let (repo, _) = self.repo_for(&r.reference);
        let tag = r
            .reference
            .digest()
            .is_none()
            .then(|| r.reference.tag().unwrap_or(DEFAULT_TAG));
        self.client
            .inspect(&repo, &r.digest, tag)
            .await
            .map_err(|error| Unresolved {
                reference: r.reference.original().to_string(),
                error,
            })
    }

    /// Resolve many references: results in input order; each distinct reference is resolved
    /// once, at most `concurrency` at a time.
    pub async fn resolve_all(&self, refs: &[Reference]) -> Vec<Result<Resolved, Unresolved>> {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut unique: Vec<&Reference> = Vec::new();
        let slots: Vec<usize> = refs
            .iter()
            .map(|r| {
                *index.entry(r.to_string()).or_insert_with(|| {
                    unique.push(r);
                    unique.len() - 1
                })
            })
            .collect();
        let mut results: Vec<Option<Result<Resolved, Unresolved>>> = vec![None; unique.len()];
        let mut stream = futures::stream::iter(unique.iter().enumerate())
            .map(|(i, r)| async move { (i, self.resolve(r).await) })
            .buffer_unordered(self.concurrency);
        while let Some((i, res)) = stream.next().await {
            results[i] = Some(res);
        }
        slots
            .into_iter()
            .zip(refs)
            .map(|(slot, r)| {
                let res = results[slot].clone().unwrap_or_else(|| {
                    Err(Unresolved {
                        reference: r.original().to_string(),
                        error: ResolveError::Internal,
                    })
                });
                // A duplicate keeps its own spelling.
                res.map(|mut ok| {
                    ok.reference = r.clone();
                    ok
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_map_prefixes_only_at_component_boundaries() {
        let m: Mirror = "index.docker.io=127.0.0.1:5000/hub".parse().unwrap();
        assert_eq!(m.from, "docker.io");
        let repo = m.map("docker.io/library/nginx").unwrap();
        assert_eq!(repo.domain, "127.0.0.1:5000");
        assert_eq!(repo.path, "hub/library/nginx");
        let m: Mirror = "ghcr.io/acme=localhost:5000".parse().unwrap();
        assert!(m.map("ghcr.io/acmex/api").is_none());
        assert_eq!(m.map("ghcr.io/acme/api").unwrap().path, "api");
        assert!("nonsense".parse::<Mirror>().is_err());
    }
}
