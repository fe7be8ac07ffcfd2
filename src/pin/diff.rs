//! A unified diff of a pin plan, built from the edits themselves (no general diff algorithm:
//! pin knows exactly which lines it changes), with three lines of context like `diff -u`.

use super::edit::{apply_edits, Edit, EditError};
use super::{FilePlan, PinError, PinPlan};
use std::fmt::Write;

const CONTEXT: usize = 3;

/// The unified diff of every file the plan rewrites (`--- a/PATH` / `+++ b/PATH`). Files are
/// read again (and checked against what discovery read) one at a time.
pub fn diff(plan: &PinPlan) -> Result<String, PinError> {
    let mut out = String::new();
    for f in &plan.files {
        let text = f.original()?;
        file_diff(f, &text, &mut out).map_err(|source| PinError::Edit {
            path: f.path.clone(),
            source,
        })?;
    }
    Ok(out)
}

/// A run of old lines `[start, end)` replaced by `new` lines.
struct Change<'a> {
    start: usize,
    end: usize,
    new: Vec<&'a str>,
}

fn file_diff(f: &FilePlan, old: &str, out: &mut String) -> Result<(), EditError> {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(old.match_indices('\n').map(|(i, _)| i + 1))
        .filter(|&i| i < old.len() || i == 0)
        .collect();
    let lines: Vec<&str> = old.split_inclusive('\n').collect();
    let line_of = |pos: usize| starts.partition_point(|&s| s <= pos).saturating_sub(1);
    let line_end = |l: usize| starts.get(l + 1).copied().unwrap_or(old.len());

    let mut edits: Vec<&Edit> = f.edits.iter().collect();
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    // Group edits touching the same lines; each group becomes one change.
    let mut groups: Vec<(usize, usize, Vec<Edit>)> = Vec::new();
    for e in edits {
        let first = line_of(e.range.start);
        let last = line_of(e.range.end.saturating_sub(1).max(e.range.start));
        match groups.last_mut() {
            Some((_, l, g)) if first <= *l => {
                *l = (*l).max(last);
                g.push(e.clone());
            }
            _ => groups.push((first, last, vec![e.clone()])),
        }
    }
    let mut texts = Vec::new();
    for (first, last, g) in &groups {
        let base = starts.get(*first).copied().unwrap_or(old.len());
        let region = &old[base..line_end(*last)];
        let shifted: Vec<Edit> = g
            .iter()
            .map(|e| Edit {
                range: e.range.start - base..e.range.end - base,
                text: e.text.clone(),
            })
            .collect();
        texts.push(apply_edits(region, &shifted)?);
    }
    let mut changes = Vec::new();
    for ((first, last, _), new_text) in groups.iter().zip(&texts) {
        let old_lines = &lines[(*first).min(lines.len())..(*last + 1).min(lines.len())];
        let new_lines: Vec<&str> = new_text.split_inclusive('\n').collect();
        let pre = old_lines
            .iter()
            .zip(&new_lines)
            .take_while(|(a, b)| a == b)
            .count();
        let post = old_lines[pre..]
            .iter()
            .rev()
            .zip(new_lines[pre..].iter().rev())
            .take_while(|(a, b)| a == b)
            .count();
        changes.push(Change {
            start: first + pre,
            end: first + old_lines.len() - post,
            new: new_lines[pre..new_lines.len() - post].to_vec(),
        });
    }
    let name = f.path.display();
    let _ = writeln!(out, "--- a/{name}\n+++ b/{name}");
    let mut delta: isize = 0;
    let mut i = 0;
    while i < changes.len() {
        // Changes whose contexts touch share a hunk.
        let mut j = i + 1;
        while j < changes.len() && changes[j].start <= changes[j - 1].end + 2 * CONTEXT {
            j += 1;
        }
        let hunk = &changes[i..j];
        let from = hunk[0].start.saturating_sub(CONTEXT);
        let to = (hunk[hunk.len() - 1].end + CONTEXT).min(lines.len());
        let mut body = String::new();
        let (mut old_n, mut new_n) = (0, 0);
        let mut at = from;
        for c in hunk {
            for l in &lines[at..c.start] {
                push_line(&mut body, ' ', l);
            }
            old_n += c.start - at;
            new_n += c.start - at;
            for l in &lines[c.start..c.end] {
                push_line(&mut body, '-', l);
            }
            for l in &c.new {
                push_line(&mut body, '+', l);
            }
            old_n += c.end - c.start;
            new_n += c.new.len();
            at = c.end;
        }
        for l in &lines[at..to] {
            push_line(&mut body, ' ', l);
        }
        old_n += to - at;
        new_n += to - at;
        let new_from = (from as isize + delta).max(0) as usize;
        let _ = writeln!(
            out,
            "@@ -{},{old_n} +{},{new_n} @@",
            from + usize::from(old_n > 0),
            new_from + usize::from(new_n > 0)
        );
        out.push_str(&body);
        delta += new_n as isize - old_n as isize;
        i = j;
    }
    Ok(())
}

fn push_line(out: &mut String, sign: char, line: &str) {
    out.push(sign);
    match line.strip_suffix('\n') {
        Some(l) => {
            out.push_str(l);
            out.push('\n');
        }
        None => {
            out.push_str(line);
            out.push_str("\n\\ No newline at end of file\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pin::PinOptions;
    use std::path::PathBuf;

    fn plan(original: &str, edits: Vec<Edit>) -> PinPlan {
        use sha2::{Digest, Sha256};
        PinPlan {
            unwritable: Vec::new(),
            options: PinOptions::default(),
            files: vec![FilePlan {
                path: PathBuf::from("k.yaml"),
                source: crate::discover::Source {
                    hash: Sha256::digest(original.as_bytes()).into(),
                    text: Some(original.into()),
                },
                edits,
            }],
            findings: vec![],
        }
    }

    #[test]
    fn replacement_and_insertion_hunks() {
        let src: String = (1..=20).map(|i| format!("l{i}\n")).collect();
        let a = src.find("l2\n").unwrap();
        let b = src.find("l15\n").unwrap();
        let d = diff(&plan(
            &src,
            vec![
                Edit {
                    range: a..a + 2,
                    text: "L2".into(),
                },
                Edit {
                    range: b..b,
                    text: "new\n".into(),
                },
            ],
        ))
        .unwrap();
        let want = "--- a/k.yaml\n+++ b/k.yaml\n@@ -1,5 +1,5 @@\n l1\n-l2\n+L2\n l3\n l4\n l5\n\
@@ -12,6 +12,7 @@\n l12\n l13\n l14\n+new\n l15\n l16\n l17\n";
        assert_eq!(d, want);
    }

    #[test]
    fn no_final_newline() {
        let d = diff(&plan(
            "a: x",
            vec![Edit {
                range: 3..4,
                text: "y".into(),
            }],
        ))
        .unwrap();
        assert!(
            d.ends_with(
                "-a: x\n\\ No newline at end of file\n+a: y\n\\ No newline at end of file\n"
            ),
            "{d}"
        );
    }
}
