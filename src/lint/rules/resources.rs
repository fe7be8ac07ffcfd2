//! The shared check behind the four resource rules (`GATE-K8S-061`, `-063`, `-064`, `-065`): one
//! rule per request or limit and resource, so a team that deliberately leaves out CPU limits can
//! turn off just that one.

use crate::finding::Rule;
use crate::lint::pod::field;
use crate::lint::rules::pods;
use crate::lint::{Context, Hit};

/// Report every container (not ephemeral containers) without `resources.<kind>.<resource>`.
pub fn check(
    cx: &Context<'_>,
    out: &mut Vec<Hit>,
    rule: &'static Rule,
    kind: &str,
    resource: &str,
) {
    for (i, _, pod) in pods(cx) {
        for c in pod.containers().filter(|c| c.list != "ephemeralContainers") {
            let res = field(Some(c.node), "resources");
            if field(field(res, kind), resource).is_some() {
                continue;
            }
            out.push(
                cx.hit(
                    rule,
                    i,
                    field(res, kind).or(res).unwrap_or(c.node),
                    format!(
                        "Container `{}` has no `resources.{kind}.{resource}` (`{}`)",
                        c.name(),
                        c.field_path("resources")
                    ),
                )
                .in_container(&c),
            );
        }
    }
}
