//! gate: a supply-chain CI gate for container images and Kubernetes manifests.
//!
//! The pipeline runs one way: discover → resolve → (scan ∥ verify ∥ lint) → evaluate → report →
//! pin. Each stage is a module; `main.rs` only parses arguments, calls into this library and maps
//! the outcome to an exit code. `docs/architecture.md` describes the stages, the configuration
//! each owns, the keys between them and the trust boundary (command line and `--policy`
//! trusted, the tree under check not).

pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod discover;
pub mod errors;
pub mod evidence;
pub mod exception;
pub mod export;
pub mod finding;
pub mod fsutil;
pub mod input;
pub mod kinds;
pub mod lint;
pub mod pin;
pub mod platform;
pub mod policy;
pub mod reference;
pub mod registry;
pub mod render;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod scan;
pub mod trace;
pub mod units;
pub mod verify;
pub mod version;
pub mod yaml;
