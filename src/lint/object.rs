//! Kubernetes objects as lint sees them: one YAML document (or one item of a `List`) with its
//! kind, name, namespace and file, and the subject string findings and exceptions use
//! (`Kind/namespace/name`, or `Kind/name` for cluster-scoped kinds).

use crate::finding::Location;
use crate::lint::pod::field;
use crate::yaml::Node;
use std::path::Path;

/// One Kubernetes object from the input.
#[derive(Debug, Clone, Copy)]
pub struct Object<'a> {
    pub file: &'a Path,
    pub node: &'a Node,
    pub kind: &'a str,
    pub api_version: &'a str,
    pub name: &'a str,
    /// `metadata.namespace` as written (`None` for cluster-scoped kinds and when omitted).
    pub namespace: Option<&'a str>,
}

/// Kinds that live outside namespaces.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "CSIDriver",
    "CSINode",
    "APIService",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "PodSecurityPolicy",
    "ClusterIssuer",
    "ClusterSecretStore",
    "ClusterExternalSecret",
];

impl<'a> Object<'a> {
    /// Read the identity of a document; `Err` says what is missing.
    pub fn new(file: &'a Path, node: &'a Node) -> Result<Self, &'static str> {
        if node.as_map().is_none() {
            return Err("document is not a mapping");
        }
        let kind = node
            .get_str("kind")
            .filter(|k| !k.is_empty())
            .ok_or("object has no `kind`")?;
        let meta = field(Some(node), "metadata").ok_or("object has no `metadata`")?;
        let name = meta
            .get_str("name")
            .or_else(|| meta.get_str("generateName"))
            .filter(|n| !n.is_empty())
            .ok_or("object has no `metadata.name`")?;
        let cluster = CLUSTER_SCOPED.contains(&kind);
        Ok(Self {
            file,
            node,
            kind,
            api_version: node.get_str("apiVersion").unwrap_or(""),
            name,
            namespace: if cluster {
                None
            } else {
                meta.get_str("namespace").filter(|n| !n.is_empty())
            },
        })
    }

    pub fn is_cluster_scoped(&self) -> bool {
        CLUSTER_SCOPED.contains(&self.kind)
    }

    /// The namespace the object lands in (`default` when the manifest leaves it out).
    pub fn ns(&self) -> &'a str {
        self.namespace.unwrap_or("default")
    }

    /// The object as a finding's subject: `Kind/namespace/name`, or `Kind/name` when
    /// cluster-scoped.
    pub fn subject(&self) -> crate::finding::Subject {
        crate::finding::Subject::Object {
            kind: self.kind.to_string(),
            namespace: (!self.is_cluster_scoped()).then(|| self.ns().to_string()),
            name: self.name.to_string(),
        }
    }

    /// The API group of `apiVersion` (`""` for the core group).
    pub fn group(&self) -> &'a str {
        match self.api_version.rsplit_once('/') {
            Some((g, _)) => g,
            None => "",
        }
    }

    pub fn metadata(&self) -> Option<&'a Node> {
        field(Some(self.node), "metadata")
    }

    pub fn label(&self, key: &str) -> Option<&'a Node> {
        field(field(self.metadata(), "labels"), key)
    }

    pub fn annotation(&self, key: &str) -> Option<&'a Node> {
        field(field(self.metadata(), "annotations"), key)
    }

    /// Where a node of this object is.
    pub fn location(&self, node: &Node) -> Location {
        Location {
            file: self.file.to_path_buf(),
            line: node.line,
            column: node.column,
        }
    }
}
