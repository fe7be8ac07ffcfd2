//! `--format json`: the evidence record itself, pretty-printed (schema in `docs/evidence.md`).

use super::ReportError;
use crate::evidence::Evidence;

pub fn render(ev: &Evidence) -> Result<String, ReportError> {
    let mut s = serde_json::to_string_pretty(ev).map_err(|source| ReportError::Json {
        format: "json",
        source,
    })?;
    s.push('\n');
    Ok(s)
}
