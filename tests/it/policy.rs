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
    assert_eq!(sig.level, Some(Level::Error));
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
    assert_eq!(dev.settings.signatures.level, Some(Level::Warn));
}

/// Omitted sections and keys mean the built-in defaults, exactly: an empty policy, one that
/// sets only the scanner's timeout (to the default's value), the built-in default policy and
/// `gate init`'s starter policy all read as the same settings.
#[test]
fn omitted_sections_are_the_built_in_defaults() {
    let builtin = Policy::default_policy().unwrap().settings;
    let defaults = PolicyFile {
        version: Some(1),
        ..PolicyFile::default()
    };
    assert_eq!(builtin, defaults);
    for text in [
        "version: 1\n",
        "version: 1\nscanner:\n  timeout: 5m\n",
        "version: 1\nsignatures: {}\nvulnerabilities: {}\nmanifests: {}\n",
        Policy::init_text(),
    ] {
        assert_eq!(parse(text).unwrap().settings, builtin, "{text}");
    }
    // The one default that depends on the rest: a missing signature warns until a signer is
    // named, then fails.
    assert_eq!(builtin.signatures.effective_level(false), Level::Warn);
    assert_eq!(builtin.signatures.effective_level(true), Level::Error);
    let keyed = parse("version: 1\nsignatures:\n  keys: [k.pub]\n").unwrap();
    assert_eq!(
        keyed.settings.signatures.effective_level(false),
        Level::Error
    );
}

/// Every policy key a rule's explain text names (`section.key`) is one the policy reads, and
/// no explain text spells a key the way the policy rejects (`ignore_unfixed`).
#[test]
fn explain_texts_name_real_policy_keys() {
    let sections = [
        "vulnerabilities",
        "signatures",
        "attestations",
        "manifests",
        "registries",
        "scanner",
        "exceptions",
        "admission",
    ];
    // Every key the starter policy writes or shows in a comment.
    let keys: std::collections::BTreeSet<String> = Policy::init_text()
        .lines()
        .filter_map(|l| {
            let l = l.trim_start().trim_start_matches('#').trim_start();
            let l = l.trim_start_matches("- ");
            let (k, _) = l.split_once(':')?;
            (!k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
                .then(|| k.to_string())
        })
        .collect();
    assert!(keys.contains("ignore-unfixed") && keys.contains("trivyignore"));
    let mut checked = 0;
    for r in gate::rules::all() {
        for (i, token) in r.explain.split('`').enumerate() {
            if i % 2 == 0 {
                continue;
            }
            if token.contains('_') && keys.contains(&token.replace('_', "-")) {
                panic!(
                    "{}: `{token}` is spelled `{}` in the policy",
                    r.id,
                    token.replace('_', "-")
                );
            }
            let Some((section, rest)) = token.split_once('.') else {
                continue;
            };
            if !sections.contains(&section)
                || !rest
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c == '.')
            {
                continue;
            }
            // `a.b.c` as YAML with a null leaf: an unknown key says "unknown field"; a known
            // one at most rejects the null.
            let mut yaml = String::new();
            for (depth, part) in token.split('.').enumerate() {
                yaml.push_str(&format!("{}{part}:\n", "  ".repeat(depth)));
            }
            let err = parse(&yaml).err().map(|e| chain(&e)).unwrap_or_default();
            assert!(!err.contains("unknown field"), "{}: `{token}`: {err}", r.id);
            checked += 1;
        }
    }
    assert!(checked >= 4, "{checked}");
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
    // No signer named: a missing signature warns instead of failing every image.
    assert_eq!(p.settings.signatures.effective_level(false), Level::Warn);
    let with_key = Policy::init_text_with_key("keys/o'brien.pub");
    let p = Policy::parse(with_key.clone(), PolicySource::BuiltIn).unwrap();
    assert_eq!(p.settings.signatures.effective_level(false), Level::Error);
    assert!(
        with_key.contains("    - 'keys/o''brien.pub'\n"),
        "{with_key}"
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
    // gate POSTs each summary's signature there: only a web URL.
    for url in ["file:///etc/passwd", "tsa.example", "unix:/run/tsa.sock"] {
        let e = parse(&format!("attest:\n  timestamp-url: '{url}'\n")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("p.yaml:2: `attest.timestamp-url` must be an http or https URL"),
            "{e}"
        );
    }
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

    std::fs::write(
        root.join(".gate.yaml"),
        "version: 1\nvulnerabilities:\n  severities: [MEDIUM, HIGH, CRITICAL]\n",
    )
    .unwrap();
    let p = Policy::discover(None, &sub).unwrap();
    assert_eq!(p.source, PolicySource::Tree(root.join(".gate.yaml")));
    assert_eq!(p.settings.vulnerabilities.severities.len(), 3);
    assert_eq!(p.resolve_path(Path::new("k.pub")), root.join("k.pub"));

    let explicit = root.join("strict.yaml");
    std::fs::copy(repo("policies/strict.yaml"), &explicit).unwrap();
    let p = Policy::discover(Some(&explicit), &sub).unwrap();
    assert_eq!(p.source, PolicySource::File(explicit));

    let e = Policy::discover(Some(&root.join("missing.yaml")), &sub).unwrap_err();
    assert!(matches!(e, PolicyError::Read { .. }));
    assert!(e.to_string().contains("missing.yaml"), "{e}");
}

/// Without a `.git`, only the working directory is searched: a `.gate.yaml` in a parent
/// directory (another checkout, `/tmp`, the runner's home) is not the tree's policy.
#[test]
fn no_ancestor_walk_without_a_git_root() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().join("checkout");
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::write(
        dir.path().join(".gate.yaml"),
        "version: 1\nvulnerabilities:\n  severities: [CRITICAL]\n",
    )
    .unwrap();
    let p = Policy::discover(None, &cwd).unwrap();
    assert_eq!(p.source, PolicySource::BuiltIn);
    std::fs::write(cwd.join(".gate.yaml"), "version: 1\n").unwrap();
    let p = Policy::discover(None, &cwd).unwrap();
    assert_eq!(p.source, PolicySource::Tree(cwd.join(".gate.yaml")));
}

/// A policy found in the tree may not name executables, servers, trust material, credentials
/// or files outside the tree, raise bounds or cap below `error`; the same text passed with
/// `--policy` is trusted.
#[test]
fn a_tree_policy_may_not_say_what_only_a_trusted_policy_may() {
    let cases = [
        ("scanner:\n  trivy: ./tools/trivy\n", "scanner.trivy"),
        (
            "scanner:\n  server: http://10.0.0.1:4954\n",
            "scanner.server",
        ),
        (
            "scanner:\n  db-repositories: [evil.example/empty-db]\n",
            "scanner.db-repositories",
        ),
        (
            "scanner:\n  skip-db-update: true\n",
            "scanner.skip-db-update",
        ),
        (
            "scanner:\n  cache-backend: redis://evil.example:6379\n",
            "scanner.cache-backend",
        ),
        ("scanner:\n  cache-dir: .cache\n", "scanner.cache-dir"),
        (
            "signatures:\n  insecure-ignore-tlog: true\n",
            "signatures.insecure-ignore-tlog",
        ),
        (
            "signatures:\n  tuf-mirror: http://evil.example/tuf\n",
            "signatures.tuf-mirror",
        ),
        (
            "registries:\n  mirrors:\n    ghcr.io: evil.example\n",
            "registries.mirrors",
        ),
        (
            "registries:\n  insecure: [ghcr.io]\n",
            "registries.insecure",
        ),
        (
            "signatures:\n  trusted-root: root.json\n",
            "signatures.trusted-root",
        ),
        ("max-level: note\n", "max-level"),
        ("max-level: warn\n", "max-level"),
        (
            "signatures:\n  limits:\n    max-attachment-bytes: 99999999999\n",
            "signatures.limits.max-attachment-bytes",
        ),
        (
            "vulnerabilities:\n  trivyignore: ../../etc/ignore\n",
            "vulnerabilities.trivyignore",
        ),
        (
            "signatures:\n  keys: [env://REGISTRY_PASSWORD]\n",
            "signatures.keys",
        ),
        ("signatures:\n  keys: [/etc/ssl/k.pub]\n", "signatures.keys"),
    ];
    for (text, key) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gate.yaml"), format!("version: 1\n{text}")).unwrap();
        let e = Policy::discover(None, dir.path()).unwrap_err();
        assert!(matches!(e, PolicyError::Untrusted { .. }), "{text}: {e:?}");
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("`{key}`")) && msg.contains("--policy"),
            "{text}: {msg}"
        );
        // Trusted when named on the command line.
        let p = Policy::discover(Some(&dir.path().join(".gate.yaml")), dir.path()).unwrap();
        assert!(!p.is_from_tree());
        p.check_command_line(true).unwrap();
    }
}

/// With `--key` on the command line, a tree policy may not add signers or lower the signature
/// rules below `error` (by level or exception); without `--key` it may name its own signers (the
/// baseline then fails nothing unsigned), but still not lower the signature rules.
#[test]
fn a_tree_policy_never_lowers_what_the_command_line_key_demands() {
    let beside_key_only = [
        ("signatures:\n  keys: [pr.pub]\n", "signatures.keys"),
        (
            "signatures:\n  identities:\n    - issuer: https://x\n      identity: me\n",
            "signatures.identities",
        ),
        (
            "signatures:\n  rules:\n    - images: ['*']\n      keys: [pr.pub]\n",
            "signatures.rules",
        ),
        (
            "manifests:\n  rules:\n    unsigned-image: warn\n",
            "manifests.rules.unsigned-image",
        ),
    ];
    for (text, key) in beside_key_only {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gate.yaml"), format!("version: 1\n{text}")).unwrap();
        let p = Policy::discover(None, dir.path()).unwrap();
        assert!(p.is_from_tree());
        p.check_command_line(false).unwrap();
        let e = p.check_command_line(true).unwrap_err();
        assert!(e.to_string().contains(&format!("`{key}`")), "{text}: {e}");
    }
    let always = [
        (
            "manifests:\n  rules:\n    GATE-SIG-001: off\n",
            "manifests.rules.GATE-SIG-001",
        ),
        (
            "manifests:\n  rules:\n    unsigned-image: note\n",
            "manifests.rules.unsigned-image",
        ),
        (
            "exceptions:\n  - rule: GATE-SIG-001\n    reason: trust me\n",
            "exceptions",
        ),
    ];
    for (text, key) in always {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gate.yaml"), format!("version: 1\n{text}")).unwrap();
        let e = Policy::discover(None, dir.path()).unwrap_err();
        assert!(e.to_string().contains(&format!("`{key}`")), "{text}: {e}");
    }
}

/// The tree policy is an allow-list: every key that could lower a verdict, of every section, is
/// refused from the tree (naming the key and its line), and the same text passed with `--policy`
/// is accepted. Before, only the keys someone had listed were refused and the rest obeyed.
#[test]
fn a_tree_policy_may_not_lower_any_section() {
    let cases = [
        // Lowering a rule by level: GATE-IMG-003 lets `image: ${VAR}` pass, GATE-IMG-001 tags.
        (
            "manifests:\n  rules:\n    GATE-IMG-003: off\n    GATE-IMG-001: off\n",
            "manifests.rules.GATE-IMG-003",
            4,
        ),
        (
            "manifests:\n  rules:\n    unpinned-image: warn\n",
            "manifests.rules.unpinned-image",
            4,
        ),
        (
            "manifests:\n  rules:\n    GATE-ATT-001: note\n",
            "manifests.rules.GATE-ATT-001",
            4,
        ),
        (
            "manifests:\n  rules:\n    GATE-K8S-010: off\n",
            "manifests.rules.GATE-K8S-010",
            4,
        ),
        (
            "manifests:\n  pss:\n    level: baseline\n",
            "manifests.pss.level",
            4,
        ),
        (
            "manifests:\n  pss:\n    version: v1.25\n",
            "manifests.pss.version",
            4,
        ),
        (
            "scanner:\n  platforms: [linux/arm64]\n",
            "scanner.platforms",
            3,
        ),
        ("scanner:\n  timeout: 1h\n", "scanner.timeout", 3),
        (
            "scanner:\n  java-db-repository: evil.example/java-db\n",
            "scanner.java-db-repository",
            3,
        ),
        (
            "vulnerabilities:\n  severities: [CRITICAL]\n",
            "vulnerabilities.severities",
            3,
        ),
        (
            "vulnerabilities:\n  level: warn\n",
            "vulnerabilities.level",
            3,
        ),
        (
            "vulnerabilities:\n  ignore-unfixed: true\n",
            "vulnerabilities.ignore-unfixed",
            3,
        ),
        (
            "vulnerabilities:\n  trivyignore: .trivyignore\n",
            "vulnerabilities.trivyignore",
            3,
        ),
        ("signatures:\n  required: false\n", "signatures.required", 3),
        ("signatures:\n  level: note\n", "signatures.level", 3),
        (
            "signatures:\n  limits:\n    max-layers: 5000\n",
            "signatures.limits.max-layers",
            4,
        ),
        (
            "signatures:\n  tuf-root: root.json\n",
            "signatures.tuf-root",
            3,
        ),
        (
            "attestations:\n  - predicate-type: slsaprovenance1\n    level: warn\n",
            "attestations[0].level",
            4,
        ),
        (
            "attestations:\n  - predicate-type: slsaprovenance1\n    keys: [../k.pub]\n",
            "attestations[0].keys",
            4,
        ),
        ("admission:\n  level: note\n", "admission.level", 3),
        ("attest:\n  layout: referrer\n", "attest.layout", 3),
        ("attest:\n  tlog-upload: false\n", "attest.tlog-upload", 3),
        (
            "attest:\n  timestamp-url: https://tsa.example/api/v1/timestamp\n",
            "attest.timestamp-url",
            3,
        ),
        (
            "exceptions:\n  - rule: GATE-IMG-001\n    reason: later\n",
            "exceptions",
            3,
        ),
        ("max-level: warn\n", "max-level", 2),
    ];
    for (text, key, line) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".gate.yaml");
        std::fs::write(&path, format!("version: 1\n{text}")).unwrap();
        let e = Policy::discover(None, dir.path()).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, PolicyError::Untrusted { .. }), "{text}: {e:?}");
        assert!(
            msg.contains(&format!("`{key}`"))
                && msg.contains("--policy")
                && msg.starts_with(&format!("{}:{line}: ", path.display())),
            "{text}: {msg}"
        );
        // Trusted when named on the command line.
        let p = Policy::discover(Some(&path), dir.path()).unwrap();
        p.check_command_line(true).unwrap();
    }
}

/// What only tightens is the repository's own to say: more rules on or higher, more
/// severities, lower bounds, fewer registries, more attestations and admission checks; and the
/// starter policy `gate init` writes, as it is.
#[test]
fn a_tree_policy_may_tighten_every_section() {
    let texts = [
        "manifests:\n  rules:\n    GATE-SIG-001: error\n    stale-pin: error\n  pss:\n    \
         level: restricted\n  require-dapr-app-token: true\n",
        "manifests:\n  search-rules:\n    - kind: Job\n      paths: [spec.image]\n",
        "vulnerabilities:\n  severities: [MEDIUM, HIGH, CRITICAL]\n  level: error\n",
        "signatures:\n  required: true\n  level: error\n  verify-platforms: true\n  limits:\n    \
         max-layers: 10\n    max-signatures: 5\n",
        "registries:\n  allowed: ['ghcr.io/acme/*']\n",
        "attestations:\n  - predicate-type: slsaprovenance1\n    slsa:\n      source-branch: main\n",
        "admission:\n  kyverno: '1.15'\n  level: error\n",
        "max-level: error\n",
        "scanner:\n  timeout: 5m\n",
        Policy::init_text(),
        &Policy::init_text_with_key("cosign.pub"),
    ];
    for text in texts {
        let dir = tempfile::tempdir().unwrap();
        // The starter policies say `version: 1` themselves.
        let text = text.replace("version: 1\n", "");
        std::fs::write(dir.path().join(".gate.yaml"), format!("version: 1\n{text}")).unwrap();
        let p = Policy::discover(None, dir.path()).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(p.is_from_tree());
        if !text.contains("keys:") {
            p.check_command_line(true)
                .unwrap_or_else(|e| panic!("{text}: {e}"));
        }
    }
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

/// `attestations[].slsa`: parsed, validated with key and line, and allowed in a tree policy
/// (it only tightens).
#[test]
fn slsa_keys_are_validated() {
    let head = "attestations:\n  - predicate-type: slsaprovenance1\n    slsa:\n";
    let p = parse(&format!(
        "{head}      builder-id: https://github.com/acme/app/.github/workflows/release.yml\n      \
source-uri: github.com/acme/app\n      source-tag: v1.2.3\n"
    ))
    .unwrap();
    let slsa = p.settings.attestations[0].slsa.clone().unwrap();
    assert_eq!(slsa.source_uri.as_deref(), Some("github.com/acme/app"));
    assert_eq!(slsa.source_ref().as_deref(), Some("refs/tags/v1.2.3"));

    let cases = [
        (
            "attestations:\n  - predicate-type: cyclonedx\n    slsa:\n      builder-id: b\n",
            "p.yaml:4: `attestations[0].slsa` applies only to a SLSA provenance",
        ),
        (
            &format!("{head}      source-branch: main\n      source-tag: v1\n"),
            "p.yaml:4: `attestations[0].slsa` takes only one of",
        ),
        (
            &format!("{head}      builder-id: ''\n"),
            "p.yaml:4: `attestations[0].slsa.builder-id` must not be empty",
        ),
        (
            &format!("{head}      source-ref: main\n"),
            "p.yaml:4: `attestations[0].slsa.source-ref` must be a full ref",
        ),
        (
            "attestations:\n  - predicate-type: slsaprovenance1\n    slsa: {}\n",
            "`attestations[0].slsa` must name at least one of",
        ),
        (&format!("{head}      builder: b\n"), "builder"),
    ];
    for (text, want) in cases {
        let e = parse(text).unwrap_err();
        assert!(chain(&e).contains(want), "{text}: {}", chain(&e));
    }

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".gate.yaml"),
        format!("{head}      source-branch: main\n"),
    )
    .unwrap();
    let p = Policy::discover(None, dir.path()).unwrap();
    assert!(p.is_from_tree());
    p.check_command_line(true).unwrap();
}

/// `attestations[].vsa` decides which verification summaries stand in for a whole verification:
/// a `.gate.yaml` found in the tree may not set it; `--policy` may. Its `policy-sha256` must be a
/// digest and it belongs under the summary's predicate type only.
#[test]
fn vsa_requirements_are_trusted_only_and_checked() {
    use gate::policy::file::{Policy, PolicyError, PolicySource};
    let text = "attestations:\n  - predicate-type: https://slsa.dev/verification_summary/v1\n    vsa:\n      max-age: 7d\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join(".gate.yaml"), text).unwrap();
    match Policy::discover(None, dir.path()) {
        Err(PolicyError::Untrusted { key, .. }) => assert_eq!(key, "attestations[0].vsa"),
        other => panic!("a tree policy set `vsa`: {other:?}"),
    }
    let trusted = Policy::parse(text.to_string(), PolicySource::BuiltIn).unwrap();
    let vsa = trusted.settings.attestations[0].vsa.as_ref().unwrap();
    assert_eq!(
        vsa.max_age,
        Some(std::time::Duration::from_secs(7 * 86_400))
    );
    for (bad, why) in [
        ("attestations:\n  - predicate-type: slsaprovenance1\n    vsa: {}\n", "verification summary"),
        (
            "attestations:\n  - predicate-type: https://slsa.dev/verification_summary/v1\n    vsa:\n      policy-sha256: abc\n",
            "policy-sha256",
        ),
    ] {
        let err = Policy::parse(bad.to_string(), PolicySource::BuiltIn).unwrap_err();
        assert!(err.to_string().contains("vsa"), "{err}");
        assert!(format!("{err:?}").contains(why), "{err:?}");
    }
}
