//! Kubernetes objects: the containers of built-in workloads' pod specs, generic pod templates
//! of custom resources, and the search rules' paths. Only container `image` fields count: other
//! `image` keys (an `rbd` volume's image, for one) are not references.
//!
//! Beyond the known paths, [`pod_specs_anywhere`] finds every mapping shaped like a pod spec in
//! any document: a `containers`, `initContainers`, `ephemeralContainers`, `sidecars` or `steps`
//! list holding a mapping with `image` (KEDA ScaledJob's `jobTargetRef`, Argo Workflows'
//! templates, Tekton Tasks' steps and sidecars), a single `container` or `script` with `image`
//! (Argo templates) and image volumes (`volumes[].image.reference`, pulled by the kubelet).

use super::scalar::reference;
use super::{SearchRules, Sink, UseKind};
use crate::yaml::{Node, Value};

/// Where each built-in workload keeps its pod spec.
fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &["spec"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &["spec", "template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        "PodTemplate" => &["template", "spec"],
        _ => return None,
    })
}

/// Pod templates custom resources commonly embed (Argo Rollouts, OpenKruise, Knative, …).
const GENERIC_POD_SPECS: &[&[&str]] = &[
    &["spec", "template", "spec"],
    &["spec", "jobTemplate", "spec", "template", "spec"],
];

/// Discover the images of one Kubernetes document (recursing into `kind: List`).
pub fn doc(sink: &mut Sink, doc: &Node, rules: &SearchRules) {
    let kind = doc.get_str("kind").unwrap_or_default();
    let api = doc.get_str("apiVersion").unwrap_or_default();
    if kind == "List" || kind.ends_with("List") && doc.get("items").is_some() {
        for item in doc.get("items").and_then(Node::as_seq).unwrap_or_default() {
            self::doc(sink, item, rules);
        }
        return;
    }
    if let Some(path) = pod_spec_path(kind) {
        if let Some(spec) = doc.path(path) {
            pod_spec(sink, spec, UseKind::Kubernetes);
        }
    } else if !api.is_empty() && api.contains('.') {
        // A group with a dot is not a built-in API group: a custom resource.
        for path in GENERIC_POD_SPECS {
            if let Some(spec) = doc.path(path) {
                pod_spec(sink, spec, UseKind::Crd);
            }
        }
    }
    for rule in rules.matching(api, kind) {
        for node in rule.select(doc) {
            reference(sink, node, UseKind::Crd, "");
        }
    }
}

/// Lists whose mappings are containers, when one of them has an `image`.
const CONTAINER_LISTS: &[&str] = &[
    "containers",
    "initContainers",
    "ephemeralContainers",
    "sidecars",
    "steps",
];

/// Keys whose value is a single container (Argo Workflows' `container` and `script`
/// templates, Tekton's `stepTemplate`), when it has an `image`.
const CONTAINER_KEYS: &[&str] = &["container", "script", "stepTemplate"];

/// Every container-shaped mapping and image volume in a document, at any depth.
pub fn pod_specs_anywhere(sink: &mut Sink, doc: &Node) {
    let builtin = doc
        .get_str("kind")
        .is_some_and(|k| pod_spec_path(k).is_some());
    let kind = if builtin {
        UseKind::Kubernetes
    } else {
        UseKind::Crd
    };
    walk(sink, doc, kind);
}

fn walk(sink: &mut Sink, node: &Node, kind: UseKind) {
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|i| walk(sink, i, kind)),
        Value::Map(pairs) => {
            for (k, v) in pairs {
                let key = k.as_str().unwrap_or_default();
                if CONTAINER_LISTS.contains(&key) {
                    let items = v.as_seq().unwrap_or_default();
                    if items.iter().any(|c| c.get("image").is_some()) {
                        for image in items.iter().filter_map(|c| c.get("image")) {
                            reference(sink, image, kind, "");
                        }
                    }
                } else if CONTAINER_KEYS.contains(&key) {
                    if let Some(image) = v.get("image") {
                        reference(sink, image, kind, "");
                    }
                } else if key == "volumes" {
                    for vol in v.as_seq().unwrap_or_default() {
                        if let Some(r) = vol.path(&["image", "reference"]) {
                            reference(sink, r, kind, "");
                        }
                    }
                }
                walk(sink, v, kind);
            }
        }
        Value::Scalar(..) => {}
    }
}

/// The images of a pod spec's containers, init containers and ephemeral containers.
pub fn pod_spec(sink: &mut Sink, spec: &Node, kind: UseKind) {
    for key in ["containers", "initContainers", "ephemeralContainers"] {
        for c in spec.get(key).and_then(Node::as_seq).unwrap_or_default() {
            if let Some(image) = c.get("image") {
                reference(sink, image, kind, "");
            }
        }
    }
}
