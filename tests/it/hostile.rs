//! The hostile-registry matrix for resolution: each fault from the fault proxy, one test per
//! row, asserting the outcome (error kind and message, or success after retries), a bounded
//! time, and that credentials never reach another origin or a message.

use crate::harness::{image_parts, sha256, Registry};
use crate::proxy::{Fault, FaultProxy};
use gate::reference::Reference;
use gate::registry::auth::AuthSources;
use gate::registry::{chain_text, ClientConfig, ResolveError, Unresolved};
use gate::resolve::{ResolveConfig, Resolver};
use gate::verify::{Fetcher, RegistryFetcher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Setup {
    _reg: Registry,
    proxy: FaultProxy,
    digest: String,
    image: Reference,
}

async fn setup() -> Setup {
    let reg = Registry::start();
    let digest = reg.push_image("team/app", "v1").await;
    let proxy = FaultProxy::start(&reg.addr).await;
    let image = Reference::parse(&format!("{}/team/app:v1", proxy.addr)).unwrap();
    Setup {
        _reg: reg,
        proxy,
        digest,
        image,
    }
}

fn resolver(proxy: &FaultProxy, auth: AuthSources, timeout: Duration) -> Resolver {
    Resolver::new(ResolveConfig {
        client: ClientConfig {
            insecure: vec![proxy.addr.clone()],
            timeout,
            max_backoff: Duration::from_secs(2),
            auth,
            ..ClientConfig::default()
        },
        ..ResolveConfig::default()
    })
    .unwrap()
}

async fn resolve_with(s: &Setup, fault: Fault, only: Option<&str>) -> Result<String, Unresolved> {
    s.proxy.set(fault, only);
    let r = resolver(&s.proxy, AuthSources::default(), Duration::from_secs(5));
    let res = r.resolve(&s.image).await?;
    // What check does next: fetch the manifest by digest, verified.
    r.inspect(&res).await?;
    Ok(res.digest)
}

/// The bearer-token proxy of [`bearer_token_challenge_with_and_without_credentials`], and the
/// credentials that get a token from it.
fn token_auth(s: &Setup) -> (tempfile::TempDir, AuthSources) {
    s.proxy.set(
        Fault::Token {
            user: "bob".into(),
            pass: "tok-pass-77".into(),
        },
        None,
    );
    auth_file(&s.proxy.addr, "bob", "tok-pass-77")
}

/// A docker config.json with `user:pass` for `registry`, as the only credential source.
fn auth_file(registry: &str, user: &str, pass: &str) -> (tempfile::TempDir, AuthSources) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("config.json");
    std::fs::write(
        &f,
        serde_json::json!({"auths": {registry: {"username": user, "password": pass}}}).to_string(),
    )
    .unwrap();
    let auth = AuthSources {
        files: vec![f],
        helper_path: None,
    };
    (dir, auth)
}

/// `gate check`'s registry traffic for one image behind a bearer-token registry: resolve
/// looks the tag up (after one challenge and one token) and inspect reads the manifest by
/// digest; verify, sharing the client, fetches blobs with the same token and finds the
/// manifest in the client: one handshake per registry and scope for the run, no `/v2/` ping.
/// A pinned reference (`tag@digest`) is checked with the GET inspect then reuses.
#[tokio::test]
async fn resolve_inspect_and_verify_share_one_token_and_one_manifest_fetch() {
    let s = setup().await;
    let (_dir, auth) = token_auth(&s);
    let paths = Arc::new(Mutex::new(Vec::new()));
    let seen = paths.clone();
    s.proxy.on_request(Some(Arc::new(move |p: &str| {
        seen.lock().unwrap().push(p.to_string())
    })));
    let r = resolver(&s.proxy, auth, Duration::from_secs(5)).reading_manifests();
    let res = r.resolve(&s.image).await.unwrap();
    assert_eq!(res.digest, s.digest);
    assert_eq!(r.inspect(&res).await.unwrap().manifest.digest, s.digest);
    let fetcher = RegistryFetcher::with_client(r.client().clone());
    let (repo, _) = r.repo_for(&s.image);
    let (blobs, _) = image_parts("team/app:v1:linux/amd64", "linux", "amd64");
    for blob in &blobs {
        let got = Fetcher::blob(&fetcher, &repo, &sha256(blob), 1 << 20)
            .await
            .unwrap();
        assert_eq!(&got, blob);
    }
    let again = Fetcher::manifest(&fetcher, &repo, &s.digest).await.unwrap();
    assert_eq!(again.map(|b| sha256(&b)), Some(s.digest.clone()));
    let seen = paths.lock().unwrap().clone();
    let tokens = seen.iter().filter(|p| p.starts_with("/token")).count();
    assert_eq!(tokens, 1, "{seen:#?}");
    // The challenge, the token, the HEAD by tag, the GET by digest, the two blobs.
    assert_eq!(seen.len(), 6, "{seen:#?}");
    assert!(!seen.iter().any(|p| p == "/v2/"), "{seen:#?}");

    // Pinned: one GET by digest for resolve and inspect together.
    let pinned = Reference::parse(&format!("{}/team/app:v1@{}", s.proxy.addr, s.digest)).unwrap();
    let (_dir2, auth) = token_auth(&s);
    let r = resolver(&s.proxy, auth, Duration::from_secs(5)).reading_manifests();
    paths.lock().unwrap().clear();
    let res = r.resolve(&pinned).await.unwrap();
    assert_eq!(r.inspect(&res).await.unwrap().manifest.digest, s.digest);
    let seen = paths.lock().unwrap().clone();
    let manifests: Vec<&String> = seen.iter().filter(|p| p.contains("/manifests/")).collect();
    assert_eq!(manifests.len(), 2, "the 401, then the GET: {seen:#?}");
}

/// A pinned reference checked with a GET (check's way) refuses the same lies as with a HEAD
/// and a verified GET: other bytes than its digest, a truncated body.
#[tokio::test]
async fn a_reading_resolver_refuses_lying_or_broken_manifests() {
    let s = setup().await;
    let pinned = Reference::parse(&format!("{}/team/app:v1@{}", s.proxy.addr, s.digest)).unwrap();
    for fault in [Fault::WrongDigestHeader, Fault::WrongBody, Fault::Truncate] {
        s.proxy.set(fault.clone(), Some("/manifests/"));
        let e = resolver(&s.proxy, AuthSources::default(), Duration::from_secs(5))
            .reading_manifests()
            .resolve(&pinned)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e.error,
                ResolveError::DigestMismatch { .. }
                    | ResolveError::Network { .. }
                    | ResolveError::Connect { .. }
            ),
            "{fault:?}: {e:?}"
        );
    }
}

fn status(code: u16, times: usize, retry_after: Option<&str>) -> Fault {
    Fault::Status {
        code,
        retry_after: retry_after.map(str::to_string),
        times,
    }
}

#[tokio::test]
async fn transient_429_and_5xx_succeed_within_the_retry_budget() {
    let s = setup().await;
    for (code, ra) in [(429, Some("1")), (502, None), (503, Some("0")), (504, None)] {
        let start = Instant::now();
        let got = resolve_with(&s, status(code, 2, ra), None).await;
        assert_eq!(got.unwrap(), s.digest, "HTTP {code}");
        if ra == Some("1") {
            assert!(
                start.elapsed() >= Duration::from_secs(2),
                "Retry-After was not honoured"
            );
        }
    }
}

#[tokio::test]
async fn persistent_errors_fail_with_the_status() {
    let s = setup().await;
    for code in [429, 500, 502, 503] {
        let start = Instant::now();
        let e = resolve_with(&s, status(code, usize::MAX, Some("1")), None)
            .await
            .unwrap_err();
        assert!(
            matches!(e.error, ResolveError::Status { status, .. } if status == code),
            "{code}: {e:?}"
        );
        assert!(
            chain_text(&e).contains(&format!("HTTP {code}")),
            "{}",
            chain_text(&e)
        );
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "{code} took too long"
        );
    }
}

#[tokio::test]
async fn auth_faults_say_what_to_do() {
    let s = setup().await;
    let e = resolve_with(&s, Fault::Unauthorized, None)
        .await
        .unwrap_err();
    assert!(matches!(
        e.error,
        ResolveError::Unauthorized {
            had_credentials: false,
            ..
        }
    ));
    assert!(
        chain_text(&e).contains("docker login"),
        "{}",
        chain_text(&e)
    );
    let e = resolve_with(&s, status(403, usize::MAX, None), None)
        .await
        .unwrap_err();
    assert!(matches!(e.error, ResolveError::Denied { .. }), "{e:?}");
    let e = resolve_with(&s, status(404, usize::MAX, None), None)
        .await
        .unwrap_err();
    assert!(matches!(e.error, ResolveError::NotFound { .. }), "{e:?}");
}

#[tokio::test]
async fn bearer_token_challenge_with_and_without_credentials() {
    let s = setup().await;
    let (_dir, auth) = token_auth(&s);
    // Without credentials the token endpoint refuses: unauthorized.
    let e = resolver(&s.proxy, AuthSources::default(), Duration::from_secs(5))
        .resolve(&s.image)
        .await
        .unwrap_err();
    assert!(
        matches!(e.error, ResolveError::Unauthorized { .. }),
        "{e:?}"
    );

    // With credentials: one token for the repository, then the HEAD succeeds.
    let r = resolver(&s.proxy, auth, Duration::from_secs(5));
    let before = s.proxy.requests();
    let refs: Vec<Reference> = (0..20).map(|_| s.image.clone()).collect();
    let out = r.resolve_all(&refs).await;
    assert!(out
        .iter()
        .all(|x| x.as_ref().is_ok_and(|x| x.digest == s.digest)));
    // 401 + token + HEAD: identical references are resolved once.
    assert_eq!(s.proxy.requests() - before, 3);
}

#[tokio::test]
async fn a_hanging_registry_times_out() {
    let s = setup().await;
    s.proxy.set(Fault::Hang, None);
    let start = Instant::now();
    let e = resolver(&s.proxy, AuthSources::default(), Duration::from_secs(2))
        .resolve(&s.image)
        .await
        .unwrap_err();
    assert!(matches!(e.error, ResolveError::Timeout { .. }), "{e:?}");
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn lying_or_broken_bodies_fail_the_digest_check() {
    let s = setup().await;
    // HEAD announces a digest the bytes do not have: the verified GET by digest catches it.
    let e = resolve_with(&s, Fault::WrongDigestHeader, Some("/manifests/"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.error,
            ResolveError::DigestMismatch { .. } | ResolveError::AnnouncedDigestMissing { .. }
        ),
        "{e:?}"
    );
    // No digest header, so the body is fetched and hashed; other bytes than asked for fail.
    let by_digest = Reference::parse(&format!("{}/team/app@{}", s.proxy.addr, s.digest)).unwrap();
    s.proxy.set(Fault::WrongBody, Some("/manifests/"));
    let r = resolver(&s.proxy, AuthSources::default(), Duration::from_secs(5));
    let e = r.resolve(&by_digest).await.unwrap_err();
    assert!(
        matches!(e.error, ResolveError::DigestMismatch { .. }),
        "{e:?}"
    );
    assert!(chain_text(&e).contains("digest"), "{}", chain_text(&e));
    // A truncated body is an error, never a short manifest.
    let e = resolve_with(&s, Fault::Truncate, Some("/manifests/"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.error,
            ResolveError::Network { .. } | ResolveError::Connect { .. }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn oversized_manifests_and_indexes_are_refused() {
    let s = setup().await;
    let e = resolve_with(&s, Fault::Huge(50 * 1024 * 1024), Some("/manifests/"))
        .await
        .unwrap_err();
    assert!(matches!(e.error, ResolveError::TooLarge { .. }), "{e:?}");
    let e = resolve_with(&s, Fault::WideIndex(10_000), Some("/manifests/"))
        .await
        .unwrap_err();
    assert!(
        chain_text(&e).contains("10000 manifests")
            || matches!(e.error, ResolveError::TooLarge { .. }),
        "{}",
        chain_text(&e)
    );
}

#[tokio::test]
async fn redirects_to_another_origin_get_no_credentials() {
    let s = setup().await;
    let elsewhere = FaultProxy::start(&s._reg.addr).await;
    s.proxy
        .set(Fault::Redirect(format!("http://{}", elsewhere.addr)), None);
    let (_dir, auth) = auth_file(&s.proxy.addr, "eve", "never-leak-9");
    // Make the client send Basic credentials to the proxy first (it learns the scheme on 401).
    s.proxy.set(Fault::Unauthorized, None);
    let r = resolver(&s.proxy, auth.clone(), Duration::from_secs(5));
    let _ = r.resolve(&s.image).await;
    assert!(
        !s.proxy.seen_auth.lock().unwrap().is_empty(),
        "credentials were never sent"
    );
    s.proxy
        .set(Fault::Redirect(format!("http://{}", elsewhere.addr)), None);
    let got = r.resolve(&s.image).await;
    assert_eq!(got.unwrap().digest, s.digest);
    assert!(
        elsewhere.seen_auth.lock().unwrap().is_empty(),
        "credentials leaked across origins"
    );

    // Nothing listens at 127.0.0.2:9: a clean connection error.
    s.proxy
        .set(Fault::Redirect("http://127.0.0.2:9".into()), None);
    let e = r.resolve(&s.image).await.unwrap_err();
    let msg = chain_text(&e);
    assert!(!msg.contains("never-leak-9"), "{msg}");
    assert!(
        matches!(
            e.error,
            ResolveError::Connect { .. } | ResolveError::Network { .. }
        ),
        "{e:?}"
    );
}
