//! Kubernetes objects: the containers of built-in workloads' pod specs, generic pod templates
//! of custom resources, and the search rules' paths. Only container `image` fields count: other
//! `image` keys (an `rbd` volume's image, for one) are not references.

use super::scalar::reference;
use super::{SearchRules, Sink, UseKind};
use crate::yaml::Node;

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
