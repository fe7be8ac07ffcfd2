//! The verify benchmark harness, run only by `scripts/bench-verify` (ignored here; it measures,
//! it never asserts on time): N signed images in a local registry verified at concurrency 16
//! and 1, and the per-signature crypto cost.

use std::time::{Duration, Instant};

use gate::resolve::auth::AuthSources;
use gate::resolve::{ClientConfig, Repo};
use gate::verify::sign::{append_signature, sign_digest, signature_tag};
use gate::verify::{self, keys::signing_key_from_pem, RegistryFetcher, TrustedKey, VerifyPolicy};

use crate::harness::{Registry, OCI_MANIFEST};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: run scripts/bench-verify"]
async fn bench_verify() {
    let n = env_usize("N", 100);
    let runs = env_usize("RUNS", 3);
    let concurrency = env_usize("CONCURRENCY", 16);
    let reg = Registry::start();
    let (private, public) = verify::generate_key_pair(b"").unwrap();
    let key = signing_key_from_pem(&private, b"", "bench").unwrap();
    let policy = VerifyPolicy::new(
        vec![TrustedKey::from_bytes(&public, "bench.pub").unwrap()],
        vec![],
        None,
    )
    .unwrap();
    let mut images = Vec::new();
    for i in 0..n {
        let path = format!("bench/app{i}");
        let digest = reg.push_image(&path, "v1").await;
        let layer = sign_digest(&key, &format!("{}/{path}", reg.addr), &digest).unwrap();
        let artifact = append_signature(None, &layer).unwrap();
        let blobs: Vec<Vec<u8>> = artifact.blobs.iter().map(|(_, b)| b.clone()).collect();
        reg.push_raw(
            &path,
            &signature_tag(&digest),
            &blobs,
            &artifact.manifest,
            OCI_MANIFEST,
        )
        .await;
        images.push((
            Repo {
                domain: reg.addr.clone(),
                path,
            },
            digest,
        ));
    }
    let config = ClientConfig {
        insecure: vec![reg.addr.clone()],
        auth: AuthSources::default(),
        ..ClientConfig::default()
    };
    let mut parallel = Duration::MAX;
    let mut serial = Duration::MAX;
    for _ in 0..runs {
        for (c, best) in [(concurrency, &mut parallel), (1, &mut serial)] {
            // A fresh client per run: no connections or tokens carried over.
            let fetcher = RegistryFetcher::new(config.clone()).unwrap();
            let start = Instant::now();
            let out = verify::verify_many(&fetcher, &images, &policy, c).await;
            let t = start.elapsed();
            assert!(out
                .iter()
                .all(|v| v.as_ref().is_ok_and(|v| v.signatures.len() == 1)));
            *best = (*best).min(t);
        }
    }

    // Per-signature crypto: verify one layer many times, no I/O.
    let digest = &images[0].1;
    let layer = sign_digest(&key, "example.com/app", digest).unwrap();
    let iterations = 2_000;
    let start = Instant::now();
    for _ in 0..iterations {
        let v =
            verify::verify_signature_layers(digest, std::slice::from_ref(&layer), &policy).unwrap();
        assert_eq!(v.signatures.len(), 1);
    }
    let per_sig = start.elapsed() / iterations;

    println!(
        "verify {n} signed images (local registry, {} cores, best of {runs})",
        num_cpus()
    );
    println!(
        "  concurrency {concurrency:<3}     {:>9.3} s",
        parallel.as_secs_f64()
    );
    println!("  concurrency 1       {:>9.3} s", serial.as_secs_f64());
    println!(
        "  speed-up            {:>9.1}x (target >= 8x)",
        serial.as_secs_f64() / parallel.as_secs_f64()
    );
    println!(
        "  per-signature crypto{:>9.3} ms (ECDSA P-256 + payload checks; target < 1 ms)",
        per_sig.as_secs_f64() * 1e3
    );
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
