//! `gate export`: the trusted policy as admission configuration, on standard output or one file
//! per engine in `--output-dir`.

use super::{emit, CommandError, Outcome};
use crate::cli::{ExportArgs, GlobalArgs};
use crate::export::{export, Engine, ExportConfig};
use crate::policy::file::Policy;

pub fn run(g: &GlobalArgs, args: &ExportArgs) -> Result<Outcome, CommandError> {
    // Only a policy named on the command line (or the built-in one): never one from the tree.
    let policy = match &args.policy {
        Some(p) => Policy::load(p)?,
        None => Policy::default_policy()?,
    };
    let cfg = ExportConfig {
        namespaces: args.namespaces.clone(),
        kyverno_cluster_policy: args.kyverno_cluster_policy,
        insecure_registries: g
            .insecure_registry
            .iter()
            .chain(&args.insecure_registries)
            .cloned()
            .collect(),
    };
    let out = export(&policy, &cfg)?;
    match &args.output_dir {
        None => emit(g, &out.render(None))?,
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|source| CommandError::Output {
                path: dir.clone(),
                source,
            })?;
            for e in Engine::ALL {
                let path = dir.join(e.file_name());
                crate::fsutil::write_atomic(&path, out.render(Some(e)).as_bytes())
                    .map_err(|source| CommandError::Output { path, source })?;
            }
            if !g.quiet {
                eprintln!(
                    "wrote {} objects to {} ({} gate rules not enforced by some engine: see the comments)",
                    out.objects.len(),
                    dir.display(),
                    out.gaps.len()
                );
            }
        }
    }
    Ok(Outcome::Passed)
}
