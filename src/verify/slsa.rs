//! SLSA provenance facts: what slsa-verifier users check (`--builder-id`, `--source-uri`,
//! `--source-branch`/`--source-tag`), read from a verified provenance predicate (SLSA v1, with
//! the GitHub Actions workflow build types, and v0.2), and the policy's requirement on them
//! (`attestations[].slsa`). Pure: the predicate was verified before it is read here.

use serde::Serialize;
use serde_json::Value;

/// Predicate types whose facts this module reads.
pub const PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
pub const PROVENANCE_V02: &str = "https://slsa.dev/provenance/v0.2";

/// Whether `predicate_type` is a SLSA provenance type (`https://slsa.dev/provenance/...`).
pub fn is_provenance(predicate_type: &str) -> bool {
    predicate_type.starts_with("https://slsa.dev/provenance/")
}

/// What a provenance says about how the image was built.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SlsaFacts {
    /// `runDetails.builder.id` (v1) or `builder.id` (v0.2).
    pub builder_id: Option<String>,
    /// The source repository, normalised (`github.com/acme/app`).
    pub source_uri: Option<String>,
    /// The source ref (`refs/heads/main`, `refs/tags/v1.2.3`).
    pub source_ref: Option<String>,
}

/// The facts of a provenance predicate, or `None` for another predicate type.
pub fn facts(predicate_type: &str, predicate: &Value) -> Option<SlsaFacts> {
    let text = |v: &Value| v.as_str().map(str::to_string);
    match predicate_type {
        PROVENANCE_V1 => {
            let def = &predicate["buildDefinition"];
            let workflow = &def["externalParameters"]["workflow"];
            // The GitHub Actions workflow build types name the source here; others only in
            // the resolved dependencies (`git+https://host/repo@ref`).
            let (uri, git_ref) = match text(&workflow["repository"]) {
                Some(repo) => (Some(repo), text(&workflow["ref"])),
                None => first_git(&def["resolvedDependencies"]),
            };
            Some(SlsaFacts {
                builder_id: text(&predicate["runDetails"]["builder"]["id"]),
                source_uri: uri.map(|u| normalise_uri(&u)),
                source_ref: git_ref,
            })
        }
        PROVENANCE_V02 => {
            let (uri, git_ref) = match text(&predicate["invocation"]["configSource"]["uri"]) {
                Some(u) => split_git(&u),
                None => first_git(&predicate["materials"]),
            };
            Some(SlsaFacts {
                builder_id: text(&predicate["builder"]["id"]),
                source_uri: uri.map(|u| normalise_uri(&u)),
                source_ref: git_ref,
            })
        }
        _ => None,
    }
}

/// The first `git+` URI of a list of resource descriptors, split into repository and ref.
fn first_git(list: &Value) -> (Option<String>, Option<String>) {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["uri"].as_str())
        .find(|u| u.starts_with("git+"))
        .map_or((None, None), split_git)
}

/// `git+https://github.com/acme/app@refs/heads/main` → (`…/acme/app`, `refs/heads/main`).
fn split_git(uri: &str) -> (Option<String>, Option<String>) {
    let uri = uri.strip_prefix("git+").unwrap_or(uri);
    match uri.rsplit_once('@') {
        // An `@` in the authority (`user@host`) is no ref separator.
        Some((repo, r)) if !r.contains('/') || r.starts_with("refs/") => {
            (Some(repo.to_string()), Some(r.to_string()))
        }
        _ => (Some(uri.to_string()), None),
    }
}

/// A repository URI without `git+`, scheme, `.git` or trailing `/`, as slsa-verifier's
/// `--source-uri` is written: `github.com/acme/app`.
pub fn normalise_uri(uri: &str) -> String {
    let uri = uri.strip_prefix("git+").unwrap_or(uri);
    let uri = uri
        .strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://"))
        .unwrap_or(uri);
    let uri = uri.trim_end_matches('/');
    uri.strip_suffix(".git").unwrap_or(uri).to_string()
}

/// What the policy requires of a provenance (`attestations[].slsa`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlsaRequirement {
    /// Exact, or without `@version` to match any version of the builder (slsa-verifier's rule).
    pub builder_id: Option<String>,
    /// Compared normalised ([`normalise_uri`]).
    pub source_uri: Option<String>,
    /// A full ref (`source-branch: main` is `refs/heads/main`).
    pub source_ref: Option<String>,
}

impl SlsaRequirement {
    pub fn is_empty(&self) -> bool {
        self.builder_id.is_none() && self.source_uri.is_none() && self.source_ref.is_none()
    }

    /// `Ok` when `facts` meet every requirement, else the first mismatch as one line.
    pub fn check(&self, facts: Option<&SlsaFacts>) -> Result<(), String> {
        if self.is_empty() {
            return Ok(());
        }
        let Some(facts) = facts else {
            return Err("it is no SLSA provenance gate can read".to_string());
        };
        let differs = |what: &str, have: &Option<String>, want: &str| {
            Err(match have {
                Some(have) => format!("its {what} is `{have}`, not `{want}`"),
                None => format!("it names no {what} (want `{want}`)"),
            })
        };
        if let Some(want) = &self.builder_id {
            let ok = facts.builder_id.as_deref().is_some_and(|have| {
                have == want
                    || (!want.contains('@') && have.split_once('@').is_some_and(|(n, _)| n == want))
            });
            if !ok {
                return differs("builder id", &facts.builder_id, want);
            }
        }
        if let Some(want) = &self.source_uri {
            if facts.source_uri.as_deref() != Some(normalise_uri(want).as_str()) {
                return differs("source repository", &facts.source_uri, want);
            }
        }
        if let Some(want) = &self.source_ref {
            if facts.source_ref.as_deref() != Some(want.as_str()) {
                return differs("source ref", &facts.source_ref, want);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// What `@actions/attest` 3.2.0 writes (buildSLSAProvenancePredicate).
    fn github_v1() -> Value {
        serde_json::json!({
            "buildDefinition": {
                "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                "externalParameters": {"workflow": {
                    "ref": "refs/heads/main",
                    "repository": "https://github.com/acme/app",
                    "path": ".github/workflows/release.yml"}},
                "resolvedDependencies": [{"uri": "git+https://github.com/acme/app@refs/heads/main",
                    "digest": {"gitCommit": "aaaa"}}]
            },
            "runDetails": {"builder": {
                "id": "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"}}
        })
    }

    #[test]
    fn reads_github_v1_provenance() {
        let f = facts(PROVENANCE_V1, &github_v1()).unwrap();
        assert_eq!(
            f,
            SlsaFacts {
                builder_id: Some(
                    "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
                        .into()
                ),
                source_uri: Some("github.com/acme/app".into()),
                source_ref: Some("refs/heads/main".into()),
            }
        );
        assert_eq!(facts("https://cyclonedx.org/bom", &github_v1()), None);
    }

    #[test]
    fn reads_generic_v1_and_v02_sources() {
        let v1 = serde_json::json!({"buildDefinition": {"resolvedDependencies": [
            {"uri": "pkg:npm/x@1"},
            {"uri": "git+https://gitlab.com/acme/app.git@refs/tags/v1.2.3"}]},
            "runDetails": {"builder": {"id": "https://gitlab.com/runner"}}});
        let f = facts(PROVENANCE_V1, &v1).unwrap();
        assert_eq!(f.source_uri.as_deref(), Some("gitlab.com/acme/app"));
        assert_eq!(f.source_ref.as_deref(), Some("refs/tags/v1.2.3"));
        let v02 = serde_json::json!({"builder": {"id": "https://b"},
            "invocation": {"configSource": {"uri": "git+https://github.com/acme/app@refs/heads/dev"}}});
        let f = facts(PROVENANCE_V02, &v02).unwrap();
        assert_eq!(
            (
                f.builder_id.as_deref(),
                f.source_uri.as_deref(),
                f.source_ref.as_deref()
            ),
            (
                Some("https://b"),
                Some("github.com/acme/app"),
                Some("refs/heads/dev")
            )
        );
    }

    #[test]
    fn requirement_matches_and_names_the_mismatch() {
        let f = facts(PROVENANCE_V1, &github_v1()).unwrap();
        let ok = SlsaRequirement {
            builder_id: Some("https://github.com/acme/app/.github/workflows/release.yml".into()),
            source_uri: Some("https://github.com/acme/app".into()),
            source_ref: Some("refs/heads/main".into()),
        };
        assert_eq!(ok.check(Some(&f)), Ok(()));
        let builder = SlsaRequirement {
            builder_id: Some("https://github.com/acme/app/.github/workflows/evil.yml".into()),
            ..SlsaRequirement::default()
        };
        let err = builder.check(Some(&f)).unwrap_err();
        assert!(
            err.starts_with("its builder id is `https://github.com/acme/app/"),
            "{err}"
        );
        assert!(!err.contains('\n'));
        // A versioned builder id must match exactly.
        let pinned = SlsaRequirement {
            builder_id: Some(
                "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/dev".into(),
            ),
            ..SlsaRequirement::default()
        };
        assert!(pinned.check(Some(&f)).is_err());
        let source = SlsaRequirement {
            source_uri: Some("github.com/acme/other".into()),
            ..SlsaRequirement::default()
        };
        assert_eq!(
            source.check(Some(&f)),
            Err(
                "its source repository is `github.com/acme/app`, not `github.com/acme/other`"
                    .into()
            )
        );
        let tag = SlsaRequirement {
            source_ref: Some("refs/tags/v1".into()),
            ..SlsaRequirement::default()
        };
        assert_eq!(
            tag.check(Some(&f)),
            Err("its source ref is `refs/heads/main`, not `refs/tags/v1`".into())
        );
        assert!(tag.check(None).is_err());
        assert_eq!(SlsaRequirement::default().check(None), Ok(()));
    }
}
