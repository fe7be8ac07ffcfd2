//! Package URLs (`pkg:type/namespace/name@version?qualifiers#subpath`), parsed just far enough to
//! match `.trivyignore.yaml` `purls` the way Trivy does.
//!
//! Trivy's rule: type, namespace and name must be equal; a constraint without a version matches
//! every version; a constraint's subpath, when set, must be equal; every qualifier of the
//! constraint must be present with the same value in the package (extra ones are fine).

/// A parsed package URL. Components are percent-decoded; the type is lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub version: String,
    pub qualifiers: Vec<(String, String)>,
    pub subpath: String,
}

/// Why a package URL could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurlError {
    #[error("package URL `{0}` does not start with `pkg:`")]
    Scheme(String),
    #[error("package URL `{0}` has no type or no name")]
    Incomplete(String),
}

impl Purl {
    pub fn parse(s: &str) -> Result<Purl, PurlError> {
        let rest = s
            .strip_prefix("pkg:")
            .ok_or_else(|| PurlError::Scheme(s.to_owned()))?
            .trim_start_matches('/');
        let (rest, subpath) = rest.split_once('#').unwrap_or((rest, ""));
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (path, version) = match rest.rfind('@') {
            Some(at) if rest[at..].find('/').is_none() => (&rest[..at], &rest[at + 1..]),
            _ => (rest, ""),
        };
        let path = path.trim_end_matches('/');
        let (kind, path) = path
            .split_once('/')
            .ok_or_else(|| PurlError::Incomplete(s.to_owned()))?;
        let (namespace, name) = path.rsplit_once('/').unwrap_or(("", path));
        if kind.is_empty() || name.is_empty() {
            return Err(PurlError::Incomplete(s.to_owned()));
        }
        let namespace = namespace
            .split('/')
            .filter(|seg| !seg.is_empty())
            .map(decode)
            .collect::<Vec<_>>()
            .join("/");
        let qualifiers = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.to_ascii_lowercase(), decode(v)))
            .collect();
        Ok(Purl {
            kind: kind.to_ascii_lowercase(),
            namespace,
            name: decode(name),
            version: decode(version),
            qualifiers,
            subpath: subpath
                .split('/')
                .filter(|seg| !seg.is_empty() && *seg != "." && *seg != "..")
                .map(decode)
                .collect::<Vec<_>>()
                .join("/"),
        })
    }

    /// Does the package `target` satisfy this constraint? (Trivy's `PackageURL.Match`.)
    pub fn matches(&self, target: &Purl) -> bool {
        if self.kind != target.kind
            || self.namespace != target.namespace
            || self.name != target.name
            || (!self.version.is_empty() && self.version != target.version)
            || (!self.subpath.is_empty() && self.subpath != target.subpath)
        {
            return false;
        }
        self.qualifiers
            .iter()
            .all(|(k, v)| target.qualifiers.iter().any(|(tk, tv)| tk == k && tv == v))
    }
}

/// Percent-decode a component; invalid escapes stay as written.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Purl {
        Purl::parse(s).unwrap()
    }

    #[test]
    fn parses_components() {
        let x = p("pkg:apk/alpine/libcrypto1.1@1.1.1b-r1?arch=x86_64&distro=3.9.4");
        assert_eq!(x.kind, "apk");
        assert_eq!(x.namespace, "alpine");
        assert_eq!(x.name, "libcrypto1.1");
        assert_eq!(x.version, "1.1.1b-r1");
        assert_eq!(x.qualifiers.len(), 2);
        let g = p("pkg:golang/github.com/aquasecurity/bar@1.2.3");
        assert_eq!(g.namespace, "github.com/aquasecurity");
        assert_eq!(g.name, "bar");
        let n = p("pkg:npm/%40babel/core@7.0.0");
        assert_eq!(n.namespace, "@babel");
        let m = p("pkg:maven/org.springframework/spring-beans@5.3.15#sub/path");
        assert_eq!(m.subpath, "sub/path");
        assert!(Purl::parse("apk/alpine/musl").is_err());
        assert!(Purl::parse("pkg:apk").is_err());
    }

    #[test]
    fn matches_like_trivy() {
        let target = p("pkg:golang/github.com/aquasecurity/bar@1.2.3?goos=linux");
        assert!(p("pkg:golang/github.com/aquasecurity/bar").matches(&target));
        assert!(p("pkg:golang/github.com/aquasecurity/bar@1.2.3").matches(&target));
        assert!(p("pkg:golang/github.com/aquasecurity/bar?goos=linux").matches(&target));
        assert!(!p("pkg:golang/github.com/aquasecurity/bar?goos=darwin").matches(&target));
        assert!(!p("pkg:golang/github.com/aquasecurity/aaa@9.9.9").matches(&target));
        assert!(!p("pkg:golang/github.com/aquasecurity/bar@9.9.9").matches(&target));
        assert!(!p("pkg:npm/github.com/aquasecurity/bar").matches(&target));
    }
}
