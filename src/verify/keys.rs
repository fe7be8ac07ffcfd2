//! Keys: trusted public keys (PEM or DER SPKI for ECDSA P-256/P-384/P-521, RSA and Ed25519, PKCS#1
//! RSA, from a file or `env://VAR`), cosign private key files (`ENCRYPTED SIGSTORE PRIVATE KEY`,
//! the older `ENCRYPTED COSIGN PRIVATE KEY`, unencrypted PKCS#8 and PKCS#1) and generation of a
//! cosign-compatible key pair. The crypto is sigstore-rs's; this module owns where keys come from
//! and the errors that name them without ever naming the password.

use std::fmt;
use std::path::Path;

use sha2::{Digest, Sha256};
use sigstore::crypto::signing_key::{
    kdf, SigStoreKeyPair, COSIGN_PRIVATE_KEY_PEM_LABEL, SIGSTORE_PRIVATE_KEY_PEM_LABEL,
};
use sigstore::crypto::{CosignVerificationKey, SigStoreSigner, Signature, SigningScheme};

use super::error::KeyError;

/// A public key the policy trusts, with where it came from and its fingerprint.
#[derive(Clone)]
pub struct TrustedKey {
    /// Where the key came from: a path or `env://VAR`.
    pub origin: String,
    /// `sha256:<hex>` of the DER SubjectPublicKeyInfo, used to name the signer in reports.
    pub fingerprint: String,
    /// DER SubjectPublicKeyInfo.
    pub spki_der: Vec<u8>,
    key: CosignVerificationKey,
}

impl fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedKey")
            .field("origin", &self.origin)
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

impl TrustedKey {
    /// Loads a key from a path, or from the environment when `source` is `env://VAR`.
    pub fn load(source: &str) -> Result<Self, KeyError> {
        let bytes = if let Some(var) = source.strip_prefix("env://") {
            std::env::var(var)
                .map_err(|_not_set| KeyError::MissingEnv(var.to_string()))?
                .into_bytes()
        } else {
            std::fs::read(source).map_err(|source_err| KeyError::Read {
                path: source.into(),
                source: source_err,
            })?
        };
        Self::from_bytes(&bytes, source)
    }

    /// Parses PEM (`PUBLIC KEY` or `RSA PUBLIC KEY`) or DER SPKI bytes.
    pub fn from_bytes(bytes: &[u8], origin: &str) -> Result<Self, KeyError> {
        let spki_der = if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
            let block = pem::parse(bytes).map_err(|source| KeyError::Pem {
                origin: origin.to_string(),
                source,
            })?;
            match block.tag() {
                "PUBLIC KEY" => block.contents().to_vec(),
                "RSA PUBLIC KEY" => pkcs1_to_spki(block.contents()),
                other => {
                    return Err(KeyError::WrongLabel {
                        origin: origin.to_string(),
                        label: other.to_string(),
                    })
                }
            }
        } else {
            bytes.to_vec()
        };
        Self::from_spki_der(spki_der, origin)
    }

    /// Wraps DER SubjectPublicKeyInfo bytes.
    pub fn from_spki_der(spki_der: Vec<u8>, origin: &str) -> Result<Self, KeyError> {
        let key =
            CosignVerificationKey::try_from_der(&spki_der).map_err(|source| KeyError::NotAKey {
                origin: origin.to_string(),
                source,
            })?;
        Ok(Self {
            origin: origin.to_string(),
            fingerprint: format!("sha256:{}", hex::encode(Sha256::digest(&spki_der))),
            spki_der,
            key,
        })
    }

    /// True when `signature` (raw bytes) is this key's signature over `message`.
    pub fn verifies(&self, signature: &[u8], message: &[u8]) -> bool {
        verify_with(&self.key, signature, message)
    }
}

/// True when `signature` is `key`'s signature over `message`. RSA keys accept PKCS#1 v1.5 and PSS
/// padding, as cosign does.
pub(crate) fn verify_with(key: &CosignVerificationKey, signature: &[u8], message: &[u8]) -> bool {
    if key
        .verify_signature(Signature::Raw(signature), message)
        .is_ok()
    {
        return true;
    }
    if let CosignVerificationKey::RSA_PKCS1_SHA256(der) = key {
        let pss = CosignVerificationKey::RSA_PSS_SHA256(der.clone());
        return pss
            .verify_signature(Signature::Raw(signature), message)
            .is_ok();
    }
    false
}

/// Wraps a PKCS#1 `RSAPublicKey` in a SubjectPublicKeyInfo with the `rsaEncryption` algorithm.
fn pkcs1_to_spki(pkcs1: &[u8]) -> Vec<u8> {
    // AlgorithmIdentifier { rsaEncryption, NULL }
    const ALG: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut bit_string = vec![0x00];
    bit_string.extend_from_slice(pkcs1);
    let mut body = ALG.to_vec();
    body.extend(der_tlv(0x03, &bit_string));
    der_tlv(0x30, &body)
}

/// One DER tag-length-value.
pub(crate) fn der_tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(value);
    out
}

/// A private key ready to sign, with its public half.
pub struct SigningKey {
    signer: SigStoreSigner,
    /// The matching public key, as a verifier would load it.
    pub public: TrustedKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Signs `message` (hashing it as the key's scheme requires).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.signer
            .sign(message)
            .map_err(|source| KeyError::Generate { source })
    }

    fn from_pair(pair: SigStoreKeyPair, origin: &str) -> Result<Self, KeyError> {
        let unsupported = |source| KeyError::Unsupported {
            origin: origin.to_string(),
            source,
        };
        let scheme = match &pair {
            SigStoreKeyPair::ECDSA(keys) => match keys {
                sigstore::crypto::signing_key::ecdsa::ECDSAKeys::P256(_) => {
                    SigningScheme::ECDSA_P256_SHA256_ASN1
                }
                sigstore::crypto::signing_key::ecdsa::ECDSAKeys::P384(_) => {
                    SigningScheme::ECDSA_P384_SHA384_ASN1
                }
                sigstore::crypto::signing_key::ecdsa::ECDSAKeys::P521(_) => {
                    SigningScheme::ECDSA_P521_SHA512_ASN1
                }
            },
            SigStoreKeyPair::ED25519(_) => SigningScheme::ED25519,
            // cosign signs with RSA PKCS#1 v1.5 and SHA-256.
            SigStoreKeyPair::RSA(_) => SigningScheme::RSA_PKCS1_SHA256(0),
        };
        let signer = pair.to_sigstore_signer(&scheme).map_err(unsupported)?;
        let spki = pair.public_key_to_der().map_err(unsupported)?;
        let public = TrustedKey::from_spki_der(spki, origin)?;
        Ok(Self { signer, public })
    }
}

/// Loads a cosign private key file. `password` is used only for encrypted keys; an unencrypted key
/// with a non-empty password is refused, as cosign does.
pub fn load_signing_key(path: &Path, password: &[u8]) -> Result<SigningKey, KeyError> {
    let bytes = std::fs::read(path).map_err(|source| KeyError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    signing_key_from_pem(&bytes, password, &path.display().to_string())
}

/// Parses a cosign private key from PEM bytes; `origin` names it in errors.
pub fn signing_key_from_pem(
    bytes: &[u8],
    password: &[u8],
    origin: &str,
) -> Result<SigningKey, KeyError> {
    let block = pem::parse(bytes).map_err(|source| KeyError::Pem {
        origin: origin.to_string(),
        source,
    })?;
    let unsupported = |source| KeyError::Unsupported {
        origin: origin.to_string(),
        source,
    };
    let pair = match block.tag() {
        COSIGN_PRIVATE_KEY_PEM_LABEL | SIGSTORE_PRIVATE_KEY_PEM_LABEL => {
            let der = zeroize::Zeroizing::new(kdf::decrypt(block.contents(), password).map_err(
                |source| KeyError::Decrypt {
                    origin: origin.to_string(),
                    source,
                },
            )?);
            SigStoreKeyPair::from_der(&der).map_err(unsupported)?
        }
        _ => SigStoreKeyPair::from_pem(bytes).map_err(unsupported)?,
    };
    SigningKey::from_pair(pair, origin)
}

/// A fresh ECDSA P-256 key for one keyless signing (never written anywhere), with its public key
/// as PEM (what Fulcio certifies).
pub fn ephemeral_key() -> Result<(SigningKey, String), KeyError> {
    let generate = |source| KeyError::Generate { source };
    let signer = SigningScheme::ECDSA_P256_SHA256_ASN1
        .create_signer()
        .map_err(generate)?;
    let pair = signer.to_sigstore_keypair().map_err(generate)?;
    let public = pair.public_key_to_pem().map_err(generate)?;
    Ok((SigningKey::from_pair(pair, "ephemeral key")?, public))
}

/// Generates an ECDSA P-256 key pair as `cosign generate-key-pair` does: the private key as an
/// `ENCRYPTED SIGSTORE PRIVATE KEY` (scrypt + secretbox under `password`, which may be empty) and
/// the public key as a `PUBLIC KEY` PEM.
pub fn generate_key_pair(password: &[u8]) -> Result<(Vec<u8>, Vec<u8>), KeyError> {
    let generate = |source| KeyError::Generate { source };
    let signer = SigningScheme::ECDSA_P256_SHA256_ASN1
        .create_signer()
        .map_err(generate)?;
    let pair = signer.to_sigstore_keypair().map_err(generate)?;
    let private = pair
        .private_key_to_encrypted_pem(password)
        .map_err(generate)?;
    let public = pair.public_key_to_pem().map_err(generate)?;
    Ok((private.as_bytes().to_vec(), public.into_bytes()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn generated_pair_round_trips_and_signs() {
        let (private, public) = generate_key_pair(b"secret").unwrap();
        assert!(String::from_utf8_lossy(&private).contains("ENCRYPTED SIGSTORE PRIVATE KEY"));
        let key = signing_key_from_pem(&private, b"secret", "test").unwrap();
        let trusted = TrustedKey::from_bytes(&public, "test.pub").unwrap();
        assert_eq!(key.public.fingerprint, trusted.fingerprint);
        let sig = key.sign(b"hello").unwrap();
        assert!(trusted.verifies(&sig, b"hello"));
        assert!(!trusted.verifies(&sig, b"hellO"));
        let err = signing_key_from_pem(&private, b"hunter2", "test").unwrap_err();
        assert!(matches!(err, KeyError::Decrypt { .. }));
        assert!(!format!("{err:#}").contains("hunter2"));
    }

    #[test]
    fn empty_password_works() {
        let (private, _) = generate_key_pair(b"").unwrap();
        signing_key_from_pem(&private, b"", "test").unwrap();
    }

    #[test]
    fn env_key_and_missing_env() {
        let err = TrustedKey::load("env://GATE_TEST_SURELY_UNSET_KEY").unwrap_err();
        assert!(matches!(err, KeyError::MissingEnv(_)));
    }
}
