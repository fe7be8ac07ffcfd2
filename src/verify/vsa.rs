//! SLSA Verification Summary Attestations (`https://slsa.dev/verification_summary/v1`): what
//! `gate check --attest` signs for each image that passed, and what an `attestations:` entry with
//! `vsa:` accepts. A summary stands in for a verification only when it is about this digest (the
//! statement subject and `resourceUri`), under this policy (`policy.digest`), says `PASSED`, names
//! the expected verifier and is younger than the policy's `max-age`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The predicate type.
pub const PREDICATE_TYPE: &str = "https://slsa.dev/verification_summary/v1";
/// gate's verifier id.
pub const VERIFIER_ID: &str = "https://github.com/gate-dev/gate";

/// `sha256:` and 64 lowercase hex digits.
pub fn is_sha256(s: &str) -> bool {
    s.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// An attestation gate verified and relied on, for `inputAttestations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Where it was found (`registry/repo:sha256-….att`).
    pub uri: String,
    pub predicate_type: String,
}

/// What a summary says, for [`predicate`] and as read back by [`facts`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VsaFacts {
    pub verifier_id: String,
    pub verifier_version: Option<String>,
    pub time_verified: DateTime<Utc>,
    /// `registry/repo@sha256:…`.
    pub resource_uri: String,
    pub policy_uri: String,
    /// `sha256:…` of the policy.
    pub policy_digest: String,
    pub result: String,
    pub verified_levels: Vec<String>,
}

/// The predicate for one image that passed.
pub fn predicate(f: &VsaFacts, inputs: &[Input]) -> serde_json::Value {
    let inputs: Vec<serde_json::Value> = inputs
        .iter()
        .map(|i| serde_json::json!({"uri": i.uri, "annotations": {"predicateType": i.predicate_type}}))
        .collect();
    serde_json::json!({
        "verifier": {
            "id": f.verifier_id,
            "version": {"gate": f.verifier_version.clone().unwrap_or_default()},
        },
        "timeVerified": f.time_verified.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "resourceUri": f.resource_uri,
        "policy": {
            "uri": f.policy_uri,
            "digest": {"sha256": f.policy_digest.trim_start_matches("sha256:")},
        },
        "inputAttestations": inputs,
        "verificationResult": f.result,
        "verifiedLevels": f.verified_levels,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    verifier: WireVerifier,
    time_verified: DateTime<Utc>,
    resource_uri: String,
    policy: WirePolicy,
    verification_result: String,
    #[serde(default)]
    verified_levels: Vec<String>,
}

#[derive(Deserialize)]
struct WireVerifier {
    id: String,
    #[serde(default)]
    version: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct WirePolicy {
    #[serde(default)]
    uri: String,
    #[serde(default)]
    digest: std::collections::BTreeMap<String, String>,
}

/// The facts of a summary predicate, `None` for another predicate type or a malformed one.
pub fn facts(predicate_type: &str, predicate: &serde_json::Value) -> Option<VsaFacts> {
    if predicate_type != PREDICATE_TYPE {
        return None;
    }
    let w: Wire = serde_json::from_value(predicate.clone()).ok()?;
    Some(VsaFacts {
        verifier_version: w.verifier.version.values().next().cloned(),
        verifier_id: w.verifier.id,
        time_verified: w.time_verified,
        resource_uri: w.resource_uri,
        policy_uri: w.policy.uri,
        policy_digest: w
            .policy
            .digest
            .get("sha256")
            .map(|h| format!("sha256:{h}"))
            .unwrap_or_default(),
        result: w.verification_result,
        verified_levels: w.verified_levels,
    })
}

/// What the policy requires of a summary (`attestations[].vsa`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VsaRequirement {
    pub max_age: Option<Duration>,
    /// `sha256:…` the summary's `policy.digest` must be.
    pub policy_sha256: String,
    pub verifier_id: String,
}

impl VsaRequirement {
    /// `Ok` when the summary is about `digest`, under the policy, `PASSED`, by the verifier and
    /// young enough at `now`; else the first reason as one line.
    pub fn check(
        &self,
        facts: Option<&VsaFacts>,
        digest: &str,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        let Some(f) = facts else {
            return Err("it is no verification summary gate can read".to_string());
        };
        if f.resource_uri.rsplit_once('@').map(|(_, d)| d) != Some(digest) {
            return Err(format!(
                "its `resourceUri` is `{}`, not for `{digest}`",
                f.resource_uri
            ));
        }
        if f.policy_digest != self.policy_sha256 {
            return Err(format!(
                "it was verified under policy `{}`, not `{}`",
                if f.policy_digest.is_empty() {
                    "(none)"
                } else {
                    &f.policy_digest
                },
                self.policy_sha256
            ));
        }
        if f.result != "PASSED" {
            return Err(format!("its `verificationResult` is `{}`", f.result));
        }
        if f.verifier_id != self.verifier_id {
            return Err(format!(
                "its verifier is `{}`, not `{}`",
                f.verifier_id, self.verifier_id
            ));
        }
        if f.time_verified > now + chrono::Duration::minutes(5) {
            return Err(format!(
                "its `timeVerified` ({}) is in the future",
                f.time_verified
            ));
        }
        if let Some(max) = self.max_age {
            let age = now.signed_duration_since(f.time_verified);
            if age.to_std().is_ok_and(|a| a > max) {
                return Err(format!(
                    "it was verified at {}, older than the policy's `max-age` of {}s",
                    f.time_verified
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    max.as_secs()
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const D: &str = "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";
    const P: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    fn summary(at: DateTime<Utc>) -> VsaFacts {
        VsaFacts {
            verifier_id: VERIFIER_ID.into(),
            verifier_version: Some("1.0.0".into()),
            time_verified: at,
            resource_uri: format!("127.0.0.1:5000/app@{D}"),
            policy_uri: "policy.yaml".into(),
            policy_digest: P.into(),
            result: "PASSED".into(),
            verified_levels: vec!["SLSA_BUILD_LEVEL_1".into()],
        }
    }

    #[test]
    fn round_trips_and_refuses_other_digest_policy_and_age() {
        let now: DateTime<Utc> = "2026-12-07T12:00:00Z".parse().unwrap();
        let f = summary(now - chrono::Duration::hours(2));
        let back = facts(PREDICATE_TYPE, &predicate(&f, &[])).unwrap();
        assert_eq!(back, f);
        let req = VsaRequirement {
            max_age: Some(Duration::from_secs(3 * 3600)),
            policy_sha256: P.into(),
            verifier_id: VERIFIER_ID.into(),
        };
        assert_eq!(req.check(Some(&back), D, now), Ok(()));
        let other = D.replace("634a", "734a");
        assert!(req
            .check(Some(&back), &other, now)
            .unwrap_err()
            .contains("resourceUri"));
        let other_policy = VsaRequirement {
            policy_sha256: P.replace('1', "2"),
            ..req.clone()
        };
        assert!(other_policy
            .check(Some(&back), D, now)
            .unwrap_err()
            .contains("under policy"));
        let strict = VsaRequirement {
            max_age: Some(Duration::from_secs(3600)),
            ..req.clone()
        };
        assert!(strict
            .check(Some(&back), D, now)
            .unwrap_err()
            .contains("max-age"));
        let failed = VsaFacts {
            result: "FAILED".into(),
            ..f
        };
        assert!(req
            .check(Some(&failed), D, now)
            .unwrap_err()
            .contains("FAILED"));
    }
}
