//! The policy: what the gate requires, as one typed value validated once. The YAML policy file
//! (`--policy`, `.gate.yaml`, built-in default) is parsed here; stages receive typed sections.

pub mod evaluate;
pub mod exception;
pub mod file;
