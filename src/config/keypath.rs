//! Between YAML positions and key paths, over the positioned tree of [`crate::yaml`]: which key
//! an error at line:column belongs to (serde names a wrong type, not the key), and on which line
//! a key path is written (for checks made after deserialising).

use crate::yaml::{Node, Value};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// `vulnerabilities.severities[1]`.
pub fn display(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// The byte offset of a 1-based line and (character) column in `text`.
pub fn offset(text: &str, line: usize, column: usize) -> Option<usize> {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let rest = &text[start..];
    let col = rest
        .char_indices()
        .nth(column.saturating_sub(1))
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    Some(start + col)
}

/// The key path of the deepest node at byte `offset`. With `stop_at_map`, the start of a mapping
/// stays at the mapping (serde reports a missing field there, naming the field itself).
pub fn path_at(root: &Node, offset: usize, stop_at_map: bool) -> Vec<Seg> {
    let mut path = Vec::new();
    let mut node = root;
    'walk: loop {
        match &node.value {
            Value::Map(entries) => {
                if stop_at_map && offset == node.span.start && !path.is_empty() {
                    break;
                }
                for (k, v) in entries {
                    let key = Seg::Key(k.as_str().unwrap_or_default().to_string());
                    if k.span.contains(&offset) {
                        path.push(key);
                        break 'walk;
                    }
                    if v.span.contains(&offset) || v.span.start == offset {
                        path.push(key);
                        node = v;
                        continue 'walk;
                    }
                }
                break;
            }
            Value::Seq(items) => {
                for (i, v) in items.iter().enumerate() {
                    if v.span.contains(&offset) || v.span.start == offset {
                        path.push(Seg::Index(i));
                        node = v;
                        continue 'walk;
                    }
                }
                break;
            }
            Value::Scalar(..) => break,
        }
    }
    path
}

/// The node at `path`, if it exists.
pub fn node_at<'a>(root: &'a Node, path: &[Seg]) -> Option<&'a Node> {
    let mut node = root;
    for seg in path {
        node = match seg {
            Seg::Key(k) => node.get(k)?,
            Seg::Index(i) => node.as_seq()?.get(*i)?,
        };
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_paths_both_ways() {
        let text = "a:\n  b: [x, y]\n  c:\n    - d: 1\n      e: 2\n";
        let root = crate::yaml::parse_documents(text).unwrap().remove(0);
        let at = |line, col, stop| display(&path_at(&root, offset(text, line, col).unwrap(), stop));
        assert_eq!(at(2, 10, false), "a.b[1]");
        assert_eq!(at(5, 10, false), "a.c[0].e");
        assert_eq!(at(4, 7, false), "a.c[0].d");
        assert_eq!(
            at(4, 7, true),
            "a.c[0]",
            "the start of a mapping stops there"
        );
        let e = node_at(
            &root,
            &[
                Seg::Key("a".into()),
                Seg::Key("c".into()),
                Seg::Index(0),
                Seg::Key("e".into()),
            ],
        )
        .unwrap();
        assert_eq!((e.line, e.column), (5, 10));
    }
}
