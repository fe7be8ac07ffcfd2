//! Benchmark driver for `scripts/bench-scan` (not a test): scan N distinct digests with the
//! replay scanner, cold then warm, and print gate's own time beyond the scanner's.
//!
//! Usage: `bench_scan REPLAY_BINARY [N] [CONCURRENCY] [RUNS]`. The replay logs each `image` call
//! with its start and end time; gate's overhead is the wall time minus the scanners' time,
//! measured at concurrency 1 so the two do not overlap. Each of RUNS rounds uses a fresh cache
//! (a cold run, then a warm one); the best round of each kind is printed, as machines shared
//! with other work are noisy.

use gate::scan::{scan_all, ScanConfig, ScanTarget};
use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn Error>>;

struct Run {
    wall: Duration,
    scanner: Duration,
    images: usize,
    servers: usize,
    converts: usize,
    cached: usize,
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let replay = PathBuf::from(
        args.get(1)
            .ok_or("usage: bench_scan REPLAY [N] [CONCURRENCY]")?,
    );
    let n: u32 = args.get(2).map_or(Ok(100), |s| s.parse())?;
    let concurrency: usize = args.get(3).map_or(Ok(1), |s| s.parse())?;
    let rounds: usize = args.get(4).map_or(Ok(3), |s| s.parse())?;
    let work = std::env::temp_dir().join(format!("gate-bench-scan-{}", std::process::id()));
    std::fs::create_dir_all(work.join("bin"))?;
    std::os::unix::fs::symlink(&replay, work.join("bin/trivy"))?;
    let report = match std::env::var_os("GATE_FIXTURES") {
        Some(_) => "alpine-39.json",
        None => "small-critical.json",
    };
    std::fs::write(work.join("map.json"), format!(r#"{{"*": "{report}"}}"#))?;
    let cfg = |round: usize| ScanConfig {
        trivy: Some(work.join("bin/trivy")),
        cache_dir: Some(work.join(format!("cache-{round}"))),
        concurrency,
        ..ScanConfig::default()
    };
    let targets: Vec<ScanTarget> = (1..=n)
        .map(|i| ScanTarget {
            image: format!("bench.example/app@sha256:{i:064x}"),
            digest: format!("sha256:{i:064x}"),
            credential: None,
            insecure: false,
        })
        .collect();
    let rt = tokio::runtime::Runtime::new()?;
    let mut best: Option<(Run, Run)> = None;
    for round in 0..rounds.max(1) {
        let cold = run(&rt, &work, &format!("cold-{round}"), &targets, &cfg(round))?;
        let warm = run(&rt, &work, &format!("warm-{round}"), &targets, &cfg(round))?;
        if warm.images + warm.servers != 0 || warm.cached != n as usize {
            return Err("the warm run started a scanner".into());
        }
        best = Some(match best {
            None => (cold, warm),
            Some((c, w)) => (
                if cold.wall < c.wall { cold } else { c },
                if warm.wall < w.wall { warm } else { w },
            ),
        });
    }
    let (cold, warm) = best.ok_or("no rounds")?;
    std::fs::remove_dir_all(&work)?;

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let per = |d: Duration| ms(d) / f64::from(n);
    let own = cold.wall.saturating_sub(cold.scanner);
    println!(
        "scan {n} distinct digests, replay scanner ({report}), concurrency {concurrency}, \
         best of {rounds}"
    );
    println!(
        "  cold run   {:9.1} ms wall, {:7.1} ms in {} scanner processes (+{} server)",
        ms(cold.wall),
        ms(cold.scanner),
        cold.images,
        cold.servers
    );
    if concurrency == 1 {
        println!(
            "  gate's own {:9.3} ms per image beyond the scanner (target < 10 ms)",
            per(own)
        );
    } else {
        println!("  gate's own     n/a (scans overlap; measure at concurrency 1)");
    }
    println!(
        "  warm run   {:9.2} ms wall, {} scanner processes, {} from cache",
        ms(warm.wall),
        warm.images + warm.servers + warm.converts,
        warm.cached
    );
    println!(
        "  warm vs cold {:7.1}x faster (target >= 50x)",
        cold.wall.as_secs_f64() / warm.wall.as_secs_f64()
    );
    Ok(())
}

fn run(
    rt: &tokio::runtime::Runtime,
    work: &Path,
    name: &str,
    targets: &[ScanTarget],
    cfg: &ScanConfig,
) -> Res<Run> {
    let log = work.join(format!("log-{name}"));
    std::fs::write(
        work.join("bin/replay.json"),
        format!(
            r#"{{"map": "{}", "log": "{}"}}"#,
            work.join("map.json").display(),
            log.display()
        ),
    )?;
    let start = Instant::now();
    let results = rt.block_on(scan_all(targets.to_vec(), cfg));
    let wall = start.elapsed();
    let mut cached = 0;
    for r in &results {
        match r {
            Ok(r) => cached += usize::from(r.cached),
            Err(e) => return Err(format!("{name} run: {e}").into()),
        }
    }
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let mut scanner = Duration::ZERO;
    let (mut images, mut servers, mut converts) = (0, 0, 0);
    for line in text.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        match f.first() {
            Some(&"image") if f.len() == 6 => {
                images += 1;
                let (s, e): (u128, u128) = (f[4].parse()?, f[5].parse()?);
                scanner += Duration::from_nanos(u64::try_from(e.saturating_sub(s))?);
            }
            Some(&"server") => servers += 1,
            Some(&"convert") => converts += 1,
            Some(&"FAIL") => return Err(format!("replay refused a call: {line}").into()),
            _ => {}
        }
    }
    Ok(Run {
        wall,
        scanner,
        images,
        servers,
        converts,
        cached,
    })
}
