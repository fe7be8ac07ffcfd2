//! `verify-blob`: Sigstore bundle verification. Work in progress.

use std::path::{Path, PathBuf};

use super::cert::KeylessIdentity;
use super::error::VerifyError;

/// Options of `gate verify-blob`.
#[derive(Debug, Clone, Default)]
pub struct BlobOptions {
    pub key: Option<PathBuf>,
    pub identity: Option<KeylessIdentity>,
    pub trusted_root: Option<PathBuf>,
}

/// Verifies `file` against the Sigstore bundle `bundle`.
pub fn verify_blob(_file: &Path, _bundle: &Path, _opts: &BlobOptions) -> Result<(), VerifyError> {
    Err(VerifyError::NoMaterial)
}
