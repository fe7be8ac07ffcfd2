//! The services `gate check` calls out to, behind small traits: a [`Registry`] (resolve
//! references, inspect the manifest behind a digest), an [`ImageScanner`] (scan digests) and a
//! [`SignatureVerifier`] (verify one digest target). [`super::run`] takes them as parameters and
//! builds none itself: the command passes the real ones ([`Services::real`]: the [`Resolver`],
//! Trivy, cosign verification), pipeline tests pass fakes. Each trait speaks the stage's own
//! types; joining their answers to images is the pipeline's job, not theirs.

use super::CheckFailure;
use crate::reference::Reference;
use crate::registry::{Repo, Unresolved};
use crate::resolve::{ResolveConfig, Resolved, Resolver};
use crate::scan::{ScanConfig, ScanError, ScanResult, ScanTarget};
use crate::verify::{RegistryFetcher, Verification, VerifyError, VerifyPolicy};
use std::collections::BTreeMap;
use std::future::Future;

/// Scan results by digest (`sha256:…`).
pub type Scans = BTreeMap<String, Result<ScanResult, ScanError>>;

/// Where images live.
pub trait Registry: Sync {
    /// One answer per reference, in input order: a digest is checked to exist, a tag is looked up.
    /// (Not `Send`: the real resolver's stream is not, and the pipeline runs on one task.)
    fn resolve_all(
        &self,
        refs: &[Reference],
    ) -> impl Future<Output = Vec<Result<Resolved, Unresolved>>>;
    /// The platforms (`os/arch[/variant]`) of the index behind a resolved digest, its bytes
    /// checked against the digest; empty for a single manifest.
    fn platforms(
        &self,
        r: &Resolved,
    ) -> impl Future<Output = Result<Vec<String>, Unresolved>> + Send;
    /// Where `r`'s content and attachments are fetched from (a mirror, when one covers it).
    fn repo_for(&self, r: &Reference) -> Repo;
}

/// A vulnerability scanner.
pub trait ImageScanner: Sync {
    /// Scan each target (one per distinct digest); the results keyed by digest. A target with
    /// no result is treated as not scanned (could not check).
    fn scan(
        &self,
        targets: Vec<ScanTarget>,
        cfg: &ScanConfig,
    ) -> impl Future<Output = Scans> + Send;
}

/// A signature scheme.
pub trait SignatureVerifier: Sync {
    /// The signatures and attestations of `digest` in `repo` that verify under `policy`.
    fn verify(
        &self,
        repo: &Repo,
        digest: &str,
        policy: &VerifyPolicy,
    ) -> impl Future<Output = Result<Verification, VerifyError>> + Send;
}

/// The services one run uses.
pub struct Services<R, S, V> {
    pub registry: R,
    pub scanner: S,
    pub verifier: V,
}

/// Trivy, through [`crate::scan`] (its server, cache and SBOMs).
pub struct Trivy;

/// cosign signatures and attestations, fetched from the registry ([`crate::verify`]).
pub struct Cosign(RegistryFetcher);

impl Services<Resolver, Trivy, Cosign> {
    /// The real services, over the registries `cfg` describes.
    pub fn real(cfg: &ResolveConfig) -> Result<Self, CheckFailure> {
        Ok(Self {
            registry: Resolver::new(cfg.clone())?,
            scanner: Trivy,
            verifier: Cosign(
                RegistryFetcher::new(cfg.client.clone()).map_err(CheckFailure::Verify)?,
            ),
        })
    }
}

impl Registry for Resolver {
    fn resolve_all(
        &self,
        refs: &[Reference],
    ) -> impl Future<Output = Vec<Result<Resolved, Unresolved>>> {
        Resolver::resolve_all(self, refs)
    }

    async fn platforms(&self, r: &Resolved) -> Result<Vec<String>, Unresolved> {
        let i = self.inspect(r).await?;
        Ok(i.platforms().iter().map(|p| p.to_string()).collect())
    }

    fn repo_for(&self, r: &Reference) -> Repo {
        Resolver::repo_for(self, r).0
    }
}

impl ImageScanner for Trivy {
    fn scan(
        &self,
        targets: Vec<ScanTarget>,
        cfg: &ScanConfig,
    ) -> impl Future<Output = Scans> + Send {
        crate::scan::scan_by_digest(targets, cfg)
    }
}

impl SignatureVerifier for Cosign {
    fn verify(
        &self,
        repo: &Repo,
        digest: &str,
        policy: &VerifyPolicy,
    ) -> impl Future<Output = Result<Verification, VerifyError>> + Send {
        crate::verify::verify_image(&self.0, repo, digest, policy)
    }
}
