//! The Pod Security checks, one file each, named after the admission library's check IDs.

pub(in crate::lint) mod allow_privilege_escalation;
pub(in crate::lint) mod app_armor_profile;
pub(in crate::lint) mod capabilities_baseline;
pub(in crate::lint) mod capabilities_restricted;
pub(in crate::lint) mod host_namespaces;
pub(in crate::lint) mod host_path_volumes;
pub(in crate::lint) mod host_ports;
pub(in crate::lint) mod host_probes_and_lifecycle;
pub(in crate::lint) mod privileged;
pub(in crate::lint) mod proc_mount_baseline;
pub(in crate::lint) mod proc_mount_restricted;
pub(in crate::lint) mod restricted_volumes;
pub(in crate::lint) mod run_as_non_root;
pub(in crate::lint) mod run_as_user;
pub(in crate::lint) mod seccomp_baseline;
pub(in crate::lint) mod seccomp_restricted;
pub(in crate::lint) mod selinux_options;
pub(in crate::lint) mod sysctls;
pub(in crate::lint) mod windows_host_process;

use super::Check;
use crate::finding::Rule;

/// Every check, baseline first (the order findings come out in).
pub static ALL: &[Check] = &[
    host_namespaces::CHECK,
    privileged::CHECK,
    capabilities_baseline::CHECK,
    host_path_volumes::CHECK,
    host_ports::CHECK,
    app_armor_profile::CHECK,
    selinux_options::CHECK,
    proc_mount_baseline::CHECK,
    seccomp_baseline::CHECK,
    sysctls::CHECK,
    windows_host_process::CHECK,
    host_probes_and_lifecycle::CHECK,
    restricted_volumes::CHECK,
    allow_privilege_escalation::CHECK,
    run_as_non_root::CHECK,
    run_as_user::CHECK,
    seccomp_restricted::CHECK,
    capabilities_restricted::CHECK,
    proc_mount_restricted::CHECK,
];

/// The rules of the Pod Security checks, in ID order.
pub const RULES: [Rule; 19] = [
    host_namespaces::RULE,
    privileged::RULE,
    capabilities_baseline::RULE,
    host_path_volumes::RULE,
    host_ports::RULE,
    app_armor_profile::RULE,
    selinux_options::RULE,
    proc_mount_baseline::RULE,
    seccomp_baseline::RULE,
    sysctls::RULE,
    windows_host_process::RULE,
    host_probes_and_lifecycle::RULE,
    restricted_volumes::RULE,
    allow_privilege_escalation::RULE,
    run_as_non_root::RULE,
    run_as_user::RULE,
    seccomp_restricted::RULE,
    capabilities_restricted::RULE,
    proc_mount_restricted::RULE,
];
