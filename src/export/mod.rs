//! `gate export`: the trusted policy as admission configuration for the cluster, so that what the
//! CI gate decided and what admission enforces come from one reviewed file.
//!
//! Each engine has its own file: Pod Security Admission namespace labels (`psa`), Kyverno's
//! `policies.kyverno.io/v1` kinds and `PolicyException`s (`kyverno`, with the Pod Security checks
//! in CEL from `pss_cel`), Sigstore policy-controller's `ClusterImagePolicy` (`sigstore`) and a
//! `ValidatingAdmissionPolicy` for the lint rules CEL can express (`vap`). Every object carries
//! the gate rule it comes from (annotation `gate.dev/rule`); every rule an engine cannot express
//! is a [`Gap`] that the output states in a comment and the agreement tests list: nothing is
//! dropped silently. The export is pure over the policy: same policy, same bytes.

mod config;
mod kyverno;
mod psa;
mod pss_cel;
mod sigstore;
mod vap;
mod yaml;

pub use config::ExportConfig;

use crate::policy::file::{KeyRef, Policy};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The annotation naming the gate rule(s) an object enforces.
pub const RULE_ANNOTATION: &str = "gate.dev/rule";
/// The annotation with the `sha256:` of the policy it was exported from.
pub const POLICY_ANNOTATION: &str = "gate.dev/policy-sha256";

/// Which admission engine an object is for; also the output file's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Engine {
    PodSecurityAdmission,
    Kyverno,
    /// Kyverno's `PolicyException`s: a file of their own, because the Kyverno CLI reads
    /// exceptions only from files that hold nothing else.
    KyvernoExceptions,
    PolicyController,
    ValidatingAdmissionPolicy,
}

impl Engine {
    pub const ALL: [Engine; 5] = [
        Engine::PodSecurityAdmission,
        Engine::Kyverno,
        Engine::KyvernoExceptions,
        Engine::PolicyController,
        Engine::ValidatingAdmissionPolicy,
    ];

    /// The file the engine's objects go to under `--output-dir`.
    pub fn file_name(self) -> &'static str {
        match self {
            Engine::PodSecurityAdmission => "namespaces.yaml",
            Engine::Kyverno => "kyverno.yaml",
            Engine::KyvernoExceptions => "kyverno-exceptions.yaml",
            Engine::PolicyController => "policy-controller.yaml",
            Engine::ValidatingAdmissionPolicy => "validating-admission-policy.yaml",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::PodSecurityAdmission => "Pod Security Admission",
            Engine::Kyverno => "Kyverno",
            Engine::KyvernoExceptions => "Kyverno policy exceptions",
            Engine::PolicyController => "Sigstore policy-controller",
            Engine::ValidatingAdmissionPolicy => "ValidatingAdmissionPolicy",
        }
    }
}

/// One exported object.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    pub engine: Engine,
    /// The gate rules it enforces (also in its `gate.dev/rule` annotation).
    pub rules: Vec<String>,
    pub object: Value,
}

/// A gate rule (or part of the policy) an engine does not enforce, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Gap {
    pub engine: Engine,
    /// Rule ID, or the policy key (`exceptions[2]`).
    pub rule: String,
    pub why: String,
}

/// The whole export.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Export {
    pub objects: Vec<Exported>,
    pub gaps: Vec<Gap>,
}

/// Why the policy could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Policy(#[from] Box<crate::policy::file::PolicyError>),
    #[error("cannot read the public key `{}` the policy names", path.display())]
    Key {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the policy names the key `env://{0}`, but `{0}` is not set")]
    KeyEnv(String),
    #[error("a policy found in the tree under check (`{}`) cannot be exported: pass the trusted policy with `--policy`", .0.display())]
    Untrusted(PathBuf),
}

/// The admission configuration for `policy`.
pub fn export(policy: &Policy, cfg: &ExportConfig) -> Result<Export, ExportError> {
    if let crate::policy::file::PolicySource::Tree(p) = &policy.source {
        return Err(ExportError::Untrusted(p.clone()));
    }
    let (_, exceptions) = policy.split_exceptions().map_err(Box::new)?;
    let lint = policy.stages.lint.lint_config(None, None, exceptions);
    let cx = Cx {
        policy,
        cfg,
        level: lint.level,
        version: lint.version,
        sha256: policy.sha256(),
    };
    let mut out = Export::default();
    psa::export(&cx, &mut out);
    kyverno::export(&cx, &mut out)?;
    sigstore::export(&cx, &mut out)?;
    vap::export(&cx, &mut out);
    out.gaps.sort();
    out.gaps.dedup();
    Ok(out)
}

/// What every engine's exporter reads.
struct Cx<'a> {
    policy: &'a Policy,
    cfg: &'a ExportConfig,
    level: crate::lint::pss::Level,
    version: crate::lint::pss::Version,
    sha256: String,
}

impl Cx<'_> {
    /// `metadata` with the name and the rule and policy annotations.
    fn metadata(&self, name: &str, rules: &[String]) -> Value {
        serde_json::json!({
            "name": name,
            "annotations": {
                RULE_ANNOTATION: rules.join(","),
                POLICY_ANNOTATION: self.sha256,
            },
            "labels": { "app.kubernetes.io/managed-by": "gate" },
        })
    }

    /// The PEM text of a key the policy names.
    fn key_pem(&self, key: &KeyRef) -> Result<String, ExportError> {
        let pem = match key {
            KeyRef::Path(p) => {
                let path = self.policy.resolve_path(p);
                std::fs::read_to_string(&path)
                    .map_err(|source| ExportError::Key { path, source })?
            }
            KeyRef::Env(var) => {
                std::env::var(var).map_err(|_unset| ExportError::KeyEnv(var.clone()))?
            }
        };
        Ok(pem.trim_end().to_string() + "\n")
    }
}

impl Export {
    fn push(&mut self, engine: Engine, rules: Vec<String>, object: Value) {
        self.objects.push(Exported {
            engine,
            rules,
            object,
        });
    }

    fn gap(&mut self, engine: Engine, rule: impl Into<String>, why: impl Into<String>) {
        self.gaps.push(Gap {
            engine,
            rule: rule.into(),
            why: why.into(),
        });
    }

    /// The YAML of `engine`'s objects (all engines when `None`): a header naming the policy and
    /// listing the gaps, then one document per object with its rules in a comment.
    pub fn render(&self, engine: Option<Engine>) -> String {
        let mut out = String::new();
        let engines: Vec<Engine> = match engine {
            Some(e) => vec![e],
            None => Engine::ALL.to_vec(),
        };
        let mut gaps: BTreeMap<Engine, Vec<&Gap>> = BTreeMap::new();
        for g in &self.gaps {
            gaps.entry(g.engine).or_default().push(g);
        }
        for (n, e) in engines.into_iter().enumerate() {
            let objects: Vec<_> = self.objects.iter().filter(|o| o.engine == e).collect();
            // No empty document before the first object: some readers (the Kyverno CLI's
            // exception loader) refuse one.
            if n > 0 {
                out.push_str("---\n");
            }
            out.push_str(&format!("# {}: exported by `gate export`\n", e.name()));
            for g in gaps.get(&e).into_iter().flatten() {
                out.push_str(&format!("# not enforced here: {}: {}\n", g.rule, g.why));
            }
            if objects.is_empty() {
                out.push_str("# (no objects)\n");
            }
            for (i, o) in objects.into_iter().enumerate() {
                if i > 0 {
                    out.push_str("---\n");
                }
                out.push_str(&format!("# gate rule: {}\n", o.rules.join(", ")));
                out.push_str(&yaml::document(&o.object));
                out.push('\n');
            }
        }
        out
    }
}

/// A gate glob (globset, `*` crossing `/`) as an anchored RE2 expression for CEL's `matches`,
/// or `None` when it uses syntax beyond `*` and `?`.
fn glob_regex(glob: &str) -> Option<String> {
    let mut re = String::from("^");
    for c in glob.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            '[' | ']' | '{' | '}' | '\\' => return None,
            c if c.is_ascii_alphanumeric() || c == '/' || c == '-' || c == '_' => re.push(c),
            c => {
                re.push('\\');
                re.push(c);
            }
        }
    }
    re.push('$');
    Some(re)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn globs_become_anchored_expressions() {
        assert_eq!(glob_regex("Pod/shop/*").as_deref(), Some("^Pod/shop/.*$"));
        assert_eq!(glob_regex("a.b?").as_deref(), Some("^a\\.b.$"));
        assert_eq!(glob_regex("Pod/{a,b}"), None);
    }
}
