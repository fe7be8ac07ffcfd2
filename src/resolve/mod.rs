//! Stage `resolve`: tag → digest through the OCI distribution API. Work in progress.

pub mod auth;

use crate::rules::Rule;

/// The rules this stage reports.
pub const RULES: &[Rule] = &[];
