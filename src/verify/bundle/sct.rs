//! Certificate transparency: the signed certificate timestamps (SCTs) Fulcio embeds in a
//! certificate, checked against the CT log keys of the trust root (RFC 6962 §3.2: each SCT signs
//! the precertificate, the TBS certificate without the SCT list, with the issuer's key hash).

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use x509_cert::der::{Decode, Encode};
use x509_cert::Certificate;

use super::der::{self, children, expect, DerError};
use crate::verify::keys::der_tlv;
use crate::verify::trust_root::{CertificateAuthority, TransparencyLog};

/// Why the certificate's transparency was not shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SctError {
    #[error("certificate has no embedded signed certificate timestamp")]
    Missing,
    #[error("signed certificate timestamp list is malformed")]
    Malformed,
    #[error("certificate issuer is not in the trust root")]
    NoIssuer,
    #[error("no signed certificate timestamp verifies with a trusted CT log key")]
    Untrusted,
}

impl From<DerError> for SctError {
    fn from(_: DerError) -> Self {
        SctError::Malformed
    }
}

/// DER of OID 1.3.6.1.4.1.11129.2.4.2 (embedded SCT list).
const OID_SCT_LIST: &[u8] = &[
    0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02,
];

/// Checks that some SCT embedded in `leaf_der` verifies with a CT log of `ctlogs`.
pub fn verify_embedded_scts(
    leaf_der: &[u8],
    authorities: &[CertificateAuthority],
    ctlogs: &[TransparencyLog],
) -> Result<(), SctError> {
    let (cert, _) = expect(leaf_der, der::SEQUENCE)?;
    let (tbs, _) = expect(cert.value, der::SEQUENCE)?;
    let fields = children(tbs.value)?;
    let ext_wrapper = fields
        .iter()
        .find(|f| f.tag == 0xa3)
        .ok_or(SctError::Missing)?;
    let (exts, _) = expect(ext_wrapper.value, der::SEQUENCE)?;
    let mut kept = Vec::new();
    let mut sct_list = None;
    for ext in children(exts.value)? {
        if ext.value.starts_with(OID_SCT_LIST) {
            let parts = children(ext.value)?;
            let octets = parts
                .last()
                .filter(|p| p.tag == der::OCTET_STRING)
                .ok_or(DerError)?;
            let (inner, _) = expect(octets.value, der::OCTET_STRING)?;
            sct_list = Some(inner.value);
        } else {
            kept.extend_from_slice(ext.full);
        }
    }
    let sct_list = sct_list.ok_or(SctError::Missing)?;
    // The precertificate TBS: the same fields with the SCT extension removed.
    let mut precert_body = Vec::new();
    for f in &fields {
        if f.tag == 0xa3 {
            precert_body.extend(der_tlv(0xa3, &der_tlv(der::SEQUENCE, &kept)));
        } else {
            precert_body.extend_from_slice(f.full);
        }
    }
    let precert_tbs = der_tlv(der::SEQUENCE, &precert_body);
    let issuer_key_hash = issuer_key_hash(leaf_der, authorities)?;

    let mut rest = tls_vec(sct_list, 2)?.0;
    while !rest.is_empty() {
        let (sct, r) = tls_vec(rest, 2)?;
        rest = r;
        if verify_sct(sct, &precert_tbs, &issuer_key_hash, ctlogs) {
            return Ok(());
        }
    }
    Err(SctError::Untrusted)
}

/// A TLS length-prefixed vector with an `n`-byte length.
fn tls_vec(input: &[u8], n: usize) -> Result<(&[u8], &[u8]), SctError> {
    let len_bytes = input.get(..n).ok_or(SctError::Malformed)?;
    let len = len_bytes
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | *b as usize);
    let body = input.get(n..n + len).ok_or(SctError::Malformed)?;
    Ok((body, &input[n + len..]))
}

/// The fields of one SCT: log ID, timestamp, extensions, signature.
type SctFields<'a> = (&'a [u8], [u8; 8], &'a [u8], &'a [u8]);

fn verify_sct(
    sct: &[u8],
    precert_tbs: &[u8],
    issuer_key_hash: &[u8; 32],
    ctlogs: &[TransparencyLog],
) -> bool {
    let parse = || -> Result<SctFields<'_>, SctError> {
        if sct.first() != Some(&0) {
            return Err(SctError::Malformed);
        }
        let log_id = sct.get(1..33).ok_or(SctError::Malformed)?;
        let ts: [u8; 8] = sct
            .get(33..41)
            .and_then(|b| b.try_into().ok())
            .ok_or(SctError::Malformed)?;
        let (extensions, rest) = tls_vec(&sct[41..], 2)?;
        // hash algorithm (1), signature algorithm (1), then the signature.
        let (signature, _) = tls_vec(rest.get(2..).ok_or(SctError::Malformed)?, 2)?;
        Ok((log_id, ts, extensions, signature))
    };
    let Ok((log_id, ts, extensions, signature)) = parse() else {
        return false;
    };
    let Some(log) = ctlogs.iter().find(|l| l.log_id == log_id) else {
        return false;
    };
    let millis = u64::from_be_bytes(ts);
    let at =
        DateTime::<Utc>::from_timestamp_millis(millis as i64).unwrap_or(DateTime::<Utc>::MIN_UTC);
    if !log.valid_for.contains(at) {
        return false;
    }
    let mut signed = vec![0u8, 0u8];
    signed.extend_from_slice(&ts);
    signed.extend_from_slice(&[0, 1]); // precert_entry
    signed.extend_from_slice(issuer_key_hash);
    let len = precert_tbs.len();
    signed.extend_from_slice(&[(len >> 16) as u8, (len >> 8) as u8, len as u8]);
    signed.extend_from_slice(precert_tbs);
    signed.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    signed.extend_from_slice(extensions);
    log.key.verifies(signature, &signed)
}

/// SHA-256 of the SPKI of the trust-root certificate that issued `leaf_der`.
fn issuer_key_hash(
    leaf_der: &[u8],
    authorities: &[CertificateAuthority],
) -> Result<[u8; 32], SctError> {
    let leaf = Certificate::from_der(leaf_der).map_err(|_malformed| SctError::Malformed)?;
    let issuer = leaf.tbs_certificate().issuer();
    for ca in authorities {
        for der in &ca.chain {
            let Ok(c) = Certificate::from_der(der) else {
                continue;
            };
            if c.tbs_certificate().subject() == issuer {
                let spki = c
                    .tbs_certificate()
                    .subject_public_key_info()
                    .to_der()
                    .map_err(|_unencodable| SctError::Malformed)?;
                return Ok(Sha256::digest(spki).into());
            }
        }
    }
    Err(SctError::NoIssuer)
}
