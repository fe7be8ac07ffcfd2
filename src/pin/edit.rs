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
        Target::Unwritable => Vec::new(),
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

/// Sort edits by position, merge identical ones, refuse overlaps (two different edits of the
/// same bytes, or two insertions at one point).
pub fn normalize(mut edits: Vec<Edit>) -> Result<Vec<Edit>, EditError> {
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    edits.dedup();
    for w in edits.windows(2) {
        let (p, e) = (&w[0], &w[1]);
        let same_point = e.range.start == p.range.start && e.range.is_empty() && p.range.is_empty();
        if e.range.start < p.range.end || same_point {
            return Err(EditError::Overlap(p.range.clone(), e.range.clone()));
        }
    }
    Ok(edits)
}

/// Apply edits to a text (normalised first).
pub fn apply_edits(text: &str, edits: &[Edit]) -> Result<String, EditError> {
    let sorted = normalize(edits.to_vec())?;
    let mut out = String::with_capacity(text.len() + 80 * sorted.len());
    let mut pos = 0;
    for e in &sorted {
        let r = e.range.clone();
        if r.start > r.end
            || r.end > text.len()
            || !text.is_char_boundary(r.start)
            || !text.is_char_boundary(r.end)
        {
            return Err(EditError::OutOfBounds(r));
        }
        out.push_str(&text[pos..r.start]);
        out.push_str(&e.text);
        pos = r.end;
    }
    out.push_str(&text[pos..]);
    Ok(out)
}

/// The edits that turn the edited text back into `original` (for rollback).
pub fn inverse(original: &str, edits: &[Edit]) -> Vec<Edit> {
    let mut delta: isize = 0;
    let mut out = Vec::with_capacity(edits.len());
    for e in edits {
        let start = (e.range.start as isize + delta) as usize;
        out.push(Edit {
            range: start..start + e.text.len(),
            text: original
                .get(e.range.clone())
                .unwrap_or_default()
                .to_string(),
        });
        delta += e.text.len() as isize - e.range.len() as isize;
    }
    out
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
    fn inverse_restores_the_original() {
        let s = "image: a:1\nimage: b:2\n";
        let edits = normalize(vec![
            e(7..10, "a:1@x"),
            e(18..21, "b:2@yy"),
            e(11..11, "# n\n"),
        ])
        .unwrap();
        let out = apply_edits(s, &edits).unwrap();
        assert_eq!(apply_edits(&out, &inverse(s, &edits)).unwrap(), s);
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
