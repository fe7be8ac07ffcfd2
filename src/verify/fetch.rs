//! Fetching what cosign attaches to a digest: the `sha256-<hex>.sig` and `.att` manifests and
//! their layer blobs, within the limits (layers per manifest, bytes per attachment), failing
//! fast: a manifest with too many layers or a layer whose descriptor is too large is refused
//! before any blob is fetched, and a blob that grows past its limit while streaming is cut off.
//! Manifests, referrers and blobs all come through gate's registry client (bounded,
//! digest-checked, authenticated, retried), behind the [`Fetcher`] trait.

use std::future::Future;

use futures::StreamExt;

use super::error::VerifyError;
use super::policy::VerifyPolicy;
use super::sign::{attestation_tag, signature_tag, Manifest};
use super::simple_signing::{check_digest, Rejection, SignatureLayer};
use super::{Layout, PlatformVerification, ReferrersSource, Verification};
use crate::registry::{ClientConfig, RegistryClient, Repo, ResolveError};

/// Fetching an attachment failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Registry(#[from] ResolveError),
    #[error("cannot fetch blob `{digest}` from `{registry}`")]
    Blob {
        registry: String,
        digest: String,
        #[source]
        source: Box<ResolveError>,
    },
    #[error("the referrers index of `{digest}` on `{registry}` is not valid JSON")]
    ReferrersIndex {
        registry: String,
        digest: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("blob `{digest}` from `{registry}` exceeds {limit} bytes")]
    BlobTooLarge {
        registry: String,
        digest: String,
        limit: u64,
    },
    #[error("blob from `{registry}` does not match its digest `{digest}`")]
    BlobDigest { registry: String, digest: String },
}

/// Where attachments come from. Implemented over a registry by [`RegistryFetcher`]; tests may
/// implement it over files.
pub trait Fetcher: Send + Sync {
    /// The manifest under `reference` (a tag), or `None` when there is none (404).
    fn manifest(
        &self,
        repo: &Repo,
        reference: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, FetchError>> + Send;

    /// Digests of the manifests that refer to `digest` (OCI referrers, or the referrers tag
    /// schema's index), without filtering, and which of the two listed them.
    fn referrers(
        &self,
        repo: &Repo,
        digest: &str,
    ) -> impl Future<Output = Result<(ReferrersSource, Vec<String>), FetchError>> + Send;

    /// The blob `digest`, at most `limit` bytes, checked against its digest.
    fn blob(
        &self,
        repo: &Repo,
        digest: &str,
        limit: u64,
    ) -> impl Future<Output = Result<Vec<u8>, FetchError>> + Send;
}

/// A [`Fetcher`] over OCI registries: gate's registry client for manifests, referrers and
/// blobs alike, so verify shares its credentials, tokens and connections with resolve.
#[derive(Clone)]
pub struct RegistryFetcher {
    client: RegistryClient,
}

impl RegistryFetcher {
    /// A client of its own, from gate's registry settings (`--insecure-registry`, `--ca-file`,
    /// credentials).
    pub fn new(config: ClientConfig) -> Result<Self, FetchError> {
        Ok(Self::with_client(RegistryClient::new(config)?))
    }

    /// Over `client`, sharing what it learnt (auth challenges, tokens, connections).
    pub fn with_client(client: RegistryClient) -> Self {
        Self { client }
    }
}

impl Fetcher for RegistryFetcher {
    async fn manifest(&self, repo: &Repo, reference: &str) -> Result<Option<Vec<u8>>, FetchError> {
        match self.client.get_manifest(repo, reference).await {
            Ok(m) => Ok(Some(m.bytes.to_vec())),
            Err(ResolveError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn referrers(
        &self,
        repo: &Repo,
        digest: &str,
    ) -> Result<(ReferrersSource, Vec<String>), FetchError> {
        #[derive(serde::Deserialize)]
        struct Index {
            #[serde(default)]
            manifests: Vec<Entry>,
        }
        #[derive(serde::Deserialize)]
        struct Entry {
            digest: String,
        }
        let list = |index: Index| index.manifests.into_iter().map(|e| e.digest).collect();
        // As cosign asks (go-containerregistry's `remote.Referrers`): the referrers API first,
        // read with the bounded client; an OCI index from it is the answer, and the tag schema
        // is not asked. Any other answer (404: no API) sends it to the tag schema.
        let api = self
            .client
            .get_referrers(repo, digest, BUNDLE_ARTIFACT_TYPE)
            .await?;
        if let Some((Some(media_type), bytes)) = api {
            if media_type == crate::verify::OCI_INDEX_MEDIA_TYPE {
                let index = serde_json::from_slice::<Index>(&bytes).map_err(|e| {
                    FetchError::ReferrersIndex {
                        registry: repo.domain.clone(),
                        digest: digest.to_string(),
                        source: e,
                    }
                })?;
                return Ok((ReferrersSource::Api, list(index)));
            }
        }
        // The referrers tag schema, read with the bounded, digest-checking client: none (404),
        // or no index, lists nothing.
        let digests = match self.manifest(repo, &digest.replacen(':', "-", 1)).await? {
            Some(bytes) => serde_json::from_slice::<Index>(&bytes)
                .map(list)
                .unwrap_or_default(),
            None => Vec::new(),
        };
        Ok((ReferrersSource::TagSchema, digests))
    }

    async fn blob(&self, repo: &Repo, digest: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        match self.client.get_blob(repo, digest, limit).await {
            Ok(bytes) => Ok(bytes.to_vec()),
            Err(ResolveError::TooLarge { .. }) => Err(FetchError::BlobTooLarge {
                registry: repo.domain.clone(),
                digest: digest.to_string(),
                limit,
            }),
            Err(ResolveError::DigestMismatch { .. }) => Err(FetchError::BlobDigest {
                registry: repo.domain.clone(),
                digest: digest.to_string(),
            }),
            Err(source) => Err(FetchError::Blob {
                registry: repo.domain.clone(),
                digest: digest.to_string(),
                source: Box::new(source),
            }),
        }
    }
}

/// The attachment bytes (signature and attestation layers, bundles) one image may still
/// fetch: the per-attachment limit is also the total per image, so many near-limit layers
/// fail closed instead of adding up (12 x 120 MiB took 1.5 GB).
#[derive(Debug)]
pub struct AttachmentBudget {
    limit: u64,
    used: u64,
}

impl AttachmentBudget {
    /// A budget of `limit` bytes in total.
    pub fn new(limit: u64) -> Self {
        Self { limit, used: 0 }
    }

    /// Charge `size` declared bytes of `digest`'s attachments, or fail beyond the total.
    fn take(&mut self, digest: &str, size: u64) -> Result<(), VerifyError> {
        let used = self.used.saturating_add(size);
        if used > self.limit {
            return Err(VerifyError::TooLarge {
                what: "the attachments' total",
                digest: digest.to_string(),
                size: used,
                limit: self.limit,
            });
        }
        self.used = used;
        Ok(())
    }
}

/// The layers of the manifest under `tag`, with their blobs, within the policy's limits.
pub async fn fetch_layers<F: Fetcher>(
    fetcher: &F,
    repo: &Repo,
    digest: &str,
    tag: &str,
    what: &'static str,
    policy: &VerifyPolicy,
    budget: &mut AttachmentBudget,
) -> Result<Vec<SignatureLayer>, VerifyError> {
    let fetch_err = |source| VerifyError::Fetch {
        image: format!("{}/{}@{digest}", repo.domain, repo.path),
        source: Box::new(source),
    };
    let Some(bytes) = fetcher.manifest(repo, tag).await.map_err(fetch_err)? else {
        return Ok(Vec::new());
    };
    let manifest: Manifest =
        serde_json::from_slice(&bytes).map_err(|source| VerifyError::AttachmentManifest {
            tag: tag.to_string(),
            source,
        })?;
    let limits = &policy.limits;
    if manifest.layers.len() > limits.max_layers {
        return Err(VerifyError::TooMany {
            what: "layers in the signature manifest",
            digest: digest.to_string(),
            count: manifest.layers.len(),
            limit: limits.max_layers,
        });
    }
    if manifest.layers.len() > limits.max_signatures {
        return Err(VerifyError::TooMany {
            what,
            digest: digest.to_string(),
            count: manifest.layers.len(),
            limit: limits.max_signatures,
        });
    }
    if let Some(big) = manifest
        .layers
        .iter()
        .find(|l| l.size > limits.max_attachment_bytes)
    {
        return Err(VerifyError::TooLarge {
            what: "an attachment",
            digest: digest.to_string(),
            size: big.size,
            limit: limits.max_attachment_bytes,
        });
    }
    // The whole manifest's declared bytes are charged before any blob is fetched.
    let declared = manifest
        .layers
        .iter()
        .fold(0u64, |sum, l| sum.saturating_add(l.size));
    budget.take(digest, declared)?;
    let mut layers = Vec::with_capacity(manifest.layers.len());
    for l in &manifest.layers {
        let payload = fetcher
            .blob(repo, &l.digest, l.size.min(limits.max_attachment_bytes))
            .await
            .map_err(fetch_err)?;
        layers.push(SignatureLayer {
            media_type: l.media_type.clone(),
            payload,
            annotations: l.annotations.clone(),
        });
    }
    Ok(layers)
}

/// Fetches and verifies the signatures (and attestations, when the policy requires any) of
/// `digest` in `repo`; with `verify_platforms`, also those of each platform manifest of an index.
pub async fn verify_image<F: Fetcher>(
    fetcher: &F,
    repo: &Repo,
    digest: &str,
    policy: &VerifyPolicy,
) -> Result<Verification, VerifyError> {
    let mut v = verify_one(fetcher, repo, digest, policy).await?;
    if policy.verify_platforms {
        for (platform, child) in index_children(fetcher, repo, digest).await? {
            let outcome = verify_one(fetcher, repo, &child, policy).await;
            v.platforms.push(PlatformVerification {
                platform,
                digest: child,
                outcome: outcome.map_err(|e| e.to_string()),
            });
        }
    }
    Ok(v)
}

/// `(os/arch[/variant], digest)` of each manifest in the index `digest`; empty when `digest` is
/// not an index.
async fn index_children<F: Fetcher>(
    fetcher: &F,
    repo: &Repo,
    digest: &str,
) -> Result<Vec<(String, String)>, VerifyError> {
    #[derive(serde::Deserialize)]
    struct Index {
        #[serde(default)]
        manifests: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        digest: String,
        platform: Option<crate::platform::Platform>,
    }
    let fetch_err = |source| VerifyError::Fetch {
        image: format!("{}/{}@{digest}", repo.domain, repo.path),
        source: Box::new(source),
    };
    let Some(bytes) = fetcher.manifest(repo, digest).await.map_err(fetch_err)? else {
        return Ok(Vec::new());
    };
    let index: Index =
        serde_json::from_slice(&bytes).map_err(|source| VerifyError::AttachmentManifest {
            tag: digest.to_string(),
            source,
        })?;
    Ok(index
        .manifests
        .into_iter()
        .filter_map(|e| {
            // A child without a platform may run anywhere (a runtime reads its configuration).
            let Some(p) = e.platform else {
                return Some(("no platform".to_string(), e.digest));
            };
            // Attestation manifests in buildx indexes are `unknown/unknown`: no node runs them.
            let unknown = |s: &str| s.eq_ignore_ascii_case("unknown");
            (!unknown(&p.os) && !unknown(&p.architecture)).then(|| (p.to_string(), e.digest))
        })
        .collect())
}

async fn verify_one<F: Fetcher>(
    fetcher: &F,
    repo: &Repo,
    digest: &str,
    policy: &VerifyPolicy,
) -> Result<Verification, VerifyError> {
    check_digest(digest)?;
    let mut budget = AttachmentBudget::new(policy.limits.max_attachment_bytes);
    let sig_layers = fetch_layers(
        fetcher,
        repo,
        digest,
        &signature_tag(digest),
        "signatures",
        policy,
        &mut budget,
    )
    .await?;
    let mut v = super::verify_signature_layers(digest, &sig_layers, policy)?;
    drop(sig_layers);
    verify_referrer_bundles(fetcher, repo, digest, policy, &mut v, &mut budget).await?;
    if !policy.attestations.is_empty() {
        let att_layers = fetch_layers(
            fetcher,
            repo,
            digest,
            &attestation_tag(digest),
            "attestations",
            policy,
            &mut budget,
        )
        .await?;
        let (verified, rejected) = super::verify_attestation_layers(digest, &att_layers, policy)?;
        // Bundle referrers may have added attestations already (cosign v3): keep them.
        v.attestations.extend(verified);
        v.rejected_attestations.extend(rejected);
    }
    Ok(v)
}

/// Verifies many digests concurrently (at most `concurrency` at once), results in input order.
pub async fn verify_many<F: Fetcher>(
    fetcher: &F,
    images: &[(Repo, String)],
    policy: &VerifyPolicy,
    concurrency: usize,
) -> Vec<Result<Verification, VerifyError>> {
    futures::stream::iter(images)
        .map(|(repo, digest)| verify_image(fetcher, repo, digest, policy))
        .buffered(concurrency.max(1))
        .collect()
        .await
}

/// Artifact type of a Sigstore bundle attached as an OCI referrer (cosign v3).
pub const BUNDLE_ARTIFACT_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The in-toto predicate type of a cosign v3 image signature.
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// cosign v3: Sigstore bundles attached to `digest` as referrers, found through the OCI
/// referrers API or, on a registry without it, the referrers tag schema (`sha256-<hex>`), in
/// cosign's order ([`Fetcher::referrers`]), both read with the bounded client.
/// A bundle whose DSSE statement has the cosign signing predicate counts as a signature; any
/// other predicate as an attestation.
async fn verify_referrer_bundles<F: Fetcher>(
    fetcher: &F,
    repo: &Repo,
    digest: &str,
    policy: &VerifyPolicy,
    v: &mut Verification,
    budget: &mut AttachmentBudget,
) -> Result<(), VerifyError> {
    let fetch_err = |source| VerifyError::Fetch {
        image: format!("{}/{}@{digest}", repo.domain, repo.path),
        source: Box::new(source),
    };
    let (source, referrers) = fetcher.referrers(repo, digest).await.map_err(fetch_err)?;
    let limits = &policy.limits;
    if referrers.len() > limits.max_signatures {
        return Err(VerifyError::TooMany {
            what: "referrers",
            digest: digest.to_string(),
            count: referrers.len(),
            limit: limits.max_signatures,
        });
    }
    let Some(sha) = digest
        .strip_prefix("sha256:")
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
    else {
        return Err(VerifyError::BadDigest {
            digest: digest.to_string(),
        });
    };
    let identities: Vec<super::KeylessIdentity> = policy.all_identities().cloned().collect();
    let base = v.rejected.len() + v.signatures.len();
    for (i, referrer) in referrers.iter().enumerate() {
        let Some(bytes) = fetcher.manifest(repo, referrer).await.map_err(fetch_err)? else {
            continue;
        };
        let manifest: Manifest =
            serde_json::from_slice(&bytes).map_err(|source| VerifyError::AttachmentManifest {
                tag: referrer.clone(),
                source,
            })?;
        let is_bundle = |t: &str| t.starts_with("application/vnd.dev.sigstore.bundle");
        let layer = manifest.layers.first();
        let bundle_layer = match layer {
            Some(l) if is_bundle(&l.media_type) => l,
            _ => {
                if manifest.artifact_type.as_deref().is_some_and(is_bundle) {
                    v.rejected
                        .push((base + i, Rejection::NotABundle(referrer.clone())));
                }
                continue;
            }
        };
        if bundle_layer.size > limits.max_attachment_bytes {
            return Err(VerifyError::TooLarge {
                what: "a bundle",
                digest: digest.to_string(),
                size: bundle_layer.size,
                limit: limits.max_attachment_bytes,
            });
        }
        budget.take(digest, bundle_layer.size)?;
        let json = fetcher
            .blob(repo, &bundle_layer.digest, bundle_layer.size)
            .await
            .map_err(fetch_err)?;
        let Ok(bundle) = serde_json::from_slice::<super::bundle::model::Bundle>(&json) else {
            v.rejected
                .push((base + i, Rejection::NotABundle(referrer.clone())));
            continue;
        };
        match verify_image_bundle(sha, &bundle, policy, &identities) {
            Ok((signer, outcome)) => {
                let rekor = None;
                let layout = Layout::referrer(source, &bundle_layer.media_type);
                match outcome.predicate_type.as_deref() {
                    Some(COSIGN_SIGN_PREDICATE) => v.signatures.push(super::VerifiedSignature {
                        signer,
                        rekor,
                        docker_reference: None,
                        layout,
                    }),
                    Some(other) => v.attestations.push(super::VerifiedAttestation {
                        predicate_type: other.to_string(),
                        signer,
                        rekor,
                        layout,
                        slsa: outcome.slsa.clone(),
                        vsa: outcome.vsa.clone(),
                    }),
                    None => v.rejected.push((
                        base + i,
                        Rejection::NotABundle(format!("{referrer} has no in-toto statement")),
                    )),
                }
            }
            // A trusted signature over another digest: a signature copied to this image.
            Err(super::bundle::BundleError::SubjectMismatch {
                found,
                predicate_type,
            }) => {
                if predicate_type.as_deref() == Some(COSIGN_SIGN_PREDICATE) {
                    v.rejected.push((base + i, Rejection::OtherDigest(found)));
                } else {
                    v.rejected_attestations.push((
                        base + i,
                        super::attestation::AttestationRejection::OtherSubject(digest.to_string()),
                    ));
                }
            }
            Err(e) => v.rejected.push((base + i, Rejection::Bundle(e))),
        }
    }
    Ok(())
}

/// Verifies an image bundle with any trusted key (key material) or identity (certificate).
fn verify_image_bundle(
    sha: [u8; 32],
    bundle: &super::bundle::model::Bundle,
    policy: &VerifyPolicy,
    identities: &[super::KeylessIdentity],
) -> Result<(super::Signer, super::bundle::BlobVerification), super::bundle::BundleError> {
    use super::bundle::{verify_bundle, Expectation, Subject};
    let now = chrono::Utc::now();
    if bundle.verification_material.public_key.is_some() {
        let mut last = super::bundle::BundleError::KeyRequired;
        for key in policy.all_keys() {
            match verify_bundle(
                Subject::Sha256(sha),
                bundle,
                &Expectation::KeyOptionalTlog(key),
                &policy.trust,
                now,
            ) {
                Ok(out) => {
                    let signer = super::Signer::Key {
                        fingerprint: key.fingerprint.clone(),
                        origin: key.origin.clone(),
                    };
                    return Ok((signer, out));
                }
                // Verified with this key, over another digest: that is the answer.
                Err(e @ super::bundle::BundleError::SubjectMismatch { .. }) => return Err(e),
                Err(e) => last = e,
            }
        }
        return Err(last);
    }
    let out = verify_bundle(
        Subject::Sha256(sha),
        bundle,
        &Expectation::AnyIdentity(identities),
        &policy.trust,
        now,
    )?;
    let id = out.identity.clone().unwrap_or_default();
    Ok((super::Signer::Certificate(id), out))
}
