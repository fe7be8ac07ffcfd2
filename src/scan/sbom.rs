//! The SBOM formats gate writes: what the scanner converts to and what the cache keeps.

/// The SBOM formats gate writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbomFormat {
    CycloneDx,
    SpdxJson,
}

impl SbomFormat {
    pub const ALL: [SbomFormat; 2] = [SbomFormat::CycloneDx, SbomFormat::SpdxJson];

    /// `trivy convert --format` value.
    pub fn trivy_format(self) -> &'static str {
        match self {
            SbomFormat::CycloneDx => "cyclonedx",
            SbomFormat::SpdxJson => "spdx-json",
        }
    }

    /// File name suffix.
    pub fn extension(self) -> &'static str {
        match self {
            SbomFormat::CycloneDx => "cdx.json",
            SbomFormat::SpdxJson => "spdx.json",
        }
    }
}
