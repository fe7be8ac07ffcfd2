//! `gate check --attest KEY`: for each image that passed, a SLSA verification summary
//! (`https://slsa.dev/verification_summary/v1`) signed with a cosign key as a DSSE in-toto
//! statement, attached to the digest in the layout the trusted policy or command line names
//! (`attest.layout`, `--attest-layout`): appended to cosign's `.att` tag (cosign v2, Kyverno,
//! policy-controller), or as a Sigstore bundle v0.3 OCI 1.1 referrer (cosign v3
//! `verify-attestation --new-bundle-format`). gate's own `attestations:` rules with `vsa:`
//! accept it from either in a later run.

use super::sign::{append_and_push, push};
use crate::evidence::image::Layout;
use crate::evidence::{CheckError, Evidence, Verdict};
use crate::policy::file::{AttestLayout, Policy};
use crate::reference::Reference;
use crate::registry::{Repo, ResolveError};
use crate::resolve::{chain_text, ResolveConfig, Resolver};
use crate::verify::fetch::BUNDLE_ARTIFACT_TYPE;
use crate::verify::sign::{attest_digest, attestation_tag, dsse_statement, Descriptor};
use crate::verify::simple_signing::{
    ANNOTATION_CERTIFICATE, ANNOTATION_CHAIN, ANNOTATION_TIMESTAMP,
};
use crate::verify::vsa::{self, Input, VsaFacts};
use crate::verify::SigningKey;
use crate::verify::{BundleMaterial as Material, FulcioCertificate as Certificate};
use base64::{engine::general_purpose::STANDARD, Engine as _};

/// What signs the summaries.
pub(super) enum Signer<'a> {
    /// A cosign key (`--attest KEY`).
    Key(&'a SigningKey),
    /// An ephemeral key with its Fulcio certificate (`--attest keyless`).
    Keyless(Box<(SigningKey, Certificate)>),
}

impl Signer<'_> {
    fn key(&self) -> &SigningKey {
        match self {
            Signer::Key(k) => k,
            Signer::Keyless(k) => &k.0,
        }
    }

    fn certificate(&self) -> Option<&Certificate> {
        match self {
            Signer::Key(_) => None,
            Signer::Keyless(k) => Some(&k.1),
        }
    }
}

/// How `--attest` signs and where it attaches.
pub(super) struct AttestPlan<'a> {
    pub signer: &'a Signer<'a>,
    pub layout: AttestLayout,
    /// The RFC 3161 timestamp authority that signs each summary's time (`attest.timestamp-url`).
    pub timestamp_url: Option<&'a str>,
}

/// An ephemeral key and its certificate from the Fulcio at `url` for the CI's OIDC identity.
pub(super) async fn keyless(url: &str, resolve: &ResolveConfig) -> Result<Signer<'static>, String> {
    let http = crate::verify::fulcio_client(resolve.client.timeout).map_err(|e| chain_text(&e))?;
    let token = crate::verify::IdToken::from_env(&http)
        .await
        .map_err(|e| chain_text(&e))?;
    let (key, public) = crate::verify::keys::ephemeral_key().map_err(|e| chain_text(&e))?;
    let cert = crate::verify::fulcio_signing_cert(&http, url, &token, &key, &public)
        .await
        .map_err(|e| chain_text(&e))?;
    Ok(Signer::Keyless(Box::new((key, cert))))
}

/// Attests every image of `ev` that passed; what could not be attested is an error in `ev`
/// (the run is then incomplete: exit 2).
pub(super) async fn attest_passed(
    ev: &mut Evidence,
    plan: &AttestPlan<'_>,
    resolve: &ResolveConfig,
    policy: &Policy,
    quiet: bool,
) {
    let (resolver, http) = match Resolver::new(resolve.clone())
        .map_err(|e| chain_text(&e))
        .and_then(|r| {
            let http =
                crate::verify::fulcio_client(resolve.client.timeout).map_err(|e| chain_text(&e))?;
            Ok((r, http))
        }) {
        Ok(r) => r,
        Err(e) => {
            ev.errors.push(CheckError::new("attest", e));
            ev.finish(ev.finished_at);
            return;
        }
    };
    let oci = super::sign::push_client(resolve);
    let auth = &resolve.client.auth;
    let mut errors = Vec::new();
    for image in ev.images.iter().filter(|i| i.verdict == Verdict::Passed) {
        let (Some(canonical), Some(digest)) = (&image.canonical, &image.digest) else {
            continue;
        };
        let result = async {
            let r = Reference::parse(canonical).map_err(|e| e.to_string())?;
            let (repo, _) = resolver.repo_for(&r);
            let tag = attestation_tag(digest);
            let inputs: Vec<Input> = image
                .attestations
                .iter()
                .map(|a| Input {
                    uri: match &a.layout {
                        Some(Layout::AttTag) | None => {
                            format!("{}/{}:{tag}", repo.domain, repo.path)
                        }
                        Some(_) => format!("{}/{}@{digest}", repo.domain, repo.path),
                    },
                    predicate_type: a.predicate_type.clone(),
                })
                .collect();
            let mut levels = vec!["GATE_POLICY_PASSED".to_string()];
            if image
                .attestations
                .iter()
                .any(|a| crate::verify::slsa::is_provenance(&a.predicate_type))
            {
                levels.push("SLSA_BUILD_LEVEL_1".to_string());
            }
            let facts = VsaFacts {
                verifier_id: vsa::VERIFIER_ID.to_string(),
                verifier_version: Some(env!("CARGO_PKG_VERSION").to_string()),
                time_verified: ev.finished_at,
                resource_uri: canonical.clone(),
                policy_uri: policy.source.to_string(),
                policy_digest: policy.sha256(),
                result: "PASSED".to_string(),
                verified_levels: levels,
            };
            let predicate = vsa::predicate(&facts, &inputs);
            match plan.layout {
                AttestLayout::AttTag => {
                    let mut layer = attest_digest(
                        plan.signer.key(),
                        &r.name(),
                        digest,
                        vsa::PREDICATE_TYPE,
                        &predicate,
                    )
                    .map_err(|e| chain_text(&e))?;
                    if let Some(cert) = plan.signer.certificate() {
                        layer
                            .annotations
                            .insert(ANNOTATION_CERTIFICATE.to_string(), cert.leaf_pem.clone());
                        layer
                            .annotations
                            .insert(ANNOTATION_CHAIN.to_string(), cert.chain_pem.clone());
                    }
                    // cosign times an attestation's whole envelope (it has no bare signature).
                    if let Some(url) = plan.timestamp_url {
                        let ts = crate::verify::rfc3161_timestamp(&http, url, &layer.payload)
                            .await
                            .map_err(|e| chain_text(&e))?;
                        let value =
                            serde_json::json!({ "SignedRFC3161Timestamp": STANDARD.encode(ts) });
                        layer
                            .annotations
                            .insert(ANNOTATION_TIMESTAMP.to_string(), value.to_string());
                    }
                    append_and_push(&resolver, &oci, auth, &repo, &tag, &layer).await?;
                    Ok::<_, String>(format!("{}/{}:{tag}", repo.domain, repo.path))
                }
                AttestLayout::Referrer => {
                    let key = plan.signer.key();
                    let envelope =
                        dsse_statement(key, &r.name(), digest, vsa::PREDICATE_TYPE, &predicate)
                            .map_err(|e| chain_text(&e))?;
                    let material = match plan.signer.certificate() {
                        None => Material::Key(&key.public),
                        Some(cert) => Material::Certificate {
                            der: &cert.leaf_der,
                            tlog_entries: Vec::new(),
                        },
                    };
                    // A bundle's timestamp is over the DSSE signature's bytes.
                    let mut timestamps = Vec::new();
                    if let Some(url) = plan.timestamp_url {
                        let sig = envelope
                            .signatures
                            .first()
                            .and_then(|s| STANDARD.decode(&s.sig).ok())
                            .unwrap_or_default();
                        timestamps.push(
                            crate::verify::rfc3161_timestamp(&http, url, &sig)
                                .await
                                .map_err(|e| chain_text(&e))?,
                        );
                    }
                    let bundle = crate::verify::bundle_json(&envelope, &material, &timestamps)
                        .map_err(|e| chain_text(&e))?;
                    attach_referrer(&resolver, &oci, auth, &repo, digest, &bundle).await
                }
            }
        }
        .await;
        match result {
            Ok(at) if !quiet => eprintln!("attested {canonical}: verification summary at {at}"),
            Ok(_) => {}
            Err(e) => errors.push(CheckError::new(
                "attest",
                format!("cannot attach the verification summary of `{canonical}`: {e}"),
            )),
        }
    }
    if !errors.is_empty() {
        ev.errors.extend(errors);
        ev.finish(ev.finished_at);
    }
}

/// Attaches `bundle` to `digest` in `repo` as a referrer manifest pushed by digest; where the
/// registry has no referrers API, the referrers tag schema's index (`sha256-<hex>`) names it too,
/// so that verifiers find it either way. Returns where it is.
async fn attach_referrer(
    resolver: &Resolver,
    oci: &oci_client::Client,
    auth: &crate::registry::auth::AuthSources,
    repo: &Repo,
    digest: &str,
    bundle: &[u8],
) -> Result<String, String> {
    let client = resolver.client();
    let image = client
        .get_manifest(repo, digest)
        .await
        .map_err(|e| chain_text(&e))?;
    let subject = Descriptor {
        media_type: image
            .media_type
            .clone()
            .unwrap_or_else(|| crate::verify::sign::OCI_MANIFEST_MEDIA_TYPE.to_string()),
        size: image.bytes.len() as u64,
        digest: image.digest.clone(),
        artifact_type: None,
        annotations: Default::default(),
    };
    let art =
        crate::verify::bundle_referrer(bundle, subject, vsa::PREDICATE_TYPE, chrono::Utc::now())
            .map_err(|e| chain_text(&e))?;
    // Pushed under a tag naming the image (`sha256-<hex>.vsa`, the newest summary) rather than
    // by digest alone: oci-client cannot push by digest to a registry that answers without a
    // `Location` (go-containerregistry's, ECR). Earlier summaries stay listed as referrers.
    push(
        oci,
        auth,
        repo,
        &format!(":{}.vsa", digest.replacen(':', "-", 1)),
        &art.blobs,
        &art.manifest,
        crate::verify::sign::OCI_MANIFEST_MEDIA_TYPE,
    )
    .await?;
    let listed = client
        .get_referrers(repo, digest, BUNDLE_ARTIFACT_TYPE)
        .await
        .map_err(|e| chain_text(&e))?;
    if listed.is_none() {
        let tag = digest.replacen(':', "-", 1);
        let existing = match client.get_manifest(repo, &tag).await {
            Ok(m) => Some(m.bytes.to_vec()),
            Err(ResolveError::NotFound { .. }) => None,
            Err(e) => return Err(chain_text(&e)),
        };
        let index = crate::verify::add_to_referrers_index(existing.as_deref(), &art.manifest)
            .map_err(|e| chain_text(&e))?;
        push(
            oci,
            auth,
            repo,
            &format!(":{tag}"),
            &[],
            &index,
            crate::verify::OCI_INDEX_MEDIA_TYPE,
        )
        .await?;
    }
    Ok(format!(
        "{}/{}@{}",
        repo.domain, repo.path, art.manifest_digest
    ))
}
