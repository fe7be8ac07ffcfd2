//! YAML discovery: parse a file once, hand each document to its format, and turn scalar nodes
//! into image uses with the exact bytes of the reference text.

use super::detect::YamlHint;
use super::{
    compose, has_variable, helm, kubernetes, kustomize, workflow, NoticeKind, Sink, Slot, Target,
    UseKind,
};
use super::{Insertion, SearchRules};
use crate::reference::Reference;
use crate::yaml::{self, Node, Style, Value};

/// Discover the image uses of one YAML file.
pub fn discover_yaml(
    sink: &mut Sink,
    hint: YamlHint,
    rules: &SearchRules,
    app_version: &dyn Fn() -> Option<String>,
) {
    // Every format below names images under a key containing `image` or in a `docker://` step.
    if !sink.text.contains("image") && !sink.text.contains("docker://") {
        return;
    }
    let docs = match yaml::parse_documents(sink.text) {
        Ok(d) => d,
        Err(e) => {
            sink.notice(e.line, e.column, NoticeKind::InvalidYaml, e.message);
            return;
        }
    };
    for doc in &docs {
        match hint {
            YamlHint::Kustomization => kustomize::doc(sink, doc),
            YamlHint::Compose => compose::doc(sink, doc),
            YamlHint::Workflow => workflow::doc(sink, doc),
            YamlHint::HelmValues => helm::doc(sink, doc, app_version),
            YamlHint::Auto => {
                if let (Some(api), Some(_)) = (doc.get_str("apiVersion"), doc.get_str("kind")) {
                    if api.starts_with("kustomize.config.k8s.io/") {
                        kustomize::doc(sink, doc);
                    } else {
                        kubernetes::doc(sink, doc, rules);
                    }
                } else if doc.get("jobs").and_then(Node::as_map).is_some() {
                    workflow::doc(sink, doc);
                } else if doc.get("services").and_then(Node::as_map).is_some() {
                    compose::doc(sink, doc);
                }
            }
        }
    }
}

/// A mapping value by key, following `<<` merge keys (compose `x-` templates use them).
pub fn get<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    if let Some(v) = node.get(key) {
        return Some(v);
    }
    let merged = node.get("<<")?;
    match &merged.value {
        Value::Map(_) => get(merged, key),
        Value::Seq(items) => items.iter().find_map(|m| get(m, key)),
        Value::Scalar(..) => None,
    }
}

/// Take a scalar node as an image reference (after `prefix`, e.g. `docker://`). Empty values
/// are ignored; variables and invalid text become notices.
pub fn reference(sink: &mut Sink, node: &Node, kind: UseKind, prefix: &str) {
    let Value::Scalar(value, style) = &node.value else {
        return;
    };
    let Some(text) = value.strip_prefix(prefix) else {
        return;
    };
    if node.is_null() || text.trim().is_empty() {
        return;
    }
    if has_variable(text) {
        sink.notice(
            node.line,
            node.column,
            NoticeKind::Unresolvable,
            format!("image `{text}` is named through a variable or template and is not resolved"),
        );
        return;
    }
    let r = match Reference::parse(text) {
        Ok(r) => r,
        Err(e) => {
            sink.notice(
                node.line,
                node.column,
                NoticeKind::Unresolvable,
                format!("`{text}` is not a valid image reference: {e}"),
            );
            return;
        }
    };
    let raw = &sink.text[node.span.clone()];
    let quoted = matches!(style, Style::SingleQuoted | Style::DoubleQuoted);
    let inner = if quoted && raw.len() >= 2 {
        node.span.start + 1..node.span.end - 1
    } else {
        node.span.clone()
    };
    let exact = matches!(style, Style::Plain) || quoted;
    let (span, target, column) = if exact && sink.text[inner.clone()] == *value {
        let skip = prefix.len();
        let col = node.column + usize::from(quoted) + prefix.chars().count();
        (inner.start + skip..inner.end, Target::Text, col)
    } else {
        (node.span.clone(), Target::Scalar, node.column)
    };
    sink.push(r, (node.line, column), span, kind, target);
}

/// A scalar slot pin may overwrite.
pub fn slot(node: &Node) -> Option<Slot> {
    match &node.value {
        Value::Scalar(_, style) => Some(Slot {
            span: node.span.clone(),
            style: *style,
        }),
        _ => None,
    }
}

/// Where a new key of `map` goes: after the line of its last value (block), or before `}` (flow).
pub fn insertion(sink: &Sink, map: &Node) -> Insertion {
    let text = sink.text;
    let eol = sink.eol();
    if text[map.span.clone()].starts_with('{') {
        let at = text[..map.span.end].rfind('}').unwrap_or(map.span.end);
        return Insertion {
            at,
            indent: None,
            leading_break: false,
            eol,
        };
    }
    let indent = map
        .as_map()
        .and_then(|p| p.first())
        .map_or(0, |(k, _)| k.column.saturating_sub(1));
    let end = last_end(map);
    let (at, leading_break) = match text[end..].find('\n') {
        Some(i) => (end + i + 1, false),
        None => (text.len(), true),
    };
    Insertion {
        at,
        indent: Some(" ".repeat(indent)),
        leading_break,
        eol,
    }
}

/// The end of the last scalar in a node (the end of its written text, not of trailing comments).
fn last_end(n: &Node) -> usize {
    match &n.value {
        Value::Scalar(..) => n.span.end,
        Value::Seq(items) => items.last().map_or(n.span.start, last_end),
        Value::Map(pairs) => pairs.last().map_or(n.span.start, |(_, v)| last_end(v)),
    }
}

/// An all-caps placeholder a template pipeline substitutes later (`CONTAINER_IMAGES_TAG`).
pub fn is_placeholder(s: &str) -> bool {
    s.contains('_')
        && s.bytes().any(|b| b.is_ascii_uppercase())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'/')
}
