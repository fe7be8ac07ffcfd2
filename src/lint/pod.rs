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
    fn reads_booleans_like_the_api_server() {
        let d = doc("a: true\nb: no\nc: \"true\"\nd: ~\n");
        assert_eq!(flag(d.get("a")), Flag::True);
        assert_eq!(flag(d.get("b")), Flag::False);
        assert_eq!(flag(d.get("c")), Flag::Invalid);
        assert_eq!(flag(d.get("d")), Flag::Unset);
        assert_eq!(flag(d.get("e")), Flag::Unset);
    }
}
