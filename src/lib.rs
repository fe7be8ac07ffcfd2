//! gate: a supply-chain CI gate for container images and Kubernetes manifests.
//!
//! The pipeline runs one way: discover → resolve → (scan ∥ verify ∥ lint) → evaluate → report →
//! pin. Each stage is a module; `main.rs` only parses arguments, calls into this library and maps
//! the outcome to an exit code. `docs/architecture.md` describes the stages, the configuration
//! each owns, the keys between them and the trust boundary (command line and `--policy`
//! trusted, the tree under check not).

mod background;
pub mod check;
pub mod cli;
pub mod commands;
mod config;
pub mod discover;
mod errors;
pub mod evidence;
pub mod exception;
mod export;
pub mod finding;
mod fsutil;
mod input;
mod kinds;
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
mod units;
pub mod verify;
mod version;
pub mod yaml;
