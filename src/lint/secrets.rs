//! The one secret detector: what a secret looks like by its name (`DB_PASSWORD`, `API_KEY`,
//! `AZURE_BATCH_KEY`, …), by a well-known token format in its value (cloud keys, Git forge
//! tokens, private keys, JWTs, URLs with passwords), or as a `password=…` line of an embedded
//! file. Shared by env values (GATE-K8S-050), ConfigMaps (GATE-K8S-051) and literal Secrets
//! (GATE-K8S-052), so they never disagree; `gate explain GATE-K8S-050` lists every pattern (a
//! test keeps that list complete). Messages name the format, never the value.

use regex::{Regex, RegexSet};
use std::sync::LazyLock;

/// Name fragments that mark a secret.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "API_KEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
    "KEY_CONTENT",
    "KEY_DATA",
    "KEY_MATERIAL",
    "SIGNING_KEY",
    "CLIENT_KEY",
    "MASTER_KEY",
    "ENCRYPTION_KEY",
    "CONNECTION_STRING",
];

/// Whole words that mark a secret (and `KEY`, unless [`NOT_SECRET_KEYS`] precedes it).
const SECRET_WHOLE_WORDS: &[&str] = &["PWD", "AUTH"];

/// Words before `KEY` that make it something other than a secret (`PUBLIC_KEY`, `SORT_KEY`).
const NOT_SECRET_KEYS: &[&str] = &[
    "PUBLIC",
    "PARTITION",
    "SORT",
    "PRIMARY",
    "FOREIGN",
    "CACHE",
    "ROUTING",
    "SHARD",
    "HASH",
    "IDEMPOTENCY",
    "LABEL",
    "LOOKUP",
    "INDEX",
    "MAP",
    "GROUP",
];

/// Last words that make a secret-looking name about something else (`PASSWORD_FILE`).
const NOT_SECRET_SUFFIXES: &[&str] = &[
    "FILE",
    "PATH",
    "URL",
    "URI",
    "DIR",
    "NAME",
    "HOST",
    "PORT",
    "ENDPOINT",
    "TYPE",
    "ID",
    "TTL",
    "EXPIRY",
    "LENGTH",
    "HEADER",
    "ENABLED",
    "REF",
    "KEY_REF",
    "SECRET_REF",
    "AUDIENCE",
];

/// Does an environment variable or key name look like it holds a secret?
pub fn secret_name(name: &str) -> bool {
    // `privateKey` → `PRIVATE_KEY`, `db.password` → `DB_PASSWORD`.
    let mut n = String::with_capacity(name.len() + 4);
    let mut lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() && lower {
            n.push('_');
        }
        lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        n.push(match c {
            '-' | '.' => '_',
            c => c.to_ascii_uppercase(),
        });
    }
    let words: Vec<&str> = n.split('_').filter(|w| !w.is_empty()).collect();
    // `KEY` on its own word is a secret unless the word before makes it a public or data key.
    let key = words
        .iter()
        .enumerate()
        .any(|(i, w)| *w == "KEY" && (i == 0 || !NOT_SECRET_KEYS.contains(&words[i - 1])));
    let hit = SECRET_WORDS.iter().any(|w| n.contains(w))
        || words.iter().any(|w| SECRET_WHOLE_WORDS.contains(w))
        || key;
    let about_something_else = words
        .last()
        .is_some_and(|w| NOT_SECRET_SUFFIXES.contains(w));
    hit && !about_something_else
}

/// A value worth reporting under a secret-looking name: not empty, not a `$VAR` placeholder.
pub fn literal_value(value: &str) -> bool {
    let v = value.trim();
    let placeholder = v.starts_with('$') || (v.starts_with('<') && v.ends_with('>'));
    !v.is_empty() && !placeholder
}

const FORMATS: &[(&str, &str)] = &[
    (r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", "an AWS access key"),
    (r"\bgh[pousr]_[A-Za-z0-9]{36,}\b", "a GitHub token"),
    (r"\bgithub_pat_[A-Za-z0-9_]{22,}\b", "a GitHub token"),
    (r"\bglpat-[A-Za-z0-9_-]{20,}\b", "a GitLab token"),
    (r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b", "a Slack token"),
    (r"\bAIza[0-9A-Za-z_-]{35}\b", "a Google API key"),
    (r"\b[sr]k_live_[0-9A-Za-z]{24,}\b", "a Stripe key"),
    (r"\bnpm_[A-Za-z0-9]{36}\b", "an npm token"),
    (
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
        "a private key",
    ),
    (r"\bAccountKey=[A-Za-z0-9+/=]{20,}", "an Azure storage key"),
    (
        r"\bSharedAccessKey=[A-Za-z0-9+/=]{20,}",
        "an Azure shared access key",
    ),
    (r"\bsig=[A-Za-z0-9%+/=]{30,}", "an Azure SAS token"),
    (
        r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+",
        "a Slack webhook URL",
    ),
    (r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}", "an OpenAI API key"),
    (r"\bhvs\.[A-Za-z0-9_-]{24,}", "a HashiCorp Vault token"),
    (
        r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
        "a JSON Web Token",
    ),
    (
        r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@$]+@",
        "a URL with a password",
    ),
];

static SET: LazyLock<Option<RegexSet>> =
    LazyLock::new(|| RegexSet::new(FORMATS.iter().map(|(p, _)| p)).ok());

/// The name of the token format `value` contains, if any.
pub fn token_format(value: &str) -> Option<&'static str> {
    let set = SET.as_ref()?;
    set.matches(value).iter().next().map(|i| FORMATS[i].1)
}

/// Why a named value is a secret, and on which line of the value (0-based) the evidence is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// What it looks like, as a phrase: `holds what looks like a private key`.
    pub why: String,
    pub line: usize,
}

/// The shared detector: is the value `value` under the name `name` a secret? A token format in
/// the value wins; then a secret-looking name with a literal one-line value; then a
/// secret-looking `key=value` line in a multi-line value.
pub fn detect(name: &str, value: &str) -> Option<Detection> {
    if let Some(format) = token_format(value) {
        let line = value
            .lines()
            .position(|l| token_format(l).is_some())
            .unwrap_or(0);
        return Some(Detection {
            why: format!("holds what looks like {format}"),
            line,
        });
    }
    if secret_name(name) && literal_value(value) && !value.trim().contains('\n') {
        return Some(Detection {
            why: "has a secret-looking name and a literal value".to_string(),
            line: 0,
        });
    }
    secret_lines(value).first().map(|&line| Detection {
        why: "embeds a secret-looking setting with a literal value".to_string(),
        line,
    })
}

/// The line of the evidence in a file: a literal block's node starts at its first content line
/// and keeps the file's lines; other styles fold lines, so they point at the value.
pub fn evidence_line(value: &crate::yaml::Node, d: &Detection) -> usize {
    use crate::yaml::{Style, Value};
    match value.value {
        Value::Scalar(_, Style::Literal) => value.line + d.line,
        _ => value.line,
    }
}

/// Every pattern the detector knows, for the explain text test.
#[cfg(test)]
pub fn patterns() -> impl Iterator<Item = &'static str> {
    SECRET_WORDS
        .iter()
        .chain(SECRET_WHOLE_WORDS)
        .chain(&["KEY"])
        .copied()
        .chain(FORMATS.iter().map(|(_, name)| *name))
}

/// `key = value` / `key: value` lines in a file-like value whose key looks secret and whose value
/// is literal: the 0-based line offsets.
pub fn secret_lines(text: &str) -> Vec<usize> {
    static LINE: LazyLock<Option<Regex>> = LazyLock::new(|| {
        Regex::new(r#"^\s*(?:export\s+)?["']?([A-Za-z0-9_.\-]+)["']?\s*[:=]\s*["']?([^"'\s#]*)"#)
            .ok()
    });
    let Some(re) = LINE.as_ref() else {
        return Vec::new();
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            re.captures(l)
                .is_some_and(|c| secret_name(&c[1]) && literal_value(&c[2]))
        })
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_secret_names() {
        for n in [
            "DB_PASSWORD",
            "api-key",
            "GITHUB_TOKEN",
            "client.secret",
            "PWD",
            "AWS_SECRET_ACCESS_KEY",
        ] {
            assert!(secret_name(n), "{n}");
        }
        for n in [
            "AZURE_BATCH_KEY",
            "OCI_CLI_KEY_CONTENT",
            "ssh-key",
            "STRIPE_API_KEY",
            "privateKey",
            "clientSecret",
        ] {
            assert!(secret_name(n), "{n}");
        }
        for n in [
            "PUBLIC_KEY",
            "PARTITION_KEY",
            "KEY_ID",
            "MONKEY",
            "PASSWORD_FILE",
            "TOKEN_URL",
            "LOG_LEVEL",
            "SECRET_NAME",
            "AWS_ACCESS_KEY_ID",
            "PORT",
        ] {
            assert!(!secret_name(n), "{n}");
        }
    }

    #[test]
    fn recognises_token_formats() {
        assert_eq!(
            token_format("AKIAIOSFODNN7EXAMPLE"),
            Some("an AWS access key")
        );
        assert_eq!(
            token_format("postgres://app:hunter2@db:5432/app"),
            Some("a URL with a password")
        );
        assert_eq!(
            token_format("-----BEGIN RSA PRIVATE KEY-----\nMII"),
            Some("a private key")
        );
        assert_eq!(token_format("https://example.com/path"), None);
        assert_eq!(
            token_format("-----BEGIN PGP PRIVATE KEY BLOCK-----"),
            Some("a private key")
        );
        assert_eq!(
            token_format("-----BEGIN OPENSSH PRIVATE KEY-----"),
            Some("a private key")
        );
        assert_eq!(
            secret_lines("a=1\ndb.password=hunter2\ntoken=${T}\n"),
            vec![1]
        );
    }
}

#[cfg(test)]
mod detect_tests {
    use super::*;

    /// The issue's disagreements: each is caught under either name, by the same function.
    #[test]
    fn one_detector_for_names_formats_and_embedded_lines() {
        assert!(detect("AZURE_BATCH_KEY", "abc123").is_some());
        assert!(detect("OCI_CLI_KEY_CONTENT", "MIIEvQ").is_some());
        let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n";
        assert_eq!(
            detect("STARTUP_BLOB", key).map(|d| d.why),
            Some("holds what looks like a private key".to_string())
        );
        assert_eq!(
            detect("app.ini", "a=1\ndb.password=hunter2\n").map(|d| d.line),
            Some(1)
        );
        assert_eq!(detect("DB_PASSWORD", "${DB_PASSWORD}"), None);
        assert_eq!(detect("LOG_LEVEL", "debug"), None);
    }
}
