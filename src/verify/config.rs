//! The verify stage's configuration: the policy's `signatures:` (who must have signed each
//! image, the trust root, download limits), `attestations:` (what each image must carry) and
//! `admission:` (verifiers that must find what gate accepted), `attest:` (where `gate check
//! --attest` puts its verification summary); who may set each key from a policy
//! found in the tree; and the [`VerifyPolicy`] verification runs with. Identities' regular
//! expressions, image globs, SLSA requirements and admission versions are checked and compiled
//! once ([`validate`]); keys and the trust root are loaded when a run starts
//! ([`ValidConfig::verify_policy`]), with the command line's signers and trust over the policy's.

use super::cert::{anchored, KeylessIdentity, Matcher};
use super::policy::{predicate_type_alias, ImageRequirement, RequiredAttestation, VerifyPolicy};
use super::{TrustedKey, VerifyError};
use crate::config::{inside, At, Errors, Judge, Level, PolicyError};
use globset::GlobMatcher;
use serde::Deserialize;
use std::path::{Path, PathBuf};

fn yes() -> bool {
    true
}

/// A public key: a PEM file path, or `env://VAR` for a PEM in an environment variable.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum KeyRef {
    Path(PathBuf),
    Env(String),
}

impl From<String> for KeyRef {
    fn from(s: String) -> Self {
        match s.strip_prefix("env://") {
            Some(var) => KeyRef::Env(var.to_string()),
            None => KeyRef::Path(PathBuf::from(s)),
        }
    }
}

/// GitHub Actions claims a keyless certificate must carry (Fulcio extensions).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GithubClaims {
    /// `owner/name` of the workflow's repository.
    #[serde(default)]
    pub repository: Option<String>,
    /// `refs/heads/main`, `refs/tags/v1.2.3`.
    #[serde(default, rename = "ref")]
    pub git_ref: Option<String>,
    /// The triggering event (`push`, `release`).
    #[serde(default)]
    pub trigger: Option<String>,
}

/// A trusted keyless signer: exactly one of `issuer`/`issuer-regexp` and one of
/// `identity`/`identity-regexp`. Regular expressions are anchored (whole-string match).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Identity {
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub issuer_regexp: Option<String>,
    #[serde(default)]
    pub identity: Option<String>,
    #[serde(default)]
    pub identity_regexp: Option<String>,
    #[serde(default)]
    pub github: Option<GithubClaims>,
}

/// Signers for images matching `images` (globs), instead of the section-wide ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SignatureRule {
    pub images: Vec<String>,
    #[serde(default)]
    pub keys: Vec<KeyRef>,
    #[serde(default)]
    pub identities: Vec<Identity>,
}

/// Bounds on what a registry may make the verifier download (cosign's defaults).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Limits {
    #[serde(default = "default_max_signatures")]
    pub max_signatures: usize,
    #[serde(default = "default_max_attachment_bytes")]
    pub max_attachment_bytes: u64,
    #[serde(default = "default_max_layers")]
    pub max_layers: usize,
    #[serde(default = "default_max_manifest_bytes")]
    pub max_manifest_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_signatures: default_max_signatures(),
            max_attachment_bytes: default_max_attachment_bytes(),
            max_layers: default_max_layers(),
            max_manifest_bytes: default_max_manifest_bytes(),
        }
    }
}

fn default_max_signatures() -> usize {
    100
}
fn default_max_attachment_bytes() -> u64 {
    128 * 1024 * 1024
}
fn default_max_layers() -> usize {
    1000
}
fn default_max_manifest_bytes() -> u64 {
    4 * 1024 * 1024
}

/// `signatures:` who must have signed each image digest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Signatures {
    /// An image without a signature from a trusted signer is a finding.
    #[serde(default = "yes")]
    pub required: bool,
    /// Severity of that finding. Unset: `error` when signers are named (`keys`, `identities`,
    /// `rules` here, or `--key`/keyless flags), `warn` when none is (the policy cannot know
    /// whom to trust); see [`Signatures::effective_level`].
    #[serde(default)]
    pub level: Option<Level>,
    #[serde(default)]
    pub keys: Vec<KeyRef>,
    #[serde(default)]
    pub identities: Vec<Identity>,
    /// A Sigstore trusted root (`trusted_root.json`); default: the one Sigstore's TUF
    /// repository (or `tuf-mirror`) serves.
    #[serde(default)]
    pub trusted_root: Option<PathBuf>,
    /// The TUF repository to get the trusted root from (default: Sigstore's public-good one).
    #[serde(default)]
    pub tuf_mirror: Option<String>,
    /// The bootstrap `root.json` of `tuf-mirror`.
    #[serde(default)]
    pub tuf_root: Option<PathBuf>,
    /// Per-image signers; the first rule whose glob matches wins.
    #[serde(default)]
    pub rules: Vec<SignatureRule>,
    /// Also require each platform manifest of an index to be signed.
    #[serde(default)]
    pub verify_platforms: bool,
    #[serde(default)]
    pub limits: Limits,
    /// Accept certificate (keyless) signatures without a transparency-log entry even though the
    /// trusted root lists logs (cosign's `--insecure-ignore-tlog`). Off: such a signature is
    /// rejected. Only a trusted policy (`--policy`) may turn it on.
    #[serde(default)]
    pub insecure_ignore_tlog: bool,
}

impl Signatures {
    /// The severity of a missing trusted signature: `level` as written; unset, `error` when
    /// signers are named (here or on the command line, `signers_named`), else `warn`.
    pub fn effective_level(&self, signers_named: bool) -> Level {
        let named = signers_named
            || !self.keys.is_empty()
            || !self.identities.is_empty()
            || !self.rules.is_empty();
        self.level
            .unwrap_or(if named { Level::Error } else { Level::Warn })
    }
}

impl Default for Signatures {
    fn default() -> Self {
        Self {
            required: true,
            level: None,
            keys: Vec::new(),
            identities: Vec::new(),
            trusted_root: None,
            tuf_mirror: None,
            tuf_root: None,
            rules: Vec::new(),
            verify_platforms: false,
            limits: Limits::default(),
            insecure_ignore_tlog: false,
        }
    }
}

/// One required attestation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AttestationRule {
    /// In-toto predicate type (`https://slsa.dev/provenance/v1`).
    pub predicate_type: String,
    #[serde(default)]
    pub keys: Vec<KeyRef>,
    #[serde(default)]
    pub identities: Vec<Identity>,
    /// Image globs it applies to; empty: every image.
    #[serde(default)]
    pub images: Vec<String>,
    #[serde(default = "crate::config::level_error")]
    pub level: Level,
    /// What a SLSA provenance must say (slsa-verifier's checks).
    #[serde(default)]
    pub slsa: Option<SlsaPolicy>,
    /// What a SLSA verification summary (`gate check --attest`) must say. Trusted-only.
    #[serde(default)]
    pub vsa: Option<VsaPolicy>,
}

/// `attestations[].vsa:` a verification summary is accepted only for this policy (by digest),
/// with `PASSED`, and no older than `max-age`. Only under the VSA `predicate-type`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct VsaPolicy {
    /// How old `timeVerified` may be: seconds, or `90s`, `5m`, `12h`, `7d`.
    #[serde(default, deserialize_with = "crate::config::optional_duration")]
    pub max_age: Option<std::time::Duration>,
    /// The `sha256:` of the policy the summary must name; default: the policy in effect.
    #[serde(default)]
    pub policy_sha256: Option<String>,
    /// The verifier id the summary must name; default: gate's.
    #[serde(default)]
    pub verifier_id: Option<String>,
}

impl Default for AttestationRule {
    fn default() -> Self {
        Self {
            predicate_type: String::new(),
            keys: Vec::new(),
            identities: Vec::new(),
            images: Vec::new(),
            level: Level::Error,
            slsa: None,
            vsa: None,
        }
    }
}

/// `attestations[].slsa:` the fields slsa-verifier users check, all exact. Only for a SLSA
/// provenance `predicate-type`; at most one of `source-ref`, `source-branch`, `source-tag`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SlsaPolicy {
    /// `runDetails.builder.id`; without `@…` any version of that builder matches.
    #[serde(default)]
    pub builder_id: Option<String>,
    /// The source repository (`github.com/acme/app`; scheme, `git+` and `.git` ignored).
    #[serde(default)]
    pub source_uri: Option<String>,
    /// The full source ref (`refs/heads/main`).
    #[serde(default)]
    pub source_ref: Option<String>,
    /// `main` for `refs/heads/main`.
    #[serde(default)]
    pub source_branch: Option<String>,
    /// `v1.2.3` for `refs/tags/v1.2.3`.
    #[serde(default)]
    pub source_tag: Option<String>,
}

impl SlsaPolicy {
    /// The full ref the policy names, however it is written.
    pub fn source_ref(&self) -> Option<String> {
        self.source_ref
            .clone()
            .or_else(|| {
                self.source_branch
                    .as_ref()
                    .map(|b| format!("refs/heads/{b}"))
            })
            .or_else(|| self.source_tag.as_ref().map(|t| format!("refs/tags/{t}")))
    }
}

/// `admission:` admission verifiers (by version) that must be able to find a trusted signature
/// and the required attestations in the layout gate found them in (docs/admission-compat.md).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Admission {
    /// Kyverno version (`1.15`).
    #[serde(default)]
    pub kyverno: Option<String>,
    /// Sigstore policy-controller version (`0.13`).
    #[serde(default)]
    pub policy_controller: Option<String>,
    /// Severity of GATE-ADM-001 (default `warn`).
    #[serde(default = "crate::config::level_warn")]
    pub level: Level,
}

impl Default for Admission {
    fn default() -> Self {
        Self {
            kyverno: None,
            policy_controller: None,
            level: Level::Warn,
        }
    }
}

/// Public keys a tree may name: files in the tree, never the environment.
fn keys_in_tree(keys: &[KeyRef]) -> bool {
    keys.iter().all(|k| match k {
        KeyRef::Path(p) => inside(p),
        KeyRef::Env(_) => false,
    })
}

const KEYS_IN_TREE: &str =
    "name public keys in the tree (a relative path without `..`; no `env://`)";
const SIGNERS: &str = "name signers (keys in the tree, relative without `..`, no `env://`) when the \
     command line names none (`--key`, `--certificate-*`); the baseline then fails nothing unsigned";
const NARROWS: &str = "narrow what it applies to or what it requires";

impl Signatures {
    /// Who may set each key. Beside a signer named on the command line the run requires
    /// signatures at `error` whatever `required` and `level` say, and the tree may add none.
    pub fn judge(&self, base: &Self, j: &mut Judge) {
        let Signatures {
            required,
            level,
            keys,
            identities,
            trusted_root,
            tuf_mirror,
            tuf_root,
            rules,
            verify_platforms,
            limits,
            insecure_ignore_tlog,
        } = self;
        let named = j.signers_named();
        j.tree(
            "required",
            "set it to `true`",
            *required || !base.required || named,
        );
        j.tree(
            "level",
            "raise it (the baseline's is `warn`; `error` beside `--key`)",
            level.is_none_or(|l| l >= base.effective_level(false)) || named,
        );
        j.tree(
            "keys",
            SIGNERS,
            keys.is_empty() || (!named && keys_in_tree(keys)),
        );
        j.tree("identities", SIGNERS, identities.is_empty() || !named);
        j.each("identities", identities, |j, i| i.judge(j));
        j.trusted(
            "trusted-root",
            "names trust material",
            *trusted_root == base.trusted_root,
        );
        j.trusted(
            "tuf-mirror",
            "names where trust material comes from",
            *tuf_mirror == base.tuf_mirror,
        );
        j.trusted(
            "tuf-root",
            "names trust material",
            *tuf_root == base.tuf_root,
        );
        j.tree("rules", SIGNERS, rules.is_empty() || !named);
        j.each("rules", rules, |j, r| r.judge(j));
        j.tree(
            "verify-platforms",
            "set it to `true`",
            *verify_platforms || !base.verify_platforms,
        );
        j.section("limits", |j| limits.judge(&base.limits, j));
        j.trusted(
            "insecure-ignore-tlog",
            "accepts certificates no transparency log saw",
            *insecure_ignore_tlog == base.insecure_ignore_tlog,
        );
    }
}

impl Limits {
    fn judge(&self, base: &Self, j: &mut Judge) {
        let Limits {
            max_signatures,
            max_attachment_bytes,
            max_layers,
            max_manifest_bytes,
        } = self;
        let lower = "lower it (a smaller bound)";
        j.tree(
            "max-signatures",
            lower,
            *max_signatures <= base.max_signatures,
        );
        j.tree(
            "max-attachment-bytes",
            lower,
            *max_attachment_bytes <= base.max_attachment_bytes,
        );
        j.tree("max-layers", lower, *max_layers <= base.max_layers);
        j.tree(
            "max-manifest-bytes",
            lower,
            *max_manifest_bytes <= base.max_manifest_bytes,
        );
    }
}

impl SignatureRule {
    fn judge(&self, j: &mut Judge) {
        let SignatureRule {
            images: _,
            keys,
            identities,
        } = self;
        j.tree("images", NARROWS, true);
        j.tree("keys", KEYS_IN_TREE, keys_in_tree(keys));
        j.tree("identities", NARROWS, true);
        j.each("identities", identities, |j, i| i.judge(j));
    }
}

impl Identity {
    fn judge(&self, j: &mut Judge) {
        let Identity {
            issuer: _,
            issuer_regexp: _,
            identity: _,
            identity_regexp: _,
            github,
        } = self;
        for key in ["issuer", "issuer-regexp", "identity", "identity-regexp"] {
            j.tree(key, NARROWS, true);
        }
        j.optional("github", github, |j, g| {
            let GithubClaims {
                repository: _,
                git_ref: _,
                trigger: _,
            } = g;
            for key in ["repository", "ref", "trigger"] {
                j.tree(key, NARROWS, true);
            }
        });
    }

    /// The signer, its regular expressions compiled (anchored); `Err`: which key's pattern does
    /// not compile.
    pub fn compile(&self) -> Result<KeylessIdentity, (&'static str, regex::Error)> {
        let matcher = |exact: &Option<String>, re: &Option<String>, key| match (exact, re) {
            (Some(e), _) => Ok(Some(Matcher::Exact(e.clone()))),
            (None, Some(r)) => anchored(r)
                .map(|r| Some(Matcher::Regex(r)))
                .map_err(|e| (key, e)),
            (None, None) => Ok(None),
        };
        let subject = match matcher(&self.identity, &self.identity_regexp, "identity-regexp")? {
            Some(m) => m,
            None => Matcher::Regex(anchored(".*").map_err(|e| ("identity-regexp", e))?),
        };
        let gh = self.github.clone().unwrap_or_default();
        Ok(KeylessIdentity {
            issuer: matcher(&self.issuer, &self.issuer_regexp, "issuer-regexp")?,
            subject,
            github_repository: gh.repository,
            github_ref: gh.git_ref,
            github_trigger: gh.trigger,
        })
    }
}

impl AttestationRule {
    /// Who may set each key: an attestation from the tree only adds a requirement, at `error`.
    pub fn judge(&self, j: &mut Judge) {
        let AttestationRule {
            predicate_type: _,
            keys,
            identities,
            images: _,
            level,
            slsa,
            vsa,
        } = self;
        j.trusted(
            "vsa",
            "decides which verification summaries count as proof",
            vsa.is_none(),
        );
        j.tree("predicate-type", NARROWS, true);
        j.tree("keys", KEYS_IN_TREE, keys_in_tree(keys));
        j.tree("identities", NARROWS, true);
        j.each("identities", identities, |j, i| i.judge(j));
        j.tree("images", NARROWS, true);
        j.tree("level", "set it to `error`", *level >= Level::Error);
        j.optional("slsa", slsa, |j, s| {
            let SlsaPolicy {
                builder_id: _,
                source_uri: _,
                source_ref: _,
                source_branch: _,
                source_tag: _,
            } = s;
            for key in [
                "builder-id",
                "source-uri",
                "source-ref",
                "source-branch",
                "source-tag",
            ] {
                j.tree(key, NARROWS, true);
            }
        });
    }
}

impl Admission {
    /// Who may set each key: the tree may add verifiers and raise the level.
    pub fn judge(&self, base: &Self, j: &mut Judge) {
        let Admission {
            kyverno,
            policy_controller,
            level,
        } = self;
        let adds = "add an admission verifier whose view is checked";
        j.tree(
            "kyverno",
            adds,
            base.kyverno.is_none() || *kyverno == base.kyverno,
        );
        j.tree(
            "policy-controller",
            adds,
            base.policy_controller.is_none() || *policy_controller == base.policy_controller,
        );
        j.tree(
            "level",
            "raise it (the baseline's is `warn`)",
            *level >= base.level,
        );
    }
}

/// `attest:` how `gate check --attest` attaches the verification summary it signs. Only a
/// trusted policy (`--policy`) may set it: it decides where admission finds gate's verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Attest {
    /// Where the summary goes (default `att-tag`); `--attest-layout` overrides it.
    #[serde(default)]
    pub layout: Option<AttestLayout>,
    /// Whether a keyless summary is recorded in Rekor (default `true`). gate does not upload to
    /// Rekor yet, so `--attest keyless` needs `false`: a tlog-less summary, which verifiers
    /// accept only with `--insecure-ignore-tlog` (or their equivalent).
    #[serde(default)]
    pub tlog_upload: Option<bool>,
    /// An RFC 3161 timestamp authority (cosign's `--timestamp-server-url`, e.g.
    /// `https://timestamp.sigstore.dev/api/v1/timestamp`) that signs the time of each summary's
    /// signature, so that a keyless summary still verifies once its certificate has expired.
    #[serde(default)]
    pub timestamp_url: Option<String>,
}

/// Where a verification summary is attached to the image digest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum AttestLayout {
    /// A DSSE layer of cosign's `sha256-<hex>.att` tag (cosign v2, Kyverno, policy-controller).
    #[default]
    AttTag,
    /// A Sigstore bundle v0.3 as an OCI 1.1 referrer of the digest (cosign v3
    /// `--new-bundle-format`); on a registry without the referrers API, listed in the referrers
    /// tag schema's index.
    Referrer,
}

/// `attest:` as `gate check --attest` applies it, defaults filled in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttestSettings {
    /// Where the summary goes unless `--attest-layout` says otherwise.
    pub layout: AttestLayout,
    /// Whether a keyless summary must be recorded in Rekor.
    pub tlog_upload: bool,
    /// The timestamp authority asked to sign each summary's time, if any (an `http`/`https` URL).
    pub timestamp_url: Option<String>,
}

impl Attest {
    /// Who may set each key: nobody but a trusted policy, since each decides what admission
    /// finds of gate's verdict.
    pub fn judge(&self, j: &mut Judge) {
        let Attest {
            layout,
            tlog_upload,
            timestamp_url,
        } = self;
        j.trusted(
            "layout",
            "chooses where `--attest` puts the verification summary admission reads",
            layout.is_none(),
        );
        j.trusted(
            "tlog-upload",
            "decides whether a keyless summary is recorded in a transparency log",
            tlog_upload.is_none(),
        );
        j.trusted(
            "timestamp-url",
            "names a server gate sends each summary's signature to",
            timestamp_url.is_none(),
        );
    }

    /// The settings `--attest` runs with; `at` is the section's key path (`attest`).
    pub fn validate(&self, at: &At) -> Result<AttestSettings, PolicyError> {
        if let Some(url) = &self.timestamp_url {
            let ok = url::Url::parse(url)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if !ok {
                return Err(at
                    .key("timestamp-url")
                    .value("must be an http or https URL"));
            }
        }
        Ok(AttestSettings {
            layout: self.layout.unwrap_or_default(),
            tlog_upload: self.tlog_upload.unwrap_or(true),
            timestamp_url: self.timestamp_url.clone(),
        })
    }
}

/// Signers as written, their identities compiled.
#[derive(Debug, Clone)]
struct Signers {
    keys: Vec<KeyRef>,
    identities: Vec<KeylessIdentity>,
}

/// One `signatures.rules` entry, checked.
#[derive(Debug, Clone)]
struct ValidRule {
    images: Vec<(String, GlobMatcher)>,
    signers: Signers,
}

/// One `attestations` entry, checked.
#[derive(Debug, Clone)]
struct ValidAttestation {
    predicate_type: String,
    signers: Signers,
    images: Vec<GlobMatcher>,
    slsa: super::slsa::SlsaRequirement,
    vsa: Option<VsaPolicy>,
}

/// Verify's settings from the policy, checked and compiled.
#[derive(Debug, Clone)]
pub struct ValidConfig {
    signers: Signers,
    rules: Vec<ValidRule>,
    attestations: Vec<ValidAttestation>,
    admission: super::layout::Admission,
    required: bool,
    verify_platforms: bool,
    limits: super::policy::Limits,
    insecure_ignore_tlog: bool,
    trust: super::tuf::TrustChoice,
}

/// The checks serde cannot make on `signatures:` (at `sig`), `attestations:` (at `att`) and
/// `admission:` (at `adm`), each error naming its key and line.
pub fn validate(
    s: &Signatures,
    attestations: &[AttestationRule],
    admission: &Admission,
    at: &At,
) -> Result<ValidConfig, Vec<PolicyError>> {
    let mut errors = Errors::default();
    let sig = at.key("signatures");
    let signers = errors.take(check_signers(&s.keys, &s.identities, &sig));
    let mut rules = Vec::new();
    for (i, rule) in s.rules.iter().enumerate() {
        let here = sig.key("rules").index(i);
        if rule.images.is_empty() {
            errors.take::<()>(Err(here
                .key("images")
                .value("must name at least one image glob")));
        }
        let globs = errors.take(here.key("images").globs(&rule.images));
        let signers = errors.take(check_signers(&rule.keys, &rule.identities, &here));
        if let (Some(images), Some(signers)) = (globs, signers) {
            rules.push(ValidRule { images, signers });
        }
    }
    let mut valid_attestations = Vec::new();
    for (i, a) in attestations.iter().enumerate() {
        let here = at.key("attestations").index(i);
        if a.predicate_type.trim().is_empty() {
            errors.take::<()>(Err(here.key("predicate-type").value("must not be empty")));
        }
        let signers = errors.take(check_signers(&a.keys, &a.identities, &here));
        let images = errors.take(here.key("images").globs(&a.images));
        let slsa = match &a.slsa {
            Some(slsa) => errors.take(slsa_requirement(slsa, &a.predicate_type, &here.key("slsa"))),
            None => Some(Default::default()),
        };
        if a.vsa.is_some() {
            errors.take(vsa_requirement(a, &here.key("vsa")));
        }
        if let (Some(signers), Some(images), Some(slsa)) = (signers, images, slsa) {
            valid_attestations.push(ValidAttestation {
                predicate_type: predicate_type_alias(&a.predicate_type).to_string(),
                signers,
                images: images.into_iter().map(|(_, m)| m).collect(),
                slsa,
                vsa: a.vsa.clone(),
            });
        }
    }
    let adm = errors.take(
        super::layout::Admission::new(
            admission.kyverno.as_deref(),
            admission.policy_controller.as_deref(),
            admission.level.severity(),
        )
        .map_err(|_bad| {
            at.key("admission")
                .value("names a version that is not `MAJOR.MINOR`")
        }),
    );
    let policy_dir_free = super::tuf::TrustChoice {
        trusted_root: s.trusted_root.clone(),
        tuf_mirror: s.tuf_mirror.clone(),
        tuf_root: s.tuf_root.clone(),
    };
    errors.or(|| ValidConfig {
        signers: signers.expect("no error, so present"),
        rules,
        attestations: valid_attestations,
        admission: adm.expect("no error, so present"),
        required: s.required,
        verify_platforms: s.verify_platforms,
        limits: super::policy::Limits {
            max_signatures: s.limits.max_signatures,
            max_layers: s.limits.max_layers,
            max_attachment_bytes: s.limits.max_attachment_bytes,
        },
        insecure_ignore_tlog: s.insecure_ignore_tlog,
        trust: policy_dir_free,
    })
}

/// Keys (none empty) and identities (exactly one issuer and one subject, patterns compiled).
fn check_signers(
    keys: &[KeyRef],
    identities: &[Identity],
    at: &At,
) -> Result<Signers, PolicyError> {
    for (i, k) in keys.iter().enumerate() {
        let empty = match k {
            KeyRef::Env(var) => var.is_empty(),
            KeyRef::Path(p) => p.as_os_str().is_empty(),
        };
        if empty {
            return Err(at
                .key("keys")
                .index(i)
                .value("must be a file path or `env://VARIABLE`"));
        }
    }
    let identities = identities
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let here = at.key("identities").index(i);
            if id.issuer.is_some() == id.issuer_regexp.is_some() {
                return Err(here.value("needs exactly one of `issuer` and `issuer-regexp`"));
            }
            if id.identity.is_some() == id.identity_regexp.is_some() {
                return Err(here.value("needs exactly one of `identity` and `identity-regexp`"));
            }
            id.compile().map_err(|(key, source)| {
                let path = here.key(key);
                PolicyError::Regex {
                    origin: path.origin(),
                    key: path.display(),
                    source,
                }
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(Signers {
        keys: keys.to_vec(),
        identities,
    })
}

/// `attestations[].vsa`: only under the verification summary type, a well-formed digest.
fn vsa_requirement(a: &AttestationRule, at: &At) -> Result<(), PolicyError> {
    let vsa = a.vsa.as_ref().expect("called with a vsa");
    if predicate_type_alias(&a.predicate_type) != super::vsa::PREDICATE_TYPE {
        return Err(at.value("applies only to the verification summary `predicate-type` (`https://slsa.dev/verification_summary/v1`)"));
    }
    if vsa
        .policy_sha256
        .as_deref()
        .is_some_and(|d| !super::vsa::is_sha256(d))
    {
        return Err(at.value("`policy-sha256` must be `sha256:` and 64 lowercase hex digits"));
    }
    Ok(())
}

/// `attestations[].slsa`: only under a SLSA provenance type, something to check, no empty
/// value, one way to name the ref.
fn slsa_requirement(
    s: &SlsaPolicy,
    predicate_type: &str,
    at: &At,
) -> Result<super::slsa::SlsaRequirement, PolicyError> {
    let t = predicate_type_alias(predicate_type);
    if !super::slsa::is_provenance(t) {
        return Err(
            at.value("applies only to a SLSA provenance `predicate-type` (`slsaprovenance1`)")
        );
    }
    let fields = [
        ("builder-id", &s.builder_id),
        ("source-uri", &s.source_uri),
        ("source-ref", &s.source_ref),
        ("source-branch", &s.source_branch),
        ("source-tag", &s.source_tag),
    ];
    if fields.iter().all(|(_, v)| v.is_none()) {
        return Err(at.value("must name at least one of `builder-id`, `source-uri`, `source-ref`, `source-branch`, `source-tag`"));
    }
    for (name, v) in fields {
        if v.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(at.key(name).value("must not be empty"));
        }
    }
    let refs = [&s.source_ref, &s.source_branch, &s.source_tag];
    if refs.iter().filter(|r| r.is_some()).count() > 1 {
        return Err(at.value("takes only one of `source-ref`, `source-branch` and `source-tag`"));
    }
    if s.source_ref
        .as_deref()
        .is_some_and(|r| !r.starts_with("refs/"))
    {
        return Err(at.key("source-ref").value(
            "must be a full ref (`refs/heads/main`, `refs/tags/v1`); or use `source-branch`/`source-tag`",
        ));
    }
    Ok(super::slsa::SlsaRequirement {
        builder_id: s.builder_id.clone(),
        source_uri: s.source_uri.clone(),
        source_ref: s.source_ref(),
    })
}

/// What the command line says about verification, over the policy's `signatures:`.
#[derive(Debug, Default, Clone)]
pub struct VerifyFlags {
    /// `--key`: trusted keys in addition to the policy's.
    pub keys: Vec<String>,
    /// `--certificate-identity` and friends: a keyless signer in addition to the policy's.
    pub identities: Vec<Identity>,
    /// `--trusted-root`, `--tuf-mirror`, `--tuf-root`, over the policy's.
    pub trust: super::tuf::TrustChoice,
    /// How the TUF client runs (`--offline`, timeout, CA files).
    pub tuf: super::tuf::TufOptions,
}

impl VerifyFlags {
    /// The command line named a signer.
    pub fn signers_named(&self) -> bool {
        !self.keys.is_empty() || !self.identities.is_empty()
    }
}

/// Why verification could not be set up (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum VerifyConfigError {
    #[error("policy `{policy}`: cannot load trusted key `{key}`")]
    Key {
        policy: String,
        key: String,
        #[source]
        source: Box<super::KeyError>,
    },
    #[error("policy `{policy}`: invalid signature settings")]
    Verify {
        policy: String,
        #[source]
        source: Box<VerifyError>,
    },
}

impl ValidConfig {
    /// Whether anything is to be verified: signatures required, attestations required, or a
    /// signer named on the command line.
    fn verifies(&self, flags: &VerifyFlags) -> bool {
        self.required || !self.attestations.is_empty() || flags.signers_named()
    }

    /// What verification runs with (`None`: nothing to verify): the policy's signers and the
    /// command line's, keys loaded (relative paths against `policy_dir`), the trust root the
    /// command line or the policy names (through TUF when keyless identities need it).
    /// `policy`: how the policy is named in messages; `policy_sha256`: its digest, which a
    /// verification summary names unless `vsa.policy-sha256` says otherwise.
    pub fn verify_policy(
        &self,
        flags: &VerifyFlags,
        policy_dir: Option<&Path>,
        policy: &str,
        policy_sha256: &str,
    ) -> Result<Option<VerifyPolicy>, VerifyConfigError> {
        if !self.verifies(flags) {
            return Ok(None);
        }
        let resolve = |p: &Path| match policy_dir {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p.to_path_buf(),
        };
        let load = |k: &KeyRef| {
            let spec = match k {
                KeyRef::Path(p) => resolve(p).to_string_lossy().into_owned(),
                KeyRef::Env(v) => format!("env://{v}"),
            };
            TrustedKey::load(&spec).map_err(|source| VerifyConfigError::Key {
                policy: policy.to_string(),
                key: spec,
                source: Box::new(source),
            })
        };
        let loads = |keys: &[KeyRef]| keys.iter().map(load).collect::<Result<Vec<_>, _>>();
        let bad = |source: VerifyError| VerifyConfigError::Verify {
            policy: policy.to_string(),
            source: Box::new(source),
        };
        let mut keys = loads(&self.signers.keys)?;
        for k in &flags.keys {
            keys.push(
                TrustedKey::load(k).map_err(|source| VerifyConfigError::Key {
                    policy: "command line".into(),
                    key: k.clone(),
                    source: Box::new(source),
                })?,
            );
        }
        let mut identities = self.signers.identities.clone();
        for i in &flags.identities {
            identities.push(i.compile().map_err(|(_, source)| {
                VerifyConfigError::Verify {
                    policy: "command line".into(),
                    source: Box::new(VerifyError::Regex {
                        pattern: i
                            .identity_regexp
                            .clone()
                            .or(i.issuer_regexp.clone())
                            .unwrap_or_default(),
                        source,
                    }),
                }
            })?);
        }
        let keyless = !identities.is_empty()
            || self.rules.iter().any(|r| !r.signers.identities.is_empty())
            || self
                .attestations
                .iter()
                .any(|a| !a.signers.identities.is_empty());
        let from_policy = super::tuf::TrustChoice {
            trusted_root: self.trust.trusted_root.as_deref().map(resolve),
            tuf_mirror: self.trust.tuf_mirror.clone(),
            tuf_root: self.trust.tuf_root.as_deref().map(resolve),
        };
        let choice = flags.trust.clone().over(from_policy);
        // Key-only policies that name nothing keep the root shipped in gate (for Rekor entries
        // of key signatures), so a key-only check needs no network for trust.
        let root: Option<PathBuf> = if choice.is_empty() && !keyless {
            None
        } else {
            Some(
                choice
                    .resolve(&flags.tuf)
                    .map_err(|e| bad(VerifyError::from(Box::new(e))))?,
            )
        };
        let mut v = VerifyPolicy::new(keys, identities, root).map_err(bad)?;
        v.verify_platforms = self.verify_platforms;
        v.insecure_ignore_tlog = self.insecure_ignore_tlog;
        v.admission = self.admission.clone();
        v.limits = self.limits;
        v.require_signature = self.required || flags.signers_named();
        for a in &self.attestations {
            v.attestations.push(RequiredAttestation {
                predicate_type: a.predicate_type.clone(),
                keys: loads(&a.signers.keys)?,
                identities: a.signers.identities.clone(),
                images: a.images.clone(),
                slsa: a.slsa.clone(),
                vsa: a.vsa.as_ref().map(|v| super::vsa::VsaRequirement {
                    max_age: v.max_age,
                    policy_sha256: v
                        .policy_sha256
                        .clone()
                        .unwrap_or_else(|| policy_sha256.to_string()),
                    verifier_id: v
                        .verifier_id
                        .clone()
                        .unwrap_or_else(|| super::vsa::VERIFIER_ID.to_string()),
                }),
            });
        }
        for rule in &self.rules {
            let keys = loads(&rule.signers.keys)?;
            for (glob, matcher) in &rule.images {
                v.requirements.push(ImageRequirement::compiled(
                    glob,
                    matcher.clone(),
                    keys.clone(),
                    rule.signers.identities.clone(),
                ));
            }
        }
        Ok(Some(v))
    }
}
