//! `gate-trivy-replay`: a stand-in for `trivy` in tests and benchmarks (real Trivy cannot be
//! installed on our machines). Put on `PATH` as `trivy` (a symlink), it answers
//! `version --format json`, `image`, `convert` and `server` like Trivy, replaying real reports.
//!
//! It is also a referee: it FAILS (exit 1, `FATAL` on stderr, a `FAIL` line in its log) when
//! called with a tag instead of a digest, for the same digest and platform twice in one run,
//! with credentials on the command line, without the expected credentials in its environment,
//! with an unknown flag, or as a `--server` client when that server is not up.
//!
//! Configuration, all optional: a JSON file named by `GATE_REPLAY_CONFIG`, else `replay.json`
//! next to the `trivy` symlink; `GATE_REPLAY_MAP`, `GATE_REPLAY_LOG`, `GATE_REPLAY_MODE` override
//! its `map`, `log` and `mode`.
//!
//! - `map`: JSON file `{ "sha256:…" | "*": "report.json" | {"report", "username", "password",
//!   "token"} }`. Relative report names are looked up in the `trivy` conformance data set's `reports/` (tests/support/fixtures.rs), then in
//!   this package's `tests/data/scan`.
//! - `log`: file that gets one line per call (`image DIGEST PLATFORM MODE START_NS END_NS`,
//!   `version`, `server`, `convert FORMAT`, `FAIL reason`); `LOG.seen/` holds the digests done.
//! - `mode`: `ok` (default), `crash`, `hang`, `garbage`, `schema`, `db-fail`, `fail`,
//!   `version-fail`, `no-db`, `server-hang`, `convert-fail`.
//! - `version`, `db_updated_at`, `next_update`: what `trivy version` prints.
//! - `offline`: gate runs offline, so `--offline-scan` (and standalone `--skip-db-update`) must
//!   be given; without it they must not. A map entry's `insecure` likewise for `--insecure`.
//! - `pad_mib` (or `GATE_REPLAY_PAD_MIB`): the report's first result gets a `Packages` list of
//!   about this many MiB, generated while it is printed (a huge report without a huge file).

#[path = "../support/fixtures.rs"]
mod fixtures;

use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

struct Config {
    map: HashMap<String, Value>,
    log: Option<PathBuf>,
    mode: String,
    version: String,
    /// gate runs with `--offline`: the offline flags must be there (and only then).
    offline: bool,
    db_updated_at: String,
    next_update: String,
    /// Pad each report to about this many MiB (0: as recorded).
    pad_mib: u64,
}

fn fail(log: Option<&Path>, msg: &str) -> ! {
    if let Some(log) = log {
        append(log, &format!("FAIL {msg}"));
    }
    eprintln!("2026-11-26T00:00:00Z\tFATAL\t{msg}");
    std::process::exit(1)
}

fn append(log: &Path, line: &str) {
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
    {
        // One write per line: appends of this size are atomic between processes.
        let _ = f.write_all(format!("{line}\n").as_bytes());
    }
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn read_json(path: &Path, log: Option<&Path>) -> Value {
    let text = std::fs::read(path)
        .unwrap_or_else(|e| fail(log, &format!("cannot read {}: {e}", path.display())));
    serde_json::from_slice(&text)
        .unwrap_or_else(|e| fail(log, &format!("{} is not JSON: {e}", path.display())))
}

fn load_config(argv0: &str) -> Config {
    let file = std::env::var_os("GATE_REPLAY_CONFIG")
        .map(PathBuf::from)
        .or_else(|| {
            let p = Path::new(argv0).parent()?.join("replay.json");
            p.exists().then_some(p)
        });
    let cfg = file.map(|f| read_json(&f, None)).unwrap_or(json!({}));
    let get = |env: &str, key: &str| {
        std::env::var(env)
            .ok()
            .or_else(|| cfg.get(key).and_then(Value::as_str).map(str::to_owned))
    };
    let log = get("GATE_REPLAY_LOG", "log").map(PathBuf::from);
    let map = match get("GATE_REPLAY_MAP", "map") {
        Some(path) => read_json(Path::new(&path), log.as_deref()),
        None => cfg.get("reports").cloned().unwrap_or(json!({})),
    };
    let map = map
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let s = |key: &str, default: &str| {
        cfg.get(key)
            .and_then(Value::as_str)
            .unwrap_or(default)
            .to_owned()
    };
    Config {
        map,
        mode: get("GATE_REPLAY_MODE", "mode").unwrap_or_else(|| "ok".into()),
        version: s("version", "0.58.1"),
        offline: cfg.get("offline").and_then(Value::as_bool).unwrap_or(false),
        db_updated_at: s("db_updated_at", "2026-11-26T06:00:00Z"),
        next_update: s("next_update", "2999-01-01T00:00:00Z"),
        pad_mib: get("GATE_REPLAY_PAD_MIB", "pad_mib")
            .and_then(|m| m.parse().ok())
            .unwrap_or(0),
        log,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let argv0 = args.first().cloned().unwrap_or_default();
    let cfg = load_config(&argv0);
    let log = cfg.log.as_deref();
    let rest = &args[1.min(args.len())..];
    match rest.first().map(String::as_str) {
        Some("version") => version(&cfg, &rest[1..]),
        Some("image") => image(&cfg, &rest[1..]),
        Some("convert") => convert(&cfg, &rest[1..]),
        Some("server") => server(&cfg, &rest[1..]),
        other => fail(log, &format!("unknown command {other:?}")),
    }
}

fn version(cfg: &Config, args: &[String]) {
    let log = cfg.log.as_deref();
    if let Some(l) = log {
        append(l, "version");
    }
    if !args
        .windows(2)
        .any(|w| w[0] == "--format" && w[1] == "json")
    {
        fail(log, "version called without --format json");
    }
    if cfg.mode == "version-fail" {
        fail(log, "unable to open cache dir: permission denied");
    }
    let mut out = json!({"Version": cfg.version});
    if cfg.mode != "no-db" {
        out["VulnerabilityDB"] = json!({
            "Version": 2,
            "UpdatedAt": cfg.db_updated_at,
            "NextUpdate": cfg.next_update,
            "DownloadedAt": cfg.db_updated_at,
        });
    }
    println!("{out}");
}

/// Flags `trivy image` gets from gate: name → takes a value.
const IMAGE_FLAGS: &[(&str, bool)] = &[
    ("--format", true),
    ("--scanners", true),
    ("--list-all-pkgs", false),
    ("--quiet", false),
    ("--timeout", true),
    ("--ignorefile", true),
    ("--platform", true),
    ("--insecure", false),
    ("--cache-dir", true),
    ("--server", true),
    ("--skip-db-update", false),
    ("--skip-java-db-update", false),
    ("--offline-scan", false),
    ("--config", true),
    ("--ignorefile", true),
];

const CREDENTIAL_FLAGS: &[&str] = &[
    "--username",
    "--password",
    "--password-stdin",
    "--registry-token",
    "--token",
];

fn image(cfg: &Config, args: &[String]) {
    let start = now_ns();
    let log = cfg.log.as_deref();
    let mut flags: HashMap<&str, String> = HashMap::new();
    let mut positional = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let name = a.split('=').next().unwrap_or(a);
        if CREDENTIAL_FLAGS.contains(&name) {
            fail(log, &format!("credentials on the command line ({name})"));
        }
        if let Some(&(flag, takes)) = IMAGE_FLAGS.iter().find(|(f, _)| *f == name) {
            let value = if let Some((_, v)) = a.split_once('=') {
                v.to_owned()
            } else if takes {
                i += 1;
                args.get(i)
                    .cloned()
                    .unwrap_or_else(|| fail(log, &format!("{flag} needs a value")))
            } else {
                String::new()
            };
            flags.insert(flag, value);
        } else if a.starts_with('-') {
            fail(log, &format!("unknown flag {a}"));
        } else {
            positional.push(a.to_owned());
        }
        i += 1;
    }
    if flags.get("--format").map(String::as_str) != Some("json") {
        fail(log, "image called without --format json");
    }
    if flags.get("--scanners").map(String::as_str) != Some("vuln") {
        fail(log, "image called without --scanners vuln");
    }
    for f in ["--list-all-pkgs", "--quiet", "--timeout"] {
        if !flags.contains_key(f) {
            fail(log, &format!("image called without {f}"));
        }
    }
    let [image] = positional.as_slice() else {
        fail(log, &format!("expected one image, got {positional:?}"));
    };
    let Some((_, digest)) = image.split_once('@') else {
        fail(
            log,
            &format!("called with a tag instead of a digest: {image}"),
        );
    };
    let hex = digest.strip_prefix("sha256:").unwrap_or("");
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        fail(
            log,
            &format!("called with a tag instead of a digest: {image}"),
        );
    }
    let platform = flags.get("--platform").cloned();
    let entry = cfg
        .map
        .get(digest)
        .or_else(|| cfg.map.get("*"))
        .cloned()
        .unwrap_or_else(|| fail(log, &format!("no report mapped for {digest}")));
    check_credentials(&entry, args, log);
    // A registry is plain HTTP only when the user said so.
    let insecure = entry
        .get("insecure")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if flags.contains_key("--insecure") != insecure {
        fail(
            log,
            &format!("--insecure given: {}, expected: {insecure}", !insecure),
        );
    }
    let offline = cfg.offline;
    let client = flags.contains_key("--server");
    if flags.contains_key("--offline-scan") != offline
        || (!client && flags.contains_key("--skip-db-update") != offline)
    {
        fail(
            log,
            &format!("offline flags do not match offline={offline}"),
        );
    }
    if let Some(url) = flags.get("--server") {
        check_server(url, log);
    }
    if let Some(log) = log {
        let seen = PathBuf::from(format!("{}.seen", log.display()));
        let _ = std::fs::create_dir_all(&seen);
        let marker = seen.join(format!(
            "{}-{}",
            digest.replace(':', "-"),
            platform.as_deref().unwrap_or("-").replace('/', "-")
        ));
        if std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&marker)
            .is_err()
        {
            fail(Some(log), &format!("{digest} scanned twice in one run"));
        }
    }
    match cfg.mode.as_str() {
        "crash" => std::process::abort(),
        "hang" => std::thread::sleep(Duration::from_secs(3600)),
        "garbage" => {
            println!("\u{1b}[31mpanic: runtime error: invalid memory address\u{1b}[0m");
            return;
        }
        "schema" => {
            println!(r#"{{"SchemaVersion":3,"Findings":[]}}"#);
            return;
        }
        "db-fail" => fail(
            log,
            "init error: DB error: failed to download vulnerability DB: OCI artifact error: \
             failed to download vulnerability DB: GET https://ghcr.io/v2/aquasecurity/trivy-db: \
             TOOMANYREQUESTS",
        ),
        "fail" => fail(
            log,
            "run error: image scan error: scan error: unable to initialize a scanner: \
             unable to find the specified image",
        ),
        _ => {}
    }
    let name = entry
        .as_str()
        .or_else(|| entry.get("report").and_then(Value::as_str))
        .unwrap_or_else(|| fail(log, &format!("map entry for {digest} names no report")));
    let mut report = read_json(&report_path(name), log);
    report["ArtifactName"] = json!(image);
    // Like real Trivy: a `--config` that does not exist is fatal.
    if let Some(c) = flags.get("--config") {
        if !Path::new(c).is_file() {
            fail(
                log,
                &format!("config file {c:?} loading error: no such file"),
            );
        }
    }
    filter_like_trivy(&mut report, &flags);
    if cfg.pad_mib == 0 {
        println!("{report}");
    } else if print_padded(&mut report, cfg.pad_mib).is_err() {
        // gate stopped reading (a report over its limit): Trivy would die of SIGPIPE.
        std::process::exit(141);
    }
    if let Some(log) = log {
        let mode = if flags.contains_key("--server") {
            "client"
        } else {
            "standalone"
        };
        append(
            log,
            &format!(
                "image {digest} {} {mode} {start} {}",
                platform.as_deref().unwrap_or("-"),
                now_ns()
            ),
        );
    }
}

/// Print `report` with a `Packages` list of about `mib` MiB in its first result, generated in
/// pieces so neither this process nor the disk holds it.
fn print_padded(report: &mut Value, mib: u64) -> std::io::Result<()> {
    const MARK: &str = "@@gate-replay-padding@@";
    if report["Results"].as_array().is_none_or(Vec::is_empty) {
        report["Results"] = json!([{"Target": "padding", "Class": "os-pkgs", "Type": "debian"}]);
    }
    report["Results"][0]["Packages"] = json!(MARK);
    let text = report.to_string();
    let (head, tail) = text
        .split_once(&format!("\"{MARK}\""))
        .unwrap_or((text.as_str(), ""));
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    out.write_all(head.as_bytes())?;
    out.write_all(b"[")?;
    let description = "x".repeat(900);
    let total = mib << 20;
    let mut written = 0u64;
    let mut i = 0u64;
    while written < total {
        let sep = if i == 0 { "" } else { "," };
        let pkg = format!(
            r#"{sep}{{"ID":"pad-{i}@1.0","Name":"pad-{i}","Version":"1.0","Identifier":{{"PURL":"pkg:deb/debian/pad-{i}@1.0"}},"Layer":{{"DiffID":"sha256:{i:064x}"}},"Description":"{description}"}}"#
        );
        out.write_all(pkg.as_bytes())?;
        written += pkg.len() as u64;
        i += 1;
    }
    out.write_all(b"]")?;
    out.write_all(tail.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}

fn report_path(name: &str) -> PathBuf {
    let p = Path::new(name);
    if p.is_absolute() {
        return p.to_owned();
    }
    if let Some(f) = fixtures::find(fixtures::Set::Trivy) {
        let candidate = f.join("reports").join(name);
        if candidate.exists() {
            return candidate;
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/scan")
        .join(name)
}

fn check_credentials(entry: &Value, args: &[String], log: Option<&Path>) {
    let want = |key: &str| entry.get(key).and_then(Value::as_str);
    let secrets = [want("password"), want("token")];
    for s in secrets.into_iter().flatten() {
        if args.iter().any(|a| a.contains(s)) {
            fail(log, "credentials on the command line");
        }
    }
    // Trivy would offer these to every registry it contacts, the DB registries included.
    for k in ["TRIVY_USERNAME", "TRIVY_PASSWORD", "TRIVY_REGISTRY_TOKEN"] {
        if std::env::var_os(k).is_some() {
            fail(
                log,
                &format!("registry-agnostic credentials in the environment ({k})"),
            );
        }
    }
    let image = args.last().map(String::as_str).unwrap_or("");
    let registry = image.split('/').next().unwrap_or("");
    let auths = docker_auths();
    let others: Vec<&String> = auths.keys().filter(|k| *k != registry).collect();
    if !others.is_empty() {
        fail(
            log,
            &format!("docker config holds credentials for other registries: {others:?}"),
        );
    }
    let mine = auths.get(registry);
    let field = |k: &str| mine.and_then(|e| e.get(k)).and_then(Value::as_str);
    if let (Some(u), Some(p)) = (want("username"), want("password")) {
        if field("username") != Some(u) || field("password") != Some(p) {
            fail(
                log,
                "UNAUTHORIZED: the docker config does not carry the registry credentials",
            );
        }
    }
    if let Some(t) = want("token") {
        if field("identitytoken") != Some(t) {
            fail(
                log,
                "UNAUTHORIZED: the docker config does not carry the registry token",
            );
        }
    }
}

/// `auths` of `$DOCKER_CONFIG/config.json` (empty when there is none).
fn docker_auths() -> serde_json::Map<String, Value> {
    std::env::var_os("DOCKER_CONFIG")
        .and_then(|d| std::fs::read(Path::new(&d).join("config.json")).ok())
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v.get("auths").and_then(Value::as_object).cloned())
        .unwrap_or_default()
}

/// Drop findings the way real Trivy would from what it reads besides gate's flags: the ignore
/// file (`--ignorefile`, else `TRIVY_IGNOREFILE`, else the config's `ignorefile:`, else
/// `.trivyignore` in the working directory) and the severities (`TRIVY_SEVERITY`, else the
/// config's `severity:`); the config is `--config`, else `TRIVY_CONFIG`, else `trivy.yaml`.
fn filter_like_trivy(report: &mut Value, flags: &HashMap<&str, String>) {
    let setting =
        |flag: &str, env: &str| flags.get(flag).cloned().or_else(|| std::env::var(env).ok());
    let config = setting("--config", "TRIVY_CONFIG").unwrap_or_else(|| "trivy.yaml".into());
    let config = std::fs::read_to_string(config).unwrap_or_default();
    let from_config = |key: &str| {
        config.lines().find_map(|l| {
            l.strip_prefix(key)
                .and_then(|v| v.strip_prefix(':'))
                .map(|v| v.trim().trim_matches(|c| c == '[' || c == ']').to_owned())
        })
    };
    let ignorefile = setting("--ignorefile", "TRIVY_IGNOREFILE")
        .or_else(|| from_config("ignorefile"))
        .unwrap_or_else(|| ".trivyignore".into());
    let ignored: Vec<String> = std::fs::read_to_string(ignorefile)
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let severities: Option<Vec<String>> = std::env::var("TRIVY_SEVERITY")
        .ok()
        .or_else(|| from_config("severity"))
        .map(|s| s.split(',').map(|x| x.trim().to_uppercase()).collect());
    for r in report["Results"].as_array_mut().into_iter().flatten() {
        if let Some(vulns) = r["Vulnerabilities"].as_array_mut() {
            vulns.retain(|v| {
                let id = v["VulnerabilityID"].as_str().unwrap_or("");
                let sev = v["Severity"].as_str().unwrap_or("");
                !ignored.iter().any(|i| i == id)
                    && severities
                        .as_ref()
                        .is_none_or(|s| s.iter().any(|x| x == sev))
            });
        }
    }
}

fn check_server(url: &str, log: Option<&Path>) {
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let ok = TcpStream::connect(addr)
        .and_then(|mut s| {
            s.set_read_timeout(Some(Duration::from_secs(5)))?;
            s.write_all(b"GET /healthz HTTP/1.0\r\n\r\n")?;
            let mut buf = String::new();
            s.read_to_string(&mut buf)?;
            Ok(buf.starts_with("HTTP/1.1 200"))
        })
        .unwrap_or(false);
    if !ok {
        fail(log, &format!("cannot connect to the server at {url}"));
    }
    if let Some(log) = log {
        let token_file = PathBuf::from(format!("{}.server-token", log.display()));
        if let Ok(token) = std::fs::read_to_string(token_file) {
            if std::env::var("TRIVY_TOKEN").ok().as_deref() != Some(token.as_str()) {
                fail(Some(log), "client has no valid TRIVY_TOKEN for the server");
            }
        }
    }
}

fn server(cfg: &Config, args: &[String]) {
    let log = cfg.log.as_deref();
    if let Some(l) = log {
        append(l, "server");
    }
    let addr = args
        .windows(2)
        .find(|w| w[0] == "--listen")
        .map(|w| w[1].clone())
        .unwrap_or_else(|| fail(log, "server called without --listen"));
    if !addr.starts_with("127.0.0.1:") {
        fail(log, &format!("server must listen on loopback, not {addr}"));
    }
    match cfg.mode.as_str() {
        "db-fail" => fail(
            log,
            "init error: DB error: failed to download vulnerability DB: database download error",
        ),
        "server-hang" => std::thread::sleep(Duration::from_secs(3600)),
        _ => {}
    }
    if let (Some(log), Ok(token)) = (log, std::env::var("TRIVY_TOKEN")) {
        let _ = std::fs::write(format!("{}.server-token", log.display()), token);
    }
    let listener = TcpListener::bind(&addr)
        .unwrap_or_else(|e| fail(log, &format!("cannot listen on {addr}: {e}")));
    for stream in listener.incoming().flatten() {
        std::thread::spawn(move || answer(stream));
    }
}

fn answer(mut s: TcpStream) {
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).unwrap_or(0);
    let req = String::from_utf8_lossy(&buf[..n]);
    let reply = if req.starts_with("GET /healthz ") {
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    } else {
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    };
    let _ = s.write_all(reply.as_bytes());
}

fn convert(cfg: &Config, args: &[String]) {
    let log = cfg.log.as_deref();
    let value = |flag: &str| {
        args.windows(2)
            .find(|w| w[0] == flag)
            .map(|w| w[1].clone())
            .unwrap_or_else(|| fail(log, &format!("convert called without {flag}")))
    };
    let format = value("--format");
    let output = value("--output");
    let input = args
        .last()
        .filter(|a| !a.starts_with('-'))
        .cloned()
        .unwrap_or_else(|| fail(log, "convert called without a report"));
    if let Some(l) = log {
        append(l, &format!("convert {format}"));
    }
    if cfg.mode == "convert-fail" {
        fail(log, "failed to convert: unknown report format");
    }
    let report = read_json(Path::new(&input), log);
    if report.get("SchemaVersion").and_then(Value::as_u64) != Some(2) {
        fail(log, "convert input is not a SchemaVersion 2 report");
    }
    let name = report["ArtifactName"].as_str().unwrap_or("").to_owned();
    let mut packages: Vec<(String, String, String)> = Vec::new();
    for r in report["Results"].as_array().into_iter().flatten() {
        let from_pkgs = r["Packages"].as_array().into_iter().flatten().map(|p| {
            (
                p["Name"].as_str().unwrap_or("").to_owned(),
                p["Version"].as_str().unwrap_or("").to_owned(),
                p["Identifier"]["PURL"].as_str().unwrap_or("").to_owned(),
            )
        });
        let from_vulns = r["Vulnerabilities"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| {
                (
                    v["PkgName"].as_str().unwrap_or("").to_owned(),
                    v["InstalledVersion"].as_str().unwrap_or("").to_owned(),
                    v["PkgIdentifier"]["PURL"].as_str().unwrap_or("").to_owned(),
                )
            });
        for p in from_pkgs.chain(from_vulns) {
            if !packages.contains(&p) {
                packages.push(p);
            }
        }
    }
    let doc = match format.as_str() {
        "cyclonedx" => json!({
            "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "version": 1,
            "metadata": {
                "tools": {"components": [{"type": "application", "group": "aquasecurity",
                                          "name": "trivy", "version": cfg.version}]},
                "component": {"bom-ref": name, "type": "container", "name": name}
            },
            "components": packages.iter().map(|(n, v, p)| json!({
                "bom-ref": p, "type": "library", "name": n, "version": v, "purl": p
            })).collect::<Vec<_>>()
        }),
        "spdx-json" => json!({
            "spdxVersion": "SPDX-2.3",
            "dataLicense": "CC0-1.0",
            "SPDXID": "SPDXRef-DOCUMENT",
            "name": name,
            "documentNamespace": format!("http://aquasecurity.github.io/trivy/container_image/{name}"),
            "creationInfo": {"creators": [format!("Tool: trivy-{}", cfg.version)],
                             "created": "2026-11-26T00:00:00Z"},
            "packages": packages.iter().enumerate().map(|(i, (n, v, p))| json!({
                "name": n, "SPDXID": format!("SPDXRef-Package-{i}"), "versionInfo": v,
                "downloadLocation": "NONE",
                "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER",
                                  "referenceType": "purl", "referenceLocator": p}]
            })).collect::<Vec<_>>()
        }),
        other => fail(log, &format!("unsupported convert format {other}")),
    };
    std::fs::write(&output, doc.to_string())
        .unwrap_or_else(|e| fail(log, &format!("cannot write {output}: {e}")));
}
