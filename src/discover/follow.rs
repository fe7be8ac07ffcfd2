//! Files the deployer reads because another file names them: a kustomization's `resources`,
//! `components`, `bases` and patches (whatever their extension; a directory stands for the
//! kustomization inside it), and a compose file's `include` and `extends.file`. Discovery reads
//! them as if they had been named on the command line, so an image they hold is checked even
//! when its file has a name a directory walk would pass over.

use super::detect::{FileType, YamlHint};
use super::{FileNotice, NoticeKind};
use crate::yaml::{self, Node, Value};
use std::path::{Path, PathBuf};

/// The names kustomize looks for in a directory, in its order.
const KUSTOMIZATION_NAMES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// What a file makes the deployer read: local files to discover, and notices for what gate
/// cannot follow (remote resources).
#[derive(Debug, Default)]
pub struct Followed {
    pub files: Vec<PathBuf>,
    pub notices: Vec<FileNotice>,
}

/// The files `text` (read from `path`, of type `ft`) names for the deployer to read.
pub fn follow(path: &Path, ft: FileType, text: &str) -> Followed {
    let mut out = Followed::default();
    let kustomization = ft == FileType::Yaml(YamlHint::Kustomization);
    let compose_file = matches!(ft, FileType::Yaml(YamlHint::Compose | YamlHint::Auto));
    if !kustomization && !compose_file {
        return out;
    }
    // Cheap test before parsing: the keys followed must be spelled (or escaped) in the text.
    let keys: &[&str] = if kustomization {
        &["resources", "components", "bases", "atches"]
    } else {
        &["include", "extends"]
    };
    if !super::scalar::may_hold(text, keys) {
        return out;
    }
    let Ok(docs) = yaml::parse_documents(text) else {
        return out; // discovery reports the syntax error
    };
    let dir = path.parent().unwrap_or(Path::new(""));
    for doc in &docs {
        if kustomization {
            kustomize(&mut out, path, dir, doc);
        } else if doc.get("services").and_then(Node::as_map).is_some() {
            compose(&mut out, dir, doc);
        }
    }
    out
}

fn strings(n: Option<&Node>) -> Vec<&Node> {
    match n.map(|n| &n.value) {
        Some(Value::Seq(items)) => items.iter().filter(|i| i.as_str().is_some()).collect(),
        Some(Value::Scalar(..)) => n.into_iter().collect(),
        _ => Vec::new(),
    }
}

fn kustomize(out: &mut Followed, path: &Path, dir: &Path, doc: &Node) {
    let mut entries: Vec<&Node> = Vec::new();
    for key in ["resources", "components", "bases", "patchesStrategicMerge"] {
        entries.extend(strings(doc.get(key)));
    }
    for patch in doc
        .get("patches")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        entries.extend(patch.get("path").filter(|p| p.as_str().is_some()));
    }
    // kustomize loads files only from under the kustomization's own directory.
    let root = std::fs::canonicalize(dir).ok();
    for node in entries {
        let Some(entry) = node.as_str().map(str::trim).filter(|s| !s.is_empty()) else {
            continue;
        };
        if is_remote(entry) {
            out.notices.push(FileNotice {
                file: path.to_path_buf(),
                line: node.line,
                column: node.column,
                kind: NoticeKind::Unresolvable,
                message: format!(
                    "kustomize resource `{entry}` is remote: gate does not fetch it; check the \
                     output of `kustomize build` with `gate check -f -`"
                ),
            });
            continue;
        }
        let target = dir.join(entry);
        if target.is_dir() {
            if let Some(k) = KUSTOMIZATION_NAMES
                .iter()
                .map(|n| target.join(n))
                .find(|k| k.is_file())
            {
                out.files.push(k);
            }
        } else if target.is_file() {
            let inside = std::fs::canonicalize(&target)
                .ok()
                .zip(root.as_ref())
                .is_some_and(|(t, r)| t.starts_with(r));
            if inside {
                out.files.push(target);
            }
        }
    }
}

fn compose(out: &mut Followed, dir: &Path, doc: &Node) {
    let mut files: Vec<&str> = Vec::new();
    for item in doc
        .get("include")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        match &item.value {
            Value::Scalar(s, _) => files.push(s),
            _ => files.extend(strings(item.get("path")).iter().filter_map(|n| n.as_str())),
        }
    }
    for (_, service) in doc
        .get("services")
        .and_then(Node::as_map)
        .unwrap_or_default()
    {
        if let Some(file) = service.get("extends").and_then(|e| e.get_str("file")) {
            files.push(file);
        }
    }
    for f in files {
        let target = dir.join(f.trim());
        if target.is_file() {
            out.files.push(target);
        }
    }
}

/// A kustomize resource fetched over the network (a git repository or an URL).
fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("git@")
        || entry.starts_with("github.com/")
        || entry.starts_with("gitlab.com/")
        || entry.contains("?ref=")
}
