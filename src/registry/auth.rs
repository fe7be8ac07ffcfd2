//! Registry credentials, found the way docker and podman users expect.
//!
//! Sources, first match wins: `REGISTRY_AUTH_FILE`, `$DOCKER_CONFIG/config.json` (else
//! `~/.docker/config.json`), `${XDG_RUNTIME_DIR}/containers/auth.json`,
//! `~/.config/containers/auth.json`. In a docker config, `credHelpers[registry]` beats
//! `credsStore`, which beats `auths`. Keys may be spelled `https://index.docker.io/v1/`,
//! `docker.io`, `host:port` or (podman) `host/namespace/repo`; the longest matching key wins.
//! No match means anonymous. Secrets never reach `Debug`, logs or error messages.

use base64::Engine;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A credential for one registry. `Debug` never prints the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// Username and password (or a personal access token as password).
    Basic { username: String, password: String },
    /// An OAuth2 refresh token (`identitytoken` in docker's config.json).
    IdentityToken(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Basic { username, .. } => {
                write!(
                    f,
                    "Basic {{ username: {username:?}, password: <redacted> }}"
                )
            }
            Credential::IdentityToken(_) => write!(f, "IdentityToken(<redacted>)"),
        }
    }
}

/// Why credentials could not be read. Never carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("cannot read credentials file `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("credentials file `{}` is not valid JSON", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("credentials file `{}`: the `auth` entry for `{key}` is not base64 `user:password`", path.display())]
    BadAuthField { path: PathBuf, key: String },
    #[error("credential helper `docker-credential-{helper}` is not installed (named in `{}`)", path.display())]
    HelperMissing { helper: String, path: PathBuf },
    #[error("credential helper `docker-credential-{helper}` failed for `{registry}`: {message}")]
    HelperFailed {
        helper: String,
        registry: String,
        message: String,
    },
    #[error("could not run credential helper `docker-credential-{helper}`")]
    HelperSpawn {
        helper: String,
        #[source]
        source: std::io::Error,
    },
}

/// Where to look for credentials. [`AuthSources::from_env`] is what users get; tests build one
/// explicitly so they never touch the process environment.
#[derive(Debug, Clone, Default)]
pub struct AuthSources {
    /// Credential files in order of precedence (docker config.json or containers auth.json).
    pub files: Vec<PathBuf>,
    /// Where `docker-credential-*` helpers are looked up; `None` means `$PATH`.
    pub helper_path: Option<std::ffi::OsString>,
}

impl AuthSources {
    /// The files docker and podman read, in order, as far as the environment names them.
    pub fn from_env() -> Self {
        let env = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let home = env("HOME");
        let mut files = Vec::new();
        if let Some(p) = env("REGISTRY_AUTH_FILE") {
            files.push(p);
        }
        match env("DOCKER_CONFIG") {
            Some(d) => files.push(d.join("config.json")),
            None => files.extend(home.as_ref().map(|h| h.join(".docker/config.json"))),
        }
        if let Some(x) = env("XDG_RUNTIME_DIR") {
            files.push(x.join("containers/auth.json"));
        }
        files.extend(home.map(|h| h.join(".config/containers/auth.json")));
        Self {
            files,
            helper_path: None,
        }
    }

    /// The credential for `domain` (and repository `path`), or `None` for anonymous access.
    /// Files that do not exist are skipped; a file that exists but cannot be read is an error.
    pub fn lookup(&self, domain: &str, path: &str) -> Result<Option<Credential>, AuthError> {
        for file in &self.files {
            let text = match std::fs::read_to_string(file) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => {
                    return Err(AuthError::Read {
                        path: file.clone(),
                        source,
                    })
                }
            };
            let config: ConfigFile =
                serde_json::from_str(&text).map_err(|source| AuthError::Parse {
                    path: file.clone(),
                    source,
                })?;
            if let Some(c) = self.lookup_in(&config, file, domain, path)? {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    fn lookup_in(
        &self,
        config: &ConfigFile,
        file: &Path,
        domain: &str,
        path: &str,
    ) -> Result<Option<Credential>, AuthError> {
        let registry = canonical_registry(domain);
        let helper = config
            .cred_helpers
            .iter()
            .find(|(k, _)| canonical_registry(&key_host(k)) == registry)
            .map(|(_, v)| v)
            .or(config.creds_store.as_ref())
            .filter(|h| !h.is_empty());
        if let Some(helper) = helper {
            if let Some(c) = self.run_helper(helper, file, &registry)? {
                return Ok(Some(c));
            }
        }
        let repo = format!("{registry}/{path}");
        let best = config
            .auths
            .iter()
            .filter_map(|(k, v)| {
                let key = normalise_key(k);
                // The registry, the repository itself, or a namespace above it.
                let hit = key == registry
                    || key == repo
                    || (repo.starts_with(&key) && repo.as_bytes().get(key.len()) == Some(&b'/'));
                hit.then_some((key.len(), k, v))
            })
            .max_by_key(|(len, _, _)| *len);
        let Some((_, key, entry)) = best else {
            return Ok(None);
        };
        entry.credential(file, key)
    }

    fn run_helper(
        &self,
        helper: &str,
        file: &Path,
        registry: &str,
    ) -> Result<Option<Credential>, AuthError> {
        let name = format!("docker-credential-{helper}");
        let found = match &self.helper_path {
            Some(p) => which::which_in(&name, Some(p), "."),
            None => which::which(&name),
        };
        let exe = found.map_err(|_not_found| AuthError::HelperMissing {
            helper: helper.to_string(),
            path: file.to_path_buf(),
        })?;
        // Docker Hub's helpers store the legacy index URL.
        let server = if registry == "docker.io" {
            "https://index.docker.io/v1/".to_string()
        } else {
            registry.to_string()
        };
        let spawn_err = |source| AuthError::HelperSpawn {
            helper: helper.to_string(),
            source,
        };
        let mut child = Command::new(exe)
            .arg("get")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(spawn_err)?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(server.as_bytes()).map_err(spawn_err)?;
        }
        let out = child.wait_with_output().map_err(spawn_err)?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            // "credentials not found in native keychain" means: no entry, go on anonymously.
            if stdout.contains("credentials not found") {
                return Ok(None);
            }
            let stderr = String::from_utf8_lossy(&out.stderr);
            let message = stderr
                .lines()
                .chain(stdout.lines())
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("exited with an error")
                .chars()
                .take(200)
                .collect();
            return Err(AuthError::HelperFailed {
                helper: helper.to_string(),
                registry: registry.to_string(),
                message,
            });
        }
        let reply: HelperReply =
            serde_json::from_slice(&out.stdout).map_err(|_bad_json| AuthError::HelperFailed {
                helper: helper.to_string(),
                registry: registry.to_string(),
                message: "printed something that is not a credential JSON object".into(),
            })?;
        Ok(Some(if reply.username == "<token>" {
            Credential::IdentityToken(reply.secret)
        } else {
            Credential::Basic {
                username: reply.username,
                password: reply.secret,
            }
        }))
    }
}

#[derive(Deserialize, Default)]
struct ConfigFile {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: HashMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default, rename = "identitytoken")]
    identity_token: Option<String>,
}

impl AuthEntry {
    fn credential(&self, file: &Path, key: &str) -> Result<Option<Credential>, AuthError> {
        if let Some(t) = self.identity_token.as_ref().filter(|t| !t.is_empty()) {
            return Ok(Some(Credential::IdentityToken(t.clone())));
        }
        if let Some(a) = self.auth.as_ref().filter(|a| !a.is_empty()) {
            let bad = || AuthError::BadAuthField {
                path: file.to_path_buf(),
                key: key.to_string(),
            };
            let raw = base64::engine::general_purpose::STANDARD
                .decode(a.trim())
                .map_err(|_not_base64| bad())?;
            let text = String::from_utf8(raw).map_err(|_not_utf8| bad())?;
            let (u, p) = text.split_once(':').ok_or_else(bad)?;
            return Ok(Some(Credential::Basic {
                username: u.to_string(),
                password: p.trim_end_matches('\n').to_string(),
            }));
        }
        match (&self.username, &self.password) {
            (Some(u), Some(p)) if !u.is_empty() => Ok(Some(Credential::Basic {
                username: u.clone(),
                password: p.clone(),
            })),
            _ => Ok(None),
        }
    }
}

#[derive(Deserialize)]
struct HelperReply {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

/// `https://index.docker.io/v1/` → `index.docker.io`; `http://host:5000/x` → `host:5000`.
fn key_host(key: &str) -> String {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    k.split('/').next().unwrap_or(k).to_string()
}

/// A config key as `registry[/repo/path]`, with Docker Hub's spellings folded to `docker.io`.
fn normalise_key(key: &str) -> String {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key)
        .trim_end_matches('/');
    let (host, rest) = match k.split_once('/') {
        Some((h, r)) => (h, r),
        None => (k, ""),
    };
    let host = canonical_registry(host);
    // `index.docker.io/v1` is the legacy URL, not a repository.
    let rest = if rest == "v1" || rest == "v2" {
        ""
    } else {
        rest
    };
    if rest.is_empty() {
        host
    } else {
        format!("{host}/{rest}")
    }
}

/// Docker Hub has many names; they all mean `docker.io`.
pub fn canonical_registry(host: &str) -> String {
    match host {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" | "docker.io" => {
            "docker.io".to_string()
        }
        h => h.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(json: &str) -> (tempfile::TempDir, AuthSources) {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config.json");
        std::fs::write(&f, json).unwrap();
        let s = AuthSources {
            files: vec![f],
            helper_path: Some(dir.path().as_os_str().to_owned()),
        };
        (dir, s)
    }

    #[test]
    fn docker_hub_key_spellings_match() {
        let b64 = base64::engine::general_purpose::STANDARD.encode("u:p:w");
        let (_d, s) = sources(&format!(
            r#"{{"auths": {{"https://index.docker.io/v1/": {{"auth": "{b64}"}}}}}}"#
        ));
        let c = s.lookup("docker.io", "library/nginx").unwrap().unwrap();
        assert_eq!(
            c,
            Credential::Basic {
                username: "u".into(),
                password: "p:w".into()
            }
        );
        assert!(s.lookup("ghcr.io", "x/y").unwrap().is_none());
    }

    #[test]
    fn longest_repository_key_wins_and_identity_tokens_are_kept() {
        let (_d, s) = sources(
            r#"{"auths": {
                "quay.io": {"username": "a", "password": "1"},
                "quay.io/team": {"identitytoken": "refresh"}}}"#,
        );
        assert_eq!(
            s.lookup("quay.io", "team/app").unwrap(),
            Some(Credential::IdentityToken("refresh".into()))
        );
        assert!(matches!(
            s.lookup("quay.io", "teamx/app").unwrap(),
            Some(Credential::Basic { .. })
        ));
        // A key naming the repository itself matches it (and only it).
        let (_d, s) =
            sources(r#"{"auths": {"quay.io/team/app": {"username": "a", "password": "1"}}}"#);
        assert!(s.lookup("quay.io", "team/app").unwrap().is_some());
        assert!(s.lookup("quay.io", "team/app2").unwrap().is_none());
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = Credential::Basic {
            username: "me".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!format!("{:?}", Credential::IdentityToken("tok".into())).contains("tok"));
    }

    #[test]
    fn malformed_file_names_the_file() {
        let (_d, s) = sources("{not json");
        let e = s.lookup("x.io", "a").unwrap_err();
        assert!(e.to_string().contains("config.json"), "{e}");
    }

    #[test]
    fn missing_helper_is_an_error_naming_it() {
        let (_d, s) = sources(r#"{"credsStore": "nosuch"}"#);
        let e = s.lookup("x.io", "a").unwrap_err();
        assert!(e.to_string().contains("docker-credential-nosuch"), "{e}");
    }
}
