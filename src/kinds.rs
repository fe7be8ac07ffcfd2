//! Kubernetes kinds that more than one stage must agree on: the built-in kinds that hold no pod
//! and that no lint rule reads. Discovery does not parse their documents for images and lint reads
//! only their heads; lint's tests check that no rule reads one.

/// Built-in kinds, by API group, that hold no pod and that no rule reads (lint reads
/// `lint::rules::RULE_KINDS`, `lint::rules::CROSS_KINDS`, the pod owners and `List`/`*List`, whose items may be
/// anything). Any other kind may hold a pod template too (a custom resource with
/// `spec.template.spec.containers` is linted as a workload), so this set is closed, not open.
/// The first pass reads only their `apiVersion`, `kind` and `metadata` (to count them and check
/// their inline exceptions) and never parses their bodies. The group matters: a custom resource may take any
/// kind name. A rule that reads one of these kinds must take it out of this list (a test checks
/// that no rule fixture holds one).
pub const SKIPPED_KINDS: &[(&str, &str)] = &[
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("apiregistration.k8s.io", "APIService"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("networking.k8s.io", "Ingress"),
    ("networking.k8s.io", "IngressClass"),
    ("policy", "PodDisruptionBudget"),
    ("autoscaling", "HorizontalPodAutoscaler"),
    ("node.k8s.io", "RuntimeClass"),
    ("", "LimitRange"),
    ("", "ResourceQuota"),
    ("", "PersistentVolumeClaim"),
    ("", "PersistentVolume"),
];

/// Is an object of `kind` in `api_version` one no rule reads (see [`SKIPPED_KINDS`])?
pub fn is_skipped(api_version: &str, kind: &str) -> bool {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    SKIPPED_KINDS.contains(&(group, kind))
}
