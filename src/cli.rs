//! Command-line types (clap derive), no logic.
