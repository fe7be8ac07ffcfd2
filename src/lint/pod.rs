//! Pod templates: where a workload object keeps its pod (`spec`, `spec.template`,
//! `spec.jobTemplate.spec.template`, `template`), and typed views over the pod spec and its
//! containers that keep each field's path for messages. Values are read the way the API server
//! decodes them (YAML 1.1 booleans); a value of the wrong type is `Invalid`, which checks treat as
//! a violation (fail closed).

use crate::yaml::{Node, Style, Value};

/// A pod: its metadata (annotations) and spec, with the paths of both inside the object.
#[derive(Debug, Clone, Copy)]
pub struct PodView<'a> {
    pub meta: Option<&'a Node>,
    pub meta_path: &'static str,
    pub spec: &'a Node,
    pub spec_path: &'static str,
}

/// Where the pod template sits in an object of each kind.
const TEMPLATE_PATHS: &[(&[&str], &str, &str)] = &[
    (
        &["spec", "template"],
        "spec.template.metadata",
        "spec.template.spec",
    ),
    (
        &["spec", "jobTemplate", "spec", "template"],
        "spec.jobTemplate.spec.template.metadata",
        "spec.jobTemplate.spec.template.spec",
    ),
];

/// Kinds whose pod template is known to be one (others qualify when the template holds
/// `containers`).
pub(crate) const WORKLOAD_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

impl<'a> PodView<'a> {
    /// The pod of an object, if it is a Pod, a PodTemplate, a workload, or any custom resource
    /// with a pod template.
    pub fn of(kind: &str, root: &'a Node) -> Option<Self> {
        match kind {
            "Pod" => {
                return Some(Self {
                    meta: field(Some(root), "metadata"),
                    meta_path: "metadata",
                    spec: field(Some(root), "spec").unwrap_or(root),
                    spec_path: "spec",
                })
            }
            "PodTemplate" => {
                let t = field(Some(root), "template")?;
                return Some(Self {
                    meta: field(Some(t), "metadata"),
                    meta_path: "template.metadata",
                    spec: field(Some(t), "spec").unwrap_or(t),
                    spec_path: "template.spec",
                });
            }
            _ => {}
        }
        let known = WORKLOAD_KINDS.contains(&kind);
        TEMPLATE_PATHS
            .iter()
            .find_map(|(keys, meta_path, spec_path)| {
                let t = root.path(keys).filter(|n| !n.is_null())?;
                let spec = field(Some(t), "spec");
                let is_pod = spec.is_some_and(|s| s.get("containers").is_some());
                if !(is_pod || (known && (kind != "CronJob") == (keys.len() == 2))) {
                    return None;
                }
                Some(Self {
                    meta: field(Some(t), "metadata"),
                    meta_path,
                    spec: spec.unwrap_or(t),
                    spec_path,
                })
            })
    }

    /// Every pod of an object: its pod template ([`PodView::of`]), else (a custom resource that
    /// keeps pods elsewhere: KEDA's `spec.jobTargetRef.template.spec`, a list of templates)
    /// every mapping shaped like a pod spec at any depth: a `containers` or `initContainers` list
    /// holding a mapping with `image`. Its metadata is the `metadata` beside it when it is a
    /// template's `spec`.
    pub fn all(kind: &str, root: &'a Node) -> Vec<Self> {
        if let Some(p) = Self::of(kind, root) {
            return vec![p];
        }
        // Built-in API groups' schemas hold pods only where `of` looks.
        let api = root.get_str("apiVersion").unwrap_or("");
        let group = api.rsplit_once('/').map_or("", |(g, _)| g);
        if !group.contains('.') || group.ends_with(".k8s.io") && !group.ends_with("x-k8s.io") {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut path = String::new();
        nested(root, None, &mut path, &mut out);
        out
    }

    /// Init containers, containers and ephemeral containers, in that order (as admission visits).
    pub fn containers(&self) -> impl Iterator<Item = ContainerView<'a>> + 'a {
        let spec = self.spec;
        let spec_path = self.spec_path;
        ["initContainers", "containers", "ephemeralContainers"]
            .into_iter()
            .flat_map(move |list| {
                let items = field(Some(spec), list)
                    .and_then(Node::as_seq)
                    .unwrap_or(&[]);
                items
                    .iter()
                    .enumerate()
                    .map(move |(index, node)| ContainerView {
                        node,
                        list,
                        index,
                        spec_path,
                    })
            })
    }

    /// `spec.securityContext`, when set.
    pub fn security_context(&self) -> Option<&'a Node> {
        field(Some(self.spec), "securityContext")
    }

    /// Path of a field under the pod spec: `spec.template.spec.<rest>`.
    pub fn path(&self, rest: &str) -> String {
        format!("{}.{rest}", self.spec_path)
    }

    /// An annotation on the pod template's metadata.
    pub fn annotation(&self, key: &str) -> Option<&'a Node> {
        field(field(self.meta, "annotations"), key)
    }

    /// The pod's `annotations` pairs.
    pub fn annotations(&self) -> &'a [(Node, Node)] {
        field(self.meta, "annotations")
            .and_then(Node::as_map)
            .unwrap_or(&[])
    }

    /// True when `spec.os.name` is `windows` (lifts the Linux-only restricted requirements).
    pub fn is_windows(&self) -> bool {
        field(field(Some(self.spec), "os"), "name").and_then(Node::as_str) == Some("windows")
    }

    /// True when `spec.hostUsers` is `false`: the pod runs in a user namespace.
    pub fn in_user_namespace(&self) -> bool {
        flag(field(Some(self.spec), "hostUsers")) == Flag::False
    }
}

impl<'a> PodView<'a> {
    /// Fields whose shape keeps the pod from being checked (a `containers` that is not a list,
    /// a container or `securityContext` that is not a mapping, …): the path and the node.
    pub fn shape_errors(&self) -> Vec<(String, &'a Node)> {
        let mut out = Vec::new();
        if self.spec.as_map().is_none() {
            out.push((self.spec_path.to_string(), self.spec));
            return out;
        }
        for key in [
            "initContainers",
            "containers",
            "ephemeralContainers",
            "volumes",
        ] {
            if let Some(n) = field(Some(self.spec), key).filter(|n| n.as_seq().is_none()) {
                out.push((self.path(key), n));
            }
        }
        if let Some(n) = self.security_context().filter(|n| n.as_map().is_none()) {
            out.push((self.path("securityContext"), n));
        }
        for c in self.containers() {
            if c.node.as_map().is_none() {
                out.push((c.path(), c.node));
            } else if let Some(n) = c.security_context().filter(|n| n.as_map().is_none()) {
                out.push((c.field_path("securityContext"), n));
            }
        }
        out
    }
}

/// Collect the pod-spec-shaped mappings under `node` (whose path is `path`), not inside one
/// already found.
fn nested<'a>(
    node: &'a Node,
    meta: Option<&'a Node>,
    path: &mut String,
    out: &mut Vec<PodView<'a>>,
) {
    match &node.value {
        Value::Map(pairs) => {
            let pod = ["containers", "initContainers"].iter().any(|k| {
                items(Some(node), k)
                    .iter()
                    .any(|c| c.get("image").is_some())
            });
            if pod && !path.is_empty() {
                out.push(PodView {
                    meta,
                    meta_path: intern(
                        path.rsplit_once('.')
                            .map_or("metadata".into(), |(p, _)| format!("{p}.metadata")),
                    ),
                    spec: node,
                    spec_path: intern(path.clone()),
                });
                return;
            }
            for (k, v) in pairs {
                let Some(key) = k.as_str() else { continue };
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                let meta = (key == "spec")
                    .then(|| field(Some(node), "metadata"))
                    .flatten();
                nested(v, meta, path, out);
                path.truncate(len);
            }
        }
        Value::Seq(list) => {
            for (i, v) in list.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                nested(v, None, path, out);
                path.truncate(len);
            }
        }
        Value::Scalar(..) => {}
    }
}

/// A path for messages that lives as long as the program. Nested pod specs have paths read from
/// the input; at most [`INTERNED`] bytes of them are kept, then a generic name stands in.
fn intern(path: String) -> &'static str {
    use std::collections::HashSet;
    use std::sync::Mutex;
    static PATHS: Mutex<Option<(HashSet<&'static str>, usize)>> = Mutex::new(None);
    let mut guard = PATHS.lock().unwrap_or_else(|e| e.into_inner());
    let (set, bytes) = guard.get_or_insert_with(Default::default);
    if let Some(p) = set.get(path.as_str()) {
        return p;
    }
    if *bytes + path.len() > INTERNED {
        return "(a pod spec)";
    }
    *bytes += path.len();
    let p: &'static str = Box::leak(path.into_boxed_str());
    set.insert(p);
    p
}

/// The most bytes of nested pod spec paths kept for messages.
const INTERNED: usize = 1 << 20;

/// One container of a pod.
#[derive(Debug, Clone, Copy)]
pub struct ContainerView<'a> {
    pub node: &'a Node,
    /// `initContainers`, `containers` or `ephemeralContainers`.
    pub list: &'static str,
    pub index: usize,
    spec_path: &'static str,
}

impl<'a> ContainerView<'a> {
    /// The container's name (empty when missing).
    pub fn name(&self) -> &'a str {
        self.node.get_str("name").unwrap_or("")
    }

    /// What tells this container's findings apart from another's of the same rule and object:
    /// its name, else its path when it has none (the finding key).
    pub fn key(&self) -> String {
        match self.name() {
            "" => self.path(),
            name => name.to_string(),
        }
    }

    /// `spec.containers[0]`.
    pub fn path(&self) -> String {
        format!("{}.{}[{}]", self.spec_path, self.list, self.index)
    }

    /// `spec.containers[0].<rest>`.
    pub fn field_path(&self, rest: &str) -> String {
        format!("{}.{rest}", self.path())
    }

    /// The container's `securityContext`, when set.
    pub fn security_context(&self) -> Option<&'a Node> {
        field(Some(self.node), "securityContext")
    }

    /// A field under the container's `securityContext`, when set.
    pub fn sc_field(&self, key: &str) -> Option<&'a Node> {
        field(self.security_context(), key)
    }

    /// The deepest present node of `securityContext.<key>`: the field, else the security
    /// context, else the container (for locations of fields that should be there and are not).
    pub fn sc_anchor(&self, key: &str) -> &'a Node {
        self.sc_field(key)
            .or(self.security_context())
            .unwrap_or(self.node)
    }
}

/// `node[key]`, treating an explicit `null` as absent (the API decodes it as unset).
pub fn field<'a>(node: Option<&'a Node>, key: &str) -> Option<&'a Node> {
    node?.get(key).filter(|n| !n.is_null())
}

/// A boolean field as the API server decodes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Unset,
    True,
    False,
    /// Not a boolean: the API server would reject it; checks treat it as the unsafe value.
    Invalid,
}

/// Read a boolean field (YAML 1.1 spellings, as `sigs.k8s.io/yaml` reads manifests).
pub fn flag(node: Option<&Node>) -> Flag {
    let Some(n) = node.filter(|n| !n.is_null()) else {
        return Flag::Unset;
    };
    match &n.value {
        Value::Scalar(s, Style::Plain) => match s.as_str() {
            "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
                Flag::True
            }
            "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n"
            | "N" => Flag::False,
            _ => Flag::Invalid,
        },
        _ => Flag::Invalid,
    }
}

/// An integer field: `Ok(None)` when unset, `Err(())` when not an integer.
pub fn int(node: Option<&Node>) -> Result<Option<i64>, InvalidValue> {
    match node.filter(|n| !n.is_null()) {
        None => Ok(None),
        Some(n) => n.as_i64().map(Some).ok_or(InvalidValue),
    }
}

/// A string field: `Ok(None)` when unset, `Err` when not a scalar.
pub fn text(node: Option<&Node>) -> Result<Option<&str>, InvalidValue> {
    match node.filter(|n| !n.is_null()) {
        None => Ok(None),
        Some(n) => n.as_str().map(Some).ok_or(InvalidValue),
    }
}

/// A field whose value has the wrong type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidValue;

/// The items of a list field (empty when unset or not a list).
pub fn items<'a>(node: Option<&'a Node>, key: &str) -> &'a [Node] {
    field(node, key).and_then(Node::as_seq).unwrap_or(&[])
}

/// `"a", "b"` for messages.
pub fn quoted(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_documents;

    fn doc(s: &str) -> Node {
        parse_documents(s).unwrap().remove(0)
    }

    #[test]
    fn finds_templates_by_kind() {
        let d = doc("kind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: []\n");
        let p = PodView::of("CronJob", &d).unwrap();
        assert_eq!(p.spec_path, "spec.jobTemplate.spec.template.spec");
        let d = doc(
            "kind: Rollout\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n",
        );
        let p = PodView::of("Rollout", &d).unwrap();
        assert_eq!(
            p.containers().next().unwrap().path(),
            "spec.template.spec.containers[0]"
        );
        let d = doc("kind: Service\nspec:\n  template: {}\n");
        assert!(PodView::of("Service", &d).is_none());
    }

    #[test]
    fn finds_pod_specs_nested_in_custom_resources() {
        let d = doc("apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nspec:\n  jobTargetRef:\n    template:\n      metadata: {annotations: {a: b}}\n      spec:\n        containers:\n        - image: x:1\n");
        let p = PodView::all("ScaledJob", &d);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].spec_path, "spec.jobTargetRef.template.spec");
        assert_eq!(p[0].meta_path, "spec.jobTargetRef.template.metadata");
        assert!(p[0].annotation("a").is_some());
        let d = doc("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec:\n  templates:\n  - initContainers: [{image: a:1}]\n  - containers: [{image: b:1}]\n");
        let paths: Vec<_> = PodView::all("Workflow", &d)
            .iter()
            .map(|p| p.spec_path)
            .collect();
        assert_eq!(paths, ["spec.templates[0]", "spec.templates[1]"]);
    }

    #[test]
    fn reads_booleans_like_the_api_server() {
        let d = doc("a: true\nb: no\nc: \"true\"\nd: ~\n");
        assert_eq!(flag(d.get("a")), Flag::True);
        assert_eq!(flag(d.get("b")), Flag::False);
        assert_eq!(flag(d.get("c")), Flag::Invalid);
        assert_eq!(flag(d.get("d")), Flag::Unset);
        assert_eq!(flag(d.get("e")), Flag::Unset);
    }
}
