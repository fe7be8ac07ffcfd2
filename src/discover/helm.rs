//! Helm values files: `image:` strings (`"repo:tag"`) and `image:` maps with `registry`,
//! `repository`, `tag` and `digest`. An empty tag defaults to the chart's `appVersion`
//! (from a `Chart.yaml` next to the values file); a map without a repository is built by the
//! chart from other values and is reported, not guessed.

use super::scalar::{insertion, reference, slot};
use super::{has_variable, Fields, NoticeKind, Sink, Target, UseKind};
use crate::reference::Reference;
use crate::yaml::{self, Node, Value};

/// The `appVersion` of a `Chart.yaml`.
pub fn app_version(chart: &str) -> Option<String> {
    let docs = yaml::parse_documents(chart).ok()?;
    docs.first()?
        .get_str("appVersion")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub fn doc(sink: &mut Sink, node: &Node, app_version: &dyn Fn() -> Option<String>) {
    match &node.value {
        Value::Map(pairs) => {
            for (k, v) in pairs {
                if k.as_str() == Some("image") {
                    match &v.value {
                        Value::Scalar(..) => reference(sink, v, UseKind::HelmValues, ""),
                        Value::Map(_) => image_map(sink, k, v, app_version),
                        Value::Seq(_) => {}
                    }
                } else {
                    doc(sink, v, app_version);
                }
            }
        }
        Value::Seq(items) => items.iter().for_each(|i| doc(sink, i, app_version)),
        Value::Scalar(..) => {}
    }
}

fn image_map(sink: &mut Sink, key: &Node, map: &Node, app_version: &dyn Fn() -> Option<String>) {
    let text = |k: &str| map.get_str(k).filter(|s| !s.is_empty());
    let unresolvable = |sink: &mut Sink, msg: String| {
        sink.notice(key.line, key.column, NoticeKind::Unresolvable, msg)
    };
    let Some(repo_node) = map.get("repository").filter(|n| !n.is_null()) else {
        unresolvable(
            sink,
            "`image` map has no `repository`: the chart builds the name from other values".into(),
        );
        return;
    };
    let Some(repository) = repo_node.as_str().filter(|s| !s.is_empty()) else {
        unresolvable(
            sink,
            "`image` map has no `repository`: the chart builds the name from other values".into(),
        );
        return;
    };
    let name = match text("registry") {
        Some(reg) => format!("{reg}/{repository}"),
        None => repository.to_string(),
    };
    let digest = text("digest");
    let tag = match text("tag") {
        Some(t) => Some(t.to_string()),
        None if digest.is_some() => None,
        None => match app_version() {
            Some(v) => Some(v),
            None => {
                unresolvable(sink, format!("image `{name}` has no tag and no `Chart.yaml` `appVersion` was found next to the values file"));
                return;
            }
        },
    };
    let mut s = name.clone();
    if let Some(t) = &tag {
        s.push(':');
        s.push_str(t);
    }
    if let Some(d) = digest {
        s.push('@');
        s.push_str(d);
    }
    if has_variable(&s) {
        unresolvable(
            sink,
            format!("image `{s}` is named through a variable or template and is not resolved"),
        );
        return;
    }
    let r = match Reference::parse(&s) {
        Ok(r) => r,
        Err(e) => {
            unresolvable(sink, format!("`{s}` is not a valid image reference: {e}"));
            return;
        }
    };
    // `tag: "v1@sha256:…"` (pinned by an earlier run) keeps only `v1` as the tag to write.
    let tag_text = tag.map(|t| t.split('@').next().unwrap_or_default().to_string());
    let fields = Fields {
        helm: true,
        digest: map.get("digest").and_then(slot),
        tag: map.get("tag").and_then(slot),
        tag_text,
        insert: insertion(sink, map),
    };
    sink.push(
        r,
        (repo_node.line, repo_node.column),
        repo_node.span.clone(),
        UseKind::HelmValues,
        Target::Fields(fields),
    );
}
