//! `registries.allowed`: where images may come from. A reference whose `registry/repository`
//! matches none of the policy's globs is a finding at error (`GATE-IMG-004`), attached to its
//! image. An empty list allows any registry.

use super::keys::Images;
use super::stages::Resolution;
use crate::evidence::Source;
use crate::finding::{Finding, Location, Subject};
pub use crate::resolve::config::Allowed;
use crate::resolve::REGISTRY_NOT_ALLOWED;

/// A finding for every image outside the allowed registries; its subject is the image's digest
/// target when it resolved, else the reference as written.
pub fn findings(allowed: &Allowed, images: &Images, res: &Resolution) -> Vec<Finding> {
    let mut out = Vec::new();
    for (id, img) in images.iter() {
        let name = img.reference.name();
        if allowed.allows(&name) {
            continue;
        }
        let subject = match res.target(id) {
            Some(t) => t.subject(),
            None => Subject::Reference(img.reference.original().to_string()),
        };
        let location = img.sources.iter().find_map(|s| match s {
            Source::File { file, line, column } => Some(Location {
                file: file.clone(),
                line: *line,
                column: *column,
            }),
            Source::CommandLine => None,
        });
        out.push(Finding {
            rule: &REGISTRY_NOT_ALLOWED,
            severity: REGISTRY_NOT_ALLOWED.severity,
            subject,
            location,
            message: format!(
                "`{}` comes from `{name}`, which `registries.allowed` does not allow",
                img.reference.original()
            ),
            exception: None,
            key: None,
            vulnerability: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_allow_and_empty_allows_all() {
        let a = Allowed::new(&["ghcr.io/acme/*".into(), "docker.io/library/*".into()]).unwrap();
        assert!(a.allows("ghcr.io/acme/api"));
        assert!(a.allows("docker.io/library/nginx"));
        assert!(!a.allows("evil.example/acme/api"));
        assert!(Allowed::default().allows("anything.example/x"));
        assert!(Allowed::new(&["[".into()]).is_err());
    }
}
