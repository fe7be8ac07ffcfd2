//! docker-compose and swarm stack files: `services.*.image` (following `<<` merge keys), and what
//! a service's `build:` makes BuildKit pull: a `dockerfile_inline`'s bases, `additional_contexts`
//! named `docker-image://…`, and `args` that name an image (an `ARG` a `FROM` may use). The
//! Dockerfile a build names (`dockerfile:`, default `Dockerfile` in the context) is read by
//! [`super::follow`] and its bases checked like any Dockerfile's.
//!
//! The `image:` of a service that builds is the name compose tags the build with. Compose pulls
//! it first unless `pull_policy` is `build` or `never` (the compose specification's default is to
//! try the registry, then build): with those two it is never pulled, so it is not resolved, and
//! the accountability check knows it for what it is.

use super::account::Reason;
use super::scalar::reference;
use super::{dockerfile, line_col, NoticeKind, Sink, Target, UseKind};
use crate::reference::Reference;
use crate::yaml::{Node, Style, Value};

pub fn doc(sink: &mut Sink, doc: &Node) {
    for (_, service) in doc
        .get("services")
        .and_then(Node::as_map)
        .unwrap_or_default()
    {
        let build = service.get("build").filter(|b| !b.is_null());
        let built_only =
            build.is_some() && matches!(service.get_str("pull_policy"), Some("build" | "never"));
        if let Some(image) = service.get("image") {
            if built_only {
                sink.marked
                    .push((image.span.clone(), Reason::ComposeBuildName));
            } else {
                reference(sink, image, UseKind::Compose, "");
            }
        }
        if let Some(build) = build {
            build_inputs(sink, build);
        }
    }
}

/// The images a service's `build:` map makes BuildKit pull.
fn build_inputs(sink: &mut Sink, build: &Node) {
    if let Some(inline) = build.get("dockerfile_inline") {
        inline_dockerfile(sink, inline);
    }
    for (_, value) in entries(build.get("additional_contexts")) {
        let Some(v) = value.as_str() else { continue };
        if let Some(at) = v.find("docker-image://") {
            let prefix = &v[..at + "docker-image://".len()];
            reference(sink, value, UseKind::Compose, prefix);
        }
    }
    for (name, value) in entries(build.get("args")) {
        let Some(v) = value.as_str() else { continue };
        let (key, text) = match name {
            Some(k) => (k, v),
            None => match v.split_once('=') {
                Some((k, rest)) => (k, rest),
                None => continue,
            },
        };
        if names_image(key, text) {
            let prefix = &v[..v.len() - text.len()];
            reference(sink, value, UseKind::Compose, prefix);
        }
    }
}

/// `key: value` pairs of a map, or `KEY=value` strings of a list (then the name is `None`).
fn entries(n: Option<&Node>) -> Vec<(Option<&str>, &Node)> {
    match n.map(|n| &n.value) {
        Some(Value::Map(pairs)) => pairs.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        Some(Value::Seq(items)) => items.iter().map(|i| (None, i)).collect(),
        _ => Vec::new(),
    }
}

/// Does a build argument name an image? Its name says so (`BASE_IMAGE`, `FROM`, `REGISTRY`), or
/// its value names a registry host with a path or a digest.
fn names_image(key: &str, value: &str) -> bool {
    let k = key.to_ascii_lowercase();
    let by_name = ["image", "base", "from", "registry", "repo"]
        .iter()
        .any(|w| k.contains(w));
    let by_value = value.contains("@sha256:")
        || value
            .split_once('/')
            .is_some_and(|(host, _)| host.contains('.') || host.contains(':'))
            && !value.contains("://");
    (by_name || by_value) && Reference::parse(value).is_ok()
}

/// A `dockerfile_inline`: its images, at the bytes of the compose file that spell them.
fn inline_dockerfile(sink: &mut Sink, node: &Node) {
    let Value::Scalar(value, style) = &node.value else {
        return;
    };
    let mut uses = Vec::new();
    let mut notices = Vec::new();
    let mut inner = Sink {
        file: sink.file,
        text: value,
        uses: &mut uses,
        notices: &mut notices,
        marked: Vec::new(),
    };
    dockerfile::discover(&mut inner);
    // Lines of the inline text start on the scalar's line (or the next, for `|` and `>`).
    let first = node.line + usize::from(matches!(style, Style::Literal | Style::Folded));
    for n in notices {
        sink.notice(first + n.line - 1, n.column, n.kind, n.message);
    }
    let raw = &sink.text[node.span.clone()];
    for u in uses {
        let spelled = &value[u.span.clone()];
        let at = match (raw.find(spelled), raw.rfind(spelled)) {
            (Some(a), Some(b)) if a == b && matches!(u.target, Target::Text) => a,
            _ => {
                sink.notice(
                    first + u.line - 1,
                    u.column,
                    NoticeKind::Unresolvable,
                    format!(
                        "image `{spelled}` of a `dockerfile_inline` is not spelled so that gate \
                         can pin it in place; write it once, literally"
                    ),
                );
                continue;
            }
        };
        let start = node.span.start + at;
        let pos = line_col(sink.text, start);
        sink.push(
            u.reference,
            pos,
            start..start + spelled.len(),
            UseKind::Compose,
            Target::Text,
        );
    }
}
