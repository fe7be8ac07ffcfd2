//! The services `gate check` calls out to, behind small traits: a [`Registry`] (resolve
//! references, inspect the manifest behind a digest), an [`ImageScanner`] (scan digests) and a
//! [`SignatureVerifier`] (verify one digest target). [`super::run`] takes them as parameters and
//! builds none itself: the command passes the real ones ([`Services::real`]: the [`Resolver`],
//! Trivy, cosign verification), pipeline tests pass fakes. Each trait speaks the stage's own
//! types; joining their answers to images is the pipeline's job, not theirs.

use super::CheckFailure;
use crate::reference::Reference;
use crate::registry::{Repo, Unresolved};
use crate::resolve::{Child, ResolveConfig, Resolved, Resolver};
use crate::scan::{ScanConfig, ScanError, ScanResult, ScanTarget, TrivyScanner};
use crate::verify::{RegistryFetcher, Verification, VerifyError, VerifyPolicy};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;

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
    /// The children of the index behind a resolved digest (digest, media type, platform), its
    /// bytes checked against the digest; empty for a single manifest.
    fn children(&self, r: &Resolved)
        -> impl Future<Output = Result<Vec<Child>, Unresolved>> + Send;
    /// Where `r`'s content and attachments are fetched from (a mirror, when one covers it).
    fn repo_for(&self, r: &Reference) -> Repo;
}

/// A vulnerability scanner.
pub trait ImageScanner: Sync {
    /// Told as soon as the run knows how many images it names (before they are resolved), so
    /// a scanner can start its slow set-up (a vulnerability-DB download, a server) beside
    /// resolve and inspect; [`ImageScanner::scan`] then waits for it. Nothing by default.
    fn warm_up(&self, _cfg: &ScanConfig, _images: usize) {}
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

/// Trivy, through [`crate::scan`] (its server, cache and SBOMs), set up ahead of the scan when
/// that pays ([`TrivyScanner::warm_up_pays`]).
#[derive(Default)]
pub struct Trivy {
    /// The set-up started by [`ImageScanner::warm_up`], running beside resolve.
    warming: Mutex<Option<tokio::task::JoinHandle<Option<TrivyScanner>>>>,
}

/// cosign signatures and attestations, fetched from the registry ([`crate::verify`]).
pub struct Cosign(RegistryFetcher);

impl Services<Resolver, Trivy, Cosign> {
    /// The real services, over the registries `cfg` describes.
    pub fn real(cfg: &ResolveConfig) -> Result<Self, CheckFailure> {
        // Every resolved digest is inspected: a pinned reference costs one GET, not a HEAD and
        // a GET.
        let registry = Resolver::new(cfg.clone())?.reading_manifests();
        // One client for resolve, inspect and verify: one auth handshake per registry and
        // scope for the whole run, and the connections kept open between the stages.
        let verifier = Cosign(RegistryFetcher::with_client(registry.client().clone()));
        Ok(Self {
            registry,
            scanner: Trivy::default(),
            verifier,
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

    async fn children(&self, r: &Resolved) -> Result<Vec<Child>, Unresolved> {
        Ok(self.inspect(r).await?.children)
    }

    fn repo_for(&self, r: &Reference) -> Repo {
        Resolver::repo_for(self, r).0
    }
}

impl ImageScanner for Trivy {
    fn warm_up(&self, cfg: &ScanConfig, images: usize) {
        if !TrivyScanner::warm_up_pays(cfg, images) {
            return;
        }
        // Not found: the scan reports it.
        let Ok(mut scanner) = TrivyScanner::locate(cfg) else {
            return;
        };
        let task = tokio::spawn(async move {
            scanner.warm_up(images).await;
            Some(scanner)
        });
        if let Ok(mut w) = self.warming.lock() {
            *w = Some(task);
        }
    }

    async fn scan(&self, targets: Vec<ScanTarget>, cfg: &ScanConfig) -> Scans {
        let warming = self.warming.lock().ok().and_then(|mut w| w.take());
        // A set-up that panicked is started again by the scan.
        let ready = match warming {
            Some(task) => task.await.ok().flatten(),
            None => None,
        };
        crate::scan::scan_by_digest_with(ready, targets, cfg).await
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
