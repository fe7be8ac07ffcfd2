//! RFC 3161 signed timestamps: the CMS SignedData is walked with a minimal DER reader, the
//! signer's signature over the signed attributes is checked, the attributes' message digest must
//! hash the TSTInfo, the TSTInfo's message imprint must hash the artifact signature, and the
//! signing certificate must chain to a timestamp authority of the trust root at the stated time.

use chrono::{DateTime, NaiveDateTime, Utc};
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::der::{self, children, expect, DerError, Tlv};
use crate::verify::cert;
use crate::verify::keys::TrustedKey;
use crate::verify::trust_root::CertificateAuthority;

/// Why a timestamp was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("timestamp is malformed")]
    Malformed,
    #[error("timestamp hashes other data than the signature")]
    ImprintMismatch,
    #[error("timestamp signature does not verify")]
    BadSignature,
    #[error("timestamp is not signed by a trusted timestamp authority at its time")]
    Untrusted,
    #[error("timestamp digest algorithm is not supported")]
    Algorithm,
}

impl From<DerError> for TimestampError {
    fn from(_: DerError) -> Self {
        TimestampError::Malformed
    }
}

pub(super) const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
const OID_SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
const OID_SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
const OID_MESSAGE_DIGEST: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];

fn hash(alg_oid: &[u8], data: &[u8]) -> Result<Vec<u8>, TimestampError> {
    Ok(match alg_oid {
        OID_SHA256 => Sha256::digest(data).to_vec(),
        OID_SHA384 => Sha384::digest(data).to_vec(),
        OID_SHA512 => Sha512::digest(data).to_vec(),
        _ => return Err(TimestampError::Algorithm),
    })
}

/// The OID inside an AlgorithmIdentifier.
fn alg_oid<'a>(alg: &Tlv<'a>) -> Result<&'a [u8], DerError> {
    Ok(expect(alg.value, der::OID)?.0.value)
}

/// Verifies `token` (a TimeStampToken, or a TimeStampResp holding one) over `signature` and
/// returns the time it states.
pub fn verify_timestamp(
    token: &[u8],
    signature: &[u8],
    authorities: &[CertificateAuthority],
) -> Result<DateTime<Utc>, TimestampError> {
    let (outer, _) = expect(token, der::SEQUENCE)?;
    let parts = children(outer.value)?;
    // TimeStampResp { status PKIStatusInfo, timeStampToken } or ContentInfo { oid, [0] content }.
    let content_info = match parts.first() {
        Some(first) if first.tag == der::SEQUENCE => *parts.get(1).ok_or(DerError)?,
        _ => outer,
    };
    let ci = children(content_info.value)?;
    let explicit = ci.get(1).filter(|t| t.tag == 0xa0).ok_or(DerError)?;
    let (signed_data, _) = expect(explicit.value, der::SEQUENCE)?;
    let sd = children(signed_data.value)?;
    // version, digestAlgorithms, encapContentInfo, [0] certificates?, [1] crls?, signerInfos
    let encap = sd.get(2).ok_or(DerError)?;
    let encap_parts = children(encap.value)?;
    let econtent = encap_parts
        .get(1)
        .filter(|t| t.tag == 0xa0)
        .ok_or(DerError)?;
    let (tst_octets, _) = expect(econtent.value, der::OCTET_STRING)?;
    let tst_info = tst_octets.value;
    let embedded: Vec<Vec<u8>> = sd
        .iter()
        .find(|t| t.tag == 0xa0)
        .map(|certs| children(certs.value))
        .transpose()?
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.tag == der::SEQUENCE)
        .map(|c| c.full.to_vec())
        .collect();
    let signer_infos = sd.last().filter(|t| t.tag == der::SET).ok_or(DerError)?;
    let (signer_info, _) = expect(signer_infos.value, der::SEQUENCE)?;
    let si = children(signer_info.value)?;
    // version, sid, digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature
    let digest_alg = alg_oid(si.get(2).ok_or(DerError)?)?;
    let attrs = si.get(3).filter(|t| t.tag == 0xa0).ok_or(DerError)?;
    let sig = si
        .get(5)
        .filter(|t| t.tag == der::OCTET_STRING)
        .ok_or(DerError)?;
    // The signed attributes must carry messageDigest = hash(TSTInfo).
    let mut digest_ok = false;
    for attr in children(attrs.value)? {
        let a = children(attr.value)?;
        if a.first().is_some_and(|o| o.value == OID_MESSAGE_DIGEST) {
            let set = a.get(1).ok_or(DerError)?;
            let (value, _) = expect(set.value, der::OCTET_STRING)?;
            digest_ok = value.value == hash(digest_alg, tst_info)?.as_slice();
        }
    }
    if !digest_ok {
        return Err(TimestampError::ImprintMismatch);
    }
    // TSTInfo { version, policy, messageImprint { alg, hashedMessage }, serial, genTime, ... }
    let (tst, _) = expect(tst_info, der::SEQUENCE)?;
    let t = children(tst.value)?;
    let imprint = children(t.get(2).ok_or(DerError)?.value)?;
    let imprint_alg = alg_oid(imprint.first().ok_or(DerError)?)?;
    let hashed = imprint
        .get(1)
        .filter(|x| x.tag == der::OCTET_STRING)
        .ok_or(DerError)?;
    if hashed.value != hash(imprint_alg, signature)?.as_slice() {
        return Err(TimestampError::ImprintMismatch);
    }
    let gen_time = t
        .get(4)
        .filter(|x| x.tag == der::GENERALIZED_TIME)
        .ok_or(DerError)?;
    let time = parse_generalized_time(gen_time.value)?;
    // The signature is over the DER of the attributes as a SET (tag 0x31, not [0]).
    let mut signed_attrs = attrs.full.to_vec();
    signed_attrs[0] = der::SET;
    // Candidate signers: embedded certificates and every authority's leaf.
    let candidates = embedded
        .iter()
        .chain(authorities.iter().filter_map(|ca| ca.chain.first()));
    for candidate in candidates {
        let Ok(parsed) = cert::parse(candidate) else {
            continue;
        };
        let sig_alg = alg_oid(si.get(4).ok_or(DerError)?)?;
        if !verify_cms_signature(&parsed.key, sig_alg, digest_alg, sig.value, &signed_attrs) {
            continue;
        }
        let valid = authorities.iter().any(|ca| {
            ca.valid_for.contains(time)
                && cert::verify_chain(
                    &parsed,
                    &embedded,
                    std::slice::from_ref(ca),
                    time,
                    cert::EKU_TIME_STAMPING,
                    true,
                )
                .is_ok()
        });
        return if valid {
            Ok(time)
        } else {
            Err(TimestampError::Untrusted)
        };
    }
    Err(TimestampError::BadSignature)
}

const OID_ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const OID_ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_RSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
const OID_RSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
const OID_RSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];

/// Verifies a CMS signer signature. ECDSA may pair any curve with any hash (a P-384 key signing
/// with SHA-256 is common for TSAs), so it is checked with aws-lc directly; other keys use the
/// key's own scheme.
fn verify_cms_signature(
    key: &TrustedKey,
    sig_alg: &[u8],
    digest_alg: &[u8],
    sig: &[u8],
    msg: &[u8],
) -> bool {
    use aws_lc_rs::signature::{self, UnparsedPublicKey};
    let ec = || -> Result<(&[u8], &[u8]), DerError> {
        let (spki, _) = expect(&key.spki_der, der::SEQUENCE)?;
        let parts = children(spki.value)?;
        let alg = children(parts.first().ok_or(DerError)?.value)?;
        // EC: the curve OID; RSA: NULL parameters.
        let curve = alg.get(1).map_or(der::NULL_PARAMS, |t| t.full);
        let curve = if curve.first() == Some(&der::OID) {
            alg.get(1).ok_or(DerError)?.value
        } else {
            der::NULL_PARAMS
        };
        let bits = parts.get(1).filter(|t| t.tag == 0x03).ok_or(DerError)?;
        Ok((curve, bits.value.get(1..).ok_or(DerError)?))
    };
    if let Ok((curve, point)) = ec() {
        if curve == der::NULL_PARAMS {
            // rsaEncryption: the hash comes from the signature or digest algorithm.
            let alg: &dyn signature::VerificationAlgorithm = match (sig_alg, digest_alg) {
                (OID_RSA_SHA256, _) | (OID_RSA, OID_SHA256) => {
                    &signature::RSA_PKCS1_2048_8192_SHA256
                }
                (OID_RSA_SHA384, _) | (OID_RSA, OID_SHA384) => {
                    &signature::RSA_PKCS1_2048_8192_SHA384
                }
                (OID_RSA_SHA512, _) | (OID_RSA, OID_SHA512) => {
                    &signature::RSA_PKCS1_2048_8192_SHA512
                }
                _ => return false,
            };
            return UnparsedPublicKey::new(alg, point).verify(msg, sig).is_ok();
        }
        let alg: &dyn signature::VerificationAlgorithm = match (curve, sig_alg) {
            (OID_P256, OID_ECDSA_SHA256) => &signature::ECDSA_P256_SHA256_ASN1,
            (OID_P256, OID_ECDSA_SHA384) => &signature::ECDSA_P256_SHA384_ASN1,
            (OID_P384, OID_ECDSA_SHA256) => &signature::ECDSA_P384_SHA256_ASN1,
            (OID_P384, OID_ECDSA_SHA384) => &signature::ECDSA_P384_SHA384_ASN1,
            _ => return key.verifies(sig, msg),
        };
        return UnparsedPublicKey::new(alg, point).verify(msg, sig).is_ok();
    }
    key.verifies(sig, msg)
}

fn parse_generalized_time(bytes: &[u8]) -> Result<DateTime<Utc>, TimestampError> {
    let text = std::str::from_utf8(bytes).map_err(|_not_utf8| TimestampError::Malformed)?;
    let text = text.strip_suffix('Z').ok_or(TimestampError::Malformed)?;
    let (main, _fraction) = text.split_once('.').unwrap_or((text, ""));
    NaiveDateTime::parse_from_str(main, "%Y%m%d%H%M%S")
        .map(|t| t.and_utc())
        .map_err(|_bad_time| TimestampError::Malformed)
}
