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
///
/// Documents are split at their `---` markers first and only those that can hold an image use
/// are parsed: custom resource definitions, which make up most of the bytes of real install
/// manifests, rarely are. The test is sound, not a guess at how keys are written: a key the
/// deployer reads as `image` (or any other key discovery follows) has that word in the text
/// unless it is spelled with escapes (a `\`), as `!!binary` or through a tag directive, and
/// documents with any of those are parsed. Documents of built-in kinds that hold no pod, by
/// their own head, are not parsed either ([`podless`]). A document skipped this way is not
/// checked for syntax.
pub fn discover_yaml(
    sink: &mut Sink,
    hint: YamlHint,
    rules: &SearchRules,
    app_version: &dyn Fn() -> Option<String>,
) {
    let text = sink.text;
    if let Err(e) = yaml::check_unambiguous(text) {
        sink.notice(e.line, e.column, NoticeKind::Ambiguous, e.message);
        return;
    }
    let mut keys: Vec<&str> = KEYS.to_vec();
    for k in rules.keys() {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let mut line_base = 0;
    let mut counted = 0;
    for seg in yaml::document_segments(text) {
        let part = &text[seg.clone()];
        if !may_hold(part, &keys) {
            continue;
        }
        if hint == YamlHint::Auto {
            if let Some(kind) = podless(part, rules) {
                sink.marked
                    .push((seg.clone(), super::Reason::PodlessKind(kind.to_string())));
                continue;
            }
        }
        line_base += count_lines(&text[counted..seg.start]);
        counted = seg.start;
        let mut docs = match yaml::parse_documents(part) {
            Ok(d) => d,
            Err(e) => {
                let message = if part.contains("{{") {
                    format!(
                        "{} (a Helm template? check what it renders: `helm template … | gate \
                         check -f -`)",
                        e.message
                    )
                } else {
                    e.message
                };
                sink.notice(
                    e.line + line_base,
                    e.column,
                    NoticeKind::InvalidYaml,
                    message,
                );
                continue;
            }
        };
        for doc in &mut docs {
            if seg.start > 0 {
                yaml::shift(doc, seg.start, line_base);
            }
            document(sink, doc, hint, rules, app_version);
        }
    }
}

/// The words discovery looks for in keys and values (`images` and `imageName` contain `image`).
const KEYS: &[&str] = &["image", "container", "docker://"];

/// Can a document whose text is `part` hold an image use? Sound: a key or value decodes to one
/// of `keys` only if the text spells it, or escapes it (`\x69`, `\u0069`, an escaped line
/// break), or is a `!!binary` scalar (possibly with `%`-escaped tag characters), or depends on
/// a directive (`%TAG`).
pub(crate) fn may_hold(part: &str, keys: &[&str]) -> bool {
    keys.iter().any(|k| part.contains(k))
        || part.contains('\\')
        || part.contains("binary")
        || (part.contains('!') && part.contains('%'))
}

/// The kind of `part` when it is a document of a built-in kind that holds no pod ([`kinds::SKIPPED_KINDS`],
/// a CustomResourceDefinition most often), by its own head read with certainty
/// ([`yaml::head`]), that no search rule reads? Nothing in it is an image the deployer runs
/// (the API server runs no pod from such an object, and rejects fields its schema lacks), so
/// it is not parsed.
///
/// [`kinds::SKIPPED_KINDS`]: crate::kinds::SKIPPED_KINDS
fn podless<'t>(part: &'t str, rules: &SearchRules) -> Option<&'t str> {
    yaml::head::read(part)
        .filter(|h| {
            crate::kinds::is_skipped(h.api_version, h.kind)
                && rules.matching(h.api_version, h.kind).next().is_none()
        })
        .map(|h| h.kind)
}

fn document(
    sink: &mut Sink,
    doc: &Node,
    hint: YamlHint,
    rules: &SearchRules,
    app_version: &dyn Fn() -> Option<String>,
) {
    match hint {
        YamlHint::Kustomization => kustomize::doc(sink, doc),
        YamlHint::Compose => compose::doc(sink, doc),
        YamlHint::Workflow => workflow::doc(sink, doc),
        YamlHint::Action => workflow::action(sink, doc),
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
            } else if doc.path(&["runs", "using"]).is_some() {
                workflow::action(sink, doc);
            }
        }
    }
    // Pod specs wherever they are, whatever the document's format says.
    kubernetes::pod_specs_anywhere(sink, doc);
}

fn count_lines(s: &str) -> usize {
    s.bytes().filter(|&b| b == b'\n').count()
}

/// Take a scalar node as an image reference (after `prefix`, e.g. `docker://`). Empty values
/// are ignored; variables become notices, invalid text an error notice.
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
                NoticeKind::InvalidReference,
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
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}
