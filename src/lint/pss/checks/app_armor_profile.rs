//! PSS baseline `appArmorProfile`: AppArmor may only be the runtime default or a localhost
//! profile, in the fields and in the deprecated annotations.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::{field, text, PodView};
use crate::lint::pss::{Check, Level, Violation};
use crate::yaml::Node;

pub const RULE: Rule = Rule {
    id: "GATE-PSS-006",
    name: "forbidden-apparmor-profile",
    severity: Severity::Error,
    section: crate::finding::Section::Rules,
    summary: "Pod or container overrides the default AppArmor profile",
    explain: r#"## What it checks
Pod Security Standards, baseline: `securityContext.appArmorProfile.type` of the pod and of every
container must be unset, `RuntimeDefault` or `Localhost`; the deprecated annotations
`container.apparmor.security.beta.kubernetes.io/*` must be empty, `runtime/default` or
`localhost/*`.

## Why it matters
"On supported hosts, the `RuntimeDefault` AppArmor profile is applied by default. The baseline
policy should prevent overriding or disabling the default AppArmor profile, or restrict overrides
to an allowed set of profiles." (Kubernetes, Pod Security Standards)

## How to fix
Failing:
```yaml
securityContext:
  appArmorProfile:
    type: Unconfined
```
Fixed:
```yaml
securityContext:
  appArmorProfile:
    type: RuntimeDefault
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
- https://kubernetes.io/docs/tutorials/security/apparmor/
"#,
};

pub const CHECK: Check = Check {
    id: "appArmorProfile",
    rule: &RULE,
    level: Level::Baseline,
    since: 0,
    overrides: &[],
    run,
};

const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn bad_type(sc: Option<&Node>) -> Option<(&Node, String)> {
    let profile = field(sc, "appArmorProfile")?;
    let node = field(Some(profile), "type");
    match text(node) {
        Ok(Some("RuntimeDefault" | "Localhost")) => None,
        Ok(t) => Some((node.unwrap_or(profile), t.unwrap_or("").to_string())),
        Err(_) => Some((node.unwrap_or(profile), "?".to_string())),
    }
}

fn run(pod: &PodView<'_>, _minor: u32, out: &mut Vec<Violation>) {
    if let Some((node, t)) = bad_type(pod.security_context()) {
        out.push(Violation::new(
            &RULE,
            pod.path("securityContext.appArmorProfile.type"),
            node,
            format!("Pod must not set AppArmor profile type to `{t}`"),
        ));
    }
    for c in pod.containers() {
        if let Some((node, t)) = bad_type(c.security_context()) {
            out.push(Violation::new(
                &RULE,
                c.field_path("securityContext.appArmorProfile.type"),
                node,
                format!(
                    "Container `{}` must not set AppArmor profile type to `{t}`",
                    c.name()
                ),
            ));
        }
    }
    for (k, v) in pod.annotations() {
        let Some(key) = k.as_str().filter(|k| k.starts_with(ANNOTATION_PREFIX)) else {
            continue;
        };
        let ok = match v.as_str() {
            Some(s) => s.is_empty() || s == "runtime/default" || s.starts_with("localhost/"),
            None => v.is_null(),
        };
        if !ok {
            out.push(Violation::new(
                &RULE,
                format!("{}.annotations[{key}]", pod.meta_path),
                v,
                format!(
                    "Annotation `{key}` must not set AppArmor profile `{}`",
                    v.as_str().unwrap_or("?")
                ),
            ));
        }
    }
}
