//! The view every rule gets: all objects of the run, the lint configuration, the `Namespace`
//! objects by name (for Pod Security labels), and the way to report a finding against an object.

use crate::finding::Finding;
use crate::finding::Rule;
use crate::lint::facts::Facts;
use crate::lint::object::Object;
use crate::lint::pss::{Level, Version};
use crate::lint::LintConfig;
use crate::yaml::Node;
use std::collections::HashMap;

/// The Pod Security enforce labels.
pub const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";
pub const ENFORCE_VERSION_LABEL: &str = "pod-security.kubernetes.io/enforce-version";

/// A finding before exceptions, with the object it is about (for inline exceptions).
#[derive(Debug)]
pub struct Hit {
    pub finding: Finding,
    pub object: Option<usize>,
}

impl Hit {
    /// The finding is about this container: it carries the container as its key.
    pub fn in_container(mut self, c: &crate::lint::pod::ContainerView<'_>) -> Self {
        self.finding.key = Some(c.key());
        self
    }
}

/// All objects of one run.
pub struct Context<'a> {
    pub objects: &'a [Object<'a>],
    pub cfg: &'a LintConfig,
    /// What the whole input says (namespace labels, service accounts, …).
    pub facts: &'a Facts,
    namespaces: HashMap<&'a str, usize>,
    by_kind: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Context<'a> {
    pub fn new(objects: &'a [Object<'a>], cfg: &'a LintConfig, facts: &'a Facts) -> Self {
        let mut namespaces = HashMap::new();
        let mut by_kind: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, o) in objects.iter().enumerate() {
            by_kind.entry(o.kind).or_default().push(i);
            if o.kind == "Namespace" && o.api_version == "v1" {
                namespaces.entry(o.name).or_insert(i);
            }
        }
        Self {
            objects,
            cfg,
            facts,
            namespaces,
            by_kind,
        }
    }

    /// The `Namespace` object named `ns`, if the input has it.
    pub fn namespace(&self, ns: &str) -> Option<(usize, &'a Object<'a>)> {
        self.namespaces.get(ns).map(|&i| (i, &self.objects[i]))
    }

    /// The Pod Security level and version enforced in `ns`: the namespace's labels when present
    /// (an invalid level means restricted, an invalid version latest, as admission does), else
    /// the configuration.
    pub fn pss_for(&self, ns: &str) -> (Level, Version) {
        let mut level = self.cfg.level;
        let mut version = self.cfg.version;
        if let Some(labels) = self.facts.namespaces.get(ns) {
            if let Some(l) = &labels.enforce {
                level = l
                    .as_deref()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(Level::Restricted);
                version = Version::LATEST;
            }
            if let Some(v) = &labels.version {
                version = v
                    .as_deref()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(Version::LATEST);
            }
        }
        (level, version)
    }

    /// A finding by `rule` about object `index`, pointing at `node` (a node of that object).
    pub fn hit(&self, rule: &'static Rule, index: usize, node: &Node, message: String) -> Hit {
        let o = &self.objects[index];
        Hit {
            finding: Finding {
                rule,
                severity: rule.severity,
                subject: o.subject(),
                location: Some(o.location(node)),
                message,
                exception: None,
                key: None,
                vulnerability: None,
            },
            object: Some(index),
        }
    }

    /// Objects of one kind with their index, in input order.
    pub fn of_kind<'c>(&'c self, kind: &str) -> impl Iterator<Item = (usize, &'a Object<'a>)> + 'c {
        let objects = self.objects;
        self.by_kind
            .get(kind)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(move |&i| (i, &objects[i]))
    }

    /// Objects with their index.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &'a Object<'a>)> + '_ {
        self.objects.iter().enumerate()
    }
}
