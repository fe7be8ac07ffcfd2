//! The policy file: shipped policies parse, strictness (unknown keys, wrong types, bad values name
//! file, line and key), exceptions get `file:line` origins, discovery order, hashing.

use gate::policy::file::*;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn parse(text: &str) -> Result<Policy, PolicyError> {
    Policy::parse(text.to_string(), PolicySource::File("p.yaml".into()))
}

/// The error and its whole source chain, as `main` prints it.
fn chain(e: &PolicyError) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(&format!(": {inner}"));
        src = inner.source();
    }
    s
}

#[test]
fn shipped_policies_parse() {
    let default = Policy::default_policy().unwrap();
    assert_eq!(default.source, PolicySource::BuiltIn);
    let s = &default.settings;
    assert_eq!(
        s.vulnerabilities.severities,
        [VulnSeverity::High, VulnSeverity::Critical]
    );
    assert_eq!(s.manifests.pss.level, PssLevel::Restricted);
    assert_eq!(s.scanner.timeout, Duration::from_secs(300));

    let strict = Policy::load(&repo("policies/strict.yaml")).unwrap();
    let sig = &strict.settings.signatures;
    assert!(sig.required && sig.verify_platforms);
    assert_eq!(sig.level, Level::Error);
    assert_eq!(
        sig.identities[0].issuer.as_deref(),
        Some("https://token.actions.githubusercontent.com")
    );
    assert_eq!(
        strict.settings.attestations[0].predicate_type,
        "https://slsa.dev/provenance/v1"
    );

    let dev = Policy::load(&repo("policies/dev.yaml")).unwrap();
    assert_eq!(dev.settings.max_level, Some(Level::Warn));
    assert_eq!(dev.settings.vulnerabilities.level, Level::Warn);
    assert_eq!(dev.settings.signatures.level, Level::Warn);
}

#[test]
fn init_text_parses_and_is_commented() {
    let p = Policy::parse(Policy::init_text().to_string(), PolicySource::BuiltIn).unwrap();
    assert_eq!(p.settings.manifests.pss.level, PssLevel::Restricted);
    assert!(
        Policy::init_text()
            .lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count()
            > 20
    );
}

#[test]
fn unknown_key_names_key_file_and_line() {
    let e = parse("vulnerabilities:\n  severities: [HIGH]\n  ignore-unfixd: true\n").unwrap_err();
    let text = chain(&e);
    assert!(text.starts_with("p.yaml:3:3: "), "{text}");
    assert!(text.contains("unknown field `ignore-unfixd`"), "{text}");
    assert!(matches!(e, PolicyError::Invalid { line: 3, .. }));

    let e = parse("version: 1\nsignaturs: {}\n").unwrap_err();
    assert!(
        chain(&e).contains("unknown field `signaturs`"),
        "{}",
        chain(&e)
    );
    assert!(chain(&e).starts_with("p.yaml:2:"), "{}", chain(&e));
}

#[test]
fn wrong_type_names_key_path_file_and_line() {
    let e = parse("vulnerabilities:\n  ignore-unfixed: sometimes\n").unwrap_err();
    match &e {
        PolicyError::Invalid {
            source_name,
            line,
            key,
            ..
        } => {
            assert_eq!(source_name, "p.yaml");
            assert_eq!(*line, 2);
            assert_eq!(key, "vulnerabilities.ignore-unfixed");
        }
        other => panic!("unexpected {other:?}"),
    }
    let e = parse("scanner:\n  platforms: linux/amd64\n").unwrap_err();
    assert!(chain(&e).contains("`scanner.platforms`"), "{}", chain(&e));
    let e = parse("vulnerabilities:\n  severities: [HIGH, SEVERE]\n").unwrap_err();
    assert!(
        chain(&e).contains("`vulnerabilities.severities[1]`"),
        "{}",
        chain(&e)
    );
    let e = parse("manifests:\n  rules:\n    unpinned-image: loud\n").unwrap_err();
    assert!(
        chain(&e).contains("`manifests.rules.unpinned-image`"),
        "{}",
        chain(&e)
    );
}

#[test]
fn invalid_values_name_key_and_line() {
    let e = parse(
        "signatures:\n  identities:\n    - issuer: https://accounts.google.com\n      \
identity-regexp: '(unclosed'\n",
    )
    .unwrap_err();
    assert!(matches!(e, PolicyError::Regex { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("p.yaml:4: `signatures.identities[0].identity-regexp`"),
        "{e}"
    );

    let e = parse(
        "signatures:\n  identities:\n    - issuer: a\n      issuer-regexp: b\n      identity: c\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("exactly one of `issuer`"), "{e}");
    assert!(e.to_string().starts_with("p.yaml:3:"), "{e}");

    // Rules from every stage are known, by ID or name.
    let p =
        parse("manifests:\n  rules:\n    rbac-wildcard: off\n    GATE-K8S-010: warn\n").unwrap();
    assert_eq!(p.settings.manifests.rules.len(), 2);
    let e = parse("manifests:\n  rules:\n    no-such-rule: warn\n").unwrap_err();
    assert!(e.to_string().contains("unknown rule `no-such-rule`"), "{e}");
    let e = parse("registries:\n  allowed: ['ghcr.io/[acme']\n").unwrap_err();
    assert!(matches!(e, PolicyError::Glob { .. }), "{e:?}");
    let e = parse("manifests:\n  pss:\n    version: 1.30\n").unwrap_err();
    assert!(e.to_string().contains("`latest` or `v1.N`"), "{e}");
    let e = parse("version: 2\n").unwrap_err();
    assert!(e.to_string().contains("must be 1"), "{e}");
    let e = parse("scanner:\n  timeout: 5 minutes\n").unwrap_err();
    assert!(chain(&e).contains("`scanner.timeout`"), "{}", chain(&e));
}

#[test]
fn exceptions_carry_origin_and_require_reason() {
    let p = parse(
        "version: 1\nexceptions:\n  - rule: unpinned-image\n    subject: 'docker.io/*'\n    \
reason: Upstream pins later\n    expires: 2026-12-31\n    owner: platform\n  - ids: [CVE-2024-1]\n    \
reason: Not reachable\n",
    )
    .unwrap();
    assert_eq!(p.exceptions.len(), 2);
    assert_eq!(p.exceptions[0].origin, "p.yaml:3");
    assert_eq!(p.exceptions[0].rules, ["unpinned-image"]);
    assert_eq!(p.exceptions[0].expires, Some("2026-12-31".parse().unwrap()));
    assert_eq!(p.exceptions[1].origin, "p.yaml:8");
    assert_eq!(p.exceptions[1].ids, ["CVE-2024-1"]);

    let copies = p.fresh_exceptions().unwrap();
    assert_eq!(copies.len(), 2);
    assert_eq!(copies[1].origin, "p.yaml:8");
    assert_eq!(copies[0].uses(), 0);

    let e = parse("exceptions:\n  - rule: unpinned-image\n").unwrap_err();
    assert!(
        chain(&e).contains("missing field `reason`"),
        "{}",
        chain(&e)
    );
    assert!(chain(&e).starts_with("p.yaml:2:"), "{}", chain(&e));
    let e = parse("exceptions:\n  - reason: ''\n").unwrap_err();
    assert!(chain(&e).contains("empty `reason`"), "{}", chain(&e));
    let e = parse("exceptions:\n  - reason: x\n    expires: 2026-02-30\n").unwrap_err();
    assert!(
        chain(&e).contains("`exceptions[0].expires`"),
        "{}",
        chain(&e)
    );
}

#[test]
fn keys_durations_and_defaults() {
    let p =
        parse("signatures:\n  keys: [cosign.pub, env://COSIGN_KEY]\nscanner:\n  timeout: 90s\n")
            .unwrap();
    assert_eq!(
        p.settings.signatures.keys,
        [
            KeyRef::Path("cosign.pub".into()),
            KeyRef::Env("COSIGN_KEY".into())
        ]
    );
    assert_eq!(p.settings.scanner.timeout, Duration::from_secs(90));
    assert_eq!(
        p.resolve_path(Path::new("cosign.pub")),
        PathBuf::from("cosign.pub")
    );
    assert_eq!(
        parse("scanner:\n  timeout: 120\n")
            .unwrap()
            .settings
            .scanner
            .timeout,
        Duration::from_secs(120)
    );
    let empty = parse("# nothing yet\n").unwrap();
    assert_eq!(empty.settings, PolicyFile::default());
    assert!(empty.settings.signatures.required);
    assert_eq!(empty.settings.signatures.limits.max_signatures, 100);
}

#[test]
fn sha256_covers_the_bytes() {
    let a = parse("version: 1\n").unwrap();
    let b = parse("version: 1 # same settings, other bytes\n").unwrap();
    assert_eq!(a.sha256(), parse("version: 1\n").unwrap().sha256());
    assert_ne!(a.sha256(), b.sha256());
    assert!(a.sha256().starts_with("sha256:") && a.sha256().len() == 71);
    assert_eq!(a.evidence_ref().source, "p.yaml");
}

#[test]
fn discovery_order() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let sub = root.join("deploy/prod");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    // Above the git root: must not be found.
    std::fs::write(
        dir.path().join(".gate.yaml"),
        "version: 1\nmax-level: note\n",
    )
    .unwrap();

    let p = Policy::discover(None, &sub).unwrap();
    assert_eq!(p.source, PolicySource::BuiltIn);

    std::fs::write(root.join(".gate.yaml"), "version: 1\nmax-level: warn\n").unwrap();
    let p = Policy::discover(None, &sub).unwrap();
    assert_eq!(p.source, PolicySource::File(root.join(".gate.yaml")));
    assert_eq!(p.settings.max_level, Some(Level::Warn));
    assert_eq!(p.resolve_path(Path::new("k.pub")), root.join("k.pub"));

    let explicit = root.join("strict.yaml");
    std::fs::copy(repo("policies/strict.yaml"), &explicit).unwrap();
    let p = Policy::discover(Some(&explicit), &sub).unwrap();
    assert_eq!(p.source, PolicySource::File(explicit));

    let e = Policy::discover(Some(&root.join("missing.yaml")), &sub).unwrap_err();
    assert!(matches!(e, PolicyError::Read { .. }));
    assert!(e.to_string().contains("missing.yaml"), "{e}");
}

#[test]
fn scanner_db_and_cache_settings_and_the_command_line_over_them() {
    let p = Policy::parse(
        "scanner:\n  db-repositories: [mirror.internal/trivy-db, backup.internal/trivy-db]\n  \
         java-db-repository: mirror.internal/trivy-java-db\n  cache-dir: .cache/trivy\n  \
         skip-db-update: true\n  cache-backend: redis://127.0.0.1:6379\n"
            .to_string(),
        PolicySource::BuiltIn,
    )
    .unwrap();
    let s = &p.settings.scanner;
    assert_eq!(
        s.db_repositories,
        ["mirror.internal/trivy-db", "backup.internal/trivy-db"]
    );
    assert_eq!(
        s.cache_dir.as_deref(),
        Some(std::path::Path::new(".cache/trivy"))
    );
    let cli = gate::scan::TrivyDb {
        repositories: vec!["127.0.0.1:5000/trivy-db".into()],
        ..Default::default()
    };
    let db = gate::scan::db::merge(&cli, s);
    assert_eq!(db.repositories, ["127.0.0.1:5000/trivy-db"]);
    assert_eq!(
        db.java_repository.as_deref(),
        Some("mirror.internal/trivy-java-db")
    );
    assert!(db.skip_update);
    assert_eq!(db.cache_backend.as_deref(), Some("redis://127.0.0.1:6379"));
    let e = parse("scanner:\n  db-repository: x\n").unwrap_err();
    assert!(chain(&e).contains("db-repository"), "{}", chain(&e));
}
