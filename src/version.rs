//! What `gate version` and `gate --version` print: the build's facts, set by `build.rs`.

/// `0.1.0` then one `key: value` line per fact.
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\ncommit: ",
    env!("GATE_BUILD_COMMIT"),
    "\nbuild date: ",
    env!("GATE_BUILD_DATE"),
    "\ntarget: ",
    env!("GATE_BUILD_TARGET"),
    "\nembedded Sigstore trusted root: ",
    env!("GATE_TRUSTED_ROOT_DATE"),
    "\npinned Trivy: ",
    env!("GATE_TRIVY_VERSION"),
);
