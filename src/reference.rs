//! Image references: the distribution/reference grammar, normalisation and familiar names.
//!
//! Every other stage works on a [`Reference`] parsed here once. Parsing follows
//! github.com/distribution/reference exactly (the conformance table in
//! the `refs` conformance data set's `cases.json` runs against this module), and keeps the user's own spelling so
//! pinning `nginx:1.27` writes `nginx:1.27@sha256:…`, not `docker.io/library/nginx:1.27@…`.

use regex::Regex;
use std::fmt;
use std::sync::LazyLock;

/// The registry a name without a domain lives on.
pub const DEFAULT_DOMAIN: &str = "docker.io";
/// Docker Hub's historical name, normalised to [`DEFAULT_DOMAIN`].
pub const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
/// The namespace of Docker Hub's official images.
pub const OFFICIAL_REPO_PREFIX: &str = "library/";
/// The tag a name without tag or digest means.
pub const DEFAULT_TAG: &str = "latest";
/// The longest repository path (the limit is on the path, not domain + path).
pub const NAME_TOTAL_LENGTH_MAX: usize = 255;

const ALPHANUMERIC: &str = r"[a-z0-9]+";
const SEPARATOR: &str = r"(?:[._]|__|[-]+)";
const DOMAIN_COMPONENT: &str = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const IPV6: &str = r"\[(?:[a-fA-F0-9:]+)\]";
// Go's `\w` is ASCII-only; so is ours (a Unicode class repeated 128 times is slow to build).
const TAG: &str = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
const DIGEST: &str = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}";

fn path_component() -> String {
    format!("{ALPHANUMERIC}(?:{SEPARATOR}{ALPHANUMERIC})*")
}

fn domain_and_port() -> String {
    let name = format!(r"{DOMAIN_COMPONENT}(?:\.{DOMAIN_COMPONENT})*");
    format!(r"(?:{name}|{IPV6})(?::[0-9]+)?")
}

fn remote_name() -> String {
    let c = path_component();
    format!("{c}(?:/{c})*")
}

fn name_pattern() -> String {
    format!("(?:{}/)?{}", domain_and_port(), remote_name())
}

/// `^(name)(?::(tag))?(?:@(digest))?$`
static REFERENCE_RE: LazyLock<Regex> = LazyLock::new(|| {
    let p = format!("^({})(?::({TAG}))?(?:@({DIGEST}))?$", name_pattern());
    Regex::new(&p).expect("reference grammar is a valid regex")
});
/// `^(?:(domain)/)?(remote-name)$`
static ANCHORED_NAME_RE: LazyLock<Regex> = LazyLock::new(|| {
    let p = format!("^(?:({})/)?({})$", domain_and_port(), remote_name());
    Regex::new(&p).expect("name grammar is a valid regex")
});
static ANCHORED_DOMAIN_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!("^{}$", domain_and_port())).expect("domain grammar is a valid regex")
});
static ANCHORED_TAG_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^{TAG}$")).expect("tag grammar is a valid regex"));
static ANCHORED_DIGEST_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^{DIGEST}$")).expect("digest grammar is a valid regex"));
static IDENTIFIER_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("^[a-f0-9]{64}$").expect("identifier grammar is a valid regex"));

/// Why a string is not an image reference. Messages follow distribution/reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("invalid reference format")]
    InvalidFormat,
    #[error("invalid tag format")]
    TagInvalidFormat,
    #[error("invalid digest format")]
    DigestInvalidFormat,
    #[error("repository name must be lowercase")]
    NameContainsUppercase,
    #[error("repository name must have at least one component")]
    NameEmpty,
    #[error("repository name must not be more than 255 characters")]
    NameTooLong,
    #[error("repository name must be canonical")]
    NameNotCanonical,
    #[error("invalid checksum digest length")]
    DigestInvalidLength,
    #[error("unsupported digest algorithm")]
    DigestUnsupported,
    #[error("invalid repository name ({0}), cannot specify 64-byte hexadecimal strings")]
    HexIdentifier(String),
    #[error("invalid reference format: repository name ({0}) must be lowercase")]
    RemoteNameUppercase(String),
}

impl ReferenceError {
    /// The upstream error variable this corresponds to (conformance tests compare on it).
    pub fn upstream_name(&self) -> &'static str {
        match self {
            Self::InvalidFormat | Self::HexIdentifier(_) | Self::RemoteNameUppercase(_) => {
                "ErrReferenceInvalidFormat"
            }
            Self::TagInvalidFormat => "ErrTagInvalidFormat",
            Self::DigestInvalidFormat => "ErrDigestInvalidFormat",
            Self::NameContainsUppercase => "ErrNameContainsUppercase",
            Self::NameEmpty => "ErrNameEmpty",
            Self::NameTooLong => "ErrNameTooLong",
            Self::NameNotCanonical => "ErrNameNotCanonical",
            Self::DigestInvalidLength => "digest.ErrDigestInvalidLength",
            Self::DigestUnsupported => "digest.ErrDigestUnsupported",
        }
    }
}

/// Validate a digest string as go-digest does: known algorithm, right hex length.
pub fn validate_digest(d: &str) -> Result<(), ReferenceError> {
    let Some((alg, hex)) = d.split_once(':') else {
        return Err(ReferenceError::DigestInvalidFormat);
    };
    if alg.is_empty() || hex.is_empty() || !ANCHORED_DIGEST_RE.is_match(d) {
        return Err(ReferenceError::DigestInvalidFormat);
    }
    let want = match alg {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err(ReferenceError::DigestUnsupported),
    };
    if hex.len() != want {
        return Err(ReferenceError::DigestInvalidLength);
    }
    if !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(ReferenceError::DigestInvalidFormat);
    }
    Ok(())
}

/// A parsed image reference: `domain/path[:tag][@digest]`.
///
/// `domain` is empty only for references made by [`Reference::parse_strict`] without a domain
/// component; [`Reference::parse`] always fills in `docker.io` and `library/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    original: String,
    /// Byte length of the name part of `original` (before `:tag` / `@digest`).
    original_name_len: usize,
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<String>,
}

impl Reference {
    /// Parse what a user wrote (`nginx:1.27`, `ghcr.io/acme/api@sha256:…`) and normalise it as
    /// `ParseNormalizedNamed` does: `docker.io` and `library/` defaults, `index.docker.io` folded.
    pub fn parse(input: &str) -> Result<Self, ReferenceError> {
        if IDENTIFIER_RE.is_match(input) {
            return Err(ReferenceError::HexIdentifier(input.to_string()));
        }
        let (domain, remainder) = split_docker_domain(input);
        let remote_name = match remainder.find(':') {
            Some(i) => &remainder[..i],
            None => &remainder,
        };
        if remote_name.to_lowercase() != remote_name {
            return Err(ReferenceError::RemoteNameUppercase(remote_name.to_string()));
        }
        let mut r = Self::parse_strict(&format!("{domain}/{remainder}"))?;
        r.original = input.to_string();
        r.original_name_len = name_len(input);
        Ok(r)
    }

    /// `Parse` of distribution/reference: the strict grammar, no normalisation.
    pub fn parse_strict(input: &str) -> Result<Self, ReferenceError> {
        let Some(caps) = REFERENCE_RE.captures(input) else {
            if input.is_empty() {
                return Err(ReferenceError::NameEmpty);
            }
            if REFERENCE_RE.is_match(&input.to_lowercase()) {
                return Err(ReferenceError::NameContainsUppercase);
            }
            return Err(ReferenceError::InvalidFormat);
        };
        let name = caps.get(1).map_or("", |m| m.as_str());
        let (domain, path) = split_name(name)?;
        let tag = caps.get(2).map(|m| m.as_str().to_string());
        let digest = caps.get(3).map(|m| m.as_str().to_string());
        if let Some(d) = &digest {
            validate_digest(d)?;
        }
        Ok(Self {
            original: input.to_string(),
            original_name_len: name.len(),
            domain,
            path,
            tag,
            digest,
        })
    }

    /// `ParseNamed`: accept only input already in canonical (fully normalised) form.
    pub fn parse_named(input: &str) -> Result<Self, ReferenceError> {
        let r = Self::parse(input)?;
        if r.to_string() != input {
            return Err(ReferenceError::NameNotCanonical);
        }
        Ok(r)
    }

    /// `ParseDockerRef`: normalise, add `:latest` when there is neither tag nor digest, and drop
    /// the tag when both are present (the digest is what counts).
    pub fn parse_docker_ref(input: &str) -> Result<Self, ReferenceError> {
        let mut r = Self::parse(input)?;
        if r.digest.is_some() {
            r.tag = None;
        } else if r.tag.is_none() {
            r.tag = Some(DEFAULT_TAG.to_string());
        }
        Ok(r)
    }

    /// `WithName`: a name-only reference, not normalised.
    pub fn with_name(name: &str) -> Result<Self, ReferenceError> {
        if name.is_empty() || !ANCHORED_NAME_RE.is_match(name) {
            return Err(ReferenceError::InvalidFormat);
        }
        let (domain, path) = split_name(name)?;
        Ok(Self {
            original: name.to_string(),
            original_name_len: name.len(),
            domain,
            path,
            tag: None,
            digest: None,
        })
    }

    /// `WithTag`: the same name with this tag (replacing any tag, keeping a digest).
    pub fn with_tag(&self, tag: &str) -> Result<Self, ReferenceError> {
        if !ANCHORED_TAG_RE.is_match(tag) {
            return Err(ReferenceError::TagInvalidFormat);
        }
        let mut r = self.clone();
        r.tag = Some(tag.to_string());
        Ok(r)
    }

    /// `WithDigest`: the same name with this digest (keeping a tag). Only the grammar is checked,
    /// as upstream does; [`validate_digest`] checks algorithm and length.
    pub fn with_digest(&self, digest: &str) -> Result<Self, ReferenceError> {
        if !ANCHORED_DIGEST_RE.is_match(digest) {
            return Err(ReferenceError::DigestInvalidFormat);
        }
        let mut r = self.clone();
        r.digest = Some(digest.to_string());
        Ok(r)
    }

    /// The registry host (and port): `docker.io`, `ghcr.io`, `127.0.0.1:5000`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path within the registry: `library/nginx`.
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// What the user wrote, unchanged.
    pub fn original(&self) -> &str {
        &self.original
    }

    /// The name as the user spelled it, without tag or digest (`nginx`, `ghcr.io/acme/api`).
    pub fn original_name(&self) -> &str {
        &self.original[..self.original_name_len]
    }

    /// The full normalised name: `docker.io/library/nginx`.
    pub fn name(&self) -> String {
        if self.domain.is_empty() {
            self.path.clone()
        } else {
            format!("{}/{}", self.domain, self.path)
        }
    }

    /// `FamiliarName`: the short form people type (`nginx`, `user/app`, `ghcr.io/x/y`).
    pub fn familiar_name(&self) -> String {
        if self.domain == DEFAULT_DOMAIN {
            match self.path.strip_prefix(OFFICIAL_REPO_PREFIX) {
                Some(rest) if !rest.contains('/') => rest.to_string(),
                _ => self.path.clone(),
            }
        } else {
            self.name()
        }
    }

    /// `FamiliarString`: the familiar name with tag and digest.
    pub fn familiar_string(&self) -> String {
        with_suffix(self.familiar_name(), self.tag(), self.digest())
    }

    /// The pinned form in the user's spelling: `nginx:1.27@sha256:…` (`keep_tag = false` drops
    /// the tag: `nginx@sha256:…`).
    pub fn pinned(&self, digest: &str, keep_tag: bool) -> String {
        let tag = if keep_tag { self.tag() } else { None };
        with_suffix(self.original_name().to_string(), tag, Some(digest))
    }

    /// The canonical by-digest form every stage works on: `docker.io/library/nginx@sha256:…`.
    pub fn by_digest(&self, digest: &str) -> String {
        format!("{}@{digest}", self.name())
    }

    /// The same reference with domain and path replaced (for `--mirror`), tag and digest kept.
    pub fn relocated(&self, domain: &str, path: &str) -> Self {
        let mut r = self.clone();
        r.domain = domain.to_string();
        r.path = path.to_string();
        r
    }
}

impl fmt::Display for Reference {
    /// The normalised string: `docker.io/library/nginx:1.27`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&with_suffix(self.name(), self.tag(), self.digest()))
    }
}

fn with_suffix(mut s: String, tag: Option<&str>, digest: Option<&str>) -> String {
    if let Some(t) = tag {
        s.push(':');
        s.push_str(t);
    }
    if let Some(d) = digest {
        s.push('@');
        s.push_str(d);
    }
    s
}

/// Byte length of the name part of a reference string: up to `@`, then up to a `:` after the
/// last `/` (a `:` before it is a port).
fn name_len(s: &str) -> usize {
    let no_digest = s.find('@').map_or(s, |i| &s[..i]);
    let last_slash = no_digest.rfind('/').map_or(0, |i| i + 1);
    match no_digest[last_slash..].find(':') {
        Some(i) => last_slash + i,
        None => no_digest.len(),
    }
}

/// Split a validated name into (domain, path) by the anchored name grammar and check the length.
fn split_name(name: &str) -> Result<(String, String), ReferenceError> {
    let caps = ANCHORED_NAME_RE
        .captures(name)
        .ok_or(ReferenceError::InvalidFormat)?;
    let domain = caps.get(1).map_or("", |m| m.as_str()).to_string();
    let path = caps.get(2).map_or("", |m| m.as_str()).to_string();
    if path.len() > NAME_TOTAL_LENGTH_MAX {
        return Err(ReferenceError::NameTooLong);
    }
    Ok((domain, path))
}

/// Docker's domain heuristic: the first component is a domain when it has a `.` or `:`, is
/// `localhost`, or has uppercase letters; otherwise the name lives on Docker Hub.
fn split_docker_domain(name: &str) -> (String, String) {
    let (domain, remote) = match name.split_once('/') {
        None => {
            return (
                DEFAULT_DOMAIN.into(),
                format!("{OFFICIAL_REPO_PREFIX}{name}"),
            )
        }
        Some((d, r)) if d == "localhost" => (d.to_string(), r.to_string()),
        Some((d, r)) if d == LEGACY_DEFAULT_DOMAIN => (DEFAULT_DOMAIN.to_string(), r.to_string()),
        Some((d, r)) if d.contains(['.', ':']) => (d.to_string(), r.to_string()),
        Some((d, r)) if d.to_lowercase() != d => (d.to_string(), r.to_string()),
        Some(_) => (DEFAULT_DOMAIN.to_string(), name.to_string()),
    };
    if domain == DEFAULT_DOMAIN && !remote.contains('/') {
        return (domain, format!("{OFFICIAL_REPO_PREFIX}{remote}"));
    }
    (domain, remote)
}

/// What `ParseAnyReference` returns: a name, or a bare digest (an image ID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyReference {
    Named(Reference),
    Digest(String),
}

impl AnyReference {
    /// A bare 64-hex string or `sha256:<64hex>` is a digest; anything else parses as a name.
    pub fn parse(input: &str) -> Result<Self, ReferenceError> {
        if IDENTIFIER_RE.is_match(input) {
            return Ok(Self::Digest(format!("sha256:{input}")));
        }
        if validate_digest(input).is_ok() {
            return Ok(Self::Digest(input.to_string()));
        }
        Reference::parse(input).map(Self::Named)
    }
}

impl fmt::Display for AnyReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Named(r) => r.fmt(f),
            Self::Digest(d) => f.write_str(d),
        }
    }
}

/// Is `s` a valid `host[:port]` by the reference grammar?
/// `text` with every full `sha256:` digest shortened to its first 12 hex digits and `…`, the
/// way `docker images` shows them: for messages read beside the full digest (the table's
/// `digest` line, the evidence record's `digest` field), so a line fits a terminal.
pub fn short_digests(text: &str) -> String {
    const PREFIX: &str = "sha256:";
    const HEX: usize = 64;
    const KEEP: usize = 12;
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(PREFIX) {
        let after = &rest[i + PREFIX.len()..];
        let hex = after.bytes().take_while(u8::is_ascii_hexdigit).count();
        let (head, tail) = rest.split_at(i + PREFIX.len());
        out.push_str(head);
        if hex == HEX {
            out.push_str(&after[..KEEP]);
            out.push('…');
            rest = &tail[HEX..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

pub fn is_domain(s: &str) -> bool {
    ANCHORED_DOMAIN_RE.is_match(s)
}

/// `FamiliarMatch`: a `path.Match` glob over the familiar string, falling back to the familiar
/// name (so `ghcr.io/acme/*` matches `ghcr.io/acme/api:v1`).
pub fn familiar_match(pattern: &str, r: &Reference) -> Result<bool, ReferenceError> {
    if glob_match(pattern, &r.familiar_string())? {
        return Ok(true);
    }
    glob_match(pattern, &r.familiar_name())
}

/// Go's `path.Match`: `*` (no `/`), `?`, `[class]` with ranges and `^`, `\` escapes.
/// A malformed pattern is an error, as upstream.
pub fn glob_match(pattern: &str, name: &str) -> Result<bool, ReferenceError> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    validate_glob(&p)?;
    Ok(glob_at(&p, &n))
}

fn validate_glob(p: &[char]) -> Result<(), ReferenceError> {
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' => {
                if i + 1 >= p.len() {
                    return Err(ReferenceError::InvalidFormat);
                }
                i += 2;
            }
            '[' => i = class_end(p, i)?,
            _ => i += 1,
        }
    }
    Ok(())
}

/// Index just past the `]` of the class starting at `p[start] == '['`; errors like ErrBadPattern.
fn class_end(p: &[char], start: usize) -> Result<usize, ReferenceError> {
    let mut i = start + 1;
    if p.get(i) == Some(&'^') {
        i += 1;
    }
    let mut first = true;
    loop {
        let c = *p.get(i).ok_or(ReferenceError::InvalidFormat)?;
        if c == ']' && !first {
            return Ok(i + 1);
        }
        // A range's low end.
        let (_, next) = class_char(p, i)?;
        i = next;
        if p.get(i) == Some(&'-') {
            let (_, next) = class_char(p, i + 1)?;
            i = next;
        }
        first = false;
    }
}

fn class_char(p: &[char], i: usize) -> Result<(char, usize), ReferenceError> {
    match p.get(i) {
        None | Some('-') | Some(']') => Err(ReferenceError::InvalidFormat),
        Some('\\') => p
            .get(i + 1)
            .map(|c| (*c, i + 2))
            .ok_or(ReferenceError::InvalidFormat),
        Some(c) => Ok((*c, i + 1)),
    }
}

fn glob_at(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => {
            let rest = &p[1..];
            for k in 0..=n.len() {
                if glob_at(rest, &n[k..]) {
                    return true;
                }
                if k < n.len() && n[k] == '/' {
                    return false;
                }
            }
            false
        }
        Some('?') => !n.is_empty() && n[0] != '/' && glob_at(&p[1..], &n[1..]),
        Some('[') => {
            let Some(&c) = n.first() else { return false };
            if c == '/' {
                return false;
            }
            let Ok(end) = class_end(p, 0) else {
                return false;
            };
            let mut i = 1;
            let negate = p.get(1) == Some(&'^');
            if negate {
                i += 1;
            }
            let mut hit = false;
            while i < end - 1 {
                let Ok((lo, next)) = class_char(p, i) else {
                    return false;
                };
                let (hi, next) = if p.get(next) == Some(&'-') {
                    match class_char(p, next + 1) {
                        Ok(x) => x,
                        Err(_) => return false,
                    }
                } else {
                    (lo, next)
                };
                if lo <= c && c <= hi {
                    hit = true;
                }
                i = next;
            }
            hit != negate && glob_at(&p[end..], &n[1..])
        }
        Some('\\') => p.len() > 1 && !n.is_empty() && p[1] == n[0] && glob_at(&p[2..], &n[1..]),
        Some(&c) => !n.is_empty() && n[0] == c && glob_at(&p[1..], &n[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";

    #[test]
    fn short_digests_keep_twelve_hex_digits() {
        assert_eq!(
            short_digests(&format!("`a/b@{D}` has no signature; sha256:abc stays")),
            "`a/b@sha256:86e0e091d0da…` has no signature; sha256:abc stays"
        );
        assert_eq!(short_digests("no digest"), "no digest");
    }

    #[test]
    fn normalises_docker_hub_names() {
        let r = Reference::parse("nginx:1.27").unwrap();
        assert_eq!(r.to_string(), "docker.io/library/nginx:1.27");
        assert_eq!(r.familiar_name(), "nginx");
        assert_eq!(r.original_name(), "nginx");
        let r = Reference::parse("index.docker.io/user/app").unwrap();
        assert_eq!(r.name(), "docker.io/user/app");
        assert_eq!(r.familiar_name(), "user/app");
    }

    #[test]
    fn keeps_registry_ports_and_the_users_spelling_when_pinning() {
        let r = Reference::parse("localhost:5000/team/app:v1").unwrap();
        assert_eq!(r.domain(), "localhost:5000");
        assert_eq!(r.path(), "team/app");
        assert_eq!(r.pinned(D, true), format!("localhost:5000/team/app:v1@{D}"));
        assert_eq!(r.pinned(D, false), format!("localhost:5000/team/app@{D}"));
        let r = Reference::parse("nginx:1.27").unwrap();
        assert_eq!(r.pinned(D, true), format!("nginx:1.27@{D}"));
        let r = Reference::parse(&format!("busybox:latest@{D}")).unwrap();
        assert_eq!(r.original_name(), "busybox");
        assert_eq!(r.tag(), Some("latest"));
    }

    #[test]
    fn rejects_bad_references() {
        for bad in [
            "",
            "Nginx",
            "nginx:",
            "a/b:-x",
            ":tag",
            "ng inx",
            &"a".repeat(300),
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad:?} should fail");
        }
        let e = Reference::parse("busybox@sha256:abc").unwrap_err();
        assert_eq!(e, ReferenceError::InvalidFormat);
        let e = Reference::parse(&format!("busybox@sha256:{}", "a".repeat(63))).unwrap_err();
        assert_eq!(e, ReferenceError::DigestInvalidLength);
    }

    #[test]
    fn globs_follow_path_match() {
        assert!(glob_match("ghcr.io/acme/*", "ghcr.io/acme/api").unwrap());
        assert!(!glob_match("ghcr.io/acme/*", "ghcr.io/acme/a/b").unwrap());
        assert!(glob_match("a[b-d]?", "acx").unwrap());
        assert!(glob_match("[-x]", "x").is_err());
    }
}
