//! Pod Security policy versions: `v1.N` or `latest`. Versions newer than the newest one gate knows
//! evaluate as the newest, as the admission library does.

use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The newest policy version gate implements; `latest` means this one.
pub const LATEST_MINOR: u32 = 37;

/// A policy version: `v1.N` or `latest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Version {
    /// `None` is `latest`.
    minor: Option<u32>,
}

/// A version string that is neither `latest` nor `v1.N`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Pod Security version `{0}`: expected `latest` or `v1.N`")]
pub struct ParseVersionError(pub String);

impl Version {
    pub const LATEST: Version = Version { minor: None };

    /// `v1.minor`.
    pub const fn v1(minor: u32) -> Self {
        Self { minor: Some(minor) }
    }

    /// The minor version the checks are evaluated at.
    pub fn effective_minor(self) -> u32 {
        self.minor.map_or(LATEST_MINOR, |m| m.min(LATEST_MINOR))
    }

    pub fn is_latest(self) -> bool {
        self.minor.is_none()
    }
}

impl FromStr for Version {
    type Err = ParseVersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "latest" {
            return Ok(Self::LATEST);
        }
        let err = || ParseVersionError(s.to_string());
        let minor = s.strip_prefix("v1.").ok_or_else(err)?;
        let canonical = minor == "0" || (!minor.starts_with('0') && !minor.is_empty());
        if !canonical || !minor.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        minor.parse().map(Self::v1).map_err(|_overflow| err())
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.minor {
            None => f.write_str("latest"),
            Some(m) => write!(f, "v1.{m}"),
        }
    }
}

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_latest_and_minor_versions() {
        assert_eq!("latest".parse::<Version>().unwrap(), Version::LATEST);
        assert_eq!("v1.29".parse::<Version>().unwrap(), Version::v1(29));
        assert_eq!("v1.0".parse::<Version>().unwrap(), Version::v1(0));
        for bad in ["1.29", "v2.1", "v1.", "v1.01", "v1.x", "v1.99999999999"] {
            assert!(bad.parse::<Version>().is_err(), "{bad}");
        }
        assert_eq!(Version::v1(40).effective_minor(), LATEST_MINOR);
        assert_eq!(Version::LATEST.to_string(), "latest");
    }
}
