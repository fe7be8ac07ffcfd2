//! What cross-object rules need to know about the whole input, gathered in a first pass over
//! every file so the second pass can lint one file at a time: each namespace's Pod Security
//! labels, each ServiceAccount's token automount, the ClusterRoles that grant wildcards, and the
//! first workload of each namespace. Small owned values, so the trees can be dropped.

use crate::finding::Location;
use crate::lint::context::{ENFORCE_LABEL, ENFORCE_VERSION_LABEL};
use crate::lint::object::Object;
use crate::lint::pod::{field, flag, Flag, PodView};
use crate::lint::rules::{rbac_wildcard, FACT_KINDS};
use std::collections::{HashMap, HashSet};

/// A namespace's Pod Security enforce labels as written (`None`: absent; `Some(None)`: not a
/// string).
#[derive(Debug, Clone, Default)]
pub struct NamespaceLabels {
    pub enforce: Option<Option<String>>,
    pub version: Option<Option<String>>,
}

/// The first workload seen in a namespace.
#[derive(Debug, Clone)]
pub struct FirstWorkload {
    pub kind: String,
    pub name: String,
    pub location: Location,
}

/// Facts about the whole input.
#[derive(Debug, Default)]
pub struct Facts {
    pub namespaces: HashMap<String, NamespaceLabels>,
    /// `(namespace, name)` → `automountServiceAccountToken`.
    pub accounts: HashMap<(String, String), Flag>,
    pub wildcard_cluster_roles: HashSet<String>,
    /// Namespaces with workloads, in input order, with their first workload.
    pub workloads: Vec<(String, FirstWorkload)>,
    /// The pod labels of every workload by namespace, in input order, for the NetworkPolicy
    /// and Service rules (which pods a selector picks in this change).
    pub pod_labels: HashMap<String, Vec<Labels>>,
}

/// One pod's labels.
pub type Labels = Vec<(String, String)>;

impl Facts {
    /// Add what a later part of the input contributed (observed into `later`), as if observed
    /// here in order: the first namespace, account and workload seen still win.
    pub fn merge(&mut self, later: Facts) {
        for (name, labels) in later.namespaces {
            self.namespaces.entry(name).or_insert(labels);
        }
        for (key, flag) in later.accounts {
            self.accounts.entry(key).or_insert(flag);
        }
        self.wildcard_cluster_roles
            .extend(later.wildcard_cluster_roles);
        for (ns, w) in later.workloads {
            if !self.workloads.iter().any(|(seen, _)| *seen == ns) {
                self.workloads.push((ns, w));
            }
        }
        for (ns, labels) in later.pod_labels {
            self.pod_labels.entry(ns).or_default().extend(labels);
        }
    }

    /// Record what `o` declares: a Namespace's labels, a ServiceAccount's token automount, a
    /// ClusterRole's wildcards. Only objects of [`FACT_KINDS`] declare anything: the first pass
    /// parses the other kinds' bodies only when it must ([`crate::lint::rules::is_lint_only`]).
    pub fn observe(&mut self, o: &Object<'_>) {
        if !FACT_KINDS.contains(&o.kind) {
            return;
        }
        let text = |n: Option<&crate::yaml::Node>| n.map(|n| n.as_str().map(str::to_string));
        match o.kind {
            "Namespace" if o.api_version == "v1" => {
                self.namespaces
                    .entry(o.name.to_string())
                    .or_insert_with(|| NamespaceLabels {
                        enforce: text(o.label(ENFORCE_LABEL)),
                        version: text(o.label(ENFORCE_VERSION_LABEL)),
                    });
            }
            "ServiceAccount" => {
                let f = flag(field(Some(o.node), "automountServiceAccountToken"));
                self.accounts
                    .entry((o.ns().to_string(), o.name.to_string()))
                    .or_insert(f);
            }
            "ClusterRole" if rbac_wildcard::is_role(o) && rbac_wildcard::has_wildcard(o) => {
                self.wildcard_cluster_roles.insert(o.name.to_string());
            }
            _ => {}
        }
    }

    /// Record `o`'s pod, if it has one: its labels and, when it is its namespace's first, the
    /// workload. Read in the second pass, which parses every object with a pod (only the
    /// cross-object rules, which run after it, read these).
    pub fn observe_pods(&mut self, o: &Object<'_>) {
        let Some(pod) = PodView::of(o.kind, o.node).filter(|_| !o.is_cluster_scoped()) else {
            return;
        };
        let labels = field(pod.meta, "labels")
            .and_then(crate::yaml::Node::as_map)
            .unwrap_or(&[])
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
            .collect();
        self.pod_labels
            .entry(o.ns().to_string())
            .or_default()
            .push(labels);
        if o.kind != "PodTemplate" && !self.workloads.iter().any(|(ns, _)| ns == o.ns()) {
            let at = o.metadata().unwrap_or(o.node);
            self.workloads.push((
                o.ns().to_string(),
                FirstWorkload {
                    kind: o.kind.to_string(),
                    name: o.name.to_string(),
                    location: o.location(at),
                },
            ));
        }
    }
}
