//! PSS baseline `sysctls`: only the safe, namespaced sysctls of the policy version.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, items, text, PodView};
use crate::lint::pss::{Check, Level, Violation};

pub const RULE: Rule = Rule {
    id: "GATE-PSS-010",
    name: "unsafe-sysctl",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Pod sets a sysctl outside the safe set",
    explain: r#"## What it checks
Pod Security Standards, baseline: every `spec.securityContext.sysctls[*].name` must be in the safe
set of the policy version: `kernel.shm_rmid_forced`, `net.ipv4.ip_local_port_range`,
`net.ipv4.tcp_syncookies`, `net.ipv4.ping_group_range`, `net.ipv4.ip_unprivileged_port_start`;
from v1.27 `net.ipv4.ip_local_reserved_ports`; from v1.29 `net.ipv4.tcp_keepalive_time`,
`net.ipv4.tcp_fin_timeout`, `net.ipv4.tcp_keepalive_intvl`, `net.ipv4.tcp_keepalive_probes`; from
v1.32 `net.ipv4.tcp_rmem`, `net.ipv4.tcp_wmem`; from v1.37 `net.ipv4.tcp_slow_start_after_idle`,
`net.ipv4.tcp_notsent_lowat`.

## Why it matters
"Sysctls can disable security mechanisms or affect all containers on a host, and should be
disallowed except for an allowed 'safe' subset. A sysctl is considered safe if it is namespaced
in the container or the Pod, and it is isolated from other Pods or processes on the same Node."
(Kubernetes, Pod Security Standards)

## How to fix
Failing:
```yaml
securityContext:
  sysctls:
  - name: kernel.msgmax
    value: "65536"
```
Fixed: drop the sysctl, or use one from the safe set:
```yaml
securityContext:
  sysctls:
  - name: net.ipv4.ip_local_port_range
    value: "32768 60999"
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
- https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/
"#,
};

pub const CHECK: Check = Check {
    id: "sysctls",
    rule: &RULE,
    level: Level::Baseline,
    since: 0,
    overrides: &[],
    run,
};

/// Safe sysctls and the policy minor version each became allowed in.
const SAFE: &[(&str, u32)] = &[
    ("kernel.shm_rmid_forced", 0),
    ("net.ipv4.ip_local_port_range", 0),
    ("net.ipv4.tcp_syncookies", 0),
    ("net.ipv4.ping_group_range", 0),
    ("net.ipv4.ip_unprivileged_port_start", 0),
    ("net.ipv4.ip_local_reserved_ports", 27),
    ("net.ipv4.tcp_keepalive_time", 29),
    ("net.ipv4.tcp_fin_timeout", 29),
    ("net.ipv4.tcp_keepalive_intvl", 29),
    ("net.ipv4.tcp_keepalive_probes", 29),
    ("net.ipv4.tcp_rmem", 32),
    ("net.ipv4.tcp_wmem", 32),
    ("net.ipv4.tcp_slow_start_after_idle", 37),
    ("net.ipv4.tcp_notsent_lowat", 37),
];

/// Is `name` a safe sysctl at policy version `1.minor`?
pub fn is_safe(name: &str, minor: u32) -> bool {
    SAFE.iter().any(|&(n, since)| n == name && since <= minor)
}

fn run(pod: &PodView<'_>, minor: u32, out: &mut Vec<Violation>) {
    for (i, s) in items(pod.security_context(), "sysctls").iter().enumerate() {
        let n = field(Some(s), "name");
        let name = text(n).ok().flatten().unwrap_or("");
        if !is_safe(name, minor) {
            out.push(Violation::new(
                &RULE,
                pod.path(&format!("securityContext.sysctls[{i}].name")),
                n.unwrap_or(s),
                format!("Pod must not set sysctl `{name}`"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_set_grows_by_version() {
        assert!(is_safe("kernel.shm_rmid_forced", 0));
        assert!(!is_safe("net.ipv4.ip_local_reserved_ports", 26));
        assert!(is_safe("net.ipv4.ip_local_reserved_ports", 27));
        assert!(!is_safe("net.ipv4.tcp_rmem", 31));
        assert!(is_safe("net.ipv4.tcp_notsent_lowat", 37));
        assert!(!is_safe("kernel.msgmax", 37));
    }
}
