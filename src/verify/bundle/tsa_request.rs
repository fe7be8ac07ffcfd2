//! Asking an RFC 3161 timestamp authority to sign the time of a signature, as cosign's
//! `--timestamp-server-url` does: a `TimeStampReq` over the SHA-256 of the signed bytes, with a
//! fresh nonce and the authority's certificate asked for, POSTed as
//! `application/timestamp-query`; the answer is the DER `TimeStampResp` verifiers read from a
//! bundle's `timestampVerificationData` (or cosign's RFC 3161 annotation).

use sha2::{Digest, Sha256};

use super::der;
use super::tsa::OID_SHA256;
use crate::verify::keys::der_tlv as tlv;

/// The most a timestamp authority's answer may be.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// A timestamp could not be had.
#[derive(Debug, thiserror::Error)]
pub enum TimestampRequestError {
    #[error("cannot reach the timestamp authority at `{url}`")]
    Request {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("the timestamp authority at `{url}` answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("the timestamp authority at `{url}` did not grant a timestamp (status {status})")]
    NotGranted { url: String, status: i64 },
    #[error(
        "the timestamp authority at `{url}` answered something that is not a timestamp response"
    )]
    Malformed { url: String },
    #[error("cannot make a nonce")]
    Nonce,
}

/// The `TimeStampReq` (RFC 3161 §2.4.1) for `signed` with `nonce` (a minimal positive INTEGER's
/// bytes: see [`rfc3161_timestamp`]).
fn request(signed: &[u8], nonce: &[u8; 8]) -> Vec<u8> {
    let algorithm = tlv(
        der::SEQUENCE,
        &[&tlv(der::OID, OID_SHA256)[..], der::NULL_PARAMS].concat(),
    );
    let imprint = tlv(
        der::SEQUENCE,
        &[algorithm, tlv(der::OCTET_STRING, &Sha256::digest(signed))].concat(),
    );
    let nonce = tlv(der::INTEGER, nonce);
    tlv(
        der::SEQUENCE,
        &[
            tlv(der::INTEGER, &[1]),
            imprint,
            nonce,
            tlv(der::BOOLEAN, &[0xff]),
        ]
        .concat(),
    )
}

/// The PKIStatus of a `TimeStampResp` that holds a token; `None` when it is not one.
fn granted(resp: &[u8]) -> Option<i64> {
    let (outer, rest) = der::expect(resp, der::SEQUENCE).ok()?;
    if !rest.is_empty() {
        return None;
    }
    let parts = der::children(outer.value).ok()?;
    let status_info = der::children(parts.first()?.value).ok()?;
    let status = status_info.first().filter(|t| t.tag == der::INTEGER)?;
    let value = status.value.iter().fold(0i64, |acc, b| {
        acc.saturating_mul(256).saturating_add(i64::from(*b))
    });
    // granted (0) and grantedWithMods (1) carry the token; the others do not.
    Some(if parts.len() == 2 { value } else { -1 })
}

/// A signed timestamp over `signed` from the authority at `url`: the DER `TimeStampResp`.
pub async fn rfc3161_timestamp(
    http: &reqwest::Client,
    url: &str,
    signed: &[u8],
) -> Result<Vec<u8>, TimestampRequestError> {
    let mut nonce = [0u8; 8];
    aws_lc_rs::rand::fill(&mut nonce).map_err(|_| TimestampRequestError::Nonce)?;
    // Positive and minimally encoded (DER; a TSA that parses strictly refuses a redundant
    // leading byte): top bit clear, next bit set.
    nonce[0] = (nonce[0] & 0x7f) | 0x40;
    let request_error = |source| TimestampRequestError::Request {
        url: url.to_string(),
        source,
    };
    let mut resp = http
        .post(url)
        .header("Content-Type", "application/timestamp-query")
        .header("Accept", "application/timestamp-reply")
        .body(request(signed, &nonce))
        .send()
        .await
        .map_err(request_error)?;
    if !resp.status().is_success() {
        return Err(TimestampRequestError::Status {
            url: url.to_string(),
            status: resp.status().as_u16(),
        });
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(request_error)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(TimestampRequestError::Malformed {
                url: url.to_string(),
            });
        }
        body.extend_from_slice(&chunk);
    }
    match granted(&body) {
        Some(0 | 1) => Ok(body),
        Some(status) => Err(TimestampRequestError::NotGranted {
            url: url.to_string(),
            status,
        }),
        None => Err(TimestampRequestError::Malformed {
            url: url.to_string(),
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_request_asks_for_the_sha256_of_the_signature_with_the_nonce_and_the_certificate() {
        let req = request(b"sig", &[0x41, 1, 2, 3, 4, 5, 6, 7]);
        let (outer, rest) = der::expect(&req, der::SEQUENCE).unwrap();
        assert!(rest.is_empty());
        let parts = der::children(outer.value).unwrap();
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[0].value, [1]);
        let imprint = der::children(parts[1].value).unwrap();
        let alg = der::children(imprint[0].value).unwrap();
        assert_eq!(alg[0].value, OID_SHA256);
        assert_eq!(imprint[1].value, Sha256::digest(b"sig").as_slice());
        assert_eq!(parts[2].value, [0x41, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!((parts[3].tag, parts[3].value), (der::BOOLEAN, &[0xff][..]));
    }

    #[test]
    fn only_a_granted_response_with_a_token_is_a_timestamp() {
        let status = |s: u8| tlv(der::SEQUENCE, &tlv(der::INTEGER, &[s]));
        let token = tlv(der::SEQUENCE, &[]);
        assert_eq!(
            granted(&tlv(der::SEQUENCE, &[status(0), token.clone()].concat())),
            Some(0)
        );
        assert_eq!(granted(&tlv(der::SEQUENCE, &status(2))), Some(-1));
        assert_eq!(granted(b"<html>"), None);
        assert_eq!(
            granted(&[tlv(der::SEQUENCE, &status(0)), vec![0]].concat()),
            None
        );
    }
}
