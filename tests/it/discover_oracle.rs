//! Discovery against the deployers' own parsers: the images gate finds in a file are the images
//! the tool that acts on the file would pull, or gate refuses the file (exit 2).
//!
//! The oracles are Go programs on the real parsers (scripts/peers/oracles, built by
//! `scripts/install-deps --peers` into `~/.cache/gate/peers/oracles-<hash of their sources>`):
//! apimachinery's `YAMLOrJSONDecoder` + `sigs.k8s.io/yaml` (what `kubectl create -f` reads a
//! file with; `deployer_apiserver` checks that against the real kubectl), BuildKit's Dockerfile
//! parser, compose-go's loader and actionlint's workflow parser. Each runs over generated
//! mutations (document separators followed by Unicode blanks or comments, Unicode line breaks,
//! lone carriage returns, byte-order marks, tabs, quoting, escapes, continuations, parser
//! directives) and over the real-world files of the `manifests` conformance set.
//!
//! Agreement is: gate refused the file (a "could not check" error), or the tool's images are
//! among gate's (the tool failing part-way still acts on what it read before) and, when the
//! tool read the whole file, gate found no image the tool does not pull.

use gate::discover::{discover_sources, DiscoverOutcome, SearchRules};
use gate::finding::Severity;
use gate::lint::{lint_sources, LintConfig};
use gate::reference::Reference;
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const ORACLES: [&str; 4] = ["actions", "compose", "dockerfile", "k8syaml"];

/// `~/.cache/gate/peers/oracles-<hash>`: the hash scripts/peers/oracles/install computes.
pub fn oracle(name: &str) -> Option<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/peers/oracles");
    let mut h = Sha256::new();
    for n in ORACLES {
        for f in ["go.mod", "go.sum", "main.go"] {
            h.update(std::fs::read(src.join(n).join(f)).unwrap());
        }
    }
    let hash: String = h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let peers = match std::env::var_os("GATE_PEERS_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(&std::env::var_os("HOME").unwrap_or_default()).join(".cache/gate/peers"),
    };
    let exe = peers.join(format!("oracles-{hash}")).join(name);
    if exe.is_file() {
        return Some(exe);
    }
    let msg = format!(
        "{} is not built: run `scripts/install-deps --peers`",
        exe.display()
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
    eprintln!("skipped: {msg}");
    None
}

/// Run an oracle over files: one JSON result per file.
pub fn ask(exe: &Path, files: &[PathBuf]) -> Vec<Value> {
    let out = Command::new(exe).args(files).output().unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        exe.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter::<Value>()
        .map(Result::unwrap)
        .collect()
}

/// The reference as the runtime pulls it: full name, the tag (`latest` without tag or
/// digest), the digest. Text that is not a reference stays as it is (gate must refuse it).
fn norm(s: &str) -> String {
    match Reference::parse(s) {
        Ok(r) => {
            let tag = match (r.tag(), r.digest()) {
                (Some(t), _) => format!(":{t}"),
                (None, None) => ":latest".into(),
                (None, Some(_)) => String::new(),
            };
            let digest = r.digest().map(|d| format!("@{d}")).unwrap_or_default();
            format!("{}{tag}{digest}", r.name())
        }
        Err(_) => format!("(not a reference) {s}"),
    }
}

/// What gate makes of a file: `None` when it refuses it (discovery or lint cannot check it).
pub fn gate_view(name: &str, text: &str, lint: bool) -> Option<BTreeSet<String>> {
    let sources = [(PathBuf::from(name), text.to_string())];
    let d: DiscoverOutcome = discover_sources(&sources, &SearchRules::default());
    if d.has_errors() {
        return None;
    }
    if lint {
        let l = lint_sources(
            &sources,
            &LintConfig::default(),
            chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
        );
        // Lint reads the same bytes: it must refuse exactly when discovery does.
        let refused: Vec<_> = l
            .notices
            .iter()
            .filter(|n| n.severity == Severity::Error && n.message.contains("ambiguous"))
            .collect();
        assert!(
            refused.is_empty(),
            "lint refused what discovery read:\n{text:?}\n{refused:?}"
        );
    }
    Some(
        d.uses
            .iter()
            .map(|u| norm(u.reference.original()))
            .collect(),
    )
}

/// The verdict for one file; `Err` describes a disagreement.
fn agree(
    text: &str,
    gate: Option<BTreeSet<String>>,
    tool: &BTreeSet<String>,
    tool_error: Option<&str>,
) -> Result<(), String> {
    let Some(gate) = gate else {
        return Ok(()); // refused: agreement by refusal
    };
    let missed: Vec<_> = tool.difference(&gate).collect();
    if !missed.is_empty() {
        return Err(format!(
            "the deployer pulls {missed:?}, which gate does not see (gate: {gate:?}, tool \
             error: {tool_error:?}) in\n{text:?}"
        ));
    }
    if tool_error.is_none() {
        let extra: Vec<_> = gate.difference(tool).collect();
        if !extra.is_empty() {
            return Err(format!(
                "gate sees {extra:?}, which the deployer does not read, in\n{text:?}"
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Kubernetes YAML / JSON

/// Every `image` of a container list (`containers`, `initContainers`, `ephemeralContainers`)
/// anywhere in the objects.
pub fn pod_images(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                if let ("containers" | "initContainers" | "ephemeralContainers", Value::Array(cs)) =
                    (k.as_str(), v)
                {
                    for c in cs {
                        if let Some(i) = c.get("image").and_then(Value::as_str) {
                            out.insert(norm(i));
                        }
                    }
                }
                pod_images(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| pod_images(i, out)),
        _ => {}
    }
}

/// kubectl's reading of a file: its images, and its error if it stopped.
fn kubectl_view(r: &Value) -> (BTreeSet<String>, Option<String>) {
    let mut images = BTreeSet::new();
    for o in r["objects"].as_array().unwrap() {
        pod_images(o, &mut images);
    }
    (images, r["error"].as_str().map(str::to_string))
}

/// A generated manifest: Pods, one container each, with mutations applied.
#[derive(Debug, Clone)]
pub struct Manifest {
    docs: usize,
    /// Separator spelling index into [`SEPARATORS`], per document boundary.
    seps: Vec<usize>,
    /// Line break index into [`BREAKS`], per line (cycled).
    breaks: Vec<usize>,
    /// (document, variant): a comment line whose text holds a break, then an `image` line.
    comment: Option<(usize, usize)>,
    /// Where a BOM goes (0: nowhere, 1: start, 2: before the 2nd document, 3: mid-line).
    bom: u8,
    /// Indent a container's `image` line with a tab (document index).
    tab: Option<usize>,
    /// Image value quoting: 0 plain, 1 single, 2 double.
    quote: u8,
    json: bool,
}

pub const SEPARATORS: &[&str] = &[
    "---",
    "--- ",
    "---\t",
    "--- # c",
    "---#c",
    "---\u{a0}",
    "---\u{3000}",
    "---\u{2003}",
    "---\u{85}",
    "----",
    "--- #\u{a0}c",
    "",
];
pub const BREAKS: &[&str] = &[
    "\n", "\n", "\n", "\r\n", "\r", "\u{85}", "\u{2028}", "\u{2029}",
];

pub fn manifest() -> impl Strategy<Value = Manifest> {
    (
        1usize..4,
        prop::collection::vec(
            prop::sample::select((0..SEPARATORS.len()).collect::<Vec<_>>()),
            3,
        ),
        prop::collection::vec(prop_oneof![20 => Just(0usize), 1 => 1..BREAKS.len()], 1..40),
        prop::option::weighted(0.3, (0usize..3, 0usize..BREAKS.len())),
        prop::sample::select(vec![0u8, 0, 0, 0, 1, 2, 3]),
        prop::option::weighted(0.15, 0usize..3),
        0u8..3,
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(docs, seps, breaks, comment, bom, tab, quote, json)| Manifest {
                docs,
                seps,
                breaks,
                comment,
                bom,
                tab,
                quote,
                json,
            },
        )
}

impl Manifest {
    pub fn text(&self) -> String {
        let mut lines: Vec<String> = Vec::new();
        for d in 0..self.docs {
            if d > 0 || self.seps[0] == 0 {
                let s = SEPARATORS[self.seps[d % self.seps.len()]];
                if !s.is_empty() || d > 0 {
                    lines.push(if s.is_empty() { "---".into() } else { s.into() });
                }
            }
            if d == 1 && self.bom == 2 {
                lines.push("\u{feff}# second".into());
            }
            let image = format!("img{d}.example/app:{d}");
            let image = match self.quote {
                1 => format!("'{image}'"),
                2 => format!("\"{image}\""),
                _ => image,
            };
            if self.json {
                lines.push(format!(
                    "{{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {{\"name\": \
                     \"p{d}\"}}, \"spec\": {{\"containers\": [{{\"name\": \"c\", \"image\": \
                     \"img{d}.example/app:{d}\"}}]}}}}"
                ));
                continue;
            }
            lines.push("apiVersion: v1".into());
            lines.push("kind: Pod".into());
            lines.push(format!("metadata: {{name: p{d}}}"));
            lines.push("spec:".into());
            lines.push("  containers:".into());
            lines.push("  - name: c".into());
            match self.comment {
                Some((cd, b)) if cd == d => {
                    lines.push(format!(
                        "    # note{}    image: hidden{d}.example/app:{d}",
                        BREAKS[b]
                    ));
                    lines.push("    args: [x]".into());
                }
                _ => {
                    let indent = if self.tab == Some(d) { "  \t" } else { "    " };
                    let bom = if self.bom == 3 && d == 0 {
                        "\u{feff}"
                    } else {
                        ""
                    };
                    lines.push(format!("{indent}image: {bom}{image}"));
                }
            }
        }
        let mut out = String::new();
        if self.bom == 1 {
            out.push('\u{feff}');
        }
        for (i, l) in lines.iter().enumerate() {
            out.push_str(l);
            out.push_str(BREAKS[self.breaks[i % self.breaks.len()]]);
        }
        out
    }
}

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

proptest! {
    #![proptest_config(Config { cases: 300, failure_persistence: None, ..Config::default() })]

    #[test]
    fn kubernetes_yaml_reads_as_kubectl_reads_it(m in manifest()) {
        let Some(exe) = oracle("k8syaml") else { return Ok(()) };
        let dir = scratch();
        let text = m.text();
        let file = dir.path().join("m.yaml");
        std::fs::write(&file, &text).unwrap();
        let (tool, error) = kubectl_view(&ask(&exe, &[file])[0]);
        let verdict = agree(&text, gate_view("m.yaml", &text, true), &tool, error.as_deref());
        prop_assert!(verdict.is_ok(), "{}", verdict.unwrap_err());
    }
}

/// Each class of issue 24's "document splitting and line breaks", written out: refused (or
/// read as kubectl reads it).
#[test]
fn document_splitting_and_line_break_classes() {
    let pod = |img: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n  - name: c\n    image: {img}\n")
    };
    let cases = [
        format!("{}---\u{a0}\n{}", pod("a:1"), pod("hidden:1")),
        format!("{}---\u{3000}\n{}", pod("a:1"), pod("hidden:1")),
        format!("{}---#c\n{}", pod("a:1"), pod("hidden:1")),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    # n\u{85}    image: hidden:1\n    args: [x]\n".to_string(),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    # n\u{2028}    image: hidden:1\n    args: [x]\n".to_string(),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    # n\u{2029}    image: hidden:1\n    args: [x]\n".to_string(),
        format!("{}\u{feff}---\n{}", pod("a:1"), pod("b:1")),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n  \timage: t:1\n".to_string(),
        format!("{}---\r{}", pod("a:1"), pod("b:1")),
    ];
    let exe = oracle("k8syaml");
    let dir = scratch();
    for (i, text) in cases.iter().enumerate() {
        let gate = gate_view("m.yaml", text, true);
        assert!(gate.is_none(), "case {i} not refused: {text:?} -> {gate:?}");
        if let Some(exe) = &exe {
            let file = dir.path().join(format!("c{i}.yaml"));
            std::fs::write(&file, text).unwrap();
            let (tool, error) = kubectl_view(&ask(exe, &[file])[0]);
            // The refusal is needed: kubectl reads something gate's YAML 1.2 reader does not.
            eprintln!("case {i}: kubectl reads {tool:?} (error {error:?})");
        }
        // Refused with file, line and the character named.
        let d = discover_sources(
            &[(PathBuf::from("m.yaml"), text.clone())],
            &SearchRules::default(),
        );
        let n = &d.notices[0];
        assert!(n.line > 0 && n.message.contains("ambiguous"), "{n:?}");
        // Lint reads the same bytes and refuses them too.
        let l = lint_sources(
            &[(PathBuf::from("m.yaml"), text.clone())],
            &LintConfig::default(),
            chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
        );
        assert!(
            l.notices
                .iter()
                .any(|n| n.severity == Severity::Error && n.message.contains("ambiguous")),
            "lint read case {i}: {:?}",
            l.notices
        );
    }
}

/// The real-world corpus: every YAML/JSON file gate reads as Kubernetes manifests.
#[test]
fn conformance_manifests_kubernetes_files_read_as_kubectl_reads_them() {
    let root = crate::fixtures::dir(crate::fixtures::Set::Manifests);
    let Some(exe) = oracle("k8syaml") else { return };
    let dirs = [
        "argo-cd",
        "cert-manager",
        "kube-prometheus",
        "microservices-demo",
        "example-voting-app/k8s-specifications",
    ];
    let mut files = Vec::new();
    for d in dirs {
        for e in std::fs::read_dir(root.join(d)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "yaml") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 20, "{files:?}");
    let answers = ask(&exe, &files);
    let mut failures = Vec::new();
    for (f, r) in files.iter().zip(&answers) {
        let text = std::fs::read_to_string(f).unwrap();
        let (tool, error) = kubectl_view(r);
        assert!(error.is_none(), "{}: {error:?}", f.display());
        let gate = gate_view(&f.display().to_string(), &text, false);
        assert!(gate.is_some(), "{}: refused a real-world file", f.display());
        // Gate also reads custom resources' images by search rule: only the pod images count.
        let missed: Vec<_> = tool.difference(gate.as_ref().unwrap()).collect();
        if !missed.is_empty() {
            failures.push(format!("{}: gate misses {missed:?}", f.display()));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

// ---------------------------------------------------------------------------------------------
// Dockerfiles

#[derive(Debug, Clone)]
pub struct Dockerfile {
    /// Directive lines and where they go.
    directive: Option<(usize, usize)>,
    bom: u8,
    /// Continuation variant for the FROM line.
    cont: Option<usize>,
    /// Mount spelling.
    mount: usize,
    /// Copy spelling.
    copy: usize,
    crlf: bool,
    blank: Option<usize>,
}

const DIRECTIVES: &[&str] = &[
    "# syntax=front.example/fe:1",
    "#syntax = front.example/fe:1",
    "# SYNTAX=front.example/fe:1 extra",
    "// syntax=front.example/fe:1",
    "# escape=`",
    "  # escape=`",
    "# check=skip=all",
];
/// Where a directive goes: 0 top, 1 after a shebang, 2 after a comment, 3 after a blank line,
/// 4 after the first instruction.
const PLACES: usize = 5;
const CONTINUATIONS: &[&str] = &[
    "FROM \\\n  $BASE AS build",
    "FROM \\  \n  $BASE AS build",
    "FROM \\\n# comment\n  $BASE AS build",
    "FROM \\\n\n  $BASE AS build",
    "FROM `\n  $BASE AS build",
    "FROM \\\\\n  $BASE AS build",
    "FROM \\\u{a0}\n  $BASE AS build",
    "FROM \\\t\n  $BASE AS build",
];
const MOUNTS: &[&str] = &[
    "--mount=type=bind,from=mnt.example/m:1,target=/m",
    "--mount=type=bind,\"from=mnt.example/m:1\",target=/m",
    "--mount=\"type=bind,from=mnt.example/m:1,target=/m\"",
    "--mount=type=bind,FROM=mnt.example/m:1,target=/m",
    "--mount=type=bind,\"from=mnt.example/m:1\"",
    "--mount=type=cache,target=/c,from=mnt.example/m:1",
    "\"--mount=type=bind,from=mnt.example/m:1\"",
    "--mount=type=bind,from=mnt.example/m\\:1",
    "--mount=type=bind,from=0,target=/m",
    "--mount=type=bind, from=mnt.example/m:1",
];
const COPIES: &[&str] = &[
    "--from=cp.example/c:1",
    "--from=\"cp.example/c:1\"",
    "--from='cp.example/c:1'",
    "--from=cp.example/c\\:1",
    "--from=build",
    "--from=0",
    "--from=c\"p.example/c:1\"",
];

pub fn dockerfile() -> impl Strategy<Value = Dockerfile> {
    (
        prop::option::weighted(0.6, (0..DIRECTIVES.len(), 0..PLACES)),
        prop::sample::select(vec![0u8, 0, 0, 1, 2]),
        prop::option::weighted(0.4, 0..CONTINUATIONS.len()),
        0..MOUNTS.len(),
        0..COPIES.len(),
        prop::bool::weighted(0.2),
        prop::option::weighted(0.1, 0usize..6),
    )
        .prop_map(
            |(directive, bom, cont, mount, copy, crlf, blank)| Dockerfile {
                directive,
                bom,
                cont,
                mount,
                copy,
                crlf,
                blank,
            },
        )
}

impl Dockerfile {
    pub fn text(&self) -> String {
        let mut lines: Vec<String> = Vec::new();
        let directive = self.directive.map(|(d, p)| (DIRECTIVES[d], p));
        match directive {
            Some((d, 1)) => lines.extend(["#!/usr/bin/env buildx".into(), d.into()]),
            Some((d, 2)) => lines.extend(["# a comment".into(), d.into()]),
            Some((d, 3)) => lines.extend([String::new(), d.into()]),
            Some((d, 0)) => lines.push(d.into()),
            _ => {}
        }
        lines.push("ARG BASE=base.example/b:1".into());
        if let Some((d, 4)) = directive {
            lines.push(d.into());
        }
        let escape_backtick = matches!(directive, Some((d, _)) if d.contains("escape"));
        let from = match self.cont {
            Some(c) => CONTINUATIONS[c].to_string(),
            None => "FROM ${BASE} AS build".into(),
        };
        lines.extend(from.split('\n').map(str::to_string));
        lines.push(format!("RUN {} true", MOUNTS[self.mount]));
        lines.push(format!("COPY {} /a /b", COPIES[self.copy]));
        lines.push("FROM build".into());
        let _ = escape_backtick;
        if let Some(b) = self.blank {
            let at = b.min(lines.len() - 1);
            lines[at] = format!("{}\u{a0}", lines[at]);
        }
        let eol = if self.crlf { "\r\n" } else { "\n" };
        let mut out = String::new();
        match self.bom {
            1 => out.push('\u{feff}'),
            2 => lines.insert(lines.len() / 2, "\u{feff}# mid".into()),
            _ => {}
        }
        for l in lines {
            out.push_str(&l);
            out.push_str(eol);
        }
        out
    }
}

/// BuildKit's reading: the frontend, and the images when the parse succeeded.
fn buildkit_view(r: &Value) -> (BTreeSet<String>, Option<String>) {
    let mut images: BTreeSet<String> = r["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| norm(i.as_str().unwrap()))
        .collect();
    if let Some(s) = r["syntax"].as_str() {
        images.insert(norm(s));
    }
    (images, r["error"].as_str().map(str::to_string))
}

proptest! {
    #![proptest_config(Config { cases: 300, failure_persistence: None, ..Config::default() })]

    #[test]
    fn dockerfiles_read_as_buildkit_reads_them(df in dockerfile()) {
        let Some(exe) = oracle("dockerfile") else { return Ok(()) };
        let dir = scratch();
        let text = df.text();
        let file = dir.path().join("Dockerfile");
        std::fs::write(&file, &text).unwrap();
        let (tool, error) = buildkit_view(&ask(&exe, &[file])[0]);
        let verdict = agree(&text, gate_view("Dockerfile", &text, false), &tool, error.as_deref());
        prop_assert!(verdict.is_ok(), "{}", verdict.unwrap_err());
    }
}

/// Each class of issue 24's "Dockerfile parsing", written out: found as BuildKit finds it, or
/// refused.
#[test]
fn dockerfile_parsing_classes() {
    let cases: &[(&str, &[&str])] = &[
        // A byte-order mark: BuildKit strips it; the FROM after it is a base.
        ("\u{feff}FROM bom.example/b:1\n", &["bom.example/b:1"]),
        // The syntax frontend spelled the other ways BuildKit accepts.
        (
            "// syntax=front.example/fe:1\nFROM b.example/b:1\n",
            &["front.example/fe:1", "b.example/b:1"],
        ),
        (
            "{\"syntax\": \"front.example/fe:1\"}",
            &["front.example/fe:1"],
        ),
        (
            "#!/usr/bin/env buildx\n#SYNTAX = front.example/fe:1 --arg\nFROM b.example/b:1\n",
            &["front.example/fe:1", "b.example/b:1"],
        ),
        // `RUN --mount` values quoted as BuildKit's CSV reader accepts.
        (
            "FROM b.example/b:1\nRUN --mount=type=bind,\"from=m.example/m:1\",target=/m true\n",
            &["b.example/b:1", "m.example/m:1"],
        ),
        // A quoted word is not a flag to BuildKit (it starts with a quote, not `--`).
        (
            "FROM b.example/b:1\nRUN \"--mount=type=bind,from=m.example/m:1\" true\n",
            &["b.example/b:1"],
        ),
        // A mount's `from=` is looked up by stage name only: a number is an image.
        (
            "FROM b.example/b:1\nRUN --mount=type=bind,from=0,target=/m true\n",
            &["b.example/b:1", "0"],
        ),
        // A continuation whose escape is itself escaped does not continue.
        (
            "FROM b.example/b:1\nRUN echo \\\\\nFROM c.example/c:1\n",
            &["b.example/b:1", "c.example/c:1"],
        ),
    ];
    let refused: &[&str] = &[
        // The escape directive where one reader honours it and another does not.
        "#!/usr/bin/env buildx\n# escape=`\nFROM b.example/b:1 `\n  AS x\n",
        "# a comment\n# escape=`\nFROM b.example/b:1\n",
        "FROM b.example/b:1\n# syntax=front.example/fe:1\n",
        // A byte-order mark after the start.
        "FROM b.example/b:1\n\u{feff}FROM c.example/c:1\n",
        // A continuation ended by a Unicode blank.
        "FROM b.example/b:1 \\\u{a0}\nAS x\n",
        // A flag whose image is escaped.
        "FROM b.example/b:1\nCOPY --from=c.example/c\\:1 /a /b\n",
        // A lone carriage return.
        "FROM b.example/b:1\rFROM c.example/c:1\n",
    ];
    let exe = oracle("dockerfile");
    let dir = scratch();
    for (i, (text, want)) in cases.iter().enumerate() {
        let want: BTreeSet<String> = want.iter().map(|s| norm(s)).collect();
        let got = gate_view("Dockerfile", text, false);
        assert_eq!(got.as_ref(), Some(&want), "case {i}: {text:?}");
        if let Some(exe) = &exe {
            let file = dir.path().join(format!("D{i}"));
            std::fs::write(&file, text).unwrap();
            let (tool, error) = buildkit_view(&ask(exe, &[file])[0]);
            // BuildKit's parser rejects `//` lines and JSON (a custom frontend reads those
            // files); it has pulled the frontend by then.
            match error {
                None => assert_eq!(tool, want, "case {i}: BuildKit: {text:?}"),
                Some(e) => assert!(tool.is_subset(&want), "case {i}: BuildKit ({e}): {text:?}"),
            }
        }
    }
    for (i, text) in refused.iter().enumerate() {
        let d = discover_sources(
            &[(PathBuf::from("Dockerfile"), text.to_string())],
            &SearchRules::default(),
        );
        assert!(
            d.notices.iter().any(|n| n.message.contains("ambiguous")),
            "refused case {i} read: {text:?} -> {:?} {:?}",
            d.uses,
            d.notices
        );
    }
}

#[test]
fn conformance_manifests_dockerfiles_read_as_buildkit_reads_them() {
    let root = crate::fixtures::dir(crate::fixtures::Set::Manifests);
    let Some(exe) = oracle("dockerfile") else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("dockerfiles"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 7);
    let answers = ask(&exe, &files);
    for (f, r) in files.iter().zip(&answers) {
        let text = std::fs::read_to_string(f).unwrap();
        let (tool, error) = buildkit_view(r);
        assert!(error.is_none(), "{}: {error:?}", f.display());
        let gate = gate_view("Dockerfile", &text, false);
        agree(&text, gate, &tool, None).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Compose and workflows

#[test]
fn conformance_manifests_compose_files_read_as_compose_reads_them() {
    let root = crate::fixtures::dir(crate::fixtures::Set::Manifests);
    let Some(exe) = oracle("compose") else { return };
    let dir = root.join("example-voting-app");
    let files: Vec<PathBuf> = [
        "docker-compose.yml",
        "docker-compose.images.yml",
        "docker-stack.yml",
        "result_docker-compose.test.yml",
    ]
    .iter()
    .map(|f| dir.join(f))
    .collect();
    for (f, r) in files.iter().zip(ask(&exe, &files)) {
        assert!(r["error"].is_null(), "{}: {}", f.display(), r["error"]);
        let mut tool = BTreeSet::new();
        for s in r["services"].as_object().unwrap().values() {
            // A service that builds is not pulled (its Dockerfile's bases are; issue 24 item 4).
            if let (Some(i), true) = (s["image"].as_str(), s["build"].is_null()) {
                tool.insert(norm(i));
            }
        }
        let text = std::fs::read_to_string(f).unwrap();
        let gate = gate_view("docker-compose.yml", &text, false)
            .unwrap_or_else(|| panic!("{}: refused", f.display()));
        let missed: Vec<_> = tool.difference(&gate).collect();
        assert!(missed.is_empty(), "{}: gate misses {missed:?}", f.display());
    }
}

#[test]
fn conformance_manifests_workflows_read_as_actionlint_reads_them() {
    let root = crate::fixtures::dir(crate::fixtures::Set::Manifests);
    let Some(exe) = oracle("actions") else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("github-workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for (f, r) in files.iter().zip(ask(&exe, &files)) {
        let tool: BTreeSet<String> = r["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| norm(i.as_str().unwrap()))
            .collect();
        let text = std::fs::read_to_string(f).unwrap();
        let name = format!(
            ".github/workflows/{}",
            f.file_name().unwrap().to_string_lossy()
        );
        let Some(gate) = gate_view(&name, &text, false) else {
            continue; // refused (an unresolvable `${{ }}` image is a "could not check")
        };
        let missed: Vec<_> = tool.difference(&gate).collect();
        assert!(missed.is_empty(), "{}: gate misses {missed:?}", f.display());
    }
}

/// Mutations of a YAML file made of template lines: line breaks, a comment line holding a break
/// then an image entry, a byte-order mark, a tab in one line's indentation, quoting.
#[derive(Debug, Clone)]
pub struct Mutations {
    breaks: Vec<usize>,
    /// (template line, break): a comment line before that line holds `# note{break}{line}`,
    /// the line itself becoming the comment's tail.
    comment: Option<(usize, usize)>,
    bom: u8,
    tab: Option<usize>,
    quote: u8,
}

pub fn mutations() -> impl Strategy<Value = Mutations> {
    (
        prop::collection::vec(prop_oneof![20 => Just(0usize), 1 => 1..BREAKS.len()], 1..40),
        prop::option::weighted(0.3, (0usize..64, 0usize..BREAKS.len())),
        prop::sample::select(vec![0u8, 0, 0, 0, 1, 2]),
        prop::option::weighted(0.15, 0usize..64),
        0u8..3,
    )
        .prop_map(|(breaks, comment, bom, tab, quote)| Mutations {
            breaks,
            comment,
            bom,
            tab,
            quote,
        })
}

impl Mutations {
    /// Apply to template lines; `{img:NAME}` in a line is an image value, quoted per `quote`.
    fn apply(&self, template: &[String]) -> String {
        let q = |s: &str| match self.quote {
            1 => format!("'{s}'"),
            2 => format!("\"{s}\""),
            _ => s.to_string(),
        };
        let mut lines: Vec<String> = template
            .iter()
            .map(|l| match (l.find("{img:"), l.rfind('}')) {
                (Some(a), Some(b)) if b > a => {
                    format!("{}{}{}", &l[..a], q(&l[a + 5..b]), &l[b + 1..])
                }
                _ => l.clone(),
            })
            .collect();
        // Only lines with an image entry can be folded into a comment or tab-indented.
        let images: Vec<usize> = (0..lines.len())
            .filter(|&i| template[i].contains("{img:"))
            .collect();
        if let (Some((at, b)), false) = (self.comment, images.is_empty()) {
            let i = images[at % images.len()];
            let indent = lines[i].len() - lines[i].trim_start().len();
            let entry = lines[i].trim_start().trim_start_matches("- ").to_string();
            lines[i] = format!(
                "{}# note{}{}{}",
                &lines[i][..indent],
                BREAKS[b],
                &lines[i][..indent],
                entry
            );
        }
        if let (Some(at), false) = (self.tab, images.is_empty()) {
            let i = images[at % images.len()];
            lines[i] = format!("\t{}", lines[i].trim_start());
        }
        let mut out = String::new();
        if self.bom == 1 {
            out.push('\u{feff}');
        }
        for (i, l) in lines.iter().enumerate() {
            if self.bom == 2 && i == lines.len() / 2 {
                out.push('\u{feff}');
            }
            out.push_str(l);
            out.push_str(BREAKS[self.breaks[i % self.breaks.len()]]);
        }
        out
    }
}

fn compose_template() -> Vec<String> {
    [
        "services:",
        "  web:",
        "    image: {img:web.example/w:1}",
        "  db:",
        "    image: {img:db.example/d:2}",
        "    environment:",
        "      A: b",
        "  cache:",
        "    image: {img:cache.example/c:3}",
    ]
    .map(String::from)
    .to_vec()
}

fn workflow_template() -> Vec<String> {
    [
        "on: push",
        "jobs:",
        "  build:",
        "    runs-on: ubuntu-latest",
        "    container:",
        "      image: {img:job.example/j:1}",
        "    services:",
        "      db:",
        "        image: {img:svc.example/s:2}",
        "    steps:",
        "      - uses: {img:docker://step.example/st:3}",
        "      - run: echo hi",
    ]
    .map(String::from)
    .to_vec()
}

fn compose_view(r: &Value) -> (BTreeSet<String>, Option<String>) {
    let mut tool = BTreeSet::new();
    if let Some(services) = r["services"].as_object() {
        for s in services.values() {
            if let (Some(i), true) = (s["image"].as_str(), s["build"].is_null()) {
                if !i.is_empty() {
                    tool.insert(norm(i));
                }
            }
        }
    }
    (tool, r["error"].as_str().map(str::to_string))
}

fn actions_view(r: &Value) -> (BTreeSet<String>, Option<String>) {
    let tool = r["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| norm(i.as_str().unwrap()))
        .collect();
    (tool, r["error"].as_str().map(str::to_string))
}

proptest! {
    #![proptest_config(Config { cases: 150, failure_persistence: None, ..Config::default() })]

    #[test]
    fn compose_files_read_as_compose_reads_them(m in mutations()) {
        let Some(exe) = oracle("compose") else { return Ok(()) };
        let dir = scratch();
        let text = m.apply(&compose_template());
        let file = dir.path().join("compose.yaml");
        std::fs::write(&file, &text).unwrap();
        let (tool, error) = compose_view(&ask(&exe, &[file])[0]);
        let verdict = agree(&text, gate_view("compose.yaml", &text, false), &tool, error.as_deref());
        prop_assert!(verdict.is_ok(), "{}", verdict.unwrap_err());
    }

    #[test]
    fn workflows_read_as_actionlint_reads_them(m in mutations()) {
        let Some(exe) = oracle("actions") else { return Ok(()) };
        let dir = scratch();
        let text = m.apply(&workflow_template());
        let file = dir.path().join("ci.yml");
        std::fs::write(&file, &text).unwrap();
        let (tool, error) = actions_view(&ask(&exe, &[file])[0]);
        let verdict = agree(&text, gate_view(".github/workflows/ci.yml", &text, false), &tool, error.as_deref());
        prop_assert!(verdict.is_ok(), "{}", verdict.unwrap_err());
    }
}
