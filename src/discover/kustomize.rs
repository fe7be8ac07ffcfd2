//! kustomize `images:` entries (kustomization or component): `newName` (or `name`) with
//! `newTag` and `digest`. Pin writes the `digest:` key. Entries that only rename keep the
//! resources' tag, so the reference is where the resources name it, not here.

use super::scalar::{insertion, is_placeholder, slot};
use super::{has_variable, Fields, NoticeKind, Sink, Target, UseKind};
use crate::reference::Reference;
use crate::yaml::Node;

pub fn doc(sink: &mut Sink, doc: &Node) {
    for entry in doc.get("images").and_then(Node::as_seq).unwrap_or_default() {
        image(sink, entry);
    }
}

fn image(sink: &mut Sink, entry: &Node) {
    let text = |k: &str| entry.get_str(k).filter(|s| !s.is_empty());
    let Some(name_node) = entry.get("newName").or_else(|| entry.get("name")) else {
        return;
    };
    let Some(name) = name_node.as_str().filter(|s| !s.is_empty()) else {
        return;
    };
    let (tag, digest) = (text("newTag"), text("digest"));
    let placeholder = |p: &str| has_variable(p) || p.split(['/', ':']).any(is_placeholder);
    if tag.is_none() && digest.is_none() && !placeholder(name) {
        if let Some(suffix) = text("tagSuffix") {
            sink.notice(
                entry.line,
                entry.column,
                NoticeKind::Unresolvable,
                format!("image `{name}` gets tag suffix `{suffix}` appended to the resources' tag: the reference is not known here"),
            );
        }
        return;
    }
    let parts = [Some(name), tag, digest];
    if parts.iter().flatten().any(|p| placeholder(p)) {
        let shown = parts
            .iter()
            .flatten()
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        sink.notice(
            entry.line,
            entry.column,
            NoticeKind::Unresolvable,
            format!("image `{shown}` holds a placeholder or variable and is not resolved"),
        );
        return;
    }
    let mut s = name.to_string();
    if let Some(t) = tag {
        s.push(':');
        s.push_str(t);
    }
    if let Some(d) = digest {
        s.push('@');
        s.push_str(d);
    }
    let r = match Reference::parse(&s) {
        Ok(r) => r,
        Err(e) => {
            sink.notice(
                entry.line,
                entry.column,
                NoticeKind::Unresolvable,
                format!("`{s}` is not a valid image reference: {e}"),
            );
            return;
        }
    };
    let fields = Fields {
        helm: false,
        digest: entry.get("digest").and_then(slot),
        tag: entry.get("newTag").and_then(slot),
        tag_text: tag.map(str::to_string),
        insert: insertion(sink, entry),
    };
    sink.push(
        r,
        (name_node.line, name_node.column),
        name_node.span.clone(),
        UseKind::Kustomize,
        Target::Fields(fields),
    );
}
