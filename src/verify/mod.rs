//! Stage `verify` (see ../shared/DESIGN.md). Work in progress.

use crate::rules::Rule;

/// The rules this stage reports.
pub const RULES: &[Rule] = &[];
