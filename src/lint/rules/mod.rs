//! The cluster-security guardrails, one rule per file, and the list of every lint rule. Each rule
//! module has `RULE` and `check(&Context, &mut Vec<Hit>)`; cross-object rules see every object of
//! the run through the context.

mod anonymous_binding;
mod automount_service_account_token;
mod cluster_admin_binding;
mod dapr_component_without_scopes;
mod dapr_missing_app_token;
mod dapr_mtls_disabled;
mod default_service_account;
mod default_service_account_binding;
mod dns_egress_blocked;
pub(in crate::lint) mod expired_exception;
mod exposed_service_without_policy;
mod host_users_enabled;
mod image_latest_tag;
pub(in crate::lint) mod invalid_ignore_annotation;
mod invalid_pss_label;
mod literal_secret;
mod missing_cpu_limit;
mod missing_cpu_request;
mod missing_default_deny;
mod missing_memory_limit;
mod missing_memory_request;
mod missing_service_account;
mod namespace_pss_version_older;
mod namespace_pss_weaker;
mod namespace_without_pss_label;
mod network;
mod network_policy_peer_selects_nothing;
mod network_policy_selects_nothing;
mod rbac;
mod rbac_escalation_verbs;
mod rbac_nodes_proxy;
mod rbac_pod_exec;
mod rbac_secrets_read;
pub mod rbac_wildcard;
mod rbac_workload_create;
mod resources;
mod secret_in_configmap;
mod secret_in_env;
mod secretstore_plain_http;
mod unpinned_image;
mod writable_root_filesystem;

use crate::finding::Rule;
use crate::lint::object::Object;
use crate::lint::pod::PodView;
use crate::lint::pss::checks as pss;
use crate::lint::{Context, Hit};

/// Every rule the lint stage defines (`GATE-IMG-001` belongs to discover).
pub const ALL_RULES: [Rule; 57] = [
    pss::host_namespaces::RULE,
    pss::privileged::RULE,
    pss::capabilities_baseline::RULE,
    pss::host_path_volumes::RULE,
    pss::host_ports::RULE,
    pss::app_armor_profile::RULE,
    pss::selinux_options::RULE,
    pss::proc_mount_baseline::RULE,
    pss::seccomp_baseline::RULE,
    pss::sysctls::RULE,
    pss::windows_host_process::RULE,
    pss::host_probes_and_lifecycle::RULE,
    pss::restricted_volumes::RULE,
    pss::allow_privilege_escalation::RULE,
    pss::run_as_non_root::RULE,
    pss::run_as_user::RULE,
    pss::seccomp_restricted::RULE,
    pss::capabilities_restricted::RULE,
    pss::proc_mount_restricted::RULE,
    rbac_wildcard::RULE,
    cluster_admin_binding::RULE,
    default_service_account_binding::RULE,
    rbac_pod_exec::RULE,
    rbac_secrets_read::RULE,
    rbac_workload_create::RULE,
    rbac_escalation_verbs::RULE,
    rbac_nodes_proxy::RULE,
    anonymous_binding::RULE,
    anonymous_binding::AUTHENTICATED,
    default_service_account::RULE,
    automount_service_account_token::RULE,
    missing_service_account::RULE,
    missing_default_deny::RULE,
    dns_egress_blocked::RULE,
    network_policy_selects_nothing::RULE,
    network_policy_peer_selects_nothing::RULE,
    exposed_service_without_policy::RULE,
    namespace_without_pss_label::RULE,
    namespace_pss_weaker::RULE,
    namespace_pss_version_older::RULE,
    invalid_pss_label::RULE,
    secret_in_env::RULE,
    secret_in_configmap::RULE,
    literal_secret::RULE,
    secretstore_plain_http::RULE,
    image_latest_tag::RULE,
    missing_memory_limit::RULE,
    missing_memory_request::RULE,
    missing_cpu_limit::RULE,
    missing_cpu_request::RULE,
    writable_root_filesystem::RULE,
    host_users_enabled::RULE,
    dapr_component_without_scopes::RULE,
    dapr_mtls_disabled::RULE,
    dapr_missing_app_token::RULE,
    expired_exception::RULE,
    invalid_ignore_annotation::RULE,
];

/// The kinds some rule reads besides objects with a pod; the bodies of all other objects are
/// dropped after parsing. A rule that reads a new kind must add it here.
pub const RULE_KINDS: &[&str] = &[
    "Namespace",
    "ServiceAccount",
    "NetworkPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "SecretStore",
    "ClusterSecretStore",
    "Component",
    "Configuration",
];

pub use crate::kinds::{is_skipped, SKIPPED_KINDS};

type CheckFn = fn(&Context<'_>, &mut Vec<Hit>);

/// The guardrail checks that look at one object at a time (with the input's facts), in report
/// order.
const CHECKS: &[CheckFn] = &[
    rbac_wildcard::check,
    cluster_admin_binding::check,
    default_service_account_binding::check,
    rbac_pod_exec::check,
    rbac_secrets_read::check,
    rbac_workload_create::check,
    rbac_escalation_verbs::check,
    rbac_nodes_proxy::check,
    anonymous_binding::check,
    default_service_account::check,
    automount_service_account_token::check,
    missing_service_account::check,
    namespace_without_pss_label::check,
    namespace_pss_weaker::check,
    namespace_pss_version_older::check,
    invalid_pss_label::check,
    secret_in_env::check,
    secret_in_configmap::check,
    literal_secret::check,
    secretstore_plain_http::check,
    unpinned_image::check,
    image_latest_tag::check,
    missing_memory_limit::check,
    missing_memory_request::check,
    missing_cpu_limit::check,
    missing_cpu_request::check,
    writable_root_filesystem::check,
    host_users_enabled::check,
    dapr_component_without_scopes::check,
    dapr_mtls_disabled::check,
    dapr_missing_app_token::check,
];

/// The checks that need every NetworkPolicy, Namespace and Service of the input at once.
const CROSS_CHECKS: &[CheckFn] = &[
    missing_default_deny::check,
    dns_egress_blocked::check,
    network_policy_selects_nothing::check,
    network_policy_peer_selects_nothing::check,
    exposed_service_without_policy::check,
];

/// Run every per-object guardrail.
pub fn check_objects(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for check in CHECKS {
        check(cx, out);
    }
}

/// Run the cross-object guardrails on a context of the input's NetworkPolicies and Namespaces.
pub fn check_cross(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for check in CROSS_CHECKS {
        check(cx, out);
    }
}

/// The kinds whose objects declare facts about the input ([`crate::lint::facts::Facts::observe`]
/// reads no other kind): the first pass must parse them.
pub const FACT_KINDS: &[&str] = &["Namespace", "ServiceAccount", "ClusterRole"];

/// Is `kind` one whose first pass adds only the object itself (kept for the second pass, which
/// then counts it, parses it and lints it)? A kind some rule or the pod view reads, that declares
/// no fact ([`FACT_KINDS`]), that no cross-object rule reads ([`CROSS_KINDS`]) and that is not a
/// list (whose items may be anything). Whatever the group: a custom resource of such a kind name
/// is read the same way in either pass.
pub fn is_lint_only(kind: &str) -> bool {
    let read = RULE_KINDS.contains(&kind)
        || crate::lint::pod::WORKLOAD_KINDS.contains(&kind)
        || ["Pod", "PodTemplate"].contains(&kind);
    read && !FACT_KINDS.contains(&kind) && !CROSS_KINDS.contains(&kind) && !kind.ends_with("List")
}

/// The kinds [`check_cross`] reads; their trees are kept for the whole run.
pub const CROSS_KINDS: &[&str] = &["Namespace", "NetworkPolicy", "Service"];

/// Objects with a pod (workloads, pods, pod templates, custom resources with a pod template or
/// pod specs nested anywhere), once per pod.
pub fn pods<'a>(cx: &Context<'a>) -> impl Iterator<Item = (usize, &'a Object<'a>, PodView<'a>)> {
    cx.objects.iter().enumerate().flat_map(|(i, o)| {
        PodView::all(o.kind, o.node)
            .into_iter()
            .map(move |p| (i, o, p))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_explains_with_a_failing_and_a_fixed_example() {
        for r in &ALL_RULES {
            for part in [
                "## What it checks",
                "## Why it matters",
                "## How to fix",
                "## References",
                "Failing",
                "Fixed",
                "```yaml",
                "https://",
            ] {
                assert!(r.explain.contains(part), "{} explain lacks `{part}`", r.id);
            }
            assert!(
                r.id.starts_with("GATE-PSS-")
                    || r.id.starts_with("GATE-K8S-")
                    || r.id.starts_with("GATE-DAPR-")
                    || r.id.starts_with("GATE-LINT-"),
                "{}",
                r.id
            );
        }
    }

    #[test]
    fn skipped_kinds_are_none_that_lint_reads() {
        assert!(!SKIPPED_KINDS.is_empty());
        let read = |kind: &str| {
            RULE_KINDS.contains(&kind)
                || CROSS_KINDS.contains(&kind)
                || crate::lint::pod::WORKLOAD_KINDS.contains(&kind)
                || ["Pod", "PodTemplate", "List"].contains(&kind)
        };
        for (group, kind) in SKIPPED_KINDS {
            assert!(!read(kind), "{kind}");
            assert!(!kind.ends_with("List"), "{kind}");
            let api = if group.is_empty() {
                "v1".to_string()
            } else {
                format!("{group}/v1")
            };
            assert!(is_skipped(&api, kind));
            // The same kind name in another group may be a custom resource with a pod.
            assert!(!is_skipped("example.com/v1", kind));
        }
        assert!(!is_skipped("apps/v1", "Deployment"));
    }

    #[test]
    fn pss_rules_match_the_checks() {
        let ids: Vec<&str> = crate::lint::pss::checks::ALL
            .iter()
            .map(|c| c.rule.id)
            .collect();
        let rules: Vec<&str> = crate::lint::pss::checks::RULES
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, rules);
        assert_eq!(&ALL_RULES[..19], &crate::lint::pss::checks::RULES[..]);
    }
}
