//! Where Trivy's databases come from and where its caches live: the settings air-gapped and
//! large users need (`--trivy-db-repository`, `--java-db-repository`, `--skip-db-update`,
//! `--trivy-cache-backend`), turned into Trivy arguments and environment.
//!
//! With DB repositories named (a mirror), gate updates the vulnerability DB once per run, before
//! any scan, with `trivy image --download-db-only` and the mirror's own credential in that one
//! process's environment; the scans (and a shared server) then run with `--skip-db-update`. So
//! the image credentials and the mirror's never meet in one process, parallel scans do not race
//! to download, and a mirror that is missing or unreachable stops the run before any scan (could
//! not check). The cache backend (`redis://…` may carry a password) reaches Trivy only through
//! `TRIVY_CACHE_BACKEND` in its environment, never its command line.

use crate::reference::Reference;
use crate::registry::auth::{AuthSources, Credential};
use std::ffi::OsString;

/// The DB and cache settings of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrivyDb {
    /// OCI repositories of the vulnerability DB, in order of priority (Trivy's `--db-repository`).
    pub repositories: Vec<String>,
    /// OCI repository of the Java DB (Trivy's `--java-db-repository`).
    pub java_repository: Option<String>,
    /// Never update the DBs (use what Trivy's cache holds).
    pub skip_update: bool,
    /// Trivy's `--cache-backend` (`fs`, `memory`, `redis://…`).
    pub cache_backend: Option<String>,
    /// The credential for the DB mirror's registry (from the same lookup as images).
    pub credential: Option<Credential>,
    /// The mirror's registry was declared insecure (`--insecure-registry`).
    pub insecure: bool,
}

impl TrivyDb {
    /// Whether gate downloads the DB itself before the scans (a mirror is named and updates are
    /// allowed).
    pub fn downloads(&self, offline: bool) -> bool {
        !self.repositories.is_empty() && !self.skip_update && !offline
    }

    /// `trivy image --download-db-only` arguments (without `--cache-dir` and `--timeout`).
    pub fn download_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![
            "image".into(),
            "--download-db-only".into(),
            "--quiet".into(),
        ];
        args.extend(self.mirror_args());
        args
    }

    /// Where to download the DB from: `--db-repository` for each mirror, and `--insecure` when
    /// a mirror's registry is declared insecure.
    pub fn mirror_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        for r in &self.repositories {
            args.push("--db-repository".into());
            args.push(r.into());
        }
        if self.insecure {
            args.push("--insecure".into());
        }
        args
    }

    /// What a DB download is reported as (`DB mirror REPO, …`).
    pub fn mirror_subject(&self) -> String {
        format!("DB mirror {}", self.repositories.join(", "))
    }

    /// Arguments for `trivy image` (standalone or client) and `trivy server` besides the ones
    /// gate always passes. `db_ready`: this run already updated the DB.
    pub fn scan_args(&self, db_ready: bool, client: bool) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        if !client && (self.skip_update || db_ready) {
            args.push("--skip-db-update".into());
        }
        if let Some(r) = &self.java_repository {
            args.push("--java-db-repository".into());
            args.push(r.into());
        }
        if self.skip_update {
            args.push("--skip-java-db-update".into());
        }
        args
    }

    /// Arguments for `trivy server`. `download`: the server itself downloads the DB from the
    /// mirror before it listens (gate then runs no `--download-db-only` of its own).
    pub fn server_args(&self, db_ready: bool, download: bool) -> Vec<OsString> {
        if download {
            return self.mirror_args();
        }
        let mut args: Vec<OsString> = Vec::new();
        if self.skip_update || db_ready {
            args.push("--skip-db-update".into());
        }
        args
    }

    /// Environment for a process that keeps a cache (standalone scans and the server), and the
    /// strings that must never reach a message.
    pub fn cache_env(&self) -> (Vec<(&'static str, String)>, Vec<String>) {
        match &self.cache_backend {
            Some(url) => {
                let secrets = url_password(url).into_iter().collect();
                (vec![("TRIVY_CACHE_BACKEND", url.clone())], secrets)
            }
            None => (Vec::new(), Vec::new()),
        }
    }
}

/// The command line's settings over the policy's `scanner:` section.
pub fn merge(cli: &TrivyDb, policy: &super::config::Scanner) -> TrivyDb {
    TrivyDb {
        repositories: if cli.repositories.is_empty() {
            policy.db_repositories.clone()
        } else {
            cli.repositories.clone()
        },
        java_repository: cli
            .java_repository
            .clone()
            .or_else(|| policy.java_db_repository.clone()),
        skip_update: cli.skip_update || policy.skip_db_update,
        cache_backend: cli
            .cache_backend
            .clone()
            .or_else(|| policy.cache_backend.clone()),
        credential: None,
        insecure: false,
    }
}

/// A DB repository that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DbRepositoryError {
    #[error("`{reference}` is not a repository reference for Trivy's DB")]
    Reference {
        reference: String,
        #[source]
        source: crate::reference::ReferenceError,
    },
    #[error("cannot read the credential for the DB mirror `{registry}`")]
    Auth {
        registry: String,
        #[source]
        source: crate::registry::auth::AuthError,
    },
}

impl TrivyDb {
    /// Look up the mirror's registry like an image's: the credential of the first repository
    /// (Trivy's one credential serves every repository it tries), and plain HTTP when any
    /// repository's registry is declared insecure.
    pub fn with_registry(
        mut self,
        auth: &AuthSources,
        is_insecure: impl Fn(&str) -> bool,
    ) -> Result<TrivyDb, DbRepositoryError> {
        for (i, r) in self.repositories.iter().enumerate() {
            let reference = Reference::parse(r).map_err(|source| DbRepositoryError::Reference {
                reference: r.clone(),
                source,
            })?;
            self.insecure |= is_insecure(reference.domain());
            if i == 0 {
                self.credential =
                    auth.lookup(reference.domain(), reference.path())
                        .map_err(|source| DbRepositoryError::Auth {
                            registry: reference.domain().to_owned(),
                            source,
                        })?;
            }
        }
        Ok(self)
    }
}

/// The password of `scheme://user:password@host…`, if any.
fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    let password = userinfo.split_once(':')?.1;
    (!password.is_empty()).then(|| password.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: Vec<OsString>) -> String {
        v.into_iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn mirror_download_then_scans_skip_the_update() {
        let db = TrivyDb {
            repositories: vec!["mirror:5000/trivy-db".into(), "backup/trivy-db".into()],
            java_repository: Some("mirror:5000/trivy-java-db".into()),
            insecure: true,
            ..TrivyDb::default()
        };
        assert!(db.downloads(false));
        assert!(!db.downloads(true));
        assert_eq!(
            strings(db.download_args()),
            "image --download-db-only --quiet --db-repository mirror:5000/trivy-db \
             --db-repository backup/trivy-db --insecure"
        );
        assert_eq!(
            strings(db.scan_args(true, false)),
            "--skip-db-update --java-db-repository mirror:5000/trivy-java-db"
        );
        assert_eq!(
            strings(db.scan_args(true, true)),
            "--java-db-repository mirror:5000/trivy-java-db"
        );
        assert_eq!(strings(db.server_args(true, false)), "--skip-db-update");
        assert_eq!(strings(db.server_args(false, false)), "");
        assert_eq!(
            strings(db.server_args(false, true)),
            "--db-repository mirror:5000/trivy-db --db-repository backup/trivy-db --insecure"
        );
    }

    #[test]
    fn skip_update_covers_both_databases() {
        let db = TrivyDb {
            skip_update: true,
            repositories: vec!["m/db".into()],
            ..TrivyDb::default()
        };
        assert!(!db.downloads(false));
        assert_eq!(
            strings(db.scan_args(false, false)),
            "--skip-db-update --skip-java-db-update"
        );
    }

    #[test]
    fn cache_backend_travels_in_the_environment_with_its_password_secret() {
        let db = TrivyDb {
            cache_backend: Some("redis://gate:pa55@127.0.0.1:6379/0".into()),
            ..TrivyDb::default()
        };
        let (env, secrets) = db.cache_env();
        assert_eq!(
            env,
            [(
                "TRIVY_CACHE_BACKEND",
                "redis://gate:pa55@127.0.0.1:6379/0".to_string()
            )]
        );
        assert_eq!(secrets, ["pa55"]);
        assert_eq!(url_password("redis://127.0.0.1:6379"), None);
        assert_eq!(url_password("redis://:pw@h/0"), Some("pw".into()));
    }
}
