//! What an RBAC rule entry grants, for the least-privilege rules (`GATE-K8S-013` … `-017`):
//! each `rules[*]` of a Role or ClusterRole as API groups, resources and verbs, and a helper that
//! reports every entry granting one of some verbs on one of some resources.

use crate::finding::Rule;
use crate::lint::pod::items;
use crate::lint::rules::rbac_wildcard::is_role;
use crate::lint::{Context, Hit};
use crate::yaml::Node;

/// One `rules[*]` entry.
pub struct Grant<'a> {
    pub index: usize,
    pub node: &'a Node,
    pub groups: Vec<&'a str>,
    pub resources: Vec<&'a str>,
    pub verbs: Vec<&'a str>,
    /// `resourceNames` narrows `get`, `update`, `delete` to named objects.
    pub named: bool,
}

impl Grant<'_> {
    /// Does the entry cover API group `group` (`""` is the core group)?
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| *g == group || *g == "*")
    }

    /// The first of `wanted` the entry names literally (wildcards are `GATE-K8S-010`'s).
    pub fn resource<'w>(&self, wanted: &[&'w str]) -> Option<&'w str> {
        wanted.iter().find(|w| self.resources.contains(w)).copied()
    }

    /// The verbs of `wanted` the entry grants (`*` grants all of them).
    pub fn verbs<'w>(&self, wanted: &[&'w str]) -> Vec<&'w str> {
        if self.verbs.contains(&"*") {
            return wanted.to_vec();
        }
        wanted
            .iter()
            .filter(|w| self.verbs.contains(w))
            .copied()
            .collect()
    }
}

fn strings<'a>(node: &'a Node, key: &str) -> Vec<&'a str> {
    items(Some(node), key)
        .iter()
        .filter_map(Node::as_str)
        .collect()
}

/// Every rule entry of every Role and ClusterRole, with the object's index.
pub fn grants<'a>(
    cx: &Context<'a>,
) -> Vec<(usize, &'a crate::lint::object::Object<'a>, Grant<'a>)> {
    let mut out = Vec::new();
    for (i, o) in cx.iter().filter(|(_, o)| is_role(o)) {
        for (index, node) in items(Some(o.node), "rules").iter().enumerate() {
            out.push((
                i,
                o,
                Grant {
                    index,
                    node,
                    groups: strings(node, "apiGroups"),
                    resources: strings(node, "resources"),
                    verbs: strings(node, "verbs"),
                    named: !items(Some(node), "resourceNames").is_empty(),
                },
            ));
        }
    }
    out
}

/// Report each entry that grants one of `verbs` on one of `resources` in API group `group`
/// (`None`: any group), with `what` describing the risk. With `narrowed`, a `get` limited by
/// `resourceNames` is allowed.
pub struct Wanted<'w> {
    pub group: Option<&'w str>,
    pub resources: &'w [&'w str],
    pub verbs: &'w [&'w str],
    pub narrowed: bool,
    pub what: &'w str,
}

pub fn report(cx: &Context<'_>, out: &mut Vec<Hit>, rule: &'static Rule, w: &Wanted<'_>) {
    let Wanted {
        group,
        resources,
        verbs,
        narrowed,
        what,
    } = *w;
    for (i, o, g) in grants(cx) {
        if group.is_some_and(|grp| !g.in_group(grp)) {
            continue;
        }
        let Some(resource) = g.resource(resources) else {
            continue;
        };
        let mut granted = g.verbs(verbs);
        if narrowed && g.named {
            granted.retain(|v| *v != "get");
        }
        if granted.is_empty() {
            continue;
        }
        out.push(cx.hit(
            rule,
            i,
            g.node,
            format!(
                "`rules[{}]` of {} `{}` grants {} on `{resource}`: {what}",
                g.index,
                o.kind,
                o.name,
                crate::lint::pod::quoted(&granted)
            ),
        ));
    }
}
