//! An index is scanned child by child, by the child's own digest: every child a node in scope
//! may run ([`super::platforms::Scope`]). Trivy is never asked to choose a platform of an
//! index (`--platform` picks one child by its own rules); it is given the digest gate chose.
//! The children's results are then joined into one result for the index, each vulnerability
//! tagged with its child's platform; a child that could not be scanned fails the index.

use super::keys::DigestTarget;
use super::platforms::{label, Decision, Scope};
use super::services::Scans;
use crate::evidence::IndexChild;
use crate::resolve::{Child, Resolved};
use crate::scan::{ScanError, ScanResult};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What to scan for one digest target.
pub struct Plan {
    /// `repository@digest`, for messages.
    image: String,
    digest: String,
    kind: Kind,
}

enum Kind {
    /// A single manifest: scanned as it is.
    Itself,
    /// An index: these children (`(platform, digest)`), each scanned as it is.
    Children(Vec<(String, String)>),
    /// An index that cannot be passed (why).
    Refused(String),
}

impl Plan {
    /// The digests to scan for this target.
    pub fn digests(&self) -> Vec<&str> {
        match &self.kind {
            Kind::Itself => vec![self.digest.as_str()],
            Kind::Children(c) => c.iter().map(|(_, d)| d.as_str()).collect(),
            Kind::Refused(_) => Vec::new(),
        }
    }
}

/// Each child of an index and the scope's decision on it, in index order.
pub fn decisions<'a>(children: &'a [Child], scope: &Scope) -> Vec<(&'a Child, Decision)> {
    children.iter().map(|c| (c, scope.decide(c))).collect()
}

/// The children of an index as the evidence records them: each digest, whether it was scanned,
/// and why.
pub fn evidence(children: &[Child], scope: &Scope) -> Vec<IndexChild> {
    decisions(children, scope)
        .into_iter()
        .map(|(c, d)| {
            let (scanned, reason) = match d {
                Decision::Scan(why) => (true, why),
                Decision::Skip(why) | Decision::Refuse(why) => (false, why),
            };
            IndexChild {
                digest: c.digest.clone(),
                platform: c.platform.as_ref().map(|p| p.to_string()),
                scanned,
                reason,
            }
        })
        .collect()
}

/// What to scan for the target `t` (resolved as `r`, its index listing `children`).
pub fn plan(t: &DigestTarget, r: &Resolved, children: &[Child], scope: &Scope) -> Plan {
    let kind = if children.is_empty() {
        if r.is_index() {
            Kind::Refused("the index lists no manifests: there is nothing to scan".into())
        } else {
            Kind::Itself
        }
    } else {
        let mut scan = Vec::new();
        let mut refused = None;
        for (c, d) in decisions(children, scope) {
            match d {
                Decision::Scan(_) => scan.push((label(c), c.digest.clone())),
                Decision::Refuse(why) => {
                    refused.get_or_insert(why);
                }
                Decision::Skip(_) => {}
            }
        }
        match refused {
            Some(why) => Kind::Refused(why),
            None if scan.is_empty() => Kind::Refused(match scope {
                Scope::Every => "no child of the index is an image a node runs".into(),
                Scope::Nodes(_) => {
                    "no child of the index runs on the platforms in scope (`scanner.platforms`)"
                        .into()
                }
            }),
            None => Kind::Children(scan),
        }
    };
    Plan {
        image: t.to_string(),
        digest: t.digest.clone(),
        kind,
    }
}

/// One result per planned target, keyed by its digest, from the results of the digests scanned.
pub fn assemble(plans: Vec<Plan>, results: Scans) -> Scans {
    let results: BTreeMap<String, Result<ScanResult, Arc<ScanError>>> = results
        .into_iter()
        .map(|(d, r)| (d, r.map_err(Arc::new)))
        .collect();
    let mut out = Scans::new();
    for plan in plans {
        let result = match plan.kind {
            Kind::Itself => match results.get(&plan.digest) {
                Some(Ok(r)) => Ok(r.clone()),
                Some(Err(e)) => Err(ScanError::Shared(Arc::clone(e))),
                // Reported as not scanned by the caller.
                None => continue,
            },
            Kind::Refused(reason) => Err(ScanError::Index {
                image: plan.image,
                reason,
            }),
            Kind::Children(children) => join(&plan.image, &plan.digest, &children, &results),
        };
        out.insert(plan.digest, result);
    }
    out
}

/// The index's result: every child's vulnerabilities, tagged with its platform.
fn join(
    image: &str,
    digest: &str,
    children: &[(String, String)],
    results: &BTreeMap<String, Result<ScanResult, Arc<ScanError>>>,
) -> Result<ScanResult, ScanError> {
    let mut joined = ScanResult {
        digest: digest.to_string(),
        scanner: String::new(),
        scanner_version: String::new(),
        db_updated_at: None,
        vulnerabilities: Vec::new(),
        sboms: Vec::new(),
        cached: true,
    };
    for (platform, child) in children {
        let failed = |source: Arc<ScanError>| ScanError::Child {
            image: image.to_string(),
            platform: platform.clone(),
            child: child.clone(),
            source,
        };
        let r = match results.get(child) {
            Some(Ok(r)) => r,
            Some(Err(e)) => return Err(failed(Arc::clone(e))),
            None => {
                return Err(failed(Arc::new(ScanError::Index {
                    image: image.to_string(),
                    reason: "the scanner returned no result for it".into(),
                })))
            }
        };
        if joined.scanner.is_empty() {
            joined.scanner = r.scanner.clone();
            joined.scanner_version = r.scanner_version.clone();
            joined.db_updated_at = r.db_updated_at.clone();
        }
        joined
            .vulnerabilities
            .extend(r.vulnerabilities.iter().cloned().map(|mut v| {
                v.platform = Some(platform.clone());
                v
            }));
        joined.sboms.extend(r.sboms.iter().cloned());
        joined.cached &= r.cached;
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Platform;
    use crate::reference::Reference;
    use crate::scan::Vulnerability;

    const INDEX: &str = "application/vnd.oci.image.index.v1+json";

    fn resolved(media_type: &str) -> (DigestTarget, Resolved) {
        let r = Resolved {
            reference: Reference::parse("registry.test/acme/app:1").unwrap(),
            digest: format!("sha256:{}", "0".repeat(64)),
            media_type: Some(media_type.into()),
            size: None,
            via: None,
        };
        (DigestTarget::of(&r), r)
    }

    fn child(n: u8, os: &str, arch: &str) -> Child {
        Child {
            digest: format!("sha256:{}", n.to_string().repeat(64)),
            media_type: Some("application/vnd.oci.image.manifest.v1+json".into()),
            platform: Some(Platform {
                os: os.into(),
                architecture: arch.into(),
                ..Platform::default()
            }),
        }
    }

    fn result(digest: &str, vulns: &[&str]) -> ScanResult {
        ScanResult {
            digest: digest.into(),
            scanner: "trivy".into(),
            scanner_version: "0.1".into(),
            db_updated_at: None,
            vulnerabilities: vulns
                .iter()
                .map(|id| Vulnerability {
                    id: id.to_string(),
                    pkg_name: "musl".into(),
                    pkg_path: None,
                    purl: None,
                    installed_version: "1".into(),
                    fixed_version: None,
                    status: None,
                    severity: "HIGH".into(),
                    title: None,
                    primary_url: None,
                    target: "alpine".into(),
                    class: None,
                    platform: None,
                })
                .collect(),
            sboms: Vec::new(),
            cached: false,
        }
    }

    fn refused(p: &Plan) -> Option<&str> {
        match &p.kind {
            Kind::Refused(why) => Some(why),
            _ => None,
        }
    }

    #[test]
    fn an_index_with_nothing_in_scope_is_refused() {
        let (t, r) = resolved(INDEX);
        let why = refused(&plan(&t, &r, &[], &Scope::Every)).map(str::to_owned);
        assert!(why.is_some_and(|w| w.contains("lists no manifests")));
        let only_attestation = [child(1, "unknown", "unknown")];
        assert!(refused(&plan(&t, &r, &only_attestation, &Scope::Every)).is_some());
        let arm = Scope::parse(&["linux/arm64".into()]).unwrap();
        let amd64 = [child(1, "linux", "amd64")];
        let why = refused(&plan(&t, &r, &amd64, &arm)).map(str::to_owned);
        assert!(why.is_some_and(|w| w.contains("runs on the platforms in scope")));
        // A single manifest is scanned as it is.
        let (t, r) = resolved("application/vnd.oci.image.manifest.v1+json");
        assert_eq!(
            plan(&t, &r, &[], &Scope::Every).digests(),
            [r.digest.as_str()]
        );
    }

    #[test]
    fn children_join_into_the_index_and_one_failure_fails_it() {
        let (t, r) = resolved(INDEX);
        let kids = [
            child(1, "linux", "amd64"),
            child(2, "linux", "386"),
            child(3, "unknown", "unknown"),
        ];
        let p = plan(&t, &r, &kids, &Scope::Every);
        assert_eq!(
            p.digests(),
            [kids[0].digest.as_str(), kids[1].digest.as_str()]
        );
        let mut results = Scans::new();
        results.insert(kids[0].digest.clone(), Ok(result(&kids[0].digest, &["A"])));
        results.insert(kids[1].digest.clone(), Ok(result(&kids[1].digest, &["B"])));
        let out = assemble(vec![p], results);
        let joined = out[&r.digest].as_ref().unwrap();
        let tagged: Vec<(&str, Option<&str>)> = joined
            .vulnerabilities
            .iter()
            .map(|v| (v.id.as_str(), v.platform.as_deref()))
            .collect();
        assert_eq!(
            tagged,
            [("A", Some("linux/amd64")), ("B", Some("linux/386"))]
        );

        let p = plan(&t, &r, &kids, &Scope::Every);
        let mut results = Scans::new();
        results.insert(kids[0].digest.clone(), Ok(result(&kids[0].digest, &[])));
        let out = assemble(vec![p], results);
        let err = out[&r.digest].as_ref().unwrap_err();
        let text = crate::resolve::chain_text(err);
        assert!(
            text.contains(&kids[1].digest) && text.contains("linux/386"),
            "{text}"
        );
    }
}
