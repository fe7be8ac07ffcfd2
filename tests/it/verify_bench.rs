//! The verify benchmark harness, run only by `scripts/bench-verify` (ignored here; it measures,
//! it never asserts on time): N signed images in a local registry verified at concurrency 16
//! and 1, and the per-signature crypto cost.

use std::time::{Duration, Instant};

use gate::registry::auth::AuthSources;
use gate::registry::{ClientConfig, Repo};
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
    // Loopback has no latency; a registry in CI is a round trip away. A delaying proxy in
    // front of the registry stands in for that (LATENCY_MS per response, default 20 ms).
    let latency = Duration::from_millis(env_usize("LATENCY_MS", 20) as u64);
    let proxy = delay_proxy(&reg.addr, latency).await;
    let mut rows = Vec::new();
    for (label, addr) in [("loopback", reg.addr.clone()), ("proxied", proxy)] {
        let config = ClientConfig {
            insecure: vec![addr.clone()],
            auth: AuthSources::default(),
            ..ClientConfig::default()
        };
        let images: Vec<(Repo, String)> = images
            .iter()
            .map(|(r, d)| {
                let repo = Repo {
                    domain: addr.clone(),
                    path: r.path.clone(),
                };
                (repo, d.clone())
            })
            .collect();
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
        rows.push((label, parallel, serial));
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
    for (label, parallel, serial) in rows {
        let label = match label {
            "proxied" => format!("{} ms per response", latency.as_millis()),
            other => other.to_string(),
        };
        println!(
            "  {label:<18} concurrency {concurrency}: {:>7.3} s  concurrency 1: {:>7.3} s  \
             speed-up {:>5.1}x (target >= 8x)",
            parallel.as_secs_f64(),
            serial.as_secs_f64(),
            serial.as_secs_f64() / parallel.as_secs_f64()
        );
    }
    println!(
        "  per-signature crypto{:>9.3} ms (ECDSA P-256 + payload checks; target < 1 ms)",
        per_sig.as_secs_f64() * 1e3
    );
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A TCP proxy to `upstream` that holds each chunk of every response for `latency`: a registry
/// one round trip away. Returns its `127.0.0.1:PORT`.
async fn delay_proxy(upstream: &str, latency: Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let upstream = upstream.to_string();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                continue;
            };
            let (mut cr, mut cw) = client.into_split();
            let (mut sr, mut sw) = server.into_split();
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut cr, &mut sw).await;
                let _ = sw.shutdown().await;
            });
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n) = sr.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    tokio::time::sleep(latency).await;
                    if cw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
                let _ = cw.shutdown().await;
            });
        }
    });
    addr
}
