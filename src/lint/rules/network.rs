//! Label selectors as the API server evaluates them (`matchLabels`, `matchExpressions` with
//! `In`, `NotIn`, `Exists`, `DoesNotExist`), against the pods of this change, for the
//! NetworkPolicy and Service rules (`GATE-K8S-032` … `-034`).

use crate::lint::facts::Labels;
use crate::lint::pod::{field, items};
use crate::lint::Context;
use crate::yaml::Node;

fn label<'l>(labels: &'l Labels, key: &str) -> Option<&'l str> {
    labels
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Does the `LabelSelector` `sel` select `labels`? (An empty selector selects everything; a
/// malformed one nothing.)
pub fn selects(sel: &Node, labels: &Labels) -> bool {
    if sel.is_null() {
        return true;
    }
    let Some(_) = sel.as_map() else {
        return false;
    };
    let by_label = field(Some(sel), "matchLabels")
        .and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .all(|(k, v)| {
            k.as_str().is_some() && label(labels, k.as_str().unwrap_or("")) == v.as_str()
        });
    by_label
        && items(Some(sel), "matchExpressions").iter().all(|e| {
            let key = e.get_str("key").unwrap_or("");
            let values: Vec<&str> = items(Some(e), "values")
                .iter()
                .filter_map(Node::as_str)
                .collect();
            let have = label(labels, key);
            match e.get_str("operator") {
                Some("In") => have.is_some_and(|v| values.contains(&v)),
                Some("NotIn") => have.is_none_or(|v| !values.contains(&v)),
                Some("Exists") => have.is_some(),
                Some("DoesNotExist") => have.is_none(),
                _ => false,
            }
        })
}

/// The labels of the pods of this change in namespace `ns`.
pub fn pods_in<'c>(cx: &'c Context<'_>, ns: &str) -> impl Iterator<Item = &'c Labels> + 'c {
    cx.facts.pod_labels.get(ns).into_iter().flatten()
}

/// Does the change have any pod in namespace `ns`?
pub fn has_pods(cx: &Context<'_>, ns: &str) -> bool {
    pods_in(cx, ns).next().is_some()
}

/// Does `sel` select some pod of this change in `ns`?
pub fn selects_some(cx: &Context<'_>, ns: &str, sel: &Node) -> bool {
    pods_in(cx, ns).any(|l| selects(sel, l))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(yaml: &str) -> Node {
        crate::yaml::parse_documents(yaml).unwrap().remove(0)
    }

    #[test]
    fn selectors_match_like_the_api_server() {
        let l: Labels = vec![
            ("app".into(), "web".into()),
            ("tier".into(), "front".into()),
        ];
        assert!(selects(&sel("{}"), &l));
        assert!(selects(&sel("matchLabels: {app: web}"), &l));
        assert!(!selects(&sel("matchLabels: {app: api}"), &l));
        assert!(selects(
            &sel("matchExpressions: [{key: tier, operator: In, values: [front, back]}]"),
            &l
        ));
        assert!(!selects(
            &sel("matchExpressions: [{key: tier, operator: NotIn, values: [front]}]"),
            &l
        ));
        assert!(selects(
            &sel("matchExpressions: [{key: x, operator: DoesNotExist}]"),
            &l
        ));
        assert!(!selects(
            &sel("matchExpressions: [{key: x, operator: Exists}]"),
            &l
        ));
    }
}
