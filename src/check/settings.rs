//! The policy file turned into each stage's typed settings, once, before anything runs; and the
//! policy's severities applied to findings after the stages report.

// Settings errors happen once per run, before any work, and are only printed.
#![allow(clippy::result_large_err)]

use super::CheckSettings;
use crate::discover::{SearchRuleSpec, SearchRules};
use crate::exception::Exception;
use crate::finding::Finding;
use crate::lint::LintConfig;
use crate::policy::file::{Identity, KeyRef, Policy, PolicySource, PssLevel};
use crate::resolve::{Mirror, ResolveConfig};
use crate::scan::{IgnoreFile, ScanConfig, VulnPolicy};
use crate::verify::policy::{predicate_type_alias, ImageRequirement, Limits, RequiredAttestation};
use crate::verify::{KeylessIdentity, Matcher, TrustedKey, VerifyPolicy};
use std::path::{Path, PathBuf};

/// Why the policy could not be turned into settings (exit 2, naming what is wrong).
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Policy(#[from] crate::policy::file::PolicyError),
    #[error(transparent)]
    TrivyDb(#[from] crate::scan::db::DbRepositoryError),
    #[error("policy `{policy}`: cannot load trusted key `{key}`")]
    Key {
        policy: String,
        key: String,
        #[source]
        source: Box<crate::verify::KeyError>,
    },
    #[error("policy `{policy}`: invalid signature settings")]
    Verify {
        policy: String,
        #[source]
        source: Box<crate::verify::VerifyError>,
    },
    #[error("policy `{policy}`: invalid image glob `{glob}`")]
    Glob {
        policy: String,
        glob: String,
        #[source]
        source: globset::Error,
    },
    #[error("policy `{policy}`: invalid search rule")]
    SearchRule {
        policy: String,
        #[source]
        source: crate::discover::SearchRuleError,
    },
    #[error("policy `{policy}`: invalid `admission` verifier version")]
    Admission {
        policy: String,
        #[source]
        source: crate::verify::layout::BadVersion,
    },
    #[error("policy `{policy}`: invalid Pod Security Standards version `{version}`")]
    PssVersion { policy: String, version: String },
    #[error("policy `{policy}`: invalid `scanner.platforms` entry")]
    Platform {
        policy: String,
        #[source]
        source: crate::platform::ParseError,
    },
    #[error("policy `{policy}`: invalid mirror: {message}")]
    Mirror { policy: String, message: String },
    #[error("cannot read the ignore file `{}`", path.display())]
    IgnoreFile {
        path: PathBuf,
        #[source]
        source: crate::scan::ignore::IgnoreError,
    },
}

/// What the command line adds to or overrides in the policy.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--key`: trusted keys in addition to the policy's.
    pub keys: Vec<String>,
    /// `--certificate-identity` and friends: a keyless signer in addition to the policy's.
    pub identities: Vec<crate::policy::file::Identity>,
    pub trivy: Option<PathBuf>,
    pub trivy_server: Option<String>,
    pub sbom_dir: Option<PathBuf>,
    pub offline: bool,
    pub no_cache: bool,
    pub skip_scan: bool,
    /// Trivy's DBs and caches (`--trivy-db-repository`, …), over the policy's `scanner:`.
    pub trivy_db: crate::scan::TrivyDb,
    pub trivy_cache_dir: Option<PathBuf>,
    /// `--scan-timeout`, over the policy's `scanner.timeout`.
    pub scan_timeout: Option<std::time::Duration>,
    /// `gate lint --pss-level` / `--pss-version`, over the policy's.
    pub pss_level: Option<crate::lint::pss::Level>,
    pub pss_version: Option<crate::lint::pss::Version>,
    /// `--trusted-root`, `--tuf-mirror`, `--tuf-root`, over the policy's.
    pub trust: crate::verify::tuf::TrustChoice,
    /// How the TUF client runs (`--offline`, timeout, CA files).
    pub tuf: crate::verify::tuf::TufOptions,
}

/// The `trusted_root.json` to verify with: the command line's choice over the policy's; through
/// TUF when keyless identities need it or a TUF mirror or root was named. Key-only policies that
/// name nothing keep the root shipped in gate (for Rekor entries of key signatures), so a
/// key-only check needs no network for trust.
fn trust_root(
    policy: &Policy,
    o: &Overrides,
    keyless: bool,
) -> Result<Option<PathBuf>, crate::verify::VerifyError> {
    let s = &policy.settings.signatures;
    let from_policy = crate::verify::tuf::TrustChoice {
        trusted_root: s.trusted_root.as_ref().map(|r| policy.resolve_path(r)),
        tuf_mirror: s.tuf_mirror.clone(),
        tuf_root: s.tuf_root.as_ref().map(|r| policy.resolve_path(r)),
    };
    let choice = o.trust.clone().over(from_policy);
    if choice.is_empty() && !keyless {
        return Ok(None);
    }
    Ok(Some(choice.resolve(&o.tuf).map_err(Box::new)?))
}

fn load_key(policy: &Policy, k: &KeyRef) -> Result<TrustedKey, SettingsError> {
    let spec = match k {
        KeyRef::Path(p) => policy.resolve_path(p).to_string_lossy().into_owned(),
        KeyRef::Env(v) => format!("env://{v}"),
    };
    TrustedKey::load(&spec).map_err(|source| SettingsError::Key {
        policy: policy.source.to_string(),
        key: spec,
        source: Box::new(source),
    })
}

/// One `attestations:` entry with its own signers, image globs and SLSA requirement loaded.
fn required_attestation(
    policy: &Policy,
    a: &crate::policy::file::AttestationRule,
) -> Result<RequiredAttestation, SettingsError> {
    let images = a
        .images
        .iter()
        .map(|g| {
            globset::Glob::new(g)
                .map(|g| g.compile_matcher())
                .map_err(|source| SettingsError::Glob {
                    policy: policy.source.to_string(),
                    glob: g.clone(),
                    source,
                })
        })
        .collect::<Result<_, _>>()?;
    let slsa =
        a.slsa
            .as_ref()
            .map_or_else(Default::default, |s| crate::verify::slsa::SlsaRequirement {
                builder_id: s.builder_id.clone(),
                source_uri: s.source_uri.clone(),
                source_ref: s.source_ref(),
            });
    Ok(RequiredAttestation {
        predicate_type: predicate_type_alias(&a.predicate_type).to_string(),
        keys: a
            .keys
            .iter()
            .map(|k| load_key(policy, k))
            .collect::<Result<_, _>>()?,
        identities: a
            .identities
            .iter()
            .map(|i| identity(policy, i))
            .collect::<Result<_, _>>()?,
        images,
        slsa,
        vsa: a.vsa.as_ref().map(|v| crate::verify::vsa::VsaRequirement {
            max_age: v.max_age,
            policy_sha256: v.policy_sha256.clone().unwrap_or_else(|| policy.sha256()),
            verifier_id: v
                .verifier_id
                .clone()
                .unwrap_or_else(|| crate::verify::vsa::VERIFIER_ID.to_string()),
        }),
    })
}

fn identity(policy: &Policy, i: &Identity) -> Result<KeylessIdentity, SettingsError> {
    let bad = |source| SettingsError::Verify {
        policy: policy.source.to_string(),
        source: Box::new(source),
    };
    let matcher =
        |exact: &Option<String>, re: &Option<String>| -> Result<Option<Matcher>, SettingsError> {
            match (exact, re) {
                (Some(e), _) => Ok(Some(Matcher::Exact(e.clone()))),
                (None, Some(r)) => Matcher::regex(r).map(Some).map_err(bad),
                (None, None) => Ok(None),
            }
        };
    let subject = matcher(&i.identity, &i.identity_regexp)?
        .unwrap_or_else(|| Matcher::Regex(regex::Regex::new("^.*$").expect("a valid regex")));
    let gh = i.github.clone().unwrap_or_default();
    Ok(KeylessIdentity {
        issuer: matcher(&i.issuer, &i.issuer_regexp)?,
        subject,
        github_repository: gh.repository,
        github_ref: gh.git_ref,
        github_trigger: gh.trigger,
    })
}

/// Exceptions for the scanner (vulnerability IDs or `GATE-VULN` rules) and for lint (the rest).
fn split_exceptions(policy: &Policy) -> Result<(Vec<Exception>, Vec<Exception>), SettingsError> {
    let is_scan = |e: &Exception| {
        (!e.ids.is_empty() && e.rules.is_empty())
            || e.rules.iter().any(|r| {
                r.to_ascii_uppercase().starts_with("GATE-VULN") || r == "vulnerable-package"
            })
    };
    let scan = policy
        .fresh_exceptions()?
        .into_iter()
        .filter(is_scan)
        .collect();
    let lint = policy
        .fresh_exceptions()?
        .into_iter()
        .filter(|e| !is_scan(e))
        .collect();
    Ok((scan, lint))
}

/// The lint stage's settings: Pod Security level and version (the command line's first), the
/// policy's exceptions for it, the Dapr requirement. Nothing else of the policy is loaded (a
/// signing key it names is none of lint's business).
pub fn lint_settings(policy: &Policy, o: &Overrides) -> Result<LintConfig, SettingsError> {
    let (_, lint_exceptions) = split_exceptions(policy)?;
    lint_config(policy, lint_exceptions, o)
}

fn lint_config(
    policy: &Policy,
    lint_exceptions: Vec<Exception>,
    o: &Overrides,
) -> Result<LintConfig, SettingsError> {
    let p = &policy.settings;
    let name = policy.source.to_string();
    let level = match p.manifests.pss.level {
        PssLevel::Privileged => crate::lint::pss::Level::Privileged,
        PssLevel::Baseline => crate::lint::pss::Level::Baseline,
        PssLevel::Restricted => crate::lint::pss::Level::Restricted,
    };
    let version = p
        .manifests
        .pss
        .version
        .parse()
        .map_err(|_bad| SettingsError::PssVersion {
            policy: name.clone(),
            version: p.manifests.pss.version.clone(),
        })?;
    Ok(LintConfig {
        level: o.pss_level.unwrap_or(level),
        version: o.pss_version.unwrap_or(version),
        exceptions: lint_exceptions,
        require_dapr_app_token: p.manifests.require_dapr_app_token,
    })
}

/// The policy's `registries` (mirrors, insecure registries) added to `resolve`.
pub fn registries(policy: &Policy, resolve: &mut ResolveConfig) -> Result<(), SettingsError> {
    let p = &policy.settings;
    for (src, dst) in &p.registries.mirrors {
        let m: Mirror =
            format!("{src}={dst}")
                .parse()
                .map_err(|message| SettingsError::Mirror {
                    policy: policy.source.to_string(),
                    message,
                })?;
        resolve.mirrors.push(m);
    }
    resolve
        .client
        .insecure
        .extend(p.registries.insecure.iter().cloned());
    Ok(())
}

/// The search rules discovery uses: the built-in ones plus the policy's `manifests.search-rules`.
/// How to render kustomizations and charts: the policy's `render:` section (only a trusted
/// policy may have one), else the defaults.
pub fn render_config(policy: &Policy) -> crate::render::RenderConfig {
    let r = &policy.settings.render;
    let d = crate::render::RenderConfig::default();
    crate::render::RenderConfig {
        charts: r
            .charts
            .iter()
            .map(|c| crate::render::ChartSpec {
                chart: c.chart.clone(),
                release: c.release.clone(),
                namespace: c.namespace.clone(),
                values: c.values.clone(),
            })
            .collect(),
        allow_remote: r.allow_remote.clone(),
        kustomize: r.kustomize.clone(),
        helm: r.helm.clone(),
        timeout: r
            .timeout_seconds
            .map_or(d.timeout, std::time::Duration::from_secs),
        max_output: r.max_output_bytes.unwrap_or(d.max_output),
    }
}

pub fn search_rules(policy: &Policy) -> Result<SearchRules, SettingsError> {
    let p = &policy.settings;
    let name = policy.source.to_string();
    let specs: Vec<SearchRuleSpec> = p
        .manifests
        .search_rules
        .iter()
        .flat_map(|r| {
            r.paths.iter().map(|path| SearchRuleSpec {
                kind: Some(r.kind.clone()),
                api_version: r.api_version.clone(),
                path: path.clone(),
            })
        })
        .collect();
    SearchRules::with_user(&specs).map_err(|source| SettingsError::SearchRule {
        policy: name.clone(),
        source,
    })
}

/// Build every stage's settings from the policy, the command line and the working directory.
pub fn from_policy(
    policy: &Policy,
    mut resolve: ResolveConfig,
    o: &Overrides,
    cwd: &Path,
) -> Result<CheckSettings, SettingsError> {
    let p = &policy.settings;
    let name = policy.source.to_string();
    registries(policy, &mut resolve)?;

    let (scan_exceptions, lint_exceptions) = split_exceptions(policy)?;
    let trivyignore = match &p.vulnerabilities.trivyignore {
        Some(path) => Some(policy.resolve_path(path)),
        // Found beside the tree's own policy only: a trusted `--policy` names its ignore file.
        None if matches!(policy.source, PolicySource::File(_)) => None,
        None => [".trivyignore.yaml", ".trivyignore"]
            .iter()
            .map(|n| cwd.join(n))
            .find(|p| p.is_file()),
    };
    let trivyignore = trivyignore
        .map(|path| {
            IgnoreFile::load(&path).map_err(|source| SettingsError::IgnoreFile { path, source })
        })
        .transpose()?;
    let vuln = VulnPolicy {
        severities: p
            .vulnerabilities
            .severities
            .iter()
            .map(|s| format!("{s:?}").to_ascii_uppercase())
            .collect(),
        ignore_unfixed: p.vulnerabilities.ignore_unfixed,
        trivyignore,
        exceptions: scan_exceptions,
    };

    let trivy_db = crate::scan::db::merge(&o.trivy_db, &p.scanner)
        .with_registry(&resolve.client.auth, |d| {
            resolve.client.insecure.iter().any(|h| h == d)
        })?;
    let scan = (!o.skip_scan).then(|| ScanConfig {
        trivy: o.trivy.clone().or_else(|| p.scanner.trivy.clone()),
        server: o.trivy_server.clone().or_else(|| p.scanner.server.clone()),
        timeout: o.scan_timeout.unwrap_or(p.scanner.timeout),
        offline: o.offline,
        no_cache: o.no_cache,
        sbom_dir: o.sbom_dir.clone(),
        trivy_cache_dir: o.trivy_cache_dir.clone().or_else(|| {
            p.scanner
                .cache_dir
                .as_deref()
                .map(|d| policy.resolve_path(d))
        }),
        db: trivy_db,
        ..ScanConfig::default()
    });

    let signers_named = !o.keys.is_empty() || !o.identities.is_empty();
    let verify = if p.signatures.required || !p.attestations.is_empty() || signers_named {
        let mut keys = p
            .signatures
            .keys
            .iter()
            .map(|k| load_key(policy, k))
            .collect::<Result<Vec<_>, _>>()?;
        for k in &o.keys {
            keys.push(TrustedKey::load(k).map_err(|source| SettingsError::Key {
                policy: "command line".into(),
                key: k.clone(),
                source: Box::new(source),
            })?);
        }
        let identities = p
            .signatures
            .identities
            .iter()
            .chain(&o.identities)
            .map(|i| identity(policy, i))
            .collect::<Result<Vec<_>, _>>()?;
        let keyless = !identities.is_empty()
            || p.signatures.rules.iter().any(|r| !r.identities.is_empty())
            || p.attestations.iter().any(|a| !a.identities.is_empty());
        let root = trust_root(policy, o, keyless).map_err(|source| SettingsError::Verify {
            policy: name.clone(),
            source: Box::new(source),
        })?;
        let mut v =
            VerifyPolicy::new(keys, identities, root).map_err(|source| SettingsError::Verify {
                policy: name.clone(),
                source: Box::new(source),
            })?;
        v.verify_platforms = p.signatures.verify_platforms;
        v.insecure_ignore_tlog = p.signatures.insecure_ignore_tlog;
        v.admission = crate::verify::layout::Admission::new(
            p.admission.kyverno.as_deref(),
            p.admission.policy_controller.as_deref(),
            p.admission.level.severity(),
        )
        .map_err(|source| SettingsError::Admission {
            policy: name.clone(),
            source,
        })?;
        v.limits = Limits {
            max_signatures: p.signatures.limits.max_signatures,
            max_layers: p.signatures.limits.max_layers,
            max_attachment_bytes: p.signatures.limits.max_attachment_bytes,
        };
        v.require_signature = p.signatures.required || signers_named;
        v.attestations = p
            .attestations
            .iter()
            .map(|a| required_attestation(policy, a))
            .collect::<Result<_, _>>()?;
        for rule in &p.signatures.rules {
            let keys = rule
                .keys
                .iter()
                .map(|k| load_key(policy, k))
                .collect::<Result<Vec<_>, _>>()?;
            let ids = rule
                .identities
                .iter()
                .map(|i| identity(policy, i))
                .collect::<Result<Vec<_>, _>>()?;
            for glob in &rule.images {
                let req =
                    ImageRequirement::new(glob, keys.clone(), ids.clone()).map_err(|source| {
                        SettingsError::Glob {
                            policy: name.clone(),
                            glob: glob.clone(),
                            source,
                        }
                    })?;
                v.requirements.push(req);
            }
        }
        Some(v)
    } else {
        None
    };

    let lint = lint_config(policy, lint_exceptions, o)?;
    let search_rules = search_rules(policy)?;

    Ok(CheckSettings {
        resolve,
        scan,
        vuln,
        verify,
        lint: std::sync::Arc::new(lint),
        search_rules,
        pin: None,
        policy: policy.evidence_ref(),
        today: chrono::Utc::now().date_naive(),
        levels: Levels::from_policy(policy, signers_named),
        scan_platforms: super::platforms::Scope::parse(&p.scanner.platforms).map_err(|source| {
            SettingsError::Platform {
                policy: name.clone(),
                source,
            }
        })?,
        render: render_config(policy),
        allowed: super::registries::Allowed::new(&p.registries.allowed).map_err(
            |(glob, source)| SettingsError::Glob {
                policy: name.clone(),
                glob,
                source,
            },
        )?,
    })
}

/// The policy's view of severities, kept for after the stages have reported.
#[derive(Debug, Clone, Default)]
pub struct Levels {
    file: crate::policy::file::PolicyFile,
}

impl Levels {
    /// `signers_named`: the command line named trusted keys, so an image they did not sign is
    /// an error whatever level the policy gives signatures by default.
    pub fn from_policy(p: &Policy, signers_named: bool) -> Self {
        Self {
            file: p.settings.with_command_line(signers_named),
        }
    }

    /// Findings at the severity the policy gives them; `off` drops them. Vulnerability and
    /// signature findings take their section's `level`, then `manifests.rules`, then the cap.
    pub fn apply(&self, findings: Vec<Finding>) -> Vec<Finding> {
        findings
            .into_iter()
            .filter_map(|mut f| {
                f.severity = self.file.effective_severity(f.rule)?;
                Some(f)
            })
            .collect()
    }
}
