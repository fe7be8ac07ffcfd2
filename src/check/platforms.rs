//! Which children of an index are scanned: every child a node of a platform in scope may run,
//! decided by containerd's matcher ([`crate::platform::Matcher`]) with its fallbacks and
//! variants, never by the platform a tree names (`FROM --platform=`, Compose `platform:`, a
//! node selector): only the trusted policy's `scanner.platforms` narrows the scope.
//!
//! - No scope (the default): every child but those no node runs (`unknown` OS or
//!   architecture: attestation manifests).
//! - A scope entry `os/arch` stands for every node of that OS and architecture, whatever its
//!   variant (an x86-64-v3 node, an ARMv8.2 one), OS version or OS features; `os/arch/variant`
//!   for nodes of that variant. A child is scanned when the matcher of any such node accepts
//!   it, not only when it is that node's first choice: which child a runtime prefers depends on
//!   its version and configuration (CRI-O, Docker and containerd rank differently), which child
//!   it accepts is containerd's documented rule, so every accepted child is scanned.
//! - A child without a platform is chosen by its configuration's platform, which gate does not
//!   read: it is scanned. A child that is itself an index is refused (could not check).

use crate::platform::{Matcher, ParseError, Spec, ARM64_VARIANTS};
use crate::resolve::Child;

/// The platforms in scope (`scanner.platforms`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Scope {
    /// Every child a node may run.
    #[default]
    Every,
    /// The nodes of these platforms.
    Nodes(Vec<Entry>),
}

/// One `scanner.platforms` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    spelling: String,
    spec: Spec,
    /// Written without a variant: every variant of the architecture.
    any_variant: bool,
}

/// What to do with one child, and why (recorded in the evidence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Scan(String),
    Skip(String),
    /// Could not check: the image cannot be passed while this child may run.
    Refuse(String),
}

const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// What a child is called in messages: its platform, or that it has none.
pub fn label(c: &Child) -> String {
    match &c.platform {
        Some(p) => p.to_string(),
        None => "no platform".to_string(),
    }
}

impl Scope {
    /// `scanner.platforms`: empty is [`Scope::Every`]; each entry `os/arch[/variant]`.
    pub fn parse(list: &[String]) -> Result<Scope, ParseError> {
        if list.is_empty() {
            return Ok(Scope::Every);
        }
        list.iter()
            .map(|s| {
                Ok(Entry {
                    spelling: s.clone(),
                    spec: Spec::parse(s)?,
                    any_variant: s.split('/').count() == 2,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Scope::Nodes)
    }

    /// Scan, skip or refuse the child `c` of an index.
    pub fn decide(&self, c: &Child) -> Decision {
        let why = match self.accepts(c) {
            Err(skip) => return Decision::Skip(skip),
            Ok(why) => why,
        };
        let nested = c
            .media_type
            .as_deref()
            .is_some_and(|m| INDEX_TYPES.contains(&m));
        if nested {
            return Decision::Refuse(format!(
                "its child `{}` ({}) is itself an index, which gate does not walk; a node may \
                 select it ({why})",
                c.digest,
                label(c)
            ));
        }
        Decision::Scan(why)
    }

    /// Why a node in scope may run `c`, or why none does.
    fn accepts(&self, c: &Child) -> Result<String, String> {
        let Some(p) = &c.platform else {
            return Ok(
                "no platform in the index: a runtime matches its configuration, \
                       so any node may select it"
                    .into(),
            );
        };
        let child = p.spec();
        let unknown = |s: &str| s.eq_ignore_ascii_case("unknown");
        if unknown(&child.os) || unknown(&child.architecture) {
            return Err("`unknown` platform: no node runs it (an attestation manifest)".into());
        }
        let entries = match self {
            Scope::Every => return Ok("every runnable child is scanned (no platform scope)".into()),
            Scope::Nodes(entries) => entries,
        };
        for e in entries {
            for node in e.nodes(&child) {
                match Matcher::only(&node).rank(&child) {
                    Some(0) => return Ok(format!("`{}` nodes run it", node.format())),
                    Some(_) => {
                        return Ok(format!("`{}` nodes fall back to it", node.format()));
                    }
                    None => {}
                }
            }
        }
        let scope: Vec<&str> = entries.iter().map(|e| e.spelling.as_str()).collect();
        Err(format!(
            "no node of the platforms in scope ({}) selects it",
            scope.join(", ")
        ))
    }
}

impl Entry {
    /// The nodes this entry stands for that could meet `child`: its own platform, and without a
    /// variant every variant of the architecture (containerd's ladders, and one that reports
    /// the child's own variant). OS version and features the entry does not name are the
    /// child's: they narrow nothing.
    fn nodes(&self, child: &Spec) -> Vec<Spec> {
        let mut base = self.spec.clone();
        if base.os_version.is_empty() {
            base.os_version = child.os_version.clone();
        }
        base.os_features.extend(child.os_features.iter().cloned());
        let mut out = vec![base.clone()];
        if self.any_variant {
            let ladder: &[&str] = match base.architecture.as_str() {
                "amd64" => &["v2", "v3", "v4"],
                "arm" => &["v5", "v6", "v7", "v8"],
                "arm64" => &ARM64_VARIANTS,
                _ => &[],
            };
            for v in ladder.iter().copied().chain([child.variant.as_str()]) {
                out.push(Spec {
                    variant: v.to_string(),
                    ..base.clone()
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Platform;

    fn child(platform: Option<&str>) -> Child {
        Child {
            digest: "sha256:0".into(),
            media_type: Some("application/vnd.oci.image.manifest.v1+json".into()),
            platform: platform.map(|s| {
                let mut parts = s.split('/');
                Platform {
                    os: parts.next().unwrap_or_default().into(),
                    architecture: parts.next().unwrap_or_default().into(),
                    variant: parts.next().map(Into::into),
                    ..Platform::default()
                }
            }),
        }
    }

    fn scope(list: &[&str]) -> Scope {
        Scope::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn scanned(s: &Scope, index: &[&str]) -> Vec<String> {
        index
            .iter()
            .filter(|p| matches!(s.decide(&child(Some(p))), Decision::Scan(_)))
            .map(|p| p.to_string())
            .collect()
    }

    #[test]
    fn the_default_scans_every_runnable_child() {
        let index = [
            "linux/amd64",
            "linux/386",
            "linux/arm/v7",
            "windows/amd64",
            "linux/riscv64",
            "unknown/unknown",
            "Unknown/amd64",
        ];
        assert_eq!(scanned(&Scope::Every, &index), &index[..5]);
        assert!(matches!(
            Scope::Every.decide(&child(None)),
            Decision::Scan(_)
        ));
    }

    #[test]
    fn a_scope_takes_every_child_its_nodes_may_select() {
        let index = [
            "linux/amd64",
            "linux/amd64/v3",
            "linux/386",
            "linux/arm64",
            "linux/arm64/v9.2",
            "linux/arm/v7",
            "linux/arm/v5",
            "windows/amd64",
            "linux/ppc64le",
        ];
        assert_eq!(
            scanned(&scope(&["linux/amd64"]), &index),
            ["linux/amd64", "linux/amd64/v3", "linux/386"]
        );
        assert_eq!(
            scanned(&scope(&["linux/arm64"]), &index),
            [
                "linux/arm64",
                "linux/arm64/v9.2",
                "linux/arm/v7",
                "linux/arm/v5"
            ]
        );
        // A variant names those nodes alone, with their fallbacks.
        assert_eq!(
            scanned(&scope(&["linux/amd64/v2"]), &index),
            ["linux/amd64", "linux/386"]
        );
        assert_eq!(scanned(&scope(&["linux/arm/v6"]), &index), ["linux/arm/v5"]);
        // A child without a platform may be anyone's.
        assert!(matches!(
            scope(&["linux/ppc64le"]).decide(&child(None)),
            Decision::Scan(_)
        ));
        // An empty OS is the node's own (containerd asks its host).
        assert!(matches!(
            scope(&["linux/amd64"]).decide(&child(Some("/amd64"))),
            Decision::Scan(_)
        ));
    }

    #[test]
    fn reasons_say_which_node_and_whether_by_fallback() {
        let s = scope(&["linux/amd64"]);
        assert_eq!(
            s.decide(&child(Some("linux/386"))),
            Decision::Scan("`linux/amd64` nodes fall back to it".into())
        );
        assert_eq!(
            s.decide(&child(Some("linux/amd64/v3"))),
            Decision::Scan("`linux/amd64/v3` nodes run it".into())
        );
        assert_eq!(
            s.decide(&child(Some("linux/arm64"))),
            Decision::Skip("no node of the platforms in scope (linux/amd64) selects it".into())
        );
    }

    #[test]
    fn os_version_and_features_narrow_nothing() {
        let mut c = child(Some("windows/amd64"));
        if let Some(p) = c.platform.as_mut() {
            p.os_version = Some("10.0.17763.1".into());
            p.os_features = Some(vec!["win32k".into(), "gpu".into()]);
        }
        assert!(matches!(
            scope(&["windows/amd64"]).decide(&c),
            Decision::Scan(_)
        ));
    }

    #[test]
    fn a_nested_index_in_scope_is_refused() {
        let mut c = child(Some("linux/amd64"));
        c.media_type = Some(INDEX_TYPES[0].into());
        assert!(matches!(Scope::Every.decide(&c), Decision::Refuse(_)));
        assert!(matches!(
            scope(&["linux/arm64"]).decide(&c),
            Decision::Skip(_)
        ));
    }

    #[test]
    fn scope_entries_are_platforms() {
        assert!(Scope::parse(&["amd64".into()]).is_err());
        assert!(Scope::parse(&["linux/amd64/v3/x".into()]).is_err());
        assert_eq!(Scope::parse(&[]), Ok(Scope::Every));
    }
}
