//! The real-registry test harness: Debian's `docker-registry` on 127.0.0.1, with filesystem
//! storage in a temp dir, optionally with TLS (a generated CA and leaf) and htpasswd auth, and
//! helpers that push small images and two-platform indexes with `oci-client`.
//!
//! Each `Registry` is its own process, killed when the value drops. A missing `docker-registry`
//! fails the test with the install command; it never skips.

#![allow(dead_code)]

use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use sha2::{Digest, Sha256};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const INSTALL: &str =
    "docker-registry is not installed: run `apt-get install -y docker-registry apache2-utils openssl`";

/// How to start a registry.
#[derive(Default, Clone)]
pub struct Options {
    pub tls: bool,
    /// htpasswd (bcrypt) user and password.
    pub auth: Option<(String, String)>,
    /// Log every request (method, path, status, user agent) for [`Registry::requests`].
    pub access_log: bool,
}

/// A running registry.
pub struct Registry {
    /// `127.0.0.1:PORT`
    pub addr: String,
    pub dir: tempfile::TempDir,
    /// The CA that signed the TLS leaf, when started with TLS.
    pub ca: Option<PathBuf>,
    pub auth: Option<(String, String)>,
    /// go-containerregistry's registry answers a finished blob upload without the `Location`
    /// the distribution spec requires, which oci-client refuses: blobs go up with `curl`.
    blobs_by_curl: bool,
    child: Child,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

pub fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a leaf for 127.0.0.1/localhost, made with the `openssl` CLI. The leaf carries
/// `basicConstraints CA:FALSE`, which rustls requires of an end-entity certificate.
pub fn make_tls(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let p = |n: &str| dir.join(n);
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(Command::new("openssl")
        .args(["req", "-x509"])
        .args(ec)
        .arg("-keyout")
        .arg(p("ca.key"))
        .arg("-out")
        .arg(p("ca.pem"))
        .args(["-days", "2", "-subj", "/CN=gate test CA"])
        .args(["-addext", "basicConstraints=critical,CA:TRUE"])
        .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]));
    run(Command::new("openssl")
        .arg("req")
        .args(ec)
        .arg("-keyout")
        .arg(p("leaf.key"))
        .arg("-out")
        .arg(p("leaf.csr"))
        .args(["-subj", "/CN=localhost"]));
    std::fs::write(
        p("leaf.ext"),
        "basicConstraints=critical,CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n\
         keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "2", "-CAcreateserial"])
        .arg("-in")
        .arg(p("leaf.csr"))
        .arg("-CA")
        .arg(p("ca.pem"))
        .arg("-CAkey")
        .arg(p("ca.key"))
        .arg("-out")
        .arg(p("leaf.pem"))
        .arg("-extfile")
        .arg(p("leaf.ext")));
    (p("ca.pem"), p("leaf.pem"), p("leaf.key"))
}

impl Registry {
    /// A plain-HTTP registry without auth.
    pub fn start() -> Self {
        Self::with(Options::default())
    }

    pub fn with(opts: Options) -> Self {
        let exe = which::which("docker-registry").unwrap_or_else(|_| panic!("{INSTALL}"));
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: {}\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
             http:\n  addr: {addr}\n  secret: gate-test\n",
            !opts.access_log,
            dir.path().join("data").display()
        );
        let mut ca = None;
        if opts.tls {
            let (ca_pem, leaf, key) = make_tls(dir.path());
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                leaf.display(),
                key.display()
            ));
            ca = Some(ca_pem);
        }
        if let Some((user, pass)) = &opts.auth {
            let htpasswd = which::which("htpasswd").unwrap_or_else(|_| panic!("{INSTALL}"));
            let out = Command::new(htpasswd)
                .args(["-Bbn", user, pass])
                .output()
                .unwrap();
            assert!(out.status.success());
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, out.stdout).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: gate-test\n    path: {}\n",
                file.display()
            ));
        }
        let cfg = dir.path().join("config.yml");
        std::fs::write(&cfg, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new(exe)
            .arg("serve")
            .arg(&cfg)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start docker-registry: {e}"));
        let reg = Self {
            addr,
            dir,
            ca,
            auth: opts.auth,
            blobs_by_curl: false,
            child,
        };
        reg.wait_ready();
        reg
    }

    /// The OCI 1.1 referrers-API registry of the interop tests (go-containerregistry's
    /// `pkg/registry` with referrers enabled, built by `scripts/install-deps --peers`), plain
    /// HTTP on loopback, in memory. `None` when the peer is not installed.
    pub fn referrers() -> Option<Self> {
        let exe = crate::interop::peers::referrers_registry()?;
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new(exe)
            .arg("-addr")
            .arg(&addr)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the referrers registry: {e}"));
        let reg = Self {
            addr,
            dir,
            ca: None,
            auth: None,
            blobs_by_curl: true,
            child,
        };
        reg.wait_ready();
        Some(reg)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(&self.addr).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let log = std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default();
        panic!("docker-registry did not start on {}:\n{log}", self.addr);
    }

    /// The requests the registry has answered so far, as `METHOD /path?query STATUS AGENT`, in
    /// order (started with [`Options::access_log`]; empty otherwise).
    pub fn requests(&self) -> Vec<String> {
        let log = std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default();
        // The combined log format: `host - user [time] "METHOD PATH PROTO" STATUS SIZE "REF" "UA"`.
        log.lines()
            .filter_map(|l| {
                let mut quoted = l.split('"').skip(1).step_by(2);
                let request = quoted.next()?;
                let status = l.split('"').nth(2)?.split_whitespace().next()?;
                let agent = quoted.nth(1).unwrap_or_default();
                let (method, rest) = request.split_once(' ')?;
                let path = rest.rsplit_once(' ').map_or(rest, |(p, _)| p);
                Some(format!("{method} {path} {status} {agent}"))
            })
            .collect()
    }

    /// The registry's storage root (for seeding content byte-exact).
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// An oci-client that can push here.
    pub fn client(&self) -> Client {
        let mut cfg = ClientConfig {
            protocol: if self.ca.is_some() {
                ClientProtocol::Https
            } else {
                ClientProtocol::Http
            },
            ..Default::default()
        };
        if let Some(ca) = &self.ca {
            cfg.extra_root_certificates.push(Certificate {
                encoding: CertificateEncoding::Pem,
                data: std::fs::read(ca).unwrap(),
            });
        }
        Client::new(cfg)
    }

    fn registry_auth(&self) -> RegistryAuth {
        match &self.auth {
            Some((u, p)) => RegistryAuth::Basic(u.clone(), p.clone()),
            None => RegistryAuth::Anonymous,
        }
    }

    /// Push blob and manifest bytes; returns the manifest digest (computed here, not asked).
    pub async fn push_raw(
        &self,
        repo: &str,
        tag: &str,
        blobs: &[Vec<u8>],
        manifest: &[u8],
        media_type: &str,
    ) -> String {
        let client = self.client();
        let r: Reference = format!("{}/{repo}:{tag}", self.addr).parse().unwrap();
        client
            .auth(
                &r,
                &self.registry_auth(),
                oci_client::RegistryOperation::Push,
            )
            .await
            .unwrap();
        for b in blobs {
            let d = sha256(b);
            if self.blobs_by_curl {
                self.curl_blob(repo, b, &d);
            } else {
                client.push_blob(&r, b.clone(), &d).await.unwrap();
            }
        }
        client
            .push_manifest_raw(&r, manifest.to_vec(), media_type.parse().unwrap())
            .await
            .unwrap();
        sha256(manifest)
    }

    /// A monolithic `POST …/blobs/uploads/?digest=` with `curl`.
    fn curl_blob(&self, repo: &str, blob: &[u8], digest: &str) {
        use std::io::Write as _;
        let mut child = Command::new("curl")
            .args([
                "-sSf",
                "-X",
                "POST",
                "-H",
                "Content-Type: application/octet-stream",
            ])
            .arg("--data-binary")
            .arg("@-")
            .arg(format!(
                "http://{}/v2/{repo}/blobs/uploads/?digest={digest}",
                self.addr
            ))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("curl: {e}"));
        child.stdin.take().unwrap().write_all(blob).unwrap();
        assert!(child.wait().unwrap().success(), "curl blob upload failed");
    }

    /// Push a small single-platform image; distinct (repo, tag) pairs get distinct digests.
    pub async fn push_image(&self, repo: &str, tag: &str) -> String {
        self.push_platform_image(repo, tag, "linux", "amd64").await
    }

    pub async fn push_platform_image(&self, repo: &str, tag: &str, os: &str, arch: &str) -> String {
        let (blobs, manifest) = image_parts(&format!("{repo}:{tag}:{os}/{arch}"), os, arch);
        self.push_raw(repo, tag, &blobs, &manifest, OCI_MANIFEST)
            .await
    }

    /// Push a linux/amd64 + linux/arm64 index; returns (index digest, child digests).
    pub async fn push_index(&self, repo: &str, tag: &str) -> (String, Vec<String>) {
        let mut entries = Vec::new();
        let mut children = Vec::new();
        for arch in ["amd64", "arm64"] {
            let (blobs, manifest) = image_parts(&format!("{repo}:{tag}:{arch}"), "linux", arch);
            let d = self
                .push_raw(
                    repo,
                    &format!("{tag}-{arch}"),
                    &blobs,
                    &manifest,
                    OCI_MANIFEST,
                )
                .await;
            entries.push(serde_json::json!({
                "mediaType": OCI_MANIFEST, "digest": d, "size": manifest.len(),
                "platform": {"os": "linux", "architecture": arch}
            }));
            children.push(d);
        }
        let index = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries
        }))
        .unwrap();
        let d = self.push_raw(repo, tag, &[], &index, OCI_INDEX).await;
        (d, children)
    }
}

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

pub fn sha256(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

/// Config + one layer + manifest bytes for a tiny image whose content depends on `seed`.
pub fn image_parts(seed: &str, os: &str, arch: &str) -> (Vec<Vec<u8>>, Vec<u8>) {
    let layer = format!("gate test layer {seed}\n").into_bytes();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": arch, "os": os,
        "rootfs": {"type": "layers", "diff_ids": [sha256(&layer)]},
        "config": {"Labels": {"gate.test": seed}}
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha256(&layer), "size": layer.len()}]
    }))
    .unwrap();
    (vec![config, layer], manifest)
}
