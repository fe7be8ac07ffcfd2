//! Checks serde cannot make: regular expressions compile, globs parse, identities name exactly
//! one issuer and one subject, rule names exist, and exceptions become [`Exception`]s with their
//! `file:line` origin. Each error names the key path and its line.

use super::keypath::{display, Seg};
use super::sections::{Identity, KeyRef, PolicyFile};
use super::PolicyError;
use crate::exception::Exception;

type Origin<'a> = &'a dyn Fn(&[Seg]) -> String;

fn key(s: &str) -> Seg {
    Seg::Key(s.to_string())
}

fn join(base: &[Seg], more: &[Seg]) -> Vec<Seg> {
    base.iter().chain(more).cloned().collect()
}

/// Every check except exceptions.
pub fn check(p: &PolicyFile, origin: Origin) -> Result<(), PolicyError> {
    if let Some(v) = p.version {
        if v != 1 {
            let path = [key("version")];
            return Err(PolicyError::Value {
                origin: origin(&path),
                key: display(&path),
                problem: "must be 1",
            });
        }
    }
    let sig = [key("signatures")];
    keys(&p.signatures.keys, &join(&sig, &[key("keys")]), origin)?;
    identities(
        &p.signatures.identities,
        &join(&sig, &[key("identities")]),
        origin,
    )?;
    for (i, rule) in p.signatures.rules.iter().enumerate() {
        let base = join(&sig, &[key("rules"), Seg::Index(i)]);
        let images = join(&base, &[key("images")]);
        if rule.images.is_empty() {
            return Err(PolicyError::Value {
                origin: origin(&images),
                key: display(&images),
                problem: "must name at least one image glob",
            });
        }
        globs(&rule.images, &images, origin)?;
        keys(&rule.keys, &join(&base, &[key("keys")]), origin)?;
        identities(&rule.identities, &join(&base, &[key("identities")]), origin)?;
    }
    for (i, a) in p.attestations.iter().enumerate() {
        let base = [key("attestations"), Seg::Index(i)];
        if a.predicate_type.trim().is_empty() {
            let path = join(&base, &[key("predicate-type")]);
            return Err(PolicyError::Value {
                origin: origin(&path),
                key: display(&path),
                problem: "must not be empty",
            });
        }
        keys(&a.keys, &join(&base, &[key("keys")]), origin)?;
        identities(&a.identities, &join(&base, &[key("identities")]), origin)?;
        globs(&a.images, &join(&base, &[key("images")]), origin)?;
        if let Some(slsa) = &a.slsa {
            slsa_keys(
                slsa,
                &a.predicate_type,
                &join(&base, &[key("slsa")]),
                origin,
            )?;
        }
    }
    for name in p.manifests.rules.keys() {
        let path = [key("manifests"), key("rules"), key(name)];
        known_rule(name, &path, origin)?;
    }
    let version = &p.manifests.pss.version;
    let ok = version == "latest"
        || version
            .strip_prefix("v1.")
            .is_some_and(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()));
    if !ok {
        let path = [key("manifests"), key("pss"), key("version")];
        return Err(PolicyError::Value {
            origin: origin(&path),
            key: display(&path),
            problem: "must be `latest` or `v1.N`",
        });
    }
    globs(
        &p.registries.allowed,
        &[key("registries"), key("allowed")],
        origin,
    )?;
    Ok(())
}

/// `attestations[].slsa`: only under a SLSA provenance type, something to check, no empty
/// value, one way to name the ref.
fn slsa_keys(
    s: &super::sections::SlsaPolicy,
    predicate_type: &str,
    base: &[Seg],
    origin: Origin,
) -> Result<(), PolicyError> {
    let value = |path: &[Seg], problem| PolicyError::Value {
        origin: origin(path),
        key: display(path),
        problem,
    };
    let t = crate::verify::policy::predicate_type_alias(predicate_type);
    if !crate::verify::slsa::is_provenance(t) {
        return Err(value(
            base,
            "applies only to a SLSA provenance `predicate-type` (`slsaprovenance1`)",
        ));
    }
    let fields = [
        ("builder-id", &s.builder_id),
        ("source-uri", &s.source_uri),
        ("source-ref", &s.source_ref),
        ("source-branch", &s.source_branch),
        ("source-tag", &s.source_tag),
    ];
    if fields.iter().all(|(_, v)| v.is_none()) {
        return Err(value(base, "must name at least one of `builder-id`, `source-uri`, `source-ref`, `source-branch`, `source-tag`"));
    }
    for (name, v) in fields {
        if v.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(value(&join(base, &[key(name)]), "must not be empty"));
        }
    }
    let refs = [&s.source_ref, &s.source_branch, &s.source_tag];
    if refs.iter().filter(|r| r.is_some()).count() > 1 {
        return Err(value(
            base,
            "takes only one of `source-ref`, `source-branch` and `source-tag`",
        ));
    }
    if s.source_ref
        .as_deref()
        .is_some_and(|r| !r.starts_with("refs/"))
    {
        return Err(value(
            &join(base, &[key("source-ref")]),
            "must be a full ref (`refs/heads/main`, `refs/tags/v1`); or use `source-branch`/`source-tag`",
        ));
    }
    Ok(())
}

fn keys(list: &[KeyRef], base: &[Seg], origin: Origin) -> Result<(), PolicyError> {
    for (i, k) in list.iter().enumerate() {
        let bad = match k {
            KeyRef::Env(var) => var.is_empty(),
            KeyRef::Path(p) => p.as_os_str().is_empty(),
        };
        if bad {
            let path = join(base, &[Seg::Index(i)]);
            return Err(PolicyError::Value {
                origin: origin(&path),
                key: display(&path),
                problem: "must be a file path or `env://VARIABLE`",
            });
        }
    }
    Ok(())
}

fn identities(list: &[Identity], base: &[Seg], origin: Origin) -> Result<(), PolicyError> {
    for (i, id) in list.iter().enumerate() {
        let here = join(base, &[Seg::Index(i)]);
        let value = |problem| PolicyError::Value {
            origin: origin(&here),
            key: display(&here),
            problem,
        };
        if id.issuer.is_some() == id.issuer_regexp.is_some() {
            return Err(value("needs exactly one of `issuer` and `issuer-regexp`"));
        }
        if id.identity.is_some() == id.identity_regexp.is_some() {
            return Err(value(
                "needs exactly one of `identity` and `identity-regexp`",
            ));
        }
        for (name, re) in [
            ("issuer-regexp", &id.issuer_regexp),
            ("identity-regexp", &id.identity_regexp),
        ] {
            if let Some(re) = re {
                let path = join(&here, &[key(name)]);
                crate::verify::cert::anchored(re).map_err(|source| PolicyError::Regex {
                    origin: origin(&path),
                    key: display(&path),
                    source,
                })?;
            }
        }
    }
    Ok(())
}

fn globs(list: &[String], base: &[Seg], origin: Origin) -> Result<(), PolicyError> {
    for (i, g) in list.iter().enumerate() {
        globset::Glob::new(g).map_err(|source| {
            let path = join(base, &[Seg::Index(i)]);
            PolicyError::Glob {
                origin: origin(&path),
                key: display(&path),
                source,
            }
        })?;
    }
    Ok(())
}

fn known_rule(name: &str, path: &[Seg], origin: Origin) -> Result<(), PolicyError> {
    if crate::rules::find(name).is_none() {
        return Err(PolicyError::UnknownRule {
            origin: origin(path),
            key: display(path),
            rule: name.to_string(),
        });
    }
    Ok(())
}

/// Build the exceptions, each with origin `file:line` of its list entry.
pub fn exceptions(p: &PolicyFile, origin: Origin) -> Result<Vec<Exception>, PolicyError> {
    p.exceptions
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let here = [key("exceptions"), Seg::Index(i)];
            let rules: Vec<String> = e.rule.iter().chain(&e.rules).cloned().collect();
            for r in &rules {
                known_rule(r, &join(&here, &[key("rules")]), origin)?;
            }
            let ids = e.id.iter().chain(&e.ids).cloned().collect();
            Exception::new(
                rules,
                ids,
                e.subject.clone(),
                e.reason.clone(),
                e.expires,
                e.owner.clone(),
                origin(&here),
            )
            .map_err(PolicyError::Exception)
        })
        .collect()
}
