//! A small, deterministic YAML writer for the exported objects: block style, keys sorted (which puts `apiVersion`, `kind`, `metadata`, `spec` first),
//! strings plain when they cannot be read as anything else, else double-quoted with JSON escapes
//! (a JSON string is a valid YAML double-quoted scalar). Same input, same bytes: the export is
//! diff-friendly and snapshot-tested.

use serde_json::Value;
use std::fmt::Write as _;

/// One YAML document (without the `---` separator) for `value`.
pub fn document(value: &Value) -> String {
    let mut out = String::new();
    node(&mut out, value, 0, Place::Top);
    out
}

#[derive(Clone, Copy, PartialEq)]
enum Place {
    Top,
    /// After `key:`.
    Value,
    /// After `- `.
    Item,
}

fn node(out: &mut String, v: &Value, indent: usize, place: Place) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            let mut keys: Vec<_> = m.iter().collect();
            keys.sort_by(|a, b| a.0.cmp(b.0));
            for (i, (k, child)) in keys.into_iter().enumerate() {
                // The first key of a document, or of a list item, follows what is already there.
                if i > 0 || place == Place::Value {
                    out.push('\n');
                    out.push_str(&" ".repeat(indent));
                }
                out.push_str(&scalar_str(k));
                out.push(':');
                child_after_key(out, child, indent);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, child) in a.iter().enumerate() {
                if place != Place::Top || i > 0 {
                    out.push('\n');
                }
                out.push_str(&" ".repeat(indent));
                out.push_str("- ");
                match child {
                    Value::Object(m) if !m.is_empty() => node(out, child, indent + 2, Place::Item),
                    Value::Array(a) if !a.is_empty() => {
                        // A list in a list: start it on its own line.
                        node(out, child, indent + 2, Place::Value)
                    }
                    _ => out.push_str(&flow(child)),
                }
            }
        }
        _ => {
            if place == Place::Value {
                out.push(' ');
            }
            out.push_str(&flow(v));
        }
    }
}

fn child_after_key(out: &mut String, child: &Value, indent: usize) {
    match child {
        Value::Object(m) if !m.is_empty() => node(out, child, indent + 2, Place::Value),
        // Lists under a key are not indented further (the usual Kubernetes style).
        Value::Array(a) if !a.is_empty() => node(out, child, indent, Place::Value),
        _ => {
            out.push(' ');
            out.push_str(&flow(child));
        }
    }
}

/// A scalar, or an empty collection, on one line.
fn flow(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar_str(s),
        Value::Array(_) => "[]".to_string(),
        Value::Object(_) => "{}".to_string(),
    }
}

/// `s` plain when YAML 1.1 and 1.2 readers both read it back as this string, else quoted.
fn scalar_str(s: &str) -> String {
    if plain_ok(s) {
        s.to_string()
    } else {
        let mut q = String::with_capacity(s.len() + 2);
        // serde_json escapes exactly what a YAML double-quoted scalar needs.
        let _ = write!(q, "{}", Value::String(s.to_string()));
        q
    }
}

fn plain_ok(s: &str) -> bool {
    const RESERVED: &[&str] = &[
        "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "yes",
        "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N",
        ".nan", ".NaN", ".inf", ".Inf", "-.inf", "<<", "=",
    ];
    if RESERVED.contains(&s) {
        return false;
    }
    let first = s.as_bytes()[0];
    if b"-?:,[]{}#&*!|>'\"%@` ".contains(&first) || first.is_ascii_digit() || first == b'.' {
        return false;
    }
    if s.ends_with(' ') || s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    s.chars().all(|c| c.is_ascii_graphic() || c == ' ')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn block_style_round_trips() {
        let v = json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "shop", "labels": {"a/b": "v1.30", "n": "1", "t": "true"}},
            "list": [{"x": 1, "y": ["a", "b"]}, "s: x", [], {}],
            "empty": "",
        });
        let text = document(&v);
        assert_eq!(
            text,
            "apiVersion: v1\nempty: \"\"\nkind: Namespace\nlist:\n- x: 1\n  \"y\":\n  - a\n  - b\n- \"s: x\"\n- []\n- {}\nmetadata:\n  labels:\n    a/b: v1.30\n    \"n\": \"1\"\n    t: \"true\"\n  name: shop"
        );
        let back: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back, v);
    }
}
