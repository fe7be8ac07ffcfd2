//! `gate check --attest keyless` against a real Sigstore Fulcio (ephemeral CA, no CT log) and a
//! test-only OIDC issuer standing in for the CI's identity provider (`scripts/peers/fulcio`):
//! gate takes the ID token from `SIGSTORE_ID_TOKEN`, gets a certificate for an ephemeral key,
//! and signs the verification summary with it, tlog-less as the trusted policy says. The real
//! cosign v2 (`.att`, the Fulcio root through `SIGSTORE_ROOT_FILE`) and v3 (bundle referrer,
//! `--trusted-root`) accept it for the token's identity and issuer, and refuse another identity;
//! gate's own verify accepts the `.att` one within the certificate's life and not the tlog-less
//! bundle (no verified signing time).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::{engine::general_purpose::STANDARD, Engine as _};

use super::cosign::Cell;
use super::peers::{self, gate, Cosign, RegistryKind};
use crate::harness::free_port;

const VSA: &str = "https://slsa.dev/verification_summary/v1";
const EMAIL: &str = "ci@example.test";

/// A running Fulcio and OIDC issuer, and what a verifier needs to trust them.
struct Sigstore {
    children: Vec<Child>,
    issuer: String,
    fulcio: String,
    token: String,
    /// Fulcio's root, PEM (cosign v2's `SIGSTORE_ROOT_FILE`).
    root_pem: PathBuf,
    /// A Sigstore `TrustedRoot` with Fulcio as its one CA (cosign v3's `--trusted-root`).
    trusted_root: PathBuf,
}

impl Drop for Sigstore {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Sigstore {
    async fn start(dir: &Path) -> Option<Self> {
        let (fulcio_exe, issuer_exe) = (peers::fulcio()?, peers::oidc_issuer()?);
        let token_file = dir.join("token");
        let mut issuer = Command::new(issuer_exe)
            .args(["-addr", "127.0.0.1:0", "-email", EMAIL, "-token"])
            .arg(&token_file)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(issuer.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let issuer_url = line.trim().to_string();
        let mut children = vec![issuer];
        let config = dir.join("fulcio.json");
        std::fs::write(
            &config,
            serde_json::json!({"OIDCIssuers": {&issuer_url: {
                "IssuerURL": &issuer_url, "ClientID": "sigstore", "Type": "email"}}})
            .to_string(),
        )
        .unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.join("fulcio.log")).unwrap();
        children.push(
            Command::new(fulcio_exe)
                .args(["serve", "--ca", "ephemeralca", "--ct-log-url", ""])
                .arg("--config-path")
                .arg(&config)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--grpc-host", "127.0.0.1"])
                .args(["--grpc-port", &free_port().to_string()])
                .args(["--metrics-port", &free_port().to_string()])
                .args([
                    "--legacy-unix-domain-socket",
                    &format!("@gate-fulcio-{port}"),
                ])
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap(),
        );
        let fulcio = format!("http://127.0.0.1:{port}");
        let mut s = Sigstore {
            children,
            issuer: issuer_url,
            fulcio: fulcio.clone(),
            token: String::new(),
            root_pem: dir.join("fulcio-root.pem"),
            trusted_root: dir.join("trusted_root.json"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let bundle: serde_json::Value = loop {
            let got = reqwest::get(format!("{fulcio}/api/v2/trustBundle")).await;
            if let Ok(r) = got {
                if r.status().is_success() {
                    break r.json().await.unwrap();
                }
            }
            assert!(Instant::now() < deadline, "Fulcio did not start: {}", {
                std::fs::read_to_string(dir.join("fulcio.log")).unwrap_or_default()
            });
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        s.token = std::fs::read_to_string(&token_file).unwrap();
        let certs: Vec<String> = bundle["chains"][0]["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        std::fs::write(&s.root_pem, certs.concat()).unwrap();
        let der = |pem: &str| STANDARD.encode(::pem::parse(pem).unwrap().contents());
        let root = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [], "ctlogs": [], "timestampAuthorities": [],
            "certificateAuthorities": [{
                "subject": {"organization": "sigstore", "commonName": "sigstore"},
                "uri": fulcio,
                "certChain": {"certificates": certs.iter().map(|c| serde_json::json!({"rawBytes": der(c)})).collect::<Vec<_>>()},
                "validFor": {"start": "2020-01-01T00:00:00Z"},
            }],
        });
        std::fs::write(&s.trusted_root, root.to_string()).unwrap();
        Some(s)
    }
}

/// `gate check --skip-scan --policy POLICY --attest keyless` of `image` with `token` (if any):
/// exit code, report and stderr.
fn attest(
    cell: &Cell,
    s: &Sigstore,
    policy: &str,
    token: Option<&str>,
    image: &str,
) -> (Option<i32>, String) {
    let file = cell.path().join("keyless.yaml");
    std::fs::write(&file, policy).unwrap();
    let mut c = gate(
        cell.path(),
        &cell.reg,
        &["check", "--skip-scan", "--policy"],
    );
    c.arg(&file)
        .args(["--attest", "keyless", "--fulcio-url", &s.fulcio, image])
        .env_remove("SIGSTORE_ID_TOKEN")
        .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL")
        .env_remove("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
    if let Some(t) = token {
        c.env("SIGSTORE_ID_TOKEN", t);
    }
    let out = c.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// `cosign verify-attestation` of `image` for `identity` from the test issuer, tlog-less and
/// without an SCT (Fulcio runs without a CT log), trusting Fulcio's root.
fn cosign_verifies(
    cosign: &Cosign,
    cell: &Cell,
    s: &Sigstore,
    image: &str,
    identity: &str,
) -> bool {
    cosign_verifies_with(cosign, cell, s, image, identity, &s.trusted_root, &[])
}

/// [`cosign_verifies`] with cosign v3 trusting `trusted_root`, and `extra` flags.
fn cosign_verifies_with(
    cosign: &Cosign,
    cell: &Cell,
    s: &Sigstore,
    image: &str,
    identity: &str,
    trusted_root: &Path,
    extra: &[&str],
) -> bool {
    let mut args = vec![
        "verify-attestation",
        "--certificate-identity",
        identity,
        "--certificate-oidc-issuer",
        &s.issuer,
        "--type",
        VSA,
        "--insecure-ignore-tlog=true",
        "--insecure-ignore-sct=true",
    ];
    let trusted_root = trusted_root.display().to_string();
    if cosign.version == peers::COSIGN_V3 {
        args.extend(["--new-bundle-format", "--trusted-root", &trusted_root]);
    }
    args.extend(extra);
    args.push(image);
    let out = cosign.run_env(cell.path(), &args, &[("SIGSTORE_ROOT_FILE", &s.root_pem)]);
    if !out.status.success() {
        eprintln!(
            "cosign {}: {}",
            cosign.version,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out.status.success()
}

/// Both cosigns, a referrers-API cell and a running Sigstore in it (`None`: a peer is missing,
/// which fails the run under `CI=true`).
async fn keyless_cell() -> Option<(Cosign, Cosign, Cell, Sigstore)> {
    let (v2, v3) = (Cosign::v2()?, Cosign::v3()?);
    let cell = Cell::new(RegistryKind::ReferrersApi).await?;
    let s = Sigstore::start(cell.path()).await?;
    Some((v2, v3, cell, s))
}

#[tokio::test]
async fn keyless_summary_from_a_real_fulcio_is_accepted_by_cosign_v2_and_v3() {
    let Some((v2, v3, cell, s)) = keyless_cell().await else {
        return;
    };
    // Without the policy's consent to a tlog-less summary, or without a token: exit 2 before
    // anything is checked, naming the way out.
    let (code, err) = attest(
        &cell,
        &s,
        "attest:\n  layout: att-tag\n",
        Some(&s.token),
        &cell.image,
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("tlog-upload: false"), "{err}");
    let tlogless = "attest:\n  tlog-upload: false\n";
    let (code, err) = attest(&cell, &s, tlogless, None, &cell.image);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("SIGSTORE_ID_TOKEN"), "{err}");

    // `.att` for cosign v2, with the token from GitHub Actions' token service.
    let file = cell.path().join("keyless.yaml");
    std::fs::write(&file, tlogless).unwrap();
    let out = gate(
        cell.path(),
        &cell.reg,
        &["check", "--skip-scan", "--policy"],
    )
    .arg(&file)
    .args([
        "--attest",
        "keyless",
        "--fulcio-url",
        &s.fulcio,
        &cell.image,
    ])
    .env_remove("SIGSTORE_ID_TOKEN")
    .env(
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        format!("{}/actions-token?api-version=2.0", s.issuer),
    )
    .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gate-test-request")
    .output()
    .unwrap();
    let (code, err) = (out.status.code(), String::from_utf8_lossy(&out.stderr));
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains(".att"), "{err}");
    assert!(cosign_verifies(&v2, &cell, &s, &cell.image, EMAIL));
    assert!(!cosign_verifies(
        &v2,
        &cell,
        &s,
        &cell.image,
        "other@example.test"
    ));

    // A bundle referrer for cosign v3.
    let referrer = format!("{tlogless}  layout: referrer\n");
    let (code, err) = attest(&cell, &s, &referrer, Some(&s.token), &cell.other);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("@sha256:"), "{err}");
    assert!(cosign_verifies(&v3, &cell, &s, &cell.other, EMAIL));
    assert!(!cosign_verifies(
        &v3,
        &cell,
        &s,
        &cell.other,
        "other@example.test"
    ));

    // gate's own verify, trusting that Fulcio, requiring the summary from the token's identity:
    // the `.att` summary counts while its certificate is valid (gate checks a certificate
    // without Rekor evidence at the current time, as for `.sig`); the tlog-less bundle does not,
    // since gate's bundle verifier wants a verified time (tlog entry or timestamp) for a
    // certificate. Either way a tlog-less keyless summary cannot stand after its ten minutes:
    // Rekor upload is what makes a keyless summary last.
    let admit = cell.path().join("admit.yaml");
    std::fs::write(
        &admit,
        format!(
            "signatures:\n  required: false\nattestations:\n  - predicate-type: {VSA}\n    identities:\n      - issuer: {}\n        identity: {EMAIL}\n",
            s.issuer
        ),
    )
    .unwrap();
    let trust = [
        "--policy".to_string(),
        admit.display().to_string(),
        "--trusted-root".to_string(),
        s.trusted_root.display().to_string(),
    ];
    let trust: Vec<&str> = trust.iter().map(String::as_str).collect();
    let (code, report) = cell.check(&cell.image, &trust);
    assert_eq!(code, Some(0), "{report}");
    let (code, report) = cell.check(&cell.other, &trust);
    assert_eq!(
        (code, peers::rules(&report)),
        (Some(1), vec!["GATE-ATT-001".to_string()]),
        "{report}"
    );

    // A token the issuer did not sign: Fulcio refuses it, and nothing is attached (exit 2).
    let mut forged = s.token.rsplit_once('.').unwrap().0.to_string();
    forged.push_str(".AAAA");
    let (code, err) = attest(&cell, &s, tlogless, Some(&forged), &cell.other);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("Fulcio"), "{err}");
}

/// A running Sigstore timestamp authority (`timestamp-server`, in-memory signer).
struct Tsa {
    child: Child,
    /// Where gate asks for timestamps.
    url: String,
    /// Its certificate chain, PEM, leaf first.
    chain: Vec<String>,
}

impl Drop for Tsa {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Tsa {
    async fn start(dir: &Path) -> Option<Self> {
        let exe = peers::timestamp_server()?;
        let port = free_port();
        let log = std::fs::File::create(dir.join("tsa.log")).unwrap();
        let child = Command::new(exe)
            .args([
                "serve",
                "--timestamp-signer",
                "memory",
                "--disable-ntp-monitoring",
            ])
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}/api/v1/timestamp");
        let mut tsa = Tsa {
            child,
            url: base.clone(),
            chain: Vec::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let text = loop {
            if let Ok(r) = reqwest::get(format!("{base}/certchain")).await {
                if r.status().is_success() {
                    break r.text().await.unwrap();
                }
            }
            assert!(Instant::now() < deadline, "the TSA did not start: {}", {
                std::fs::read_to_string(dir.join("tsa.log")).unwrap_or_default()
            });
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        tsa.chain = ::pem::parse_many(text.as_bytes())
            .unwrap()
            .iter()
            .map(::pem::encode)
            .collect();
        Some(tsa)
    }
}

impl Sigstore {
    /// A copy of the trusted root with `tsa` as its one timestamp authority, at `path`.
    fn trusting_tsa(&self, tsa: &Tsa, path: &Path) -> PathBuf {
        let mut root: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&self.trusted_root).unwrap()).unwrap();
        let der = |pem: &str| STANDARD.encode(::pem::parse(pem).unwrap().contents());
        root["timestampAuthorities"] = serde_json::json!([{
            "subject": {"organization": "local", "commonName": "Test TSA"},
            "uri": tsa.url,
            "certChain": {"certificates": tsa.chain.iter().map(|c| serde_json::json!({"rawBytes": der(c)})).collect::<Vec<_>>()},
            "validFor": {"start": "2020-01-01T00:00:00Z"},
        }]);
        std::fs::write(path, root.to_string()).unwrap();
        path.to_path_buf()
    }
}

/// With `attest.timestamp-url` the keyless bundle carries an RFC 3161 timestamp from a real
/// Sigstore timestamp authority: cosign v3 accepts it trusting that TSA, and gate's own verify,
/// which refuses the tlog-less bundle without one (no verified time), accepts it — the
/// certificate is checked at the timestamp's time, not the verifier's, so it stands after the
/// certificate's ten minutes. A verifier that does not trust the TSA still refuses it; the
/// `.att` summary carries cosign's timestamp annotation, which cosign v2 accepts with the TSA's
/// chain. A tree policy cannot name a timestamp authority.
#[tokio::test]
async fn keyless_summary_with_a_real_timestamp_authority_has_a_verified_time() {
    let Some((v2, v3, cell, s)) = keyless_cell().await else {
        return;
    };
    let Some(tsa) = Tsa::start(cell.path()).await else {
        return;
    };
    let policy = format!(
        "attest:\n  tlog-upload: false\n  layout: referrer\n  timestamp-url: {}\n",
        tsa.url
    );
    let (code, err) = attest(&cell, &s, &policy, Some(&s.token), &cell.other);
    assert_eq!(code, Some(0), "{err}");

    // cosign v3 demanding a signed timestamp: accepted trusting Fulcio and the TSA, refused
    // when its trusted root lists no TSA.
    let with_tsa = s.trusting_tsa(&tsa, &cell.path().join("trusted_root_tsa.json"));
    let signed_time = ["--use-signed-timestamps=true"];
    let v3_verifies =
        |root: &Path| cosign_verifies_with(&v3, &cell, &s, &cell.other, EMAIL, root, &signed_time);
    assert!(v3_verifies(&with_tsa));
    assert!(!v3_verifies(&s.trusted_root));

    // gate's own verify: the bundle now has a verified time from a trusted TSA.
    let admit = cell.path().join("admit.yaml");
    std::fs::write(
        &admit,
        format!(
            "signatures:\n  required: false\nattestations:\n  - predicate-type: {VSA}\n    identities:\n      - issuer: {}\n        identity: {EMAIL}\n",
            s.issuer
        ),
    )
    .unwrap();
    let check = |root: &Path| {
        let args = [
            "--policy".to_string(),
            admit.display().to_string(),
            "--trusted-root".to_string(),
            root.display().to_string(),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        cell.check(&cell.other, &args)
    };
    let (code, report) = check(&with_tsa);
    assert_eq!(code, Some(0), "{report}");
    // Without the TSA in the trust root the timestamp proves nothing.
    let (code, report) = check(&s.trusted_root);
    assert_eq!(
        (code, peers::rules(&report)),
        (Some(1), vec!["GATE-ATT-001".to_string()]),
        "{report}"
    );

    // `.att`: cosign's annotation, accepted by cosign v2 given the TSA's chain.
    let att = format!(
        "attest:\n  tlog-upload: false\n  timestamp-url: {}\n",
        tsa.url
    );
    let (code, err) = attest(&cell, &s, &att, Some(&s.token), &cell.image);
    assert_eq!(code, Some(0), "{err}");
    let chain = cell.path().join("tsa-chain.pem");
    std::fs::write(&chain, tsa.chain.concat()).unwrap();
    let chain = chain.display().to_string();
    assert!(cosign_verifies_with(
        &v2,
        &cell,
        &s,
        &cell.image,
        EMAIL,
        &s.trusted_root,
        &[
            "--use-signed-timestamps=true",
            "--timestamp-certificate-chain",
            &chain
        ],
    ));

    // A timestamp authority that does not answer: nothing attached, exit 2, named.
    let dead = format!(
        "attest:\n  tlog-upload: false\n  layout: referrer\n  timestamp-url: http://127.0.0.1:{}/api/v1/timestamp\n",
        free_port()
    );
    let (code, err) = attest(&cell, &s, &dead, Some(&s.token), &cell.other);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("timestamp authority"), "{err}");
}
