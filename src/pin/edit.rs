//! Byte edits: what to write where for one image use, and applying a file's edits. Pure, so the
//! rewriter can be tested (and fuzzed) without files or registries.

use crate::discover::{Fields, ImageUse, Insertion, Slot, Target};
use crate::yaml::Style;
use std::ops::Range;

/// Replace `range` of a file's bytes with `text` (an empty range inserts).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
}

/// Why a file's edits cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("edits overlap at bytes {0:?} and {1:?}")]
    Overlap(Range<usize>, Range<usize>),
    #[error("edit at bytes {0:?} is outside the file or not on a character boundary")]
    OutOfBounds(Range<usize>),
}

/// The edits that pin `u` to `digest`.
pub fn edits_for(u: &ImageUse, digest: &str, keep_tag: bool) -> Vec<Edit> {
    let pinned = || u.reference.pinned(digest, keep_tag);
    match &u.target {
        Target::Text => vec![Edit {
            range: u.span.clone(),
            text: pinned(),
        }],
        Target::Scalar => vec![Edit {
            range: u.span.clone(),
            text: format!("\"{}\"", pinned()),
        }],
        Target::AppendDigest { digest: Some(d) } => vec![Edit {
            range: d.clone(),
            text: format!("@{digest}"),
        }],
        Target::AppendDigest { digest: None } => vec![Edit {
            range: u.span.end..u.span.end,
            text: format!("@{digest}"),
        }],
        Target::Fields(f) => fields(f, digest),
    }
}

fn fields(f: &Fields, digest: &str) -> Vec<Edit> {
    if let Some(slot) = &f.digest {
        return vec![write_slot(slot, digest)];
    }
    if !f.helm {
        return vec![insert(&f.insert, "digest", digest)];
    }
    let tag = format!("{}@{digest}", f.tag_text.as_deref().unwrap_or_default());
    match &f.tag {
        Some(slot) => vec![write_slot(slot, &tag)],
        None => vec![insert(&f.insert, "tag", &format!("\"{tag}\""))],
    }
}

/// Overwrite a scalar, keeping its quoting (block scalars become double-quoted).
fn write_slot(slot: &Slot, value: &str) -> Edit {
    let text = match slot.style {
        Style::Plain if slot.span.is_empty() => format!(" {value}"),
        Style::Plain => value.to_string(),
        Style::SingleQuoted => format!("'{value}'"),
        Style::DoubleQuoted | Style::Literal | Style::Folded => format!("\"{value}\""),
    };
    Edit {
        range: slot.span.clone(),
        text,
    }
}

/// Add `key: value` to a map.
fn insert(at: &Insertion, key: &str, value: &str) -> Edit {
    let text = match &at.indent {
        None => format!(", {key}: {value}"),
        Some(indent) if at.leading_break => format!("{}{indent}{key}: {value}", at.eol),
        Some(indent) => format!("{indent}{key}: {value}{}", at.eol),
    };
    Edit {
        range: at.at..at.at,
        text,
    }
}

/// Apply edits to a text: sorted by position, identical edits merged, overlaps refused.
pub fn apply_edits(text: &str, edits: &[Edit]) -> Result<String, EditError> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    sorted.dedup();
    let mut out = String::with_capacity(text.len() + 80 * sorted.len());
    let mut pos = 0;
    let mut prev: Option<&Edit> = None;
    for e in sorted {
        let r = e.range.clone();
        if r.start > r.end
            || r.end > text.len()
            || !text.is_char_boundary(r.start)
            || !text.is_char_boundary(r.end)
        {
            return Err(EditError::OutOfBounds(r));
        }
        if let Some(p) = prev {
            // Two insertions at one point, or a range starting inside the previous one.
            if r.start < pos || (r.start == p.range.start && r.is_empty() && p.range.is_empty()) {
                return Err(EditError::Overlap(p.range.clone(), r));
            }
        }
        out.push_str(&text[pos..r.start]);
        out.push_str(&e.text);
        pos = r.end;
        prev = Some(e);
    }
    out.push_str(&text[pos..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(r: Range<usize>, t: &str) -> Edit {
        Edit {
            range: r,
            text: t.into(),
        }
    }

    #[test]
    fn applies_in_order_and_merges_duplicates() {
        let s = "a: x\nb: y\n";
        let out = apply_edits(
            s,
            &[e(8..9, "Y"), e(3..4, "X"), e(3..4, "X"), e(5..5, "c: 1\n")],
        );
        assert_eq!(out.unwrap(), "a: X\nc: 1\nb: Y\n");
    }

    #[test]
    fn refuses_overlaps_and_bad_ranges() {
        assert!(matches!(
            apply_edits("abcdef", &[e(1..4, "x"), e(2..3, "y")]),
            Err(EditError::Overlap(..))
        ));
        assert!(matches!(
            apply_edits("abc", &[e(2..9, "x")]),
            Err(EditError::OutOfBounds(..))
        ));
        assert!(matches!(
            apply_edits("é", &[e(1..2, "x")]),
            Err(EditError::OutOfBounds(..))
        ));
    }
}
