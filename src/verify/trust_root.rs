//! Trust material: Fulcio (or private) certificate authorities, Rekor log keys, CT log keys and
//! timestamp authorities, each with a validity window. Read from Sigstore's `trusted_root.json`
//! (`--trusted-root`), from loose PEM files (a private PKI, a Rekor key), or the public-good root
//! shipped in the binary: the `trust_root/prod/trusted_root.json` that the `sigstore` crate
//! embeds, taken from that crate at build time (see `build.rs`).

use base64::{engine::general_purpose::STANDARD, Engine as _};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::error::{KeyError, VerifyError};
use super::keys::TrustedKey;

/// The public-good `trusted_root.json` shipped in the binary.
pub const PUBLIC_GOOD: &str = include_str!(concat!(env!("OUT_DIR"), "/sigstore_trusted_root.json"));

/// A time window; `end` is inclusive and absent for a current authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
}

impl Validity {
    /// Always valid: for material the user gave as loose files.
    pub const ALWAYS: Validity = Validity {
        start: DateTime::<Utc>::MIN_UTC,
        end: None,
    };

    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        t >= self.start && self.end.is_none_or(|end| t <= end)
    }
}

/// A certificate authority: its chain, leaf-most first and the root last, all DER.
#[derive(Debug, Clone)]
pub struct CertificateAuthority {
    pub chain: Vec<Vec<u8>>,
    pub valid_for: Validity,
}

/// A transparency log (Rekor or CT): its key, its log ID (SHA-256 of the DER key) and validity.
#[derive(Debug, Clone)]
pub struct TransparencyLog {
    pub key: TrustedKey,
    /// `https://host[/path]`; the host names the log in checkpoints.
    pub base_url: Option<String>,
    pub log_id: Vec<u8>,
    pub valid_for: Validity,
}

/// Everything needed to verify keyless signatures offline.
#[derive(Debug, Clone, Default)]
pub struct TrustRoot {
    pub certificate_authorities: Vec<CertificateAuthority>,
    pub tlogs: Vec<TransparencyLog>,
    pub ctlogs: Vec<TransparencyLog>,
    pub timestamp_authorities: Vec<CertificateAuthority>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRoot {
    #[serde(default)]
    tlogs: Vec<RawLog>,
    #[serde(default)]
    certificate_authorities: Vec<RawCa>,
    #[serde(default)]
    ctlogs: Vec<RawLog>,
    #[serde(default)]
    timestamp_authorities: Vec<RawCa>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLog {
    base_url: Option<String>,
    public_key: RawKey,
    log_id: RawLogId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKey {
    raw_bytes: Option<String>,
    valid_for: Option<RawValidity>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogId {
    key_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCa {
    cert_chain: RawChain,
    valid_for: Option<RawValidity>,
}

#[derive(Deserialize)]
struct RawChain {
    #[serde(default)]
    certificates: Vec<RawCert>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCert {
    raw_bytes: String,
}

#[derive(Deserialize)]
struct RawValidity {
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
}

impl TrustRoot {
    /// The public-good Sigstore instance.
    pub fn public_good() -> Result<Self, VerifyError> {
        Self::from_json(PUBLIC_GOOD.as_bytes(), "embedded public-good root")
    }

    /// `--trusted-root FILE`, or the public-good root when `None`.
    pub fn load(path: Option<&std::path::Path>) -> Result<Self, VerifyError> {
        match path {
            None => Self::public_good(),
            Some(path) => {
                let bytes = std::fs::read(path).map_err(|source| VerifyError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                Self::from_json(&bytes, &path.display().to_string())
            }
        }
    }

    /// Parses Sigstore's `trusted_root.json`. A log or authority without a validity start is
    /// refused: trust with no beginning cannot be bounded.
    pub fn from_json(bytes: &[u8], origin: &str) -> Result<Self, VerifyError> {
        let raw: RawRoot =
            serde_json::from_slice(bytes).map_err(|source| VerifyError::TrustedRootJson {
                origin: origin.to_string(),
                source,
            })?;
        let invalid = |reason: String| VerifyError::TrustedRoot {
            origin: origin.to_string(),
            reason,
        };
        let b64 = |s: &str, what: &str| {
            STANDARD
                .decode(s)
                .map_err(|e| invalid(format!("{what} is not base64: {e}")))
        };
        let validity = |v: Option<RawValidity>, what: &str| match v {
            Some(RawValidity {
                start: Some(start),
                end,
            }) => Ok(Validity { start, end }),
            _ => Err(invalid(format!("{what} has no `validFor.start`"))),
        };
        let logs = |raw: Vec<RawLog>, what: &str| -> Result<Vec<TransparencyLog>, VerifyError> {
            let mut out = Vec::new();
            for log in raw {
                let Some(bytes) = log.public_key.raw_bytes.as_deref() else {
                    continue;
                };
                let der = b64(bytes, what)?;
                let key = TrustedKey::from_spki_der(der, &format!("{origin} {what}"));
                // Keys of algorithms we cannot use (e.g. a future scheme) are skipped, not fatal.
                let Ok(key) = key else { continue };
                out.push(TransparencyLog {
                    base_url: log.base_url,
                    log_id: b64(&log.log_id.key_id, what)?,
                    valid_for: validity(log.public_key.valid_for, what)?,
                    key,
                });
            }
            Ok(out)
        };
        let cas = |raw: Vec<RawCa>, what: &str| -> Result<Vec<CertificateAuthority>, VerifyError> {
            raw.into_iter()
                .map(|ca| {
                    Ok(CertificateAuthority {
                        chain: ca
                            .cert_chain
                            .certificates
                            .iter()
                            .map(|c| b64(&c.raw_bytes, what))
                            .collect::<Result<_, _>>()?,
                        valid_for: validity(ca.valid_for, what)?,
                    })
                })
                .collect()
        };
        Ok(TrustRoot {
            tlogs: logs(raw.tlogs, "tlog")?,
            ctlogs: logs(raw.ctlogs, "ctlog")?,
            certificate_authorities: cas(raw.certificate_authorities, "certificate authority")?,
            timestamp_authorities: cas(raw.timestamp_authorities, "timestamp authority")?,
        })
    }

    /// Trust material from loose files: CA certificates (PEM, roots and intermediates in one
    /// list, any order) and Rekor public keys. All are valid at any time.
    pub fn from_pem(ca_pems: &[&[u8]], rekor_keys: &[TrustedKey]) -> Result<Self, KeyError> {
        let mut chain = Vec::new();
        for pem_bytes in ca_pems {
            for block in pem::parse_many(pem_bytes).map_err(|source| KeyError::Pem {
                origin: "certificate authority".to_string(),
                source,
            })? {
                chain.push(block.into_contents());
            }
        }
        Ok(TrustRoot {
            certificate_authorities: vec![CertificateAuthority {
                chain,
                valid_for: Validity::ALWAYS,
            }],
            tlogs: rekor_keys
                .iter()
                .map(|key| TransparencyLog {
                    base_url: None,
                    log_id: Sha256::digest(&key.spki_der).to_vec(),
                    key: key.clone(),
                    valid_for: Validity::ALWAYS,
                })
                .collect(),
            ctlogs: Vec::new(),
            timestamp_authorities: Vec::new(),
        })
    }

    /// The Rekor log with this log ID.
    pub fn tlog(&self, log_id: &[u8]) -> Option<&TransparencyLog> {
        self.tlogs.iter().find(|l| l.log_id == log_id)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn public_good_root_parses() {
        let root = TrustRoot::public_good().unwrap();
        assert_eq!(root.certificate_authorities.len(), 2);
        assert_eq!(root.tlogs.len(), 2);
        assert_eq!(root.ctlogs.len(), 2);
        assert_eq!(root.timestamp_authorities.len(), 1);
    }
}
