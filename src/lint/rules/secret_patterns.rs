//! What a secret looks like: names (`DB_PASSWORD`, `API_KEY`, …) and well-known token formats
//! (cloud keys, Git forge tokens, private keys, JWTs, URLs with passwords). Shared by the env and
//! ConfigMap rules. Messages name the format, never the value.

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
    let n: String = name
        .chars()
        .map(|c| match c {
            '-' | '.' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    let words: Vec<&str> = n.split('_').filter(|w| !w.is_empty()).collect();
    let hit = SECRET_WORDS.iter().any(|w| n.contains(w))
        || words.iter().any(|w| matches!(*w, "PWD" | "AUTH"));
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
    (r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----", "a private key"),
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
            secret_lines("a=1\ndb.password=hunter2\ntoken=${T}\n"),
            vec![1]
        );
    }
}
