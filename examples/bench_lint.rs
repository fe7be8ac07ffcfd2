//! Lint files or directories through the library alone (no policy, no report) and print what it
//! found and how fast: the library side of `scripts/bench-lint`, which times the `gate lint` CLI.
//!
//! `cargo run --release --example bench_lint -- [--print] PATH...`

use gate::lint::{lint_paths, LintConfig};
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut print = false;
    let mut paths = Vec::new();
    for a in std::env::args().skip(1) {
        if a == "--print" {
            print = true;
        } else {
            paths.push(PathBuf::from(a));
        }
    }
    let today = chrono::Local::now().date_naive();
    let start = Instant::now();
    let out = lint_paths(&paths, &LintConfig::default(), today)?;
    let secs = start.elapsed().as_secs_f64();
    if print {
        for n in &out.notices {
            println!("notice {n}");
        }
        for f in &out.findings {
            let at = f
                .location
                .as_ref()
                .map(|l| format!("{}:{}:{}", l.file.display(), l.line, l.column))
                .unwrap_or_default();
            println!("{at} {} {} {}", f.rule, f.subject, f.message);
        }
    }
    println!(
        "objects={} findings={} notices={} seconds={secs:.3} objects_per_second={:.0}",
        out.objects,
        out.findings.len(),
        out.notices.len(),
        out.objects as f64 / secs.max(1e-9)
    );
    Ok(())
}
