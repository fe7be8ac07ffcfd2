//! Sigstore's trusted root through TUF (`gate::verify::tuf`, backed by `tough`) against real TUF
//! repositories: built in each test by the reference implementation, python-tuf
//! (`tests/tuf/repo.py`, venv from `scripts/install-deps`), and served by a small HTTP server on
//! loopback. The security properties: first fetch from the bootstrap root, root rotation
//! followed, expired timestamp fails closed, rollback refused, bad target hash refused, a hanging
//! mirror bounded by the timeout; offline with and without a cache; exit codes of the binary.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gate::verify::tuf::{self, Freshness, TufError, TufOptions};

/// python-tuf's interpreter; the test fails (it never skips) when it is missing.
fn python() -> PathBuf {
    let home = std::env::var_os("HOME").expect("HOME is set");
    let py = PathBuf::from(home).join(".cache/gate/venv-tuf/bin/python");
    assert!(
        py.exists(),
        "python-tuf is not installed at {}: run scripts/install-deps",
        py.display()
    );
    py
}

/// A TUF repository built by python-tuf, in a temporary directory.
pub struct Repo {
    pub dir: tempfile::TempDir,
}

impl Repo {
    /// A new repository whose one target `trusted_root.json` holds `target`.
    pub fn init(target: &[u8], timestamp_expires: u64) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("target.json");
        std::fs::write(&file, target).unwrap();
        let repo = Repo { dir };
        repo.run(&[
            "init",
            repo.path().to_str().unwrap(),
            file.to_str().unwrap(),
            "--timestamp-expires",
            &timestamp_expires.to_string(),
        ]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `repo.py COMMAND DIR [ARGS]`.
    pub fn edit(&self, command: &str, args: &[&str]) {
        let mut all = vec![command, self.path().to_str().unwrap()];
        all.extend_from_slice(args);
        self.run(&all);
    }

    fn run(&self, args: &[&str]) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tuf/repo.py");
        let out = Command::new(python())
            .arg(script)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "repo.py {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn bootstrap_root(&self) -> PathBuf {
        self.path().join("www/1.root.json")
    }
}

/// A loopback HTTP server for a directory: GET only, 404 for anything missing. `down` makes it
/// drop every connection (an unreachable mirror); `requests` counts what it was asked.
pub struct Server {
    pub url: String,
    pub down: Arc<AtomicBool>,
    pub requests: Arc<AtomicUsize>,
}

impl Server {
    pub fn serve(root: PathBuf) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let down = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let (d, r) = (down.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                if d.load(Ordering::SeqCst) {
                    continue;
                }
                r.fetch_add(1, Ordering::SeqCst);
                let root = root.clone();
                std::thread::spawn(move || respond(stream, &root));
            }
        });
        Server {
            url,
            down,
            requests,
        }
    }

    /// A mirror that accepts connections and never answers.
    pub fn hanging() -> (String, std::thread::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().take(64) {
                held.push(stream);
            }
        });
        (url, handle)
    }
}

fn respond(mut stream: TcpStream, root: &Path) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/");
    let rel = path.trim_start_matches('/');
    let body = (!rel.split('/').any(|s| s == ".." || s.is_empty()))
        .then(|| std::fs::read(root.join(rel)).ok())
        .flatten();
    let _ = match body {
        Some(b) => stream
            .write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    b.len()
                )
                .as_bytes(),
            )
            .and_then(|()| stream.write_all(&b)),
        None => stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    };
}

/// A served repository and a client cache.
pub struct Mirror {
    pub repo: Repo,
    pub server: Server,
    pub cache: tempfile::TempDir,
}

impl Mirror {
    pub fn start(target: &[u8], timestamp_expires: u64) -> Mirror {
        let repo = Repo::init(target, timestamp_expires);
        let server = Server::serve(repo.path().join("www"));
        Mirror {
            repo,
            server,
            cache: tempfile::tempdir().unwrap(),
        }
    }

    pub fn options(&self) -> TufOptions {
        TufOptions {
            mirror: self.server.url.clone(),
            root: Some(self.repo.bootstrap_root()),
            cache: Some(self.cache.path().to_path_buf()),
            timeout: Duration::from_secs(10),
            ..TufOptions::default()
        }
    }

    pub fn offline(&self) -> TufOptions {
        TufOptions {
            offline: true,
            ..self.options()
        }
    }
}

const TARGET: &[u8] =
    br#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}"#;

/// Waits until a timestamp signed `seconds` ago with that lifetime has expired.
fn outlive(signed: Instant, seconds: u64) {
    let left = Duration::from_secs(seconds + 1).saturating_sub(signed.elapsed());
    std::thread::sleep(left);
}

#[test]
fn tuf_first_fetch_from_bootstrap_root_then_warm_cache_then_offline() {
    let m = Mirror::start(TARGET, 86400);
    let started = Instant::now();
    let first = tuf::trusted_root(&m.options()).unwrap();
    let cold = started.elapsed();
    assert_eq!(first.freshness, Freshness::Fetched);
    assert_eq!(first.bytes, TARGET);
    assert_eq!(first.root_version, 1);
    assert_eq!(std::fs::read(&first.path).unwrap(), TARGET);
    let asked = m.server.requests.load(Ordering::SeqCst);
    // root 2 (absent), timestamp, snapshot, targets, the target.
    assert!(asked >= 5, "{asked} requests");

    let started = Instant::now();
    let warm = tuf::trusted_root(&m.options()).unwrap();
    let warm_cost = started.elapsed();
    assert_eq!(warm.freshness, Freshness::Cached);
    assert_eq!(warm.bytes, TARGET);
    assert_eq!(
        m.server.requests.load(Ordering::SeqCst),
        asked,
        "warm start used the network"
    );
    eprintln!("TUF loopback: cold fetch {cold:?}, warm start {warm_cost:?}");

    m.server.down.store(true, Ordering::SeqCst);
    let offline = tuf::trusted_root(&m.offline()).unwrap();
    assert_eq!(offline.freshness, Freshness::Offline);
    assert_eq!(offline.bytes, TARGET);
}

#[test]
fn tuf_root_rotation_is_followed() {
    let m = Mirror::start(TARGET, 3);
    let signed = Instant::now();
    assert_eq!(tuf::trusted_root(&m.options()).unwrap().root_version, 1);
    // Root v2 replaces the timestamp key and re-signs the timestamp with the new key.
    m.repo.edit("rotate", &[]);
    outlive(signed, 3);
    let after = tuf::trusted_root(&m.options()).unwrap();
    assert_eq!(after.freshness, Freshness::Fetched);
    assert_eq!(after.root_version, 2);
    // The next run starts from root v2: the cached mirror verifies with the new key.
    let warm = tuf::trusted_root(&m.options()).unwrap();
    assert_eq!((warm.freshness, warm.root_version), (Freshness::Cached, 2));
}

#[test]
fn tuf_stale_cache_is_refreshed_online_and_fails_closed_when_the_mirror_is_gone() {
    let m = Mirror::start(TARGET, 3);
    let signed = Instant::now();
    tuf::trusted_root(&m.options()).unwrap();
    let newer =
        br#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","v":2}"#;
    let file = m.repo.path().join("newer.json");
    std::fs::write(&file, newer).unwrap();
    m.repo.edit(
        "publish",
        &[
            "--target",
            file.to_str().unwrap(),
            "--timestamp-expires",
            "8",
        ],
    );
    let republished = Instant::now();
    outlive(signed, 3);
    let fresh = tuf::trusted_root(&m.options()).unwrap();
    assert_eq!(fresh.freshness, Freshness::Fetched);
    assert_eq!(fresh.bytes, newer);
    // The cached timestamp expires and the mirror is unreachable: an error, never the old or
    // the embedded root.
    outlive(republished, 8);
    m.server.down.store(true, Ordering::SeqCst);
    let err = tuf::trusted_root(&m.options()).unwrap_err();
    assert!(matches!(err, TufError::Repository { .. }), "{err:?}");
    // `--offline` still uses the cache, expired or not.
    assert_eq!(tuf::trusted_root(&m.offline()).unwrap().bytes, newer);
}

#[test]
fn tuf_expired_timestamp_fails_closed() {
    let m = Mirror::start(TARGET, 86400);
    m.repo.edit("expire", &[]);
    let err = tuf::trusted_root(&m.options()).unwrap_err();
    let chain = chain(&err);
    assert!(chain.contains("expired"), "{chain}");
    // Nothing was cached.
    assert!(matches!(
        tuf::trusted_root(&m.offline()).unwrap_err(),
        TufError::NoCache { .. }
    ));
}

#[test]
fn tuf_rollback_to_an_older_snapshot_is_refused() {
    let m = Mirror::start(TARGET, 86400);
    m.repo.edit("publish", &["--timestamp-expires", "3"]);
    let signed = Instant::now();
    // The client has seen snapshot v2.
    tuf::trusted_root(&m.options()).unwrap();
    // A newer, validly signed timestamp that points back at snapshot v1.
    m.repo.edit("rollback", &[]);
    outlive(signed, 3);
    let err = tuf::trusted_root(&m.options()).unwrap_err();
    let chain = chain(&err);
    eprintln!("{chain}");
    assert!(
        chain.contains("snapshot") && chain.contains("version"),
        "{chain}"
    );
}

#[test]
fn tuf_target_with_a_wrong_hash_is_refused() {
    let m = Mirror::start(TARGET, 86400);
    m.repo.edit("tamper", &[]);
    let err = tuf::trusted_root(&m.options()).unwrap_err();
    let chain = chain(&err);
    assert!(
        chain.contains("hash") || chain.contains("length"),
        "{chain}"
    );
    assert!(matches!(
        tuf::trusted_root(&m.offline()).unwrap_err(),
        TufError::NoCache { .. }
    ));
}

#[test]
fn tuf_hanging_mirror_is_bounded_by_the_timeout() {
    let repo = Repo::init(TARGET, 86400);
    let (url, _held) = Server::hanging();
    let cache = tempfile::tempdir().unwrap();
    let opts = TufOptions {
        mirror: url,
        root: Some(repo.bootstrap_root()),
        cache: Some(cache.path().to_path_buf()),
        timeout: Duration::from_secs(2),
        ..TufOptions::default()
    };
    let started = Instant::now();
    let err = tuf::trusted_root(&opts).unwrap_err();
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(2), "{took:?}: {err:?}");
    // One request times out and the update stops there; generous for a loaded machine.
    assert!(took < Duration::from_secs(30), "{took:?}");
}

/// The binary: `verify-blob` through a TUF mirror on loopback; an expired timestamp and
/// `--offline` without a cache exit 2 and say why.
#[test]
fn tuf_cli_exit_codes() {
    let m = Mirror::start(TARGET, 86400);
    let gate = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_gate"));
        c.env("XDG_CACHE_HOME", m.cache.path())
            .args(["--tuf-mirror", &m.server.url, "--tuf-root"])
            .arg(m.repo.bootstrap_root())
            .args(args);
        c.output().unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let blob = dir.path().join("a.txt");
    std::fs::write(&blob, "x").unwrap();
    let bundle = dir.path().join("b.json");
    std::fs::write(&bundle, "{}").unwrap();
    let verify = [
        "verify-blob",
        "--key",
        "env://NO_SUCH_KEY",
        "--bundle",
        bundle.to_str().unwrap(),
        blob.to_str().unwrap(),
    ];
    let mut offline = vec!["--offline"];
    offline.extend_from_slice(&verify);
    let out = gate(&offline);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("run gate once without `--offline`"), "{err}");

    m.repo.edit("expire", &[]);
    let out = gate(&verify);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("TUF") && err.contains("expired"), "{err}");
}

/// The error and its sources, lowercase.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        s.push_str(": ");
        s.push_str(&x.to_string());
        src = x.source();
    }
    s.to_lowercase()
}

/// `gate check` with keyless identities gets its trusted root through TUF: offline with no cache
/// it exits 2 saying so; online, the policy's `tuf-mirror` and `tuf-root` are used and the
/// verified root lands in the cache.
#[test]
fn tuf_check_with_keyless_identities_uses_tuf() {
    let m = Mirror::start(TARGET, 86400);
    let dir = tempfile::tempdir().unwrap();
    let identity = "    - issuer: https://token.actions.githubusercontent.com\n      \
                    identity: https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main\n";
    let plain = dir.path().join("plain.yaml");
    std::fs::write(&plain, format!("signatures:\n  identities:\n{identity}")).unwrap();
    let mirrored = dir.path().join("mirrored.yaml");
    std::fs::write(
        &mirrored,
        format!(
            "signatures:\n  tuf-mirror: {}\n  tuf-root: {}\n  identities:\n{identity}",
            m.server.url,
            m.repo.bootstrap_root().display()
        ),
    )
    .unwrap();
    let check = |policy: &Path, extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_gate"))
            .env("XDG_CACHE_HOME", m.cache.path())
            .env("DOCKER_CONFIG", "/nonexistent")
            .args([
                "check",
                "127.0.0.1:9/app:1",
                "--skip-scan",
                "--timeout",
                "2",
            ])
            .args(["--insecure-registry", "127.0.0.1:9", "--policy"])
            .arg(policy)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = check(&plain, &["--offline"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("tuf-repo-cdn.sigstore.dev"), "{err}");
    assert!(err.contains("run gate once without `--offline`"), "{err}");

    let out = check(&mirrored, &[]);
    let cached = tuf::mirror_dir(&TufOptions {
        mirror: m.server.url.clone(),
        cache: Some(m.cache.path().join("gate")),
        ..TufOptions::default()
    })
    .unwrap()
    .join("repo/targets/trusted_root.json");
    assert_eq!(
        std::fs::read(&cached).ok().as_deref(),
        Some(TARGET),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
