//! Trivy sees exactly what gate asks for, and only the credential of the registry it scans.
//!
//! Trivy reads `trivy.yaml` and `.trivyignore` from its working directory and every `TRIVY_*`
//! variable from its environment, so a file in the tree under check (or a stray variable in CI)
//! could make findings vanish before gate sees them. Every Trivy process therefore runs in an
//! empty private directory of the run, with `--config` and `--ignorefile` naming files that do
//! not exist there, and with the inherited `TRIVY_*` variables removed (gate sets its own after).
//! gate applies ignore files itself, where the trusted policy names them.
//!
//! Registry credentials reach Trivy as a per-scan docker `config.json` (`DOCKER_CONFIG`) holding
//! only the scanned registry's entry, which Trivy offers to that registry alone; never as the
//! registry-agnostic `TRIVY_USERNAME`/`TRIVY_PASSWORD`, which it would also send to the
//! vulnerability-DB registries it contacts.

use crate::registry::auth::Credential;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The private directory Trivy runs in, and the per-scan docker configs below it.
#[derive(Debug)]
pub struct Sandbox {
    dir: tempfile::TempDir,
    next: AtomicUsize,
}

impl Sandbox {
    pub fn new() -> std::io::Result<Self> {
        let dir = tempfile::Builder::new().prefix("gate-trivy-").tempdir()?;
        std::fs::create_dir(dir.path().join("work"))?;
        std::fs::create_dir(dir.path().join("reports"))?;
        // Real Trivy refuses a `--config` that does not exist: an empty config and ignore file
        // of gate's own, beside (not in) the working directory.
        let conf = dir.path().join("conf");
        std::fs::create_dir(&conf)?;
        std::fs::write(
            conf.join("trivy.yaml"),
            "# gate: no settings from the tree\n",
        )?;
        std::fs::write(conf.join("trivyignore"), "")?;
        Ok(Self {
            dir,
            next: AtomicUsize::new(0),
        })
    }

    /// The empty working directory.
    pub fn workdir(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// `--config` and `--ignorefile` at gate's own empty files (so Trivy reads neither the
    /// tree's nor its working directory's), to go right after the subcommand. `ignorefile`: the
    /// subcommand filters findings.
    pub fn args(&self, ignorefile: bool) -> Vec<OsString> {
        let conf = self.dir.path().join("conf");
        let mut args = vec!["--config".into(), conf.join("trivy.yaml").into()];
        if ignorefile {
            args.push("--ignorefile".into());
            args.push(conf.join("trivyignore").into());
        }
        args
    }

    /// A fresh path for one scan's raw report (see [`super::spool`]), beside the working
    /// directory, never in it.
    pub fn report_path(&self) -> PathBuf {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        self.dir.path().join("reports").join(format!("{n}.json"))
    }

    /// A fresh docker config directory holding only `registry`'s entry for `credential`
    /// (an empty one without a credential), for `DOCKER_CONFIG`.
    pub fn docker_config(
        &self,
        registry: &str,
        credential: Option<&Credential>,
    ) -> std::io::Result<PathBuf> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let dir = self.dir.path().join(format!("docker-{n}"));
        std::fs::create_dir(&dir)?;
        let entry = match credential {
            None => None,
            Some(Credential::Basic { username, password }) => {
                Some(serde_json::json!({ "username": username, "password": password }))
            }
            Some(Credential::IdentityToken(t)) => Some(serde_json::json!({ "identitytoken": t })),
        };
        let mut auths = serde_json::Map::new();
        if let Some(entry) = entry {
            auths.insert(config_key(registry).to_owned(), entry);
        }
        let config = serde_json::json!({ "auths": auths });
        let mut f = private_file(&dir.join("config.json"))?;
        f.write_all(config.to_string().as_bytes())?;
        Ok(dir)
    }
}

/// The `auths` key Trivy (go-containerregistry) looks up for `registry`.
fn config_key(registry: &str) -> &str {
    match registry {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => "https://index.docker.io/v1/",
        r => r,
    }
}

/// The registry part of `repo@digest` (`host[:port]`).
pub fn registry_of(image: &str) -> &str {
    image.split('/').next().unwrap_or(image)
}

fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)
}

/// Put `cmd` in the sandbox: run in the empty directory, drop every inherited `TRIVY_*`
/// variable and the docker config location (the caller sets the ones gate means).
pub fn confine(cmd: &mut tokio::process::Command, sandbox: &Sandbox) {
    cmd.current_dir(sandbox.workdir());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("TRIVY_") {
            cmd.env_remove(&k);
        }
    }
    cmd.env("DOCKER_CONFIG", sandbox.dir.path().join("no-docker-config"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_config_holds_only_the_scanned_registry() {
        let s = Sandbox::new().unwrap();
        let cred = Credential::Basic {
            username: "u".into(),
            password: "p".into(),
        };
        let dir = s
            .docker_config(registry_of("ghcr.io/a/b@sha256:00"), Some(&cred))
            .unwrap();
        let text = std::fs::read_to_string(dir.join("config.json")).unwrap();
        assert_eq!(
            text,
            r#"{"auths":{"ghcr.io":{"password":"p","username":"u"}}}"#
        );
        let hub = s.docker_config("docker.io", Some(&cred)).unwrap();
        let text = std::fs::read_to_string(hub.join("config.json")).unwrap();
        assert!(text.contains("https://index.docker.io/v1/"), "{text}");
        let none = s.docker_config("ghcr.io", None).unwrap();
        let text = std::fs::read_to_string(none.join("config.json")).unwrap();
        assert_eq!(text, r#"{"auths":{}}"#);
        assert_eq!(std::fs::read_dir(s.workdir()).unwrap().count(), 0);
    }
}
