//! `gate explain [RULE]`: a rule's explain text, or the list of rules.

use super::{emit, CommandError, Outcome};
use crate::cli::{ExplainArgs, GlobalArgs};
use crate::rules;

pub fn run(g: &GlobalArgs, args: &ExplainArgs) -> Result<Outcome, CommandError> {
    let text = match &args.rule {
        Some(key) => {
            let r = rules::find(key).ok_or_else(|| CommandError::UnknownRule(key.clone()))?;
            format!(
                "# {} {}\n\n{}\nDefault severity: {:?}\n\n{}",
                r.id, r.name, r.summary, r.severity, r.explain
            )
        }
        None => rules::all()
            .iter()
            .map(|r| format!("{:14} {:34} {}\n", r.id, r.name, r.summary))
            .collect(),
    };
    emit(g, &text)?;
    Ok(Outcome::Passed)
}
