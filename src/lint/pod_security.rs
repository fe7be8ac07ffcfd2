//! Applies the Pod Security Standards to the pod of every workload object, at the level and
//! version its namespace enforces: one finding per offending field.

use crate::lint::pod::PodView;
use crate::lint::pss;
use crate::lint::{Context, Hit};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, o) in cx.iter() {
        let Some(pod) = PodView::of(o.kind, o.node) else {
            continue;
        };
        let (level, version) = cx.pss_for(o.ns());
        for v in pss::evaluate(&pod, level, version) {
            let message = format!(
                "`{}`: {} (PodSecurity `{level}:{version}`)",
                v.path, v.message
            );
            let mut hit = cx.hit(v.rule, i, o.node, message);
            if let Some(loc) = hit.finding.location.as_mut() {
                (loc.line, loc.column) = (v.line, v.column);
            }
            out.push(hit);
        }
    }
}
