//! Checks serde cannot make, section by section: each stage validates its own section
//! (`src/<stage>/config.rs`) into the settings it runs with; what spans stages is checked here
//! (the format version, rule names in `manifests.rules`, exceptions). Each error names the key
//! path and its line.

use super::sections::PolicyFile;
use super::PolicyError;
use crate::config::{At, Errors};
use crate::exception::Exception;

/// Every stage's section, checked and compiled once.
#[derive(Debug, Clone)]
pub struct Stages {
    pub discover: crate::discover::SearchRules,
    pub resolve: crate::resolve::config::ValidConfig,
    pub lint: crate::lint::config::ValidConfig,
    pub verify: crate::verify::config::ValidConfig,
    pub render: crate::render::RenderConfig,
    pub attest: crate::verify::config::AttestSettings,
}

/// Check every section; the first error (in the file's section order) when any is wrong.
pub fn check(p: &PolicyFile, at: &At) -> Result<Stages, PolicyError> {
    let mut errors = Errors::default();
    if p.version.is_some_and(|v| v != 1) {
        errors.take::<()>(Err(at.key("version").value("must be 1")));
    }
    let verify = errors.take_all(crate::verify::config::validate(
        &p.signatures,
        &p.attestations,
        &p.admission,
        at,
    ));
    let manifests = at.key("manifests");
    for name in p.manifests.rules.keys() {
        errors.take(known_rule(name, &manifests.key("rules").key(name)));
    }
    let discover = errors.take_all(crate::discover::config::validate(
        &p.manifests.search_rules,
        &manifests.key("search-rules"),
    ));
    let lint = errors.take_all(p.manifests.validate(&manifests));
    let resolve = errors.take_all(p.registries.validate(&at.key("registries")));
    errors.take_all(p.scanner.validate(&at.key("scanner")));
    let attest = errors.take(p.attest.validate(&at.key("attest")));
    crate::config::first(errors.or(|| Stages {
        discover: discover.expect("no error, so present"),
        resolve: resolve.expect("no error, so present"),
        lint: lint.expect("no error, so present"),
        verify: verify.expect("no error, so present"),
        render: p.render.render_config(),
        attest: attest.expect("no error, so present"),
    }))
}

fn known_rule(name: &str, at: &At) -> Result<(), PolicyError> {
    match crate::rules::find(name) {
        Some(_) => Ok(()),
        None => Err(PolicyError::UnknownRule {
            origin: at.origin(),
            key: at.display(),
            rule: name.to_string(),
        }),
    }
}

/// Build the exceptions, each with origin `file:line` of its list entry.
pub fn exceptions(p: &PolicyFile, at: &At) -> Result<Vec<Exception>, PolicyError> {
    p.exceptions
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let here = at.key("exceptions").index(i);
            let rules: Vec<String> = e.rule.iter().chain(&e.rules).cloned().collect();
            for r in &rules {
                known_rule(r, &here.key("rules"))?;
            }
            let ids = e.id.iter().chain(&e.ids).cloned().collect();
            Exception::new(
                rules,
                ids,
                e.subject.clone(),
                e.reason.clone(),
                e.expires,
                e.owner.clone(),
                here.origin(),
            )
            .map_err(PolicyError::Exception)
        })
        .collect()
}
