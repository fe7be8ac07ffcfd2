//! Signing certificates: the chain check against the trusted certificate authorities at a given
//! time (the Rekor integrated time, not now: Fulcio certificates live ten minutes), and the
//! identity a certificate carries (subject alternative name, OIDC issuer, GitHub workflow claims
//! from the Fulcio extensions), matched exactly or by anchored regular expression.

use chrono::{DateTime, Utc};
use regex::Regex;
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use serde::Serialize;
use x509_cert::der::asn1::Utf8StringRef;
use x509_cert::der::{oid::ObjectIdentifier, Decode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::Certificate;

use super::error::VerifyError;
use super::keys::TrustedKey;
use super::trust_root::CertificateAuthority;

/// Why a certificate was not accepted.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CertError {
    #[error("certificate is not valid DER X.509")]
    Malformed,
    #[error("certificate does not chain to a trusted certificate authority at {0}")]
    Untrusted(DateTime<Utc>),
    #[error("certificate was not valid at {0}")]
    OutsideValidity(DateTime<Utc>),
    #[error("certificate public key is not supported")]
    Key,
}

/// What a signing certificate says about who signed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CertIdentity {
    /// Subject alternative names: emails, URIs, DNS names.
    pub sans: Vec<String>,
    /// OIDC issuer (Fulcio extension `1.3.6.1.4.1.57264.1.8`, or the older `.1.1`).
    pub issuer: Option<String>,
    /// GitHub repository, `owner/name`.
    pub github_repository: Option<String>,
    /// Git ref, e.g. `refs/heads/main`.
    pub github_ref: Option<String>,
    /// Workflow trigger, e.g. `push`.
    pub github_trigger: Option<String>,
}

/// A parsed certificate with its validity window.
pub struct ParsedCert {
    pub der: Vec<u8>,
    pub identity: CertIdentity,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub key: TrustedKey,
}

const OID_ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
const OID_TRIGGER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.2");
const OID_REPOSITORY_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.5");
const OID_REF_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.6");
const OID_ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
const OID_SOURCE_REPO_URI: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.12");
const OID_SOURCE_REPO_REF: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.14");
const OID_BUILD_TRIGGER: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.20");
/// Extended key usage `codeSigning`.
pub const EKU_CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];
/// Extended key usage `timeStamping`.
pub const EKU_TIME_STAMPING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];

/// Parses a DER certificate and reads its identity.
pub fn parse(der: &[u8]) -> Result<ParsedCert, CertError> {
    let cert = Certificate::from_der(der).map_err(|_malformed| CertError::Malformed)?;
    let tbs = cert.tbs_certificate();
    let mut identity = CertIdentity::default();
    let (mut v1_repo, mut v2_repo_uri) = (None, None);
    let (mut v1_ref, mut v2_ref) = (None, None);
    let (mut v1_trigger, mut v2_trigger) = (None, None);
    let mut v1_issuer = None;
    for ext in tbs.extensions().into_iter().flatten() {
        let raw = ext.extn_value.as_bytes();
        let v1 = || String::from_utf8(raw.to_vec()).ok();
        let v2 = || {
            Utf8StringRef::from_der(raw)
                .ok()
                .map(|s| s.as_str().to_string())
        };
        match ext.extn_id {
            OID_ISSUER_V1 => v1_issuer = v1(),
            OID_ISSUER_V2 => identity.issuer = v2(),
            OID_TRIGGER_V1 => v1_trigger = v1(),
            OID_BUILD_TRIGGER => v2_trigger = v2(),
            OID_REPOSITORY_V1 => v1_repo = v1(),
            OID_SOURCE_REPO_URI => v2_repo_uri = v2(),
            OID_REF_V1 => v1_ref = v1(),
            OID_SOURCE_REPO_REF => v2_ref = v2(),
            _ => {}
        }
    }
    identity.issuer = identity.issuer.or(v1_issuer);
    identity.github_repository = v1_repo.or_else(|| {
        v2_repo_uri.map(|u| {
            u.strip_prefix("https://github.com/")
                .map(str::to_string)
                .unwrap_or(u)
        })
    });
    identity.github_ref = v1_ref.or(v2_ref);
    identity.github_trigger = v1_trigger.or(v2_trigger);
    if let Ok(Some((_critical, SubjectAltName(names)))) = tbs.get_extension::<SubjectAltName>() {
        for name in names {
            match name {
                GeneralName::Rfc822Name(s) => identity.sans.push(s.to_string()),
                GeneralName::UniformResourceIdentifier(s) => identity.sans.push(s.to_string()),
                GeneralName::DnsName(s) => identity.sans.push(s.to_string()),
                GeneralName::OtherName(other) => {
                    if let Ok(s) = other.value.decode_as::<Utf8StringRef<'_>>() {
                        identity.sans.push(s.as_str().to_string());
                    }
                }
                _ => {}
            }
        }
    }
    let time = |t: &x509_cert::time::Time| {
        DateTime::<Utc>::from_timestamp(t.to_unix_duration().as_secs() as i64, 0)
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    };
    use x509_cert::der::Encode;
    let spki = tbs
        .subject_public_key_info()
        .to_der()
        .map_err(|_unencodable| CertError::Key)?;
    Ok(ParsedCert {
        der: der.to_vec(),
        not_before: time(&tbs.validity().not_before),
        not_after: time(&tbs.validity().not_after),
        key: TrustedKey::from_spki_der(spki, "certificate")
            .map_err(|_unsupported| CertError::Key)?,
        identity,
    })
}

/// Checks that `leaf` chains, through `extra_intermediates` (untrusted, e.g. from a signature
/// annotation) or the authority's own intermediates, to the root of an authority valid at `at`,
/// with every certificate valid at `at`. Extended key usage must include `eku` (when `required`,
/// or else when the certificate lists usages at all).
pub fn verify_chain(
    leaf: &ParsedCert,
    extra_intermediates: &[Vec<u8>],
    authorities: &[CertificateAuthority],
    at: DateTime<Utc>,
    eku: &'static [u8],
    required: bool,
) -> Result<(), CertError> {
    if at < leaf.not_before || at > leaf.not_after {
        return Err(CertError::OutsideValidity(at));
    }
    let der = CertificateDer::from(leaf.der.as_slice());
    let ee = webpki::EndEntityCert::try_from(&der).map_err(|_malformed| CertError::Malformed)?;
    let time =
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(at.timestamp().max(0) as u64));
    for ca in authorities.iter().filter(|ca| ca.valid_for.contains(at)) {
        // Every self-signed certificate of the authority is an anchor; the rest intermediates.
        let mut anchors: Vec<TrustAnchor<'_>> = Vec::new();
        let mut intermediates: Vec<CertificateDer<'_>> = extra_intermediates
            .iter()
            .map(|c| CertificateDer::from(c.as_slice()))
            .collect();
        for (i, cert) in ca.chain.iter().enumerate() {
            let cert_der = CertificateDer::from(cert.as_slice());
            if i + 1 == ca.chain.len() || is_self_signed(cert) {
                if let Ok(anchor) = webpki::anchor_from_trusted_cert(&cert_der) {
                    anchors.push(anchor.to_owned());
                }
            } else {
                intermediates.push(cert_der);
            }
        }
        let verified = ee.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &anchors,
            &intermediates,
            time,
            if required {
                webpki::KeyUsage::required(eku)
            } else {
                webpki::KeyUsage::required_if_present(eku)
            },
            None,
            None,
        );
        if verified.is_ok() {
            return Ok(());
        }
    }
    Err(CertError::Untrusted(at))
}

/// True when the certificate's issuer is its subject (a root).
pub fn is_self_signed(der: &[u8]) -> bool {
    Certificate::from_der(der)
        .map(|c| c.tbs_certificate().issuer() == c.tbs_certificate().subject())
        .unwrap_or(false)
}

/// Parses every certificate in PEM text (a chain annotation).
pub fn pem_chain(text: &[u8]) -> Result<Vec<Vec<u8>>, CertError> {
    let blocks = pem::parse_many(text).map_err(|_bad_pem| CertError::Malformed)?;
    Ok(blocks
        .into_iter()
        .filter(|b| b.tag() == "CERTIFICATE")
        .map(pem::Pem::into_contents)
        .collect())
}

/// A keyless identity the policy trusts: issuer and subject, each exact or an anchored regular
/// expression, plus optional GitHub workflow claims that must all match exactly.
#[derive(Debug, Clone)]
pub struct KeylessIdentity {
    /// `None` only for a private PKI whose certificates carry no OIDC issuer extension.
    pub issuer: Option<Matcher>,
    pub subject: Matcher,
    pub github_repository: Option<String>,
    pub github_ref: Option<String>,
    pub github_trigger: Option<String>,
}

/// `pattern` matched against the whole value, anchored by construction: the pattern must be a
/// regular expression on its own first (balanced groups and classes, no dangling escape), so
/// nothing in it can close the `(?:…)` it is wrapped in: `a)|(?:.*` is refused, not matched
/// against everything. Flags it sets stay inside the group; an `(?x)` comment that would
/// swallow the closing `)$` leaves the wrapped pattern unbalanced, which is refused too.
pub fn anchored(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(pattern)?;
    Regex::new(&format!("^(?:{pattern})$"))
}

/// Exact text or an anchored regular expression.
#[derive(Debug, Clone)]
pub enum Matcher {
    Exact(String),
    Regex(Regex),
}

impl Matcher {
    /// A regular expression matched against the whole value: `^(?:…)$` is implied.
    pub fn regex(pattern: &str) -> Result<Self, VerifyError> {
        anchored(pattern)
            .map(Matcher::Regex)
            .map_err(|source| VerifyError::Regex {
                pattern: pattern.to_string(),
                source,
            })
    }

    pub fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Exact(s) => s == value,
            Matcher::Regex(r) => r.is_match(value),
        }
    }
}

impl std::fmt::Display for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Matcher::Exact(s) => f.write_str(s),
            Matcher::Regex(r) => write!(f, "{}", r.as_str()),
        }
    }
}

impl KeylessIdentity {
    /// Exact issuer and subject.
    pub fn exact(issuer: &str, subject: &str) -> Self {
        Self {
            issuer: Some(Matcher::Exact(issuer.to_string())),
            subject: Matcher::Exact(subject.to_string()),
            github_repository: None,
            github_ref: None,
            github_trigger: None,
        }
    }

    /// True when the certificate identity satisfies every part of this one.
    pub fn matches(&self, id: &CertIdentity) -> bool {
        let issuer_ok = match &self.issuer {
            Some(m) => id.issuer.as_deref().is_some_and(|i| m.matches(i)),
            None => true,
        };
        let subject_ok = id.sans.iter().any(|s| self.subject.matches(s));
        let claim = |want: &Option<String>, have: &Option<String>| {
            want.as_ref().is_none_or(|w| have.as_ref() == Some(w))
        };
        issuer_ok
            && subject_ok
            && claim(&self.github_repository, &id.github_repository)
            && claim(&self.github_ref, &id.github_ref)
            && claim(&self.github_trigger, &id.github_trigger)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_cannot_close_its_anchoring_group() {
        // `^(?:` + this + `)$` used to read as `^(?:https://github.com/acme/x)|(?:.*)$`.
        for p in [
            "https://github.com/acme/x)|(?:.*",
            "x)|.*|(?:y",
            "(?x)https://github.com/acme/.*#",
            "x\\",
        ] {
            assert!(Matcher::regex(p).is_err(), "{p}");
        }
        let m = Matcher::regex("(?i)https://github.com/ACME/.*").unwrap();
        assert!(m.matches("https://github.com/acme/x"));
        assert!(!m.matches("evil\nhttps://github.com/acme/x"));
    }

    #[test]
    fn regex_is_anchored() {
        let m = Matcher::regex("https://github.com/acme/.*").unwrap();
        assert!(m.matches("https://github.com/acme/x"));
        assert!(!m.matches("evil https://github.com/acme/x"));
        let m = Matcher::regex("a|b").unwrap();
        assert!(!m.matches("ab"));
        assert!(!m.matches("xa"));
        assert!(m.matches("b"));
    }
}
