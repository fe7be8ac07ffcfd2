//! Files the deployer reads because another file names them: a kustomization's `resources`,
//! `components`, `bases` and patches (whatever their extension; a directory stands for the
//! kustomization inside it), and a compose file's `include` and `extends.file`. Discovery reads
//! them as if they had been named on the command line, so an image they hold is checked even
//! when its file has a name a directory walk would pass over. Also the Dockerfile a compose
//! service builds (`build.dockerfile`, default `Dockerfile` in `build.context`), the Dockerfile of
//! a local GitHub action (`runs.image` that is not `docker://…`), and the `action.yml` of a local
//! action a workflow step `uses: ./path`.

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
    let actions = matches!(
        ft,
        FileType::Yaml(YamlHint::Workflow | YamlHint::Action | YamlHint::Auto)
    );
    if !kustomization && !compose_file && !actions {
        return out;
    }
    // Cheap test before parsing: the keys followed must be spelled (or escaped) in the text.
    let keys: &[&str] = match ft {
        _ if kustomization => &["resources", "components", "bases", "atches"],
        FileType::Yaml(YamlHint::Action) => &["image", "uses"],
        FileType::Yaml(YamlHint::Workflow) => &["uses"],
        _ => &["include", "extends", "build", "uses"],
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
            compose(&mut out, path, dir, doc);
        } else if actions {
            local_actions(&mut out, path, dir, doc);
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

fn compose(out: &mut Followed, path: &Path, dir: &Path, doc: &Node) {
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
        build_dockerfile(out, path, dir, service.get("build"));
    }
    for f in files {
        let target = dir.join(f.trim());
        if target.is_file() {
            out.files.push(target);
        }
    }
}

/// The Dockerfile a compose service's `build:` reads: `dockerfile` (default `Dockerfile`) in
/// `context` (default the compose file's directory). A remote context is a notice.
fn build_dockerfile(out: &mut Followed, path: &Path, dir: &Path, build: Option<&Node>) {
    let Some(build) = build.filter(|b| !b.is_null()) else {
        return;
    };
    let (context, dockerfile) = match &build.value {
        Value::Scalar(s, _) => (Some(s.as_str()), None),
        _ => (build.get_str("context"), build.get_str("dockerfile")),
    };
    if build.get("dockerfile_inline").is_some() {
        return; // discovered in place
    }
    let context = context.map(str::trim).unwrap_or(".");
    if is_remote(context) {
        out.notices.push(FileNotice {
            file: path.to_path_buf(),
            line: build.line,
            column: build.column,
            kind: NoticeKind::Unresolvable,
            message: format!(
                "compose build context `{context}` is remote: gate does not fetch it, so the \
                 bases of its Dockerfile are not checked"
            ),
        });
        return;
    }
    let file = dir
        .join(context)
        .join(dockerfile.map(str::trim).unwrap_or("Dockerfile"));
    if file.is_file() {
        out.files.push(file);
    }
}

/// Local GitHub actions: an `action.yml`'s `runs.image` Dockerfile, and the `action.yml` (or
/// `action.yaml`) of a workflow step or composite step that `uses: ./path` (relative to the
/// repository root: two directories above `.github/workflows`).
fn local_actions(out: &mut Followed, path: &Path, dir: &Path, doc: &Node) {
    if let Some(image) = doc.path(&["runs", "image"]).and_then(Node::as_str) {
        let image = image.trim();
        if !image.is_empty() && !image.starts_with("docker://") {
            let file = dir.join(image);
            if file.is_file() {
                out.files.push(file);
            }
        }
    }
    let root = if dir.ends_with(".github/workflows") {
        dir.parent().and_then(Path::parent)
    } else {
        None
    };
    let mut steps: Vec<&Node> = Vec::new();
    for (_, job) in doc.get("jobs").and_then(Node::as_map).unwrap_or_default() {
        steps.extend(job.get("steps").and_then(Node::as_seq).unwrap_or_default());
    }
    steps.extend(
        doc.path(&["runs", "steps"])
            .and_then(Node::as_seq)
            .unwrap_or_default(),
    );
    for step in steps {
        let Some(uses) = step.get_str("uses").map(str::trim) else {
            continue;
        };
        let Some(local) = uses.strip_prefix("./") else {
            continue;
        };
        // Without the workflow's repository root (a composite action elsewhere), the working
        // directory is the runner's checkout.
        let base = root.unwrap_or(Path::new(""));
        let action_dir = base.join(local);
        match ["action.yml", "action.yaml"]
            .iter()
            .map(|n| action_dir.join(n))
            .find(|f| f.is_file())
        {
            Some(f) => out.files.push(f),
            None => out.notices.push(FileNotice {
                file: path.to_path_buf(),
                line: step.line,
                column: step.column,
                kind: NoticeKind::Unresolvable,
                message: format!(
                    "local action `{uses}` has no `action.yml` at `{}`: its image is not checked",
                    action_dir.display()
                ),
            }),
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
