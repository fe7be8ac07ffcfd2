//! `verify-blob`: offline verification of a Sigstore bundle (v0.1–v0.3) over an artifact, with a
//! trusted key or a keyless identity. Checks, in the order sigstore-go does: the bundle's shape
//! and version, the signature over the artifact (message signature or DSSE envelope, whose
//! in-toto subject must be the artifact), every tlog entry (SET, inclusion proof and signed
//! checkpoint, body bound to this signature), RFC 3161 timestamps, and the certificate's chain
//! and validity at every verified time, then its identity. sigstore-rs 0.15's own bundle
//! verifier checks neither SETs nor inclusion proofs, hence this module.

mod der;
pub mod merkle;
pub mod model;
pub mod sct;
pub mod tsa;
mod tsa_request;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::attestation::{pae, IN_TOTO_PAYLOAD_TYPE};
use super::cert::{self, CertError, CertIdentity, KeylessIdentity};
use super::error::VerifyError;
use super::keys::TrustedKey;
use super::rekor::{self, RekorError};
use super::trust_root::TrustRoot;

use merkle::InclusionError;
use tsa::TimestampError;
pub use tsa_request::{rfc3161_timestamp, TimestampRequestError};

/// Options of `gate verify-blob`.
#[derive(Debug, Clone, Default)]
pub struct BlobOptions {
    /// `--key`: a public key file or `env://VAR`.
    pub key: Option<String>,
    /// `--certificate-identity` + `--certificate-oidc-issuer` (exact or regexp).
    pub identity: Option<KeylessIdentity>,
    /// `--trusted-root`; the public-good root when absent.
    pub trusted_root: Option<PathBuf>,
}

/// Why a bundle did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("bundle media type `{0}` is not a supported Sigstore bundle version")]
    UnknownVersion(String),
    #[error("bundle `{0}` field is not valid base64")]
    Base64(&'static str),
    #[error("bundle has no verification material")]
    NoMaterial,
    #[error("bundle certificate chain is empty")]
    EmptyChain,
    #[error("bundle certificate chain contains a root certificate")]
    RootInChain,
    #[error("bundle is signed with a key, but no `--key` was given")]
    KeyRequired,
    #[error("bundle carries a certificate, but `--key` was given")]
    CertificateWithKey,
    #[error("bundle carries a certificate, but no identity was given")]
    IdentityRequired,
    #[error("bundle has neither a message signature nor a DSSE envelope")]
    NoContent,
    #[error("message digest in the bundle is not the artifact's")]
    DigestMismatch,
    #[error("a message-signature bundle cannot sign an image digest")]
    MessageSignatureOnDigest,
    #[error("signature does not verify over the artifact")]
    BadSignature,
    #[error("DSSE envelope is not a single-signature in-toto envelope")]
    BadEnvelope,
    /// Everything else verified: a trusted signature, for other content.
    #[error("in-toto statement has no subject with the artifact's digest (it names `{found}`)")]
    SubjectMismatch {
        /// The statement's first subject digest (`sha256:…`), or empty.
        found: String,
        /// The statement's `predicateType`.
        predicate_type: Option<String>,
    },
    #[error("bundle has no transparency log entry")]
    NoTlogEntry,
    #[error("tlog entry has no inclusion {0}, required by this bundle version")]
    MissingInclusion(&'static str),
    #[error("tlog entry field `{0}` is malformed")]
    BadEntry(&'static str),
    #[error("tlog entry is from log `{0}`, which the trust root does not list")]
    UnknownLog(String),
    #[error("tlog entry kind `{0}` does not match its body")]
    KindMismatch(String),
    #[error(transparent)]
    Rekor(#[from] RekorError),
    #[error(transparent)]
    Inclusion(#[from] InclusionError),
    #[error(transparent)]
    Timestamp(#[from] TimestampError),
    #[error(transparent)]
    Sct(#[from] sct::SctError),
    #[error(
        "no verified time: the bundle has neither a signed entry timestamp nor a trusted timestamp"
    )]
    NoVerifiedTime,
    #[error("signing certificate is not acceptable")]
    Certificate(#[from] CertError),
    #[error("certificate identity `{0}` does not match the expected identity")]
    Identity(String),
}

/// What a verified bundle proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobVerification {
    /// The certificate identity, for keyless bundles.
    pub identity: Option<CertIdentity>,
    /// Every verified time (integrated times and timestamps).
    pub times: Vec<DateTime<Utc>>,
    /// The in-toto `predicateType`, for DSSE bundles.
    pub predicate_type: Option<String>,
    /// What a SLSA provenance statement says about the build.
    pub slsa: Option<super::slsa::SlsaFacts>,
    /// What a verification summary statement says.
    pub vsa: Option<super::vsa::VsaFacts>,
}

/// Who must have signed.
pub enum Expectation<'a> {
    Key(&'a TrustedKey),
    /// A trusted key, with transparency-log evidence verified when present but not required:
    /// image signatures by key, which gate accepts without Rekor in the `.sig` layout too
    /// (what `cosign verify --key --insecure-ignore-tlog` accepts; cosign v3 `sign
    /// --tlog-upload=false` writes such bundles).
    KeyOptionalTlog(&'a TrustedKey),
    Identity(&'a KeylessIdentity),
    /// Any one of these identities.
    AnyIdentity(&'a [KeylessIdentity]),
}

impl Expectation<'_> {
    fn is_identity(&self) -> bool {
        !matches!(self, Expectation::Key(_) | Expectation::KeyOptionalTlog(_))
    }

    fn matches(&self, id: &CertIdentity) -> bool {
        match self {
            Expectation::Key(_) | Expectation::KeyOptionalTlog(_) => false,
            Expectation::Identity(want) => want.matches(id),
            Expectation::AnyIdentity(wants) => wants.iter().any(|w| w.matches(id)),
        }
    }
}

/// What a bundle signs: artifact bytes (`verify-blob`), or only a digest (an image, whose
/// bundle must then be a DSSE in-toto statement naming it).
#[derive(Clone, Copy)]
pub enum Subject<'a> {
    Artifact(&'a [u8]),
    Sha256([u8; 32]),
}

/// Verifies `file` against the Sigstore bundle `bundle` (both read from disk).
pub fn verify_blob(
    file: &Path,
    bundle: &Path,
    opts: &BlobOptions,
) -> Result<BlobVerification, VerifyError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| VerifyError::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    let artifact = read(file)?;
    let bundle_bytes = read(bundle)?;
    let trust = TrustRoot::load(opts.trusted_root.as_deref())?;
    let key = opts.key.as_deref().map(TrustedKey::load).transpose()?;
    let expect = match (&key, &opts.identity) {
        (Some(key), _) => Expectation::Key(key),
        (None, Some(id)) => Expectation::Identity(id),
        (None, None) => return Err(VerifyError::NoMaterial),
    };
    let parsed: model::Bundle =
        serde_json::from_slice(&bundle_bytes).map_err(|source| VerifyError::BundleJson {
            origin: bundle.display().to_string(),
            source,
        })?;
    verify_bundle(
        Subject::Artifact(&artifact),
        &parsed,
        &expect,
        &trust,
        Utc::now(),
    )
    .map_err(|source| VerifyError::Bundle {
        origin: bundle.display().to_string(),
        source,
    })
}

/// Decodes a bundle byte field; line breaks are ignored, as Go's decoder does.
fn b64(field: &'static str, text: &str) -> Result<Vec<u8>, BundleError> {
    super::simple_signing::decode_base64_lenient(text).ok_or(BundleError::Base64(field))
}

/// The bundle versions understood, as (minor version).
fn bundle_version(media_type: &str) -> Option<u8> {
    match media_type {
        "application/vnd.dev.sigstore.bundle+json;version=0.1" => Some(1),
        "application/vnd.dev.sigstore.bundle+json;version=0.2" => Some(2),
        "application/vnd.dev.sigstore.bundle+json;version=0.3"
        | "application/vnd.dev.sigstore.bundle.v0.3+json" => Some(3),
        _ => None,
    }
}

/// The signed content of a bundle, once its signature is checked.
struct Signed {
    signature: Vec<u8>,
    /// SHA-256 of the exact bytes signed (artifact or PAE).
    signed_sha256: [u8; 32],
    /// SHA-256 of the DSSE payload (or of the artifact for message signatures).
    payload_sha256: [u8; 32],
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Statement {
    #[serde(default)]
    subject: Vec<StatementSubject>,
    predicate_type: Option<String>,
    #[serde(default)]
    predicate: serde_json::Value,
}

#[derive(Deserialize)]
struct StatementSubject {
    #[serde(default)]
    digest: std::collections::BTreeMap<String, String>,
}

/// Verifies a parsed bundle over `artifact`. `now` bounds integrated times.
pub fn verify_bundle(
    subject: Subject<'_>,
    bundle: &model::Bundle,
    expect: &Expectation<'_>,
    trust: &TrustRoot,
    now: DateTime<Utc>,
) -> Result<BlobVerification, BundleError> {
    let version = bundle_version(&bundle.media_type)
        .ok_or_else(|| BundleError::UnknownVersion(bundle.media_type.clone()))?;
    let material = &bundle.verification_material;

    // Verification material: a leaf certificate or the expected key.
    let leaf = if let Some(chain) = &material.x509_certificate_chain {
        let certs: Vec<Vec<u8>> = chain
            .certificates
            .iter()
            .map(|c| b64("certificate", &c.raw_bytes))
            .collect::<Result<_, _>>()?;
        let first = certs.first().ok_or(BundleError::EmptyChain)?;
        if certs.iter().any(|c| cert::is_self_signed(c)) {
            return Err(BundleError::RootInChain);
        }
        Some(cert::parse(first)?)
    } else if let Some(c) = &material.certificate {
        let der = b64("certificate", &c.raw_bytes)?;
        if cert::is_self_signed(&der) {
            return Err(BundleError::RootInChain);
        }
        Some(cert::parse(&der)?)
    } else if material.public_key.is_some() {
        None
    } else {
        return Err(BundleError::NoMaterial);
    };
    let signing_key: &TrustedKey = match (&leaf, expect) {
        (Some(_), Expectation::Key(_) | Expectation::KeyOptionalTlog(_)) => {
            return Err(BundleError::CertificateWithKey)
        }
        (Some(leaf), _) => &leaf.key,
        (None, Expectation::Key(key) | Expectation::KeyOptionalTlog(key)) => key,
        (None, _) => return Err(BundleError::KeyRequired),
    };
    let material_der: &[u8] = match &leaf {
        Some(leaf) => &leaf.der,
        None => &signing_key.spki_der,
    };

    // The signature over the artifact.
    let artifact_sha256: [u8; 32] = match subject {
        Subject::Artifact(bytes) => Sha256::digest(bytes).into(),
        Subject::Sha256(digest) => digest,
    };
    let mut predicate_type = None;
    let mut slsa = None;
    let mut vsa = None;
    // Checked last, so that a mismatch means a trusted signature over another subject.
    let mut other_subject = None;
    let signed = if let Some(ms) = &bundle.message_signature {
        let Subject::Artifact(artifact) = subject else {
            return Err(BundleError::MessageSignatureOnDigest);
        };
        let signature = b64("signature", &ms.signature)?;
        if let Some(d) = &ms.message_digest {
            if d.algorithm != "SHA2_256" || b64("messageDigest", &d.digest)? != artifact_sha256 {
                return Err(BundleError::DigestMismatch);
            }
        }
        if !signing_key.verifies(&signature, artifact) {
            return Err(BundleError::BadSignature);
        }
        Signed {
            signature,
            signed_sha256: artifact_sha256,
            payload_sha256: artifact_sha256,
        }
    } else if let Some(env) = &bundle.dsse_envelope {
        if env.payload_type != IN_TOTO_PAYLOAD_TYPE || env.signatures.len() != 1 {
            return Err(BundleError::BadEnvelope);
        }
        let payload = b64("payload", &env.payload)?;
        let signature = b64("signature", &env.signatures[0].sig)?;
        let message = pae(&env.payload_type, &payload);
        if !signing_key.verifies(&signature, &message) {
            return Err(BundleError::BadSignature);
        }
        let statement: Statement =
            serde_json::from_slice(&payload).map_err(|_bad_json| BundleError::BadEnvelope)?;
        let want = hex::encode(artifact_sha256);
        if !statement
            .subject
            .iter()
            .any(|s| s.digest.get("sha256") == Some(&want))
        {
            other_subject = Some(
                statement
                    .subject
                    .iter()
                    .find_map(|s| s.digest.get("sha256"))
                    .map(|h| format!("sha256:{h}"))
                    .unwrap_or_default(),
            );
        }
        vsa = statement
            .predicate_type
            .as_deref()
            .and_then(|t| super::vsa::facts(t, &statement.predicate));
        slsa = statement
            .predicate_type
            .as_deref()
            .and_then(|t| super::slsa::facts(t, &statement.predicate));
        predicate_type = statement.predicate_type;
        Signed {
            signature,
            signed_sha256: Sha256::digest(&message).into(),
            payload_sha256: Sha256::digest(&payload).into(),
        }
    } else {
        return Err(BundleError::NoContent);
    };

    // Transparency log entries.
    let no_timestamps = material
        .timestamp_verification_data
        .as_ref()
        .is_none_or(|d| d.rfc3161_timestamps.is_empty());
    if material.tlog_entries.is_empty()
        && no_timestamps
        && matches!(expect, Expectation::KeyOptionalTlog(_))
    {
        if let Some(found) = other_subject {
            return Err(BundleError::SubjectMismatch {
                found,
                predicate_type,
            });
        }
        return Ok(BlobVerification {
            identity: None,
            times: Vec::new(),
            predicate_type,
            slsa,
            vsa,
        });
    }
    // A trust root that lists no transparency log (GitHub's own Sigstore instance: Fulcio and
    // a timestamp authority, no Rekor) proves time with timestamps alone; any other needs a
    // log entry.
    let timestamps_only = trust.tlogs.is_empty() && !no_timestamps && expect.is_identity();
    if material.tlog_entries.is_empty() && !timestamps_only {
        return Err(BundleError::NoTlogEntry);
    }
    let mut times = Vec::new();
    for entry in &material.tlog_entries {
        if let Some(t) = verify_entry(entry, version, &signed, material_der, trust, now)? {
            times.push(t);
        }
    }

    // RFC 3161 timestamps over the signature.
    if let Some(data) = &material.timestamp_verification_data {
        for ts in &data.rfc3161_timestamps {
            let token = b64("signedTimestamp", &ts.signed_timestamp)?;
            times.push(tsa::verify_timestamp(
                &token,
                &signed.signature,
                &trust.timestamp_authorities,
            )?);
        }
    }
    if times.is_empty() {
        return Err(BundleError::NoVerifiedTime);
    }

    // The certificate: valid, and chaining to a trusted CA, at every verified time.
    let identity = match (&leaf, expect) {
        (Some(leaf), want) if want.is_identity() => {
            for t in &times {
                cert::verify_chain(
                    leaf,
                    &[],
                    &trust.certificate_authorities,
                    *t,
                    cert::EKU_CODE_SIGNING,
                    false,
                )?;
            }
            if !trust.ctlogs.is_empty() {
                sct::verify_embedded_scts(
                    &leaf.der,
                    &trust.certificate_authorities,
                    &trust.ctlogs,
                )?;
            }
            if !want.matches(&leaf.identity) {
                return Err(BundleError::Identity(format!(
                    "{} from {}",
                    leaf.identity.sans.join(", "),
                    leaf.identity.issuer.as_deref().unwrap_or("no issuer")
                )));
            }
            Some(leaf.identity.clone())
        }
        _ => None,
    };
    if let Some(found) = other_subject {
        return Err(BundleError::SubjectMismatch {
            found,
            predicate_type,
        });
    }
    Ok(BlobVerification {
        identity,
        times,
        predicate_type,
        slsa,
        vsa,
    })
}

/// Verifies one tlog entry; returns its integrated time when a SET proves it.
fn verify_entry(
    entry: &model::TlogEntry,
    version: u8,
    signed: &Signed,
    material_der: &[u8],
    trust: &TrustRoot,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, BundleError> {
    let log_id = b64("logId", &entry.log_id.key_id)?;
    let log = trust
        .tlog(&log_id)
        .ok_or_else(|| BundleError::UnknownLog(entry.log_id.key_id.clone()))?;
    let log_index: i64 = entry
        .log_index
        .parse()
        .map_err(|_bad| BundleError::BadEntry("logIndex"))?;
    if log_index < 0 {
        return Err(RekorError::NegativeIndex.into());
    }
    let body = b64("canonicalizedBody", &entry.canonicalized_body)?;
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Head {
        kind: String,
        api_version: String,
    }
    let head: Head = serde_json::from_slice(&body).map_err(|_bad| BundleError::BadEntry("body"))?;
    if head.kind != entry.kind_version.kind || head.api_version != entry.kind_version.version {
        return Err(BundleError::KindMismatch(entry.kind_version.kind.clone()));
    }
    rekor::check_body(
        &body,
        &rekor::Expected {
            signature: &signed.signature,
            material_der,
            signed_sha256: &signed.signed_sha256,
            payload_sha256: &signed.payload_sha256,
        },
    )?;

    let mut time = None;
    match &entry.inclusion_promise {
        Some(promise) => {
            let integrated: i64 = entry
                .integrated_time
                .as_deref()
                .unwrap_or("0")
                .parse()
                .map_err(|_bad| BundleError::BadEntry("integratedTime"))?;
            let set = b64("signedEntryTimestamp", &promise.signed_entry_timestamp)?;
            let logged = rekor::verify_set(
                &entry.canonicalized_body,
                integrated,
                log_index,
                &log_id,
                &set,
                trust,
                now,
            )?;
            time = Some(logged.integrated_time);
        }
        None if version == 1 => return Err(BundleError::MissingInclusion("promise")),
        None => {}
    }
    match &entry.inclusion_proof {
        Some(proof) => {
            let index: u64 = proof
                .log_index
                .parse()
                .map_err(|_bad| BundleError::BadEntry("inclusionProof.logIndex"))?;
            let size: u64 = proof
                .tree_size
                .parse()
                .map_err(|_bad| BundleError::BadEntry("inclusionProof.treeSize"))?;
            let root = b64("rootHash", &proof.root_hash)?;
            let hashes: Vec<[u8; 32]> = proof
                .hashes
                .iter()
                .map(|h| {
                    b64("hashes", h)?
                        .try_into()
                        .map_err(|_wrong_len| BundleError::BadEntry("inclusionProof.hashes"))
                })
                .collect::<Result<_, _>>()?;
            let computed = merkle::root_from_proof(index, size, merkle::leaf_hash(&body), &hashes)?;
            if computed.as_slice() != root {
                return Err(InclusionError::RootMismatch.into());
            }
            let checkpoint = proof
                .checkpoint
                .as_ref()
                .ok_or(BundleError::MissingInclusion("checkpoint"))?;
            let note = merkle::verify_checkpoint(&checkpoint.envelope, log)?;
            if note.root_hash != root || note.size != size {
                return Err(InclusionError::CheckpointMismatch.into());
            }
        }
        None if version >= 2 => return Err(BundleError::MissingInclusion("proof")),
        None => {}
    }
    if let Some(t) = time {
        if !log.valid_for.contains(t) {
            return Err(RekorError::LogKeyExpired.into());
        }
    }
    Ok(time)
}
