//! Keyless signing as cosign does it: an OpenID Connect ID token from the CI (`SIGSTORE_ID_TOKEN`,
//! or GitHub Actions' token service through `ACTIONS_ID_TOKEN_REQUEST_URL` and
//! `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, audience `sigstore`), an ephemeral key that never leaves the
//! process, and a short-lived certificate for it from Fulcio (`POST /api/v2/signingCert`, with
//! proof of possession: the key's signature over the token's email, or its subject when it has
//! none). The certificate names the CI's identity; verifiers trust Fulcio's root.

use base64::{engine::general_purpose, Engine as _};
use std::time::Duration;

use super::keys::SigningKey;

/// The audience cosign asks CI token services for.
pub const AUDIENCE: &str = "sigstore";
/// The public Sigstore Fulcio.
pub const PUBLIC_FULCIO: &str = "https://fulcio.sigstore.dev";
/// The most a token or Fulcio answer may be.
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// Keyless signing could not get an identity or a certificate.
#[derive(Debug, thiserror::Error)]
pub enum FulcioError {
    #[error(
        "keyless signing needs an OIDC ID token: set `SIGSTORE_ID_TOKEN`, or run in GitHub \
         Actions with `permissions: id-token: write` (`ACTIONS_ID_TOKEN_REQUEST_URL` and \
         `ACTIONS_ID_TOKEN_REQUEST_TOKEN`)"
    )]
    NoToken,
    #[error("the ID token is not a JWT with a subject or email claim")]
    BadToken,
    #[error("cannot get an ID token from the CI's token service")]
    TokenService(#[source] reqwest::Error),
    #[error("the CI's token service answered {0}")]
    TokenStatus(u16),
    #[error("cannot reach Fulcio at `{url}`")]
    Request {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("Fulcio at `{url}` refused the certificate request ({status}): {body}")]
    Refused {
        url: String,
        status: u16,
        body: String,
    },
    #[error("Fulcio's answer has no certificate chain")]
    NoChain,
    #[error("Fulcio's certificate is not PEM")]
    BadCertificate(#[source] pem::PemError),
    #[error("cannot sign the proof of possession")]
    Key(#[from] super::error::KeyError),
}

/// An ID token and the identity Fulcio will put in the certificate.
#[derive(Clone)]
pub struct IdToken {
    raw: String,
    /// What the proof of possession signs: the email when the token has one, else `sub`.
    pub challenge: String,
}

impl std::fmt::Debug for IdToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdToken")
            .field("challenge", &self.challenge)
            .finish_non_exhaustive()
    }
}

impl IdToken {
    /// Reads the claims of a JWT (unverified: Fulcio verifies it) for the challenge.
    pub fn parse(raw: &str) -> Result<Self, FulcioError> {
        let raw = raw.trim();
        let payload = raw.split('.').nth(1).ok_or(FulcioError::BadToken)?;
        let bytes = general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| FulcioError::BadToken)?;
        let claims: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| FulcioError::BadToken)?;
        let challenge = claims["email"]
            .as_str()
            .or_else(|| claims["sub"].as_str())
            .filter(|s| !s.is_empty())
            .ok_or(FulcioError::BadToken)?;
        Ok(Self {
            raw: raw.to_string(),
            challenge: challenge.to_string(),
        })
    }

    /// The token from the environment: `SIGSTORE_ID_TOKEN`, else GitHub Actions' token service.
    pub async fn from_env(http: &reqwest::Client) -> Result<Self, FulcioError> {
        if let Ok(t) = std::env::var("SIGSTORE_ID_TOKEN") {
            return Self::parse(&t);
        }
        let (Ok(url), Ok(bearer)) = (
            std::env::var("ACTIONS_ID_TOKEN_REQUEST_URL"),
            std::env::var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
        ) else {
            return Err(FulcioError::NoToken);
        };
        let resp = http
            .get(&url)
            .query(&[("audience", AUDIENCE)])
            .bearer_auth(bearer)
            .send()
            .await
            .map_err(FulcioError::TokenService)?;
        if !resp.status().is_success() {
            return Err(FulcioError::TokenStatus(resp.status().as_u16()));
        }
        let body = limited(resp).await.map_err(FulcioError::TokenService)?;
        let value: serde_json::Value =
            serde_json::from_slice(&body).map_err(|_| FulcioError::BadToken)?;
        Self::parse(value["value"].as_str().ok_or(FulcioError::BadToken)?)
    }
}

/// Whether a keyless token is to be had from the environment (checked before the run).
pub fn token_in_env() -> bool {
    let set = |v: &str| std::env::var_os(v).is_some();
    set("SIGSTORE_ID_TOKEN")
        || (set("ACTIONS_ID_TOKEN_REQUEST_URL") && set("ACTIONS_ID_TOKEN_REQUEST_TOKEN"))
}

/// A Fulcio certificate for an ephemeral key.
#[derive(Debug, Clone)]
pub struct Certificate {
    /// The leaf, DER.
    pub leaf_der: Vec<u8>,
    /// The leaf, PEM.
    pub leaf_pem: String,
    /// The rest of the chain up to Fulcio's root, PEM, leaf first.
    pub chain_pem: String,
}

/// An HTTP client for the token service and Fulcio.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// Asks Fulcio at `base` for a certificate binding `key` (whose public PEM is `public_pem`) to
/// the identity of `token`.
pub async fn signing_cert(
    http: &reqwest::Client,
    base: &str,
    token: &IdToken,
    key: &SigningKey,
    public_pem: &str,
) -> Result<Certificate, FulcioError> {
    let url = format!("{}/api/v2/signingCert", base.trim_end_matches('/'));
    let proof = key.sign(token.challenge.as_bytes())?;
    let body = serde_json::json!({
        "credentials": { "oidcIdentityToken": token.raw },
        "publicKeyRequest": {
            "publicKey": { "algorithm": "ECDSA", "content": public_pem },
            "proofOfPossession": general_purpose::STANDARD.encode(proof),
        },
    });
    let request = |source| FulcioError::Request {
        url: url.clone(),
        source,
    };
    let resp = http.post(&url).json(&body).send().await.map_err(request)?;
    let status = resp.status();
    let bytes = limited(resp).await.map_err(request)?;
    if !status.is_success() {
        return Err(FulcioError::Refused {
            url,
            status: status.as_u16(),
            body: String::from_utf8_lossy(&bytes).chars().take(300).collect(),
        });
    }
    let answer: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| FulcioError::NoChain)?;
    let certs = [
        "signedCertificateEmbeddedSct",
        "signedCertificateDetachedSct",
    ]
    .iter()
    .find_map(|k| answer[k]["chain"]["certificates"].as_array())
    .ok_or(FulcioError::NoChain)?;
    let pems: Vec<&str> = certs.iter().filter_map(|c| c.as_str()).collect();
    let (leaf, rest) = pems.split_first().ok_or(FulcioError::NoChain)?;
    let der = pem::parse(leaf).map_err(FulcioError::BadCertificate)?;
    Ok(Certificate {
        leaf_der: der.contents().to_vec(),
        leaf_pem: ensure_newline(leaf),
        chain_pem: rest.iter().map(|c| ensure_newline(c)).collect(),
    })
}

fn ensure_newline(pem: &str) -> String {
    if pem.ends_with('\n') {
        pem.to_string()
    } else {
        format!("{pem}\n")
    }
}

/// A response body, at most [`MAX_RESPONSE_BYTES`] (a longer one is cut there, and then does
/// not parse).
async fn limited(mut resp: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if out.len() + chunk.len() > MAX_RESPONSE_BYTES {
            break;
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn jwt(claims: &serde_json::Value) -> String {
        let e = |b: &[u8]| general_purpose::URL_SAFE_NO_PAD.encode(b);
        format!(
            "{}.{}.sig",
            e(br#"{"alg":"ES256"}"#),
            e(claims.to_string().as_bytes())
        )
    }

    #[test]
    fn the_challenge_is_the_email_else_the_subject() {
        let t = IdToken::parse(&jwt(&serde_json::json!({"sub": "s", "email": "a@b"}))).unwrap();
        assert_eq!(t.challenge, "a@b");
        let t = IdToken::parse(&jwt(&serde_json::json!({"sub": "repo:acme/app"}))).unwrap();
        assert_eq!(t.challenge, "repo:acme/app");
        assert!(IdToken::parse("not a jwt").is_err());
        assert!(IdToken::parse(&jwt(&serde_json::json!({"aud": "x"}))).is_err());
        assert!(
            !format!("{t:?}").contains("sig"),
            "the token is not printed"
        );
    }
}
