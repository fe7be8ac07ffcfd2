//! gate's platform matcher against the real one: containerd's `platforms` package (pinned;
//! `scripts/peers/containerd-platforms`, built by `scripts/install-deps --peers`) answers the
//! same questions through a small Go harness, and every answer must agree: `Only` and
//! `OnlyStrict` of a grid of nodes over a grid of index children (spellings, variants, OS
//! versions and features), their preference order over pairs, and how specifiers parse.

use gate::platform::{Matcher, Spec};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Keep in step with `scripts/peers/containerd-platforms/install`.
const VERSION: &str = "v1.0.0-rc.4";

fn harness() -> Option<PathBuf> {
    let dir = match std::env::var_os("GATE_PEERS_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(&std::env::var_os("HOME").unwrap_or_default()).join(".cache/gate/peers"),
    };
    let exe = dir
        .join(format!("containerd-platforms-{VERSION}"))
        .join("containerd-platforms");
    if exe.is_file() {
        return Some(exe);
    }
    let msg = format!(
        "{} is not installed: run `scripts/install-deps --peers`",
        exe.display()
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
    eprintln!("skipped: {msg}");
    None
}

/// Ask the real matcher every query at once.
fn ask(exe: &Path, queries: &[Value]) -> Vec<Value> {
    let mut child = Command::new(exe)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input = serde_json::to_vec(queries).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

fn to_json(s: &Spec) -> Value {
    let mut v = json!({"os": s.os, "architecture": s.architecture});
    if !s.variant.is_empty() {
        v["variant"] = s.variant.clone().into();
    }
    if !s.os_version.is_empty() {
        v["os.version"] = s.os_version.clone().into();
    }
    if !s.os_features.is_empty() {
        v["os.features"] = json!(s.os_features);
    }
    v
}

const NODES: &[&str] = &[
    "linux/amd64",
    "linux/amd64/v2",
    "linux/amd64/v3",
    "linux/amd64/v4",
    "linux/amd64/v03",
    "linux/amd64/v99999999999999999999",
    "linux/386",
    "linux/i386",
    "Linux/X86_64",
    "linux/arm",
    "linux/arm/v5",
    "linux/arm/v6",
    "linux/arm/v7",
    "linux/arm/v8",
    "linux/arm/v9",
    "linux/arm/7",
    "linux/armhf",
    "linux/armel",
    "linux/arm64",
    "linux/aarch64",
    "linux/arm64/v8",
    "linux/arm64/v8.0",
    "linux/arm64/v8.1",
    "linux/arm64/v8.9",
    "linux/arm64/v9",
    "linux/arm64/v9.0",
    "linux/arm64/v9.6",
    "linux/arm64/v10",
    "linux(+gpu)/amd64",
    "linux(+b+a)/arm64",
    "linux(7.2+other)/amd64",
    "windows/amd64",
    "windows(10.0.17763)/amd64",
    "windows(10.0.17763+win32k)/amd64",
    "windows(10.0.20348)/amd64",
    "windows(10.0.26100)/amd64",
    "windows(10.0.26200)/amd64",
    "windows/arm64",
    "macos/arm64",
    "darwin/arm64",
    "freebsd/amd64",
    "linux/ppc64le",
    "linux/riscv64",
    "linux/s390x",
];

/// Index children: every spelling of OS, architecture and variant, and OS versions and features
/// over a few of them.
fn children() -> Vec<Spec> {
    let mut out = Vec::new();
    let oses = [
        "linux", "Linux", "", "windows", "unknown", "macos", "darwin",
    ];
    let arches = [
        "amd64", "x86_64", "x86-64", "386", "i386", "arm", "armhf", "armel", "arm64", "aarch64",
        "AArch64", "ppc64le", "riscv64", "unknown", "",
    ];
    let variants = [
        "", "v1", "v2", "v3", "v4", "v5", "v02", "+3", "v+3", "v6", "v7", "7", "8", "v8", "v8.0",
        "v8.1", "v8.5", "v9", "9.0", "v9.0", "v9.4", "v10", "unknown",
    ];
    for os in oses {
        for arch in arches {
            for variant in variants {
                out.push(Spec {
                    os: os.into(),
                    architecture: arch.into(),
                    variant: variant.into(),
                    ..Spec::default()
                });
            }
        }
    }
    let features: [&[&str]; 5] = [&[], &["gpu"], &["win32k"], &["a", "b"], &["b", "a", "a"]];
    let versions = [
        "",
        "10.0.17763",
        "10.0.20348.1",
        "10.0.26100",
        "7.1",
        "10.0",
    ];
    for os in ["linux", "windows"] {
        for (arch, variant) in [("amd64", ""), ("amd64", "v2"), ("arm64", "")] {
            for f in features {
                for v in versions {
                    out.push(Spec {
                        os: os.into(),
                        architecture: arch.into(),
                        variant: variant.into(),
                        os_version: v.into(),
                        os_features: f.iter().map(|s| s.to_string()).collect(),
                    });
                }
            }
        }
    }
    out
}

/// An empty OS is the host's: the harness runs on Linux, gate asks what the node runs. They
/// agree on Linux nodes; elsewhere the question differs, so it is not asked.
fn comparable(node: &Spec, child: &Spec) -> bool {
    !child.os.is_empty() || node.os == "linux"
}

#[test]
fn platform_matcher_agrees_with_containerd() {
    let Some(exe) = harness() else {
        return;
    };
    let kids = children();
    let mut queries = Vec::new();
    let mut ours = Vec::new();
    for node in NODES {
        let spec = Spec::parse(node).unwrap();
        for strict in [false, true] {
            let m = if strict {
                Matcher::only_strict(&spec)
            } else {
                Matcher::only(&spec)
            };
            for c in kids.iter().filter(|c| comparable(&spec, c)) {
                queries.push(
                    json!({"op": "match", "node": node, "strict": strict, "child": to_json(c)}),
                );
                ours.push((
                    format!(
                        "{}({node}).Match({c:?})",
                        if strict { "OnlyStrict" } else { "Only" }
                    ),
                    m.matches(c),
                ));
            }
            // Preference over pairs (a fixed pseudo-random sample).
            let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
            for _ in 0..400 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let (a, b) = (
                    &kids[(x % kids.len() as u64) as usize],
                    &kids[((x >> 32) % kids.len() as u64) as usize],
                );
                if !comparable(&spec, a) || !comparable(&spec, b) {
                    continue;
                }
                queries.push(json!({"op": "less", "node": node, "strict": strict, "a": to_json(a), "b": to_json(b)}));
                ours.push((
                    format!("{node}.Less({a:?}, {b:?}) strict={strict}"),
                    m.less(a, b),
                ));
            }
        }
    }
    let answers = ask(&exe, &queries);
    assert_eq!(answers.len(), ours.len());
    let wrong: Vec<String> = ours
        .iter()
        .zip(&answers)
        .filter(|((_, mine), theirs)| {
            theirs["ok"].as_bool() != Some(*mine) || theirs.get("error").is_some()
        })
        .map(|((q, mine), theirs)| format!("{q}: gate {mine}, containerd {theirs}"))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} disagree:\n{}",
        wrong.len(),
        ours.len(),
        wrong[..wrong.len().min(30)].join("\n")
    );
}

#[test]
fn platform_specifiers_parse_as_containerd_parses_them() {
    let Some(exe) = harness() else {
        return;
    };
    let mut specs: Vec<String> = NODES.iter().map(|s| s.to_string()).collect();
    specs.extend(
        [
            "/linux/arm",
            "linux/arm/",
            "linux /arm",
            "linux/&arm",
            "linux/arm/foo/bar",
            "linux/*",
            "linux()/amd64",
            "linux(+)/amd64",
            "linux(++a)/amd64",
            "windows(10.0.17763%2Bbuild.42+win32k)/amd64",
            "windows(50%25done)/amd64",
            "windows(50%zz)/amd64",
            "linux(+z+a+z)/amd64",
            "LINUX/AMD64/V2",
            "linux/arm64/8",
            "linux/arm64/9.0",
            "linux/x86_64/v1",
        ]
        .map(String::from),
    );
    let queries: Vec<Value> = specs
        .iter()
        .map(|s| json!({"op": "parse", "spec": s}))
        .collect();
    let answers = ask(&exe, &queries);
    for (s, theirs) in specs.iter().zip(answers) {
        let ours = Spec::parse(s).map(|p| to_json(&p.normalize("linux")));
        match (ours, theirs["ok"].as_bool()) {
            (Ok(mine), Some(true)) => assert_eq!(mine, theirs["platform"], "{s}"),
            (Err(_), Some(false)) => {}
            (mine, _) => panic!("{s}: gate {mine:?}, containerd {theirs}"),
        }
    }
}
