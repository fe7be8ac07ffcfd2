//! `gate check [IMAGE...] [-f PATH...] [--pin]`: the whole gate, one evidence record, one
//! exit code.

use super::{emit_report, outcome_of, resolve_config, CommandError, Outcome};
use crate::check::{self, progress::Progress, CheckInput, CheckSettings, Overrides};
use crate::cli::{CheckArgs, GlobalArgs};
use crate::pin::PinOptions;
use crate::policy::file::Policy;

pub async fn run(g: &GlobalArgs, args: &CheckArgs) -> Result<Outcome, CommandError> {
    if args.images.is_empty() && args.files.is_empty() && args.kustomize.is_empty() {
        return Err(CommandError::NothingToCheck);
    }
    let cwd = std::env::current_dir().map_err(CommandError::Cwd)?;
    // Before any work: a key that cannot be used fails the run at once.
    let attest_key = match &args.attest {
        Some(path) if path.as_os_str() == "keyless" => None,
        Some(path) => Some(crate::verify::load_signing_key(
            path,
            &super::sign::password(&args.attest_password_env)?.0,
        )?),
        None => None,
    };
    let policy = Policy::discover(args.policy.as_deref(), &cwd)?;
    policy.check_command_line(!args.keys.is_empty() || args.keyless.is_set())?;
    let attest_keyless = args
        .attest
        .as_ref()
        .is_some_and(|p| p.as_os_str() == "keyless");
    if attest_keyless {
        if policy.stages.attest.tlog_upload {
            return Err(CommandError::KeylessTlog);
        }
        if !crate::verify::id_token_in_env() {
            return Err(crate::verify::FulcioError::NoToken.into());
        }
    }
    let overrides = Overrides {
        keys: args.keys.clone(),
        identities: keyless_identity(&args.keyless)?.into_iter().collect(),
        trivy: args.trivy.clone(),
        trivy_server: args.trivy_server.clone(),
        sbom_dir: args.sbom_dir.clone(),
        offline: g.offline,
        trust: super::trust_choice(g),
        tuf: super::tuf_options(g),
        no_cache: args.no_cache,
        skip_scan: args.skip_scan,
        trivy_db: crate::scan::TrivyDb {
            repositories: args.trivy_db_repositories.clone(),
            java_repository: args.java_db_repository.clone(),
            skip_update: args.skip_db_update,
            cache_backend: args.trivy_cache_backend.clone(),
            ..crate::scan::TrivyDb::default()
        },
        trivy_cache_dir: args.trivy_cache_dir.clone(),
        scan_timeout: args.scan_timeout,
        ignorefile: args.ignorefile.clone(),
        ..Overrides::default()
    };
    let mut settings = CheckSettings::from_policy(&policy, resolve_config(g)?, &overrides, &cwd)?;
    if let Some(n) = settings.ignore_file_notice().filter(|_| !g.quiet) {
        eprintln!("note: {n}");
    }
    settings.pin = args.pin.then_some(PinOptions {
        strip_tag: args.strip_tag,
        update: args.update,
        ..PinOptions::default()
    });
    let input = CheckInput {
        images: args.images.clone(),
        files: args.files.clone(),
        kustomize: args.kustomize.clone(),
    };
    let progress = Progress::new(g.quiet);
    let services = check::Services::real(&settings.resolve)?;
    let mut ev = check::run(&input, &settings, &services, &progress).await;
    let layout = args.attest_layout.unwrap_or(policy.stages.attest.layout);
    let signer = match (&attest_key, attest_keyless) {
        (Some(key), _) => Some(super::attest::Signer::Key(key)),
        // The certificate lives ten minutes: asked for after the check, just before signing.
        (None, true) => match super::attest::keyless(&args.fulcio_url, &settings.resolve).await {
            Ok(k) => Some(k),
            Err(e) => {
                ev.errors
                    .push(crate::evidence::CheckError::new("attest", e));
                ev.finish(ev.finished_at);
                None
            }
        },
        (None, false) => None,
    };
    if let Some(signer) = &signer {
        let plan = super::attest::AttestPlan {
            signer,
            layout,
            timestamp_url: policy.stages.attest.timestamp_url.as_deref(),
        };
        super::attest::attest_passed(&mut ev, &plan, &settings.resolve, &policy, g.quiet).await;
    }
    super::refuse_empty(&mut ev, &args.files, args.allow_empty);
    if g.verbose {
        eprint!("{}", super::verbose::describe(&ev));
    }
    emit_report(g, &mut ev)?;
    if !g.quiet && g.output.is_some() {
        eprintln!("{}", crate::report::summary_line(&ev));
    }
    let outcome = outcome_of(&ev);
    Ok(match outcome {
        Outcome::Failed if args.warn_only => Outcome::Passed,
        o => o,
    })
}

/// The keyless signer the command-line flags name, as a policy identity (validated and matched
/// the same way: regular expressions anchored to the whole value).
fn keyless_identity(
    k: &crate::cli::KeylessArgs,
) -> Result<Option<crate::policy::file::Identity>, CommandError> {
    if !k.is_set() {
        return Ok(None);
    }
    let has_identity = k.certificate_identity.is_some() || k.certificate_identity_regexp.is_some();
    let has_issuer =
        k.certificate_oidc_issuer.is_some() || k.certificate_oidc_issuer_regexp.is_some();
    if !has_identity || !has_issuer {
        return Err(CommandError::IdentityNeedsIssuer);
    }
    let github = crate::policy::file::GithubClaims {
        repository: k.certificate_github_workflow_repository.clone(),
        git_ref: k.certificate_github_workflow_ref.clone(),
        trigger: k.certificate_github_workflow_trigger.clone(),
    };
    let any = github.repository.is_some() || github.git_ref.is_some() || github.trigger.is_some();
    let github = any.then_some(github);
    Ok(Some(crate::policy::file::Identity {
        issuer: k.certificate_oidc_issuer.clone(),
        issuer_regexp: k.certificate_oidc_issuer_regexp.clone(),
        identity: k.certificate_identity.clone(),
        identity_regexp: k.certificate_identity_regexp.clone(),
        github,
    }))
}
