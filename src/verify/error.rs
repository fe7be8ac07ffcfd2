//! Errors of the verify stage: "could not do the job" as opposed to findings. A signature that
//! does not verify is not an error of the stage: it is recorded as a rejection and judged by
//! `evaluate`. These errors carry their source so the whole chain prints.

use std::path::PathBuf;

use sigstore::errors::SigstoreError;

/// Loading or generating a key failed. Never carries the password.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read key file `{path}`")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("environment variable `{0}` named by `env://{0}` is not set")]
    MissingEnv(String),
    #[error("`{origin}` is not a PEM or DER public key")]
    NotAKey {
        origin: String,
        #[source]
        source: SigstoreError,
    },
    #[error("`{origin}` holds PEM block `{label}`, not a public key")]
    WrongLabel { origin: String, label: String },
    #[error("`{origin}` is not valid PEM")]
    Pem {
        origin: String,
        #[source]
        source: pem::PemError,
    },
    #[error("cannot decrypt private key `{origin}`: wrong password or damaged file")]
    Decrypt {
        origin: String,
        #[source]
        source: SigstoreError,
    },
    #[error("private key `{origin}` is of an unsupported type")]
    Unsupported {
        origin: String,
        #[source]
        source: SigstoreError,
    },
    #[error("cannot generate or encode a key pair")]
    Generate {
        #[source]
        source: SigstoreError,
    },
}

/// Verification could not be carried out (malformed input, unreadable trust material, limits).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("cannot get the Sigstore trusted root through TUF")]
    Tuf(#[from] Box<super::tuf::TufError>),
    #[error("cannot read `{path}`")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("trusted root `{origin}` is invalid: {reason}")]
    TrustedRoot { origin: String, reason: String },
    #[error("trusted root `{origin}` is not valid JSON")]
    TrustedRootJson {
        origin: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("bundle `{origin}` is not a valid Sigstore bundle")]
    BundleJson {
        origin: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("bundle `{origin}` does not verify")]
    Bundle {
        origin: String,
        #[source]
        source: super::bundle::BundleError,
    },
    #[error("identity pattern `{pattern}` is not a valid regular expression")]
    Regex {
        pattern: String,
        #[source]
        source: regex::Error,
    },
    #[error("no verification material: give `--key` or `--certificate-identity` with `--certificate-oidc-issuer`")]
    NoMaterial,
    #[error("`{digest}` is not a `sha256:<64 hex>` digest")]
    BadDigest { digest: String },
    #[error("cannot fetch the signatures of `{image}`")]
    Fetch {
        image: String,
        #[source]
        source: Box<super::fetch::FetchError>,
    },
    #[error("attachment manifest `{tag}` is not an OCI image manifest")]
    AttachmentManifest {
        tag: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("too many {what} for `{digest}`: {count} exceeds the limit of {limit}")]
    TooMany {
        what: &'static str,
        digest: String,
        count: usize,
        limit: usize,
    },
    #[error("{what} for `{digest}` is {}, over the limit of {}", crate::units::size(*.size), crate::units::size(*.limit))]
    TooLarge {
        what: &'static str,
        digest: String,
        size: u64,
        limit: u64,
    },
}
