//! containerd's platform matching (`github.com/containerd/platforms`, `Only` and `OnlyStrict`),
//! written from its documented rules and held to its test tables and, differentially, to the
//! real package (`tests/it/platform.rs`).
//!
//! A node of platform P accepts an index child whose platform is, in order of preference:
//! P itself; for `amd64/vN` the lower levels `vN-1` … `v1` (`v1` is plain `amd64`), then `386`;
//! for `arm/vN` the lower variants down to `v5`; for `arm64/vX.Y` the lower `arm64` revisions
//! its table lists, then `arm/v8` … `arm/v5`. The OS must be the node's, a child's OS features
//! must be a subset of the node's, and on Windows the OS version must be one the host can run.
//! `OnlyStrict` accepts P alone. The preference order is a rank (the position in containerd's
//! vector), computed rather than listed, so a hostile `amd64/v99999999` costs nothing.

use super::Spec;

/// One node's matcher: [`Matcher::only`] or [`Matcher::only_strict`].
#[derive(Debug, Clone)]
pub struct Matcher {
    /// The node's platform, normalised.
    node: Spec,
    strict: bool,
}

/// The `arm64` variants containerd knows, each with the revisions it may fall back to:
/// `(variant, [(major, highest minor)])`.
const ARM64: [(&str, &[(u32, u32)]); 20] = [
    ("v8", &[(8, 0)]),
    ("v8.0", &[(8, 0)]),
    ("v8.1", &[(8, 1)]),
    ("v8.2", &[(8, 2)]),
    ("v8.3", &[(8, 3)]),
    ("v8.4", &[(8, 4)]),
    ("v8.5", &[(8, 5)]),
    ("v8.6", &[(8, 6)]),
    ("v8.7", &[(8, 7)]),
    ("v8.8", &[(8, 8)]),
    ("v8.9", &[(8, 9)]),
    ("v9", &[(9, 0), (8, 5)]),
    ("v9.0", &[(9, 0), (8, 5)]),
    ("v9.1", &[(9, 1), (8, 6)]),
    ("v9.2", &[(9, 2), (8, 7)]),
    ("v9.3", &[(9, 3), (8, 8)]),
    ("v9.4", &[(9, 4), (8, 9)]),
    ("v9.5", &[(9, 5), (8, 9)]),
    ("v9.6", &[(9, 6), (8, 9)]),
    ("v9.7", &[(9, 7), (8, 9)]),
];

/// Every `arm64` variant a node may report (the keys of containerd's table).
pub const ARM64_VARIANTS: [&str; 20] = {
    let mut out = [""; 20];
    let mut i = 0;
    while i < 20 {
        out[i] = ARM64[i].0;
        i += 1;
    }
    out
};

/// Go's `strconv.Atoi` of the variant without its leading `v` (a sign and leading zeros
/// allowed, anything else an error).
fn level(variant: &str) -> Option<i64> {
    variant.strip_prefix('v').unwrap_or(variant).parse().ok()
}

impl Matcher {
    /// containerd's `platforms.Only(node)`: the node's platform and its fallbacks.
    pub fn only(node: &Spec) -> Matcher {
        Matcher {
            node: node.normalize(""),
            strict: false,
        }
    }

    /// containerd's `platforms.OnlyStrict(node)`: the node's platform alone (normalised).
    pub fn only_strict(node: &Spec) -> Matcher {
        Matcher {
            node: node.normalize(""),
            strict: true,
        }
    }

    /// Does the node run an image of platform `p`?
    pub fn matches(&self, p: &Spec) -> bool {
        self.rank(p).is_some()
    }

    /// The node's preference for `p`: 0 is its own platform, higher is a later fallback, `None`
    /// is never (containerd's position in its ordered vector).
    pub fn rank(&self, p: &Spec) -> Option<u64> {
        let c = p.normalize(&self.node.os);
        if !self.same_os(p, &c) {
            return None;
        }
        let n = &self.node;
        let exact = (c.architecture == n.architecture && c.variant == n.variant).then_some(0);
        if self.strict {
            return exact;
        }
        match n.architecture.as_str() {
            "amd64" => amd64_rank(&n.variant, &c),
            "arm" => arm_rank(&n.variant, &c),
            "arm64" => arm64_rank(&n.variant, &c),
            _ => exact,
        }
    }

    /// containerd's `Less`: does the node prefer `a` to `b`?
    pub fn less(&self, a: &Spec, b: &Spec) -> bool {
        match (self.rank(a), self.rank(b)) {
            (Some(x), Some(y)) if x == y => a.os_features.len() > b.os_features.len(),
            (Some(x), Some(y)) => x < y,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) if !a.os_features.is_empty() || !b.os_features.is_empty() => {
                let strip = |s: &Spec| Spec {
                    os_features: Vec::new(),
                    ..s.clone()
                };
                self.less(&strip(a), &strip(b))
            }
            (None, None) => false,
        }
    }

    /// The node's OS, a Windows version the host can run, and the child's OS features a subset
    /// of the node's (Windows ignores `win32k`).
    fn same_os(&self, raw: &Spec, c: &Spec) -> bool {
        let n = &self.node;
        if c.os != n.os {
            return false;
        }
        let mut features = c.os_features.clone();
        if n.os == "windows" {
            if !windows_version_matches(&n.os_version, &raw.os_version) {
                return false;
            }
            // containerd strips the first `win32k` before normalising.
            if let Some(i) = raw.os_features.iter().position(|f| f == "win32k") {
                let mut rest = raw.os_features.clone();
                rest.remove(i);
                rest.sort();
                rest.dedup();
                features = rest;
            }
        }
        features.iter().all(|f| n.os_features.contains(f))
    }
}

/// `amd64[/vN]`: itself, `vN-1` … `v1` (plain `amd64`), then `386`.
fn amd64_rank(node_variant: &str, c: &Spec) -> Option<u64> {
    let levels = level(node_variant).filter(|&l| l > 1).unwrap_or(1) as u64;
    if c.architecture == "amd64" {
        if c.variant == node_variant {
            return Some(0);
        }
        if levels > 1 {
            // Entry `v{k}` sits at `levels - k`; containerd writes it canonically, and `v1`
            // normalises to plain `amd64`.
            let k = if c.variant.is_empty() {
                1
            } else {
                let k: u64 = c.variant.strip_prefix('v')?.parse().ok()?;
                (c.variant == format!("v{k}")).then_some(k)?
            };
            if (1..levels).contains(&k) {
                return Some(levels - k);
            }
        }
        return None;
    }
    (c.architecture == "386" && c.variant.is_empty()).then_some(levels)
}

/// `arm/vN`: itself, then `vN-1` … `v5` (plain `arm` is `arm/v7`).
fn arm_rank(node_variant: &str, c: &Spec) -> Option<u64> {
    if c.architecture != "arm" {
        return None;
    }
    if c.variant == node_variant {
        return Some(0);
    }
    let top = level(node_variant).filter(|&l| l > 5)? as u64;
    let k: u64 = c.variant.strip_prefix('v')?.parse().ok()?;
    if c.variant != format!("v{k}") {
        return None;
    }
    (5..top).contains(&k).then(|| top - k)
}

/// `arm64/vX.Y`: the revisions containerd's table lists for it, then `arm/v8` … `arm/v5`.
/// A variant outside the table matches nothing, as in containerd.
fn arm64_rank(node_variant: &str, c: &Spec) -> Option<u64> {
    let variant = if node_variant.is_empty() {
        "v8"
    } else {
        node_variant
    };
    let (_, revisions) = ARM64.iter().find(|(v, _)| *v == variant)?;
    let mut rank = 0;
    for &(major, highest) in revisions.iter() {
        for minor in (0..=highest).rev() {
            let v = if minor == 0 {
                format!("v{major}")
            } else {
                format!("v{major}.{minor}")
            };
            // Normalised as containerd's matcher normalises its own entries.
            let (_, want) = super::normalize_arch("arm64", &v);
            if c.architecture == "arm64" && c.variant == want {
                return Some(rank);
            }
            rank += 1;
        }
    }
    // Every arm64 variant runs 32-bit arm from v8 down.
    if c.architecture == "arm" {
        return arm_rank("v8", c).map(|r| rank + r);
    }
    None
}

/// Windows: may a host of version `host` run an image of version `image`? (Empty either side:
/// yes; before Windows Server 2022 only the same build; from it on, the LTSC releases.)
fn windows_version_matches(host: &str, image: &str) -> bool {
    let h = windows_version(host);
    if h == (0, 0, 0) || image.is_empty() {
        return true;
    }
    let c = windows_version(image);
    const LTSC2022: u16 = 20348;
    const LTSC: [u16; 2] = [LTSC2022, 26100];
    if h.0 != c.0 || h.1 != c.1 {
        return false;
    }
    if h.2 < LTSC2022 {
        return h.2 == c.2;
    }
    let oldest = LTSC
        .iter()
        .rev()
        .find(|&&l| h.2 > l)
        .copied()
        .unwrap_or(LTSC2022);
    oldest <= c.2 && c.2 <= h.2
}

/// `major.minor.build[.…]`; anything unreadable is `0.0.0`.
fn windows_version(v: &str) -> (u8, u8, u16) {
    if v.matches('.').count() < 2 {
        return (0, 0, 0);
    }
    let mut it = v.splitn(4, '.');
    let parsed = (|| {
        Some((
            digits(it.next()?)?.try_into().ok()?,
            digits(it.next()?)?.try_into().ok()?,
            digits(it.next()?)?.try_into().ok()?,
        ))
    })();
    parsed.unwrap_or((0, 0, 0))
}

/// Go's `strconv.ParseUint(s, 10, …)`: ASCII digits only.
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}
