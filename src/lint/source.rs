//! Reading the input: walking paths for `*.yaml`, `*.yml` and `*.json`, decoding, recognising Helm
//! templates, parsing YAML and splitting documents (and `List` items) into objects. Anything that
//! cannot be read becomes a per-file notice; the other files are still checked.

use crate::finding::Severity;
use crate::lint::object::Object;
use crate::lint::pod::items;
use crate::lint::pod::PodView;
use crate::lint::rules::RULE_KINDS;
use crate::lint::{FileNotice, LintError};
use crate::yaml::{self, Node, Value};
use std::path::{Path, PathBuf};

/// Files under `paths` (files as given, `-` for standard input, directories walked
/// recursively for `*.yaml`, `*.yml` and `*.json`), read the way discovery reads them
/// ([`crate::input`]).
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LintError> {
    crate::input::list(paths, &|p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|name| [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e)))
    })
}

/// A file's bytes (`-`: standard input's) into `buf` (reused from file to file), bounded and
/// regular ([`crate::fsutil::read_input`]);
/// [`text`] then tells whether they are text.
pub fn read_into(
    path: &Path,
    budget: &crate::fsutil::ReadBudget,
    buf: &mut Vec<u8>,
) -> Result<(), LintError> {
    crate::input::read_into(path, budget, buf)
}

/// Bytes read by [`read_into`] as text, or the notice that they are not UTF-8.
pub fn text<'b>(path: &Path, bytes: &'b [u8]) -> Result<&'b str, FileNotice> {
    crate::input::text(bytes).map_err(|n| notice(path, n))
}

fn notice(path: &Path, n: crate::input::NotText) -> FileNotice {
    FileNotice {
        file: path.to_path_buf(),
        line: n.line,
        column: n.column,
        severity: Severity::Error,
        message: format!(
            "file is not valid UTF-8 (invalid byte at offset {})",
            n.offset
        ),
    }
}

/// Does the text hold `{{` (maybe a template action)?
pub fn has_template_action(text: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), b"{{").is_some()
}

/// A Helm template: YAML with template actions (`{{ }}`) that does not parse, that has a line
/// opening with an action at column 0, or that parses only because an unquoted action became a
/// flow mapping used as a key (`name: {{ .Values.x }}`). Returns the line to point at.
fn looks_like_helm(text: &str, parsed: Option<&[Node]>) -> Option<usize> {
    if !text.contains("{{") {
        return None;
    }
    let Some(docs) = parsed else {
        return text.lines().position(|l| l.contains("{{")).map(|i| i + 1);
    };
    text.lines()
        .position(|l| l.starts_with("{{"))
        .map(|i| i + 1)
        .or_else(|| docs.iter().find_map(complex_key))
}

/// The line of the first mapping key that is itself a collection.
fn complex_key(n: &Node) -> Option<usize> {
    match &n.value {
        Value::Scalar(..) => None,
        Value::Seq(items) => items.iter().find_map(complex_key),
        Value::Map(pairs) => pairs.iter().find_map(|(k, v)| {
            if k.as_str().is_none() {
                Some(k.line)
            } else {
                complex_key(v)
            }
        }),
    }
}

/// A parsed file: its documents, or the notice that says why it has none.
pub struct Parsed {
    pub path: PathBuf,
    pub docs: Vec<Node>,
}

/// The notice for a file whose YAML does not parse: it cannot be checked.
pub fn malformed(path: &Path, e: &yaml::YamlError) -> FileNotice {
    FileNotice {
        file: path.to_path_buf(),
        line: e.line,
        column: e.column,
        severity: Severity::Error,
        message: format!("malformed YAML: {}", e.message),
    }
}

/// Parse one file. Helm templates and malformed YAML come back as notices.
pub fn parse(path: &Path, text: &str) -> Result<Parsed, FileNotice> {
    let parsed = yaml::parse_documents(text);
    if let Some(line) = looks_like_helm(text, parsed.as_deref().ok()) {
        return Err(FileNotice {
            file: path.to_path_buf(),
            line,
            column: 1,
            severity: Severity::Note,
            message: "skipped: looks like a Helm template (`{{ }}`); lint the rendered output of \
                      `helm template` instead"
                .to_string(),
        });
    }
    match parsed {
        Ok(docs) => Ok(Parsed {
            path: path.to_path_buf(),
            docs,
        }),
        Err(e) => Err(malformed(path, &e)),
    }
}

/// Does some rule read this document? Objects with a pod, the kinds in [`RULE_KINDS`], and lists
/// holding any of them. The others (CRDs, Services, …) are counted and dropped after the first
/// pass.
pub fn kept(doc: &Node) -> bool {
    let kind = doc.get_str("kind").unwrap_or("");
    if kind.ends_with("List") && doc.get("items").is_some() {
        return items(Some(doc), "items").iter().any(kept);
    }
    !kind.is_empty() && (RULE_KINDS.contains(&kind) || !PodView::all(kind, doc).is_empty())
}

/// The objects of a parsed file (items of `kind: *List` are objects of their own); documents
/// that are not objects are notices. Empty documents are skipped silently.
pub fn objects<'a>(file: &'a Parsed, out: &mut Vec<Object<'a>>, notices: &mut Vec<FileNotice>) {
    for doc in &file.docs {
        if doc.is_null() {
            continue;
        }
        let is_list = doc.get_str("kind").is_some_and(|k| k.ends_with("List"))
            && doc.get("items").and_then(Node::as_seq).is_some();
        let nodes: Vec<&Node> = if is_list {
            items(Some(doc), "items").iter().collect()
        } else {
            vec![doc]
        };
        for node in nodes {
            let (severity, message) = match Object::new(&file.path, node) {
                Ok(o) => {
                    out.push(o);
                    continue;
                }
                Err(_) if !is_kubernetes(node) => (
                    Severity::Note,
                    "skipped: not a Kubernetes object (no `apiVersion` and `kind`)".to_string(),
                ),
                Err(why) => (Severity::Warning, format!("skipped: {why}")),
            };
            notices.push(FileNotice {
                file: file.path.clone(),
                line: node.line,
                column: node.column,
                severity,
                message,
            });
        }
    }
}

/// Does a document claim to be a Kubernetes object? Kustomize's own files (`Kustomization`,
/// `Component`) are build configuration, not objects.
fn is_kubernetes(node: &Node) -> bool {
    let api = node.get_str("apiVersion").unwrap_or("");
    !api.is_empty()
        && node.get_str("kind").is_some_and(|k| !k.is_empty())
        && !api.starts_with("kustomize.config.k8s.io/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_templates_are_recognised() {
        let helm = |t: &str| looks_like_helm(t, yaml::parse_documents(t).ok().as_deref());
        let t = "apiVersion: v1\nkind: ConfigMap\n{{- if .Values.x }}\nmetadata:\n  name: a\n";
        assert_eq!(helm(t), Some(3));
        assert_eq!(helm("a: {{ .Values.x }\n"), Some(1));
        assert_eq!(
            helm("kind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"),
            Some(3)
        );
        let rule = "kind: PrometheusRule\nspec:\n  description: '{{ $labels.x }}'\n";
        assert_eq!(helm(rule), None);
        let block = "kind: ConfigMap\ndata:\n  slack.tmpl: |\n    {{ range .Alerts }}x{{ end }}\n";
        assert_eq!(helm(block), None);
    }

    #[test]
    fn template_actions_are_found() {
        for (t, want) in [
            ("{{", true),
            ("a: {x: {}} {{ y", true),
            ("{a}{ b }", false),
            ("", false),
        ] {
            assert_eq!(has_template_action(t), want, "{t}");
        }
    }

    #[test]
    fn non_utf8_names_the_line() {
        let n = crate::input::decode(b"a: 1\nb: \xff\n".to_vec()).unwrap_err();
        assert_eq!((n.line, n.column), (2, 4));
    }
}
