//! The policy: what the gate requires, as one typed value validated once. The YAML policy file
//! (`--policy`, `.gate.yaml`, built-in default) is parsed here; stages receive typed sections.

pub mod evaluate;
// `Exception` is shared by every stage and lives in `crate::exception`; reachable here too.
pub use crate::exception;
pub mod file;
