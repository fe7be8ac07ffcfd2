//! `gate pin -f PATH...`: resolve every image reference in the files and rewrite it to
//! `name:tag@sha256:…`, all or nothing. `--check` writes nothing and exits 1 when something is
//! unpinned or stale; `--diff` prints what would change. `-f -` writes the pinned standard input
//! to standard output (`helm template … | gate pin -f - | kubectl apply -f -`).

use super::{emit, resolve_config, CommandError, Outcome};
use crate::cli::{GlobalArgs, PinArgs};
use crate::discover::{discover_paths, STDIN};
use crate::pin::{self, PinOptions};
use crate::policy::file::Policy;
use crate::registry::chain_text;
use crate::resolve::Resolver;
use std::collections::HashMap;
use std::path::Path;

pub async fn run(g: &GlobalArgs, args: &PinArgs) -> Result<Outcome, CommandError> {
    let cwd = std::env::current_dir().map_err(CommandError::Cwd)?;
    let policy = Policy::discover(args.policy.as_deref(), &cwd)?;
    let rules = &policy.stages.discover;
    let renders = crate::render::render(&args.files, &args.kustomize, &policy.stages.render, &cwd)?;
    let outcome = if renders.sources.is_empty() && renders.inputs.is_empty() {
        discover_paths(&args.files, rules)?
    } else {
        let (sources, notices) = crate::discover::read_sources(&args.files)?;
        let (mut outcome, _) = crate::render::discover(sources, &renders, rules)?;
        outcome.notices.extend(notices);
        outcome
    };
    let mut incomplete = false;
    for n in &outcome.notices {
        if n.kind.is_error() {
            incomplete = true;
            eprintln!("error: {n}");
        } else if !g.quiet {
            eprintln!("warning: {n}");
        }
    }
    let refs = pin::to_resolve(&outcome);
    let mut config = resolve_config(g)?;
    policy.stages.resolve.apply(&mut config);
    let resolver = Resolver::new(config)?;
    let mut digests = HashMap::new();
    for (r, res) in refs.iter().zip(resolver.resolve_all(&refs).await) {
        match res {
            Ok(ok) => {
                digests.insert(pin::lookup_key(r), ok.digest);
            }
            Err(e) => {
                incomplete = true;
                eprintln!("error: {}", chain_text(&e));
            }
        }
    }
    if incomplete {
        // All or nothing: no file is touched when anything could not be resolved or read.
        eprintln!("error: nothing was written");
        return Ok(Outcome::Incomplete);
    }
    let opts = PinOptions {
        check: args.check,
        diff: args.diff,
        strip_tag: args.strip_tag,
        update: args.update,
    };
    let plan = pin::plan(&outcome, &digests, &opts)?;
    if args.diff {
        emit(g, &pin::diff(&plan)?)?;
        return Ok(Outcome::Passed);
    }
    if args.check {
        let mut text = String::new();
        for f in &plan.findings {
            let loc = f
                .location
                .as_ref()
                .map(|l| format!("{}:{}:{}: ", l.file.display(), l.line, l.column))
                .unwrap_or_default();
            text.push_str(&format!("{loc}{} {}\n", f.rule, f.message));
        }
        emit(g, &text)?;
        return Ok(if plan.failed() {
            Outcome::Failed
        } else {
            Outcome::Passed
        });
    }
    let mut trees = args.files.clone();
    trees.extend(args.kustomize.iter().cloned());
    trees.extend(renders.roots.iter().cloned());
    let written = pin::apply_within(&plan, &trees)?;
    if args.files.iter().any(|f| f.as_os_str() == STDIN) {
        // kbld style: standard input comes back on standard output, pinned (or as it was).
        let stdin = Path::new(STDIN);
        let text = match plan.updated(stdin)? {
            Some(t) => t,
            None => outcome
                .sources
                .get(stdin)
                .and_then(|s| s.text.as_deref())
                .unwrap_or_default()
                .to_string(),
        };
        emit(g, &text)?;
    }
    if !g.quiet {
        let uses = outcome.uses.len();
        eprintln!(
            "pinned {uses} reference(s) of {} image(s); {} file(s) changed",
            refs.len(),
            written.len()
        );
        for p in &written {
            eprintln!("  {}", p.display());
        }
    }
    Ok(Outcome::Passed)
}
