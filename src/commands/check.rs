//! `gate check [IMAGE...] [-f PATH...] [--pin]`: the whole gate, one evidence record, one
//! exit code.

use super::{emit_report, outcome_of, resolve_config, CommandError, Outcome};
use crate::check::{self, progress::Progress, CheckInput, CheckSettings};
use crate::cli::{CheckArgs, GlobalArgs};
use crate::discover::SearchRules;
use crate::evidence::PolicyRef;
use crate::lint::LintConfig;
use crate::pin::PinOptions;
use crate::scan::{IgnoreFile, ScanConfig, VulnPolicy};
use crate::verify::{TrustedKey, VerifyPolicy};
use std::path::Path;
use std::time::Duration;

pub async fn run(g: &GlobalArgs, args: &CheckArgs) -> Result<Outcome, CommandError> {
    if args.images.is_empty() && args.files.is_empty() {
        return Err(CommandError::NothingToCheck);
    }
    let today = chrono::Utc::now().date_naive();
    let mut vuln = VulnPolicy::default();
    for name in [".trivyignore.yaml", ".trivyignore"] {
        let path = Path::new(name);
        if path.is_file() {
            let file = IgnoreFile::load(path).map_err(|source| CommandError::IgnoreFile {
                path: path.to_path_buf(),
                source,
            })?;
            vuln.trivyignore = Some(file);
            break;
        }
    }
    let verify = if args.keys.is_empty() {
        None
    } else {
        let keys = args
            .keys
            .iter()
            .map(|k| TrustedKey::load(k))
            .collect::<Result<Vec<_>, _>>()?;
        Some(VerifyPolicy::new(keys, Vec::new(), None).map_err(Box::new)?)
    };
    let scan = (!args.skip_scan).then(|| ScanConfig {
        trivy: args.trivy.clone(),
        server: args.trivy_server.clone(),
        timeout: Duration::from_secs(g.timeout.max(1) * 10),
        offline: args.offline,
        no_cache: args.no_cache,
        sbom_dir: args.sbom_dir.clone(),
        ..ScanConfig::default()
    });
    let settings = CheckSettings {
        resolve: resolve_config(g)?,
        scan,
        vuln,
        verify,
        lint: LintConfig::default(),
        search_rules: SearchRules::default(),
        pin: args.pin.then_some(PinOptions {
            strip_tag: args.strip_tag,
            update: args.update,
            ..PinOptions::default()
        }),
        policy: PolicyRef {
            source: "built-in default".into(),
            sha256: String::new(),
        },
        today,
    };
    let input = CheckInput {
        images: args.images.clone(),
        files: args.files.clone(),
    };
    let progress = Progress::new(g.quiet);
    let ev = check::run(&input, &settings, &progress).await?;
    emit_report(g, &ev)?;
    if !g.quiet && g.output.is_some() {
        eprintln!("{}", crate::report::summary_line(&ev));
    }
    let outcome = outcome_of(&ev);
    Ok(match outcome {
        Outcome::Failed if args.warn_only => Outcome::Passed,
        o => o,
    })
}
