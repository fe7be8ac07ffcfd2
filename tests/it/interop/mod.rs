//! Interop with the signers and registries users run (issue 19): the real cosign v2 and v3 CLIs
//! and an OCI 1.1 referrers-API registry beside Debian's `docker-registry` 2.8 (tag fallback),
//! all installed by `scripts/install-deps --peers`. Every cell of the matrix runs on both
//! registries. A peer that is not installed fails the test when `CI=true`, and is skipped with
//! a notice otherwise.

pub mod admission;
pub mod attest;
pub mod cosign;
pub mod github;
pub mod keyless;
pub mod peers;
pub mod vsa;
