//! What a resolved digest is: a single image manifest or an index of platform manifests.
//!
//! The manifest is fetched by digest and its bytes are hashed before anything reads them, so a
//! registry that answered the HEAD with one digest and serves other bytes fails here. An index
//! with more children than [`MAX_INDEX_CHILDREN`] is refused rather than walked.

use super::{Manifest, RegistryClient, Repo, ResolveError};
use serde::{Deserialize, Serialize};

/// The most platform manifests an index may list.
pub const MAX_INDEX_CHILDREN: usize = 1_000;

/// An OS/architecture pair, as `linux/amd64` or `linux/arm/v7`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// A child of an index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Child {
    pub digest: String,
    pub media_type: Option<String>,
    pub platform: Option<Platform>,
}

/// A verified manifest and, for an index, its children.
#[derive(Debug, Clone)]
pub struct Inspected {
    pub manifest: Manifest,
    pub children: Vec<Child>,
}

impl Inspected {
    /// The platforms an index names (attestation and `unknown/unknown` entries left out).
    pub fn platforms(&self) -> Vec<Platform> {
        self.children
            .iter()
            .filter_map(|c| c.platform.clone())
            .filter(|p| p.os != "unknown")
            .collect()
    }
}

#[derive(Deserialize)]
struct IndexDoc {
    #[serde(default)]
    manifests: Option<Vec<ChildDoc>>,
}

#[derive(Deserialize)]
struct ChildDoc {
    digest: String,
    #[serde(default, rename = "mediaType")]
    media_type: Option<String>,
    #[serde(default)]
    platform: Option<Platform>,
}

impl RegistryClient {
    /// Fetch the manifest `digest` of `repo` (verified) and list an index's children. `tag`: the
    /// tag the digest was announced for, when it came from the registry's own answer for a tag.
    pub async fn inspect(
        &self,
        repo: &Repo,
        digest: &str,
        tag: Option<&str>,
    ) -> Result<Inspected, ResolveError> {
        let manifest = match self.get_manifest(repo, digest).await {
            Ok(m) => m,
            // The digest came from the registry's own answer for a tag: say so, not "not found".
            Err(ResolveError::NotFound { .. }) if tag.is_some() => {
                return Err(ResolveError::AnnouncedDigestMissing {
                    registry: repo.domain.clone(),
                    repository: repo.path.clone(),
                    tag: tag.unwrap_or_default().to_string(),
                    digest: digest.to_string(),
                })
            }
            Err(e) => return Err(e),
        };
        let doc: IndexDoc =
            serde_json::from_slice(&manifest.bytes).map_err(|e| ResolveError::BadManifest {
                registry: repo.domain.clone(),
                digest: digest.to_string(),
                reason: e.to_string(),
            })?;
        let children = doc.manifests.unwrap_or_default();
        if children.len() > MAX_INDEX_CHILDREN {
            return Err(ResolveError::BadManifest {
                registry: repo.domain.clone(),
                digest: digest.to_string(),
                reason: format!(
                    "index lists {} manifests (limit {MAX_INDEX_CHILDREN})",
                    children.len()
                ),
            });
        }
        let children = children
            .into_iter()
            .map(|c| Child {
                digest: c.digest,
                media_type: c.media_type,
                platform: c.platform,
            })
            .collect();
        Ok(Inspected { manifest, children })
    }
}
