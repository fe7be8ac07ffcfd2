//! Platforms as container runtimes read them: the `platform` object of an index entry
//! (`os`, `architecture`, `variant`, `os.version`, `os.features`), the specifier syntax
//! (`os[(version+feature…)]/arch[/variant]`), and containerd's normalisation and matching rules
//! ([`matcher`]), so gate decides which children of an index a node can run the way the node
//! decides it. Pure: no I/O, no host lookups (where containerd asks the host for its OS, the
//! caller says which OS the node runs).

pub mod index;
mod matcher;

pub use matcher::{Matcher, ARM64_VARIANTS};

use serde::{Deserialize, Serialize};

/// The `platform` of an index entry, as the registry served it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(
        default,
        rename = "os.version",
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<String>,
    #[serde(
        default,
        rename = "os.features",
        skip_serializing_if = "Option::is_none"
    )]
    pub os_features: Option<Vec<String>>,
}

/// `os/arch[/variant]`, as written in the index (not normalised).
impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = self.variant.as_deref().filter(|v| !v.is_empty()) {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl Platform {
    /// The platform in the matcher's terms (absent fields empty, as Go reads them).
    pub fn spec(&self) -> Spec {
        Spec {
            os: self.os.clone(),
            os_version: self.os_version.clone().unwrap_or_default(),
            os_features: self.os_features.clone().unwrap_or_default(),
            architecture: self.architecture.clone(),
            variant: self.variant.clone().unwrap_or_default(),
        }
    }
}

/// A platform with every field present (empty when absent), as containerd's `specs.Platform`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Spec {
    pub os: String,
    pub os_version: String,
    pub os_features: Vec<String>,
    pub architecture: String,
    pub variant: String,
}

/// Why a platform specifier could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{specifier}` is not a platform `os/arch[/variant]`: {problem}")]
pub struct ParseError {
    pub specifier: String,
    pub problem: &'static str,
}

impl Spec {
    /// Read a specifier `os[(version+feature…)]/arch[/variant]` by containerd's grammar. A lone
    /// `os` or `arch` (which containerd completes from the host it runs on) is refused: a policy
    /// names both.
    pub fn parse(specifier: &str) -> Result<Spec, ParseError> {
        let err = |problem| ParseError {
            specifier: specifier.to_string(),
            problem,
        };
        if specifier.contains('*') {
            return Err(err("wildcards are not supported"));
        }
        let parts: Vec<&str> = specifier.splitn(4, '/').collect();
        let (os, os_version, os_features) = os_part(parts[0]).ok_or_else(|| {
            err("the OS must be letters, digits, `_` or `-`, with an optional `(version+feature…)`")
        })?;
        if parts[1..].iter().any(|p| !is_component(p)) {
            return Err(err(
                "architecture and variant must be letters, digits, `_`, `.` or `-`",
            ));
        }
        let (architecture, variant) = match parts.len() {
            2 => {
                let (a, v) = normalize_arch(parts[1], "");
                if a == "arm" && v == "v7" {
                    (a, String::new())
                } else {
                    (a, v)
                }
            }
            3 => {
                let (a, v) = normalize_arch(parts[1], parts[2]);
                if a == "arm64" && v.is_empty() {
                    (a, "v8".to_string())
                } else {
                    (a, v)
                }
            }
            1 => return Err(err("name both the OS and the architecture")),
            _ => return Err(err("too many `/`")),
        };
        Ok(Spec {
            os: normalize_os(&os, ""),
            os_version,
            os_features,
            architecture,
            variant,
        })
    }

    /// containerd's `Normalize`: canonical OS (an empty OS is the host's, `host_os`),
    /// architecture and variant, features sorted without duplicates.
    pub fn normalize(&self, host_os: &str) -> Spec {
        let (architecture, variant) = normalize_arch(&self.architecture, &self.variant);
        let mut os_features = self.os_features.clone();
        os_features.sort();
        os_features.dedup();
        Spec {
            os: normalize_os(&self.os, host_os),
            os_version: self.os_version.clone(),
            os_features,
            architecture,
            variant,
        }
    }

    /// `os/arch[/variant]`.
    pub fn format(&self) -> String {
        let mut s = format!("{}/{}", self.os, self.architecture);
        if !self.variant.is_empty() {
            s.push('/');
            s.push_str(&self.variant);
        }
        s
    }
}

/// `^[A-Za-z0-9_.-]+$`.
fn is_component(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// `^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]+)*)\))?$`, decoded.
fn os_part(s: &str) -> Option<(String, String, Vec<String>)> {
    let (name, options) = match s.split_once('(') {
        Some((name, rest)) => (name, Some(rest.strip_suffix(')')?)),
        None => (s, None),
    };
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
    if !name_ok {
        return None;
    }
    let Some(options) = options else {
        return Some((name.to_string(), String::new(), Vec::new()));
    };
    let option_ok = |o: &str| {
        o.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'%' | b'-'))
    };
    let mut pieces = options.split('+');
    let version = pieces.next().unwrap_or_default();
    let features: Vec<&str> = pieces.collect();
    if !option_ok(version) || features.iter().any(|f| f.is_empty() || !option_ok(f)) {
        return None;
    }
    let mut decoded = Vec::new();
    for f in features {
        let f = percent_decode(f)?;
        if !f.is_empty() {
            decoded.push(f);
        }
    }
    Some((name.to_string(), percent_decode(version)?, decoded))
}

/// `%XX` escapes, as Go's `url.PathUnescape` (a bad escape is an error).
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// containerd's `normalizeOS`: lower case, `macos` is `darwin`, empty is the host's OS.
pub fn normalize_os(os: &str, host_os: &str) -> String {
    if os.is_empty() {
        return host_os.to_string();
    }
    let os = os.to_lowercase();
    if os == "macos" {
        "darwin".to_string()
    } else {
        os
    }
}

/// containerd's `normalizeArch`: the canonical architecture and variant.
pub fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    let (arch, variant) = (arch.to_lowercase(), variant.to_lowercase());
    match arch.as_str() {
        "i386" => ("386".into(), String::new()),
        "x86_64" | "x86-64" | "amd64" => {
            let v = if variant == "v1" {
                String::new()
            } else {
                variant
            };
            ("amd64".into(), v)
        }
        "aarch64" | "arm64" => {
            let v = match variant.as_str() {
                "8" | "v8" | "v8.0" => String::new(),
                "9" | "9.0" | "v9.0" => "v9".into(),
                _ => variant,
            };
            ("arm64".into(), v)
        }
        "armhf" => ("arm".into(), "v7".into()),
        "armel" => ("arm".into(), "v6".into()),
        "arm" => {
            let v = match variant.as_str() {
                "" | "7" => "v7".into(),
                "5" | "6" | "8" => format!("v{variant}"),
                _ => variant,
            };
            ("arm".into(), v)
        }
        _ => (arch, variant),
    }
}

#[cfg(test)]
mod tests;
