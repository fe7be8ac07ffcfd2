//! Applies the Pod Security Standards to every pod of every object (a workload's template, and
//! pod specs nested in custom resources: [`PodView::all`]), at the level and
//! version its namespace enforces: one finding per offending field, keyed by its container when
//! the field is a container's (so two containers' findings of one rule stay two SARIF alerts and
//! two JUnit cases).

use crate::lint::pod::PodView;
use crate::lint::pss;
use crate::lint::{Context, Hit};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, o) in cx.iter() {
        for pod in PodView::all(o.kind, o.node) {
            pod_check(cx, i, o, &pod, out);
        }
    }
}

fn pod_check(
    cx: &Context<'_>,
    i: usize,
    o: &crate::lint::object::Object<'_>,
    pod: &PodView<'_>,
    out: &mut Vec<Hit>,
) {
    let (level, version) = cx.pss_for(o.ns());
    for v in pss::evaluate(pod, level, version) {
        let message = format!(
            "`{}`: {} (PodSecurity `{level}:{version}`)",
            v.path, v.message
        );
        let mut hit = cx.hit(v.rule, i, o.node, message);
        if let Some(loc) = hit.finding.location.as_mut() {
            (loc.line, loc.column) = (v.line, v.column);
        }
        hit.finding.key = container_of(pod, &v.path);
        out.push(hit);
    }
}

/// The container (its name, else its path when it has none) whose field `path` is.
fn container_of(pod: &PodView<'_>, path: &str) -> Option<String> {
    pod.containers().find_map(|c| {
        let at = c.path();
        let inside = path
            .strip_prefix(at.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'));
        inside.then(|| c.key())
    })
}

#[cfg(test)]
mod tests {
    use crate::lint::{lint_paths, LintConfig};

    const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: shop
spec:
  hostNetwork: true
  containers:
  - name: app
    image: app@sha256:aa
    securityContext:
      privileged: true
  - name: sidecar
    image: side@sha256:bb
    securityContext:
      privileged: true
  - image: anon@sha256:cc
    securityContext:
      privileged: true
";

    /// Two containers' findings of one rule differ by key (their container); a pod-level
    /// finding has none.
    #[test]
    fn container_findings_carry_their_container() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pod.yaml");
        std::fs::write(&file, POD).unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let out = lint_paths(&[file], &LintConfig::default(), today).unwrap();
        let keys = |rule: &str| -> Vec<Option<String>> {
            out.findings
                .iter()
                .filter(|f| f.rule == rule)
                .map(|f| f.key.clone())
                .collect()
        };
        assert_eq!(
            keys("GATE-PSS-002"),
            [
                Some("app".to_string()),
                Some("sidecar".to_string()),
                Some("spec.containers[2]".to_string())
            ]
        );
        assert_eq!(keys("GATE-PSS-001"), [None]);
        // Other container-level rules key their findings the same way.
        let containers = [
            Some("app".to_string()),
            Some("sidecar".to_string()),
            Some("spec.containers[2]".to_string()),
        ];
        for rule in ["GATE-K8S-061", "GATE-K8S-062", "GATE-K8S-063"] {
            assert_eq!(keys(rule), containers, "{rule}");
        }
    }
}
