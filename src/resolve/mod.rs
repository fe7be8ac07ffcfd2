//! Stage `resolve`: tag → digest through the OCI distribution API. Work in progress.

use crate::rules::Rule;

/// The rules this stage reports.
pub const RULES: &[Rule] = &[];
