//! Benchmark driver for `scripts/bench-pin`: discovery + rewrite (digests known) over a corpus.
//!
//! `bench_pin DIR`: times `discover_paths` + `plan` + rendering every rewritten file in memory
//! (no writes) over DIR, with a fake digest per reference computed first (untimed).

// A benchmark driver: a panic on bad input is the right outcome.
#![allow(clippy::unwrap_used)]

use gate::discover::{discover_paths, discover_sources, read_sources, SearchRules};
use gate::pin::{plan, to_resolve, PinOptions};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

fn files(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(&args[1]);
    let rules = SearchRules::default();
    let opts = PinOptions {
        update: true,
        ..PinOptions::default()
    };
    let mut all = Vec::new();
    files(&dir, &mut all);
    let bytes: u64 = all
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();

    // Digests "already known": one fake digest per distinct reference (untimed, one file at a
    // time so it does not raise the peak).
    let mut digests = HashMap::new();
    for p in &all {
        let (src, _) = read_sources(std::slice::from_ref(p)).unwrap();
        for r in to_resolve(&discover_sources(&src, &rules)) {
            let d = match (r.tag(), r.digest()) {
                (None, Some(pinned)) => pinned.to_string(),
                _ => format!("sha256:{}", hex::encode(Sha256::digest(r.to_string()))),
            };
            digests.insert(r.to_string(), d);
        }
    }

    let t = Instant::now();
    let o = discover_paths(std::slice::from_ref(&dir), &rules).unwrap();
    let p = plan(&o, &digests, &opts).unwrap();
    // The rewrite: every changed file read again, checked against its hash and edited in memory.
    let mut out_bytes = 0;
    for f in &p.files {
        out_bytes += f.render().unwrap().updated.len();
    }
    let (uses, changed) = (o.uses.len(), p.files.len());
    let secs = t.elapsed().as_secs_f64();
    let mb = bytes as f64 / 1e6;
    println!(
        "files={} bytes={bytes} uses={uses} files_rewritten={changed} bytes_out={out_bytes} seconds={secs:.3} MB/s={:.1}",
        all.len(),
        mb / secs
    );
}
