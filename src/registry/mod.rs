//! The registry client every stage shares: OCI distribution API requests with the user's
//! credentials ([`auth`]), bounded retries ([`retry`]), timeouts and size limits ([`client`]), and
//! what a digest is ([`inspect`]: a manifest or an index of platform manifests).
//!
//! Resolve uses it to turn tags into digests; scan, verify, pin and `gate sign` use it to fetch
//! and push by digest. It knows nothing of stages or policy.

pub mod auth;
mod client;
mod error;
mod inspect;
pub mod retry;

pub use client::{ClientConfig, Manifest, ManifestHead, RegistryClient, Repo};
pub use error::{chain_text, ResolveError, Unresolved};
pub use inspect::{Child, Inspected, Platform, MAX_INDEX_CHILDREN};
