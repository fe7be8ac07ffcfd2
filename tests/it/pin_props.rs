//! Property tests for the rewriter over generated YAML text: Kubernetes objects and lists,
//! compose files (with `<<: *template` merges) and Helm values, written with random indentation,
//! block and flow collections, quoting, tags and anchors, comments, blank lines, CRLF, several
//! documents, decoy `image` keys and random references. They prove that discovery finds exactly
//! the images placed, at their exact bytes; that pinning only inserts `@sha256:…` after each
//! reference, so removing it again restores the original byte for byte; and that pinning the
//! pinned text changes nothing and it still parses. Regressions they found follow at the end.

use gate::discover::{discover_sources, DiscoverOutcome, SearchRules, Target};
use gate::pin::{self, PinOptions};
use gate::reference::Reference;
use gate::yaml::parse_documents;
use proptest::collection::vec;
use proptest::option::{of, weighted};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::Config;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A YAML value to write. The `bool` of a collection asks for flow style (everything inside a
/// flow collection is flow too).
#[derive(Debug, Clone)]
enum Y {
    /// A scalar, spelled to be valid in any context (a block map may write an unrelated one as a
    /// literal block instead).
    Lit(&'static str),
    /// A reference, its quote character (`""` for plain), and whether it goes on the next line.
    Image(String, &'static str, bool),
    Map(Vec<(String, Y)>, bool),
    Seq(Vec<Y>, bool),
}

/// Writes a YAML stream and records where each reference went. Every formatting choice takes a
/// byte of `noise`; a zero byte is always the plainest choice, so shrinking simplifies the text.
#[derive(Default)]
struct Writer<'a> {
    text: String,
    refs: Vec<(usize, String)>,
    noise: &'a [u8],
    next: usize,
    eol: &'static str,
    width: usize,
    dash: usize,
    /// The indentation of the block line being written (flow continuation lines go deeper).
    line_indent: usize,
}

impl Writer<'_> {
    fn roll(&mut self, n: usize) -> usize {
        self.next += 1;
        usize::from(self.noise[self.next % self.noise.len()]) % n
    }

    fn pick(&mut self, options: &[&'static str]) -> &'static str {
        options[self.roll(options.len())]
    }

    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    fn pad(&mut self, n: usize) {
        self.text.extend(std::iter::repeat_n(' ', n));
    }

    fn eol(&mut self) {
        self.text.push_str(self.eol);
    }

    /// End a line, maybe after trailing blanks or a comment.
    fn end_line(&mut self) {
        let tail = self.pick(&["", "", "", "", " # note", "   ", "\t# ünïcödé ✓ image: x"]);
        self.push(tail);
        self.eol();
    }

    /// Maybe a blank, blank-looking or comment line between entries.
    fn gap(&mut self, indent: usize) {
        let pad = " ".repeat(indent);
        let line = match self.roll(10) {
            1 => String::new(),
            2 => format!("{pad}# comment"),
            3 => "#image: commented-out:1".into(),
            4 => format!("{pad}    "),
            _ => return,
        };
        self.push(&line);
        self.eol();
    }

    fn key(&mut self, k: &str) {
        let q = self.pick(&["", "", "", "", "", "", "", "\"", "'", " "]);
        match q {
            _ if k == "<<" => self.push(k),
            " " => self.push(&format!("{k} ")),
            _ => self.push(&format!("{q}{k}{q}")),
        }
    }

    /// An image scalar, maybe after a tag or an anchor.
    fn image(&mut self, r: &str, quote: &str) {
        match self.roll(8) {
            1 => self.push("!!str "),
            2 => self.push(&format!("&img{} ", self.refs.len())),
            _ => {}
        }
        self.push(quote);
        self.refs.push((self.text.len(), r.to_string()));
        self.push(r);
        self.push(quote);
    }

    /// A value on the current line: a scalar or a flow collection.
    fn inline(&mut self, y: &Y) {
        let (open, close, entries): (_, _, Vec<(Option<&str>, &Y)>) = match y {
            Y::Lit(s) => return self.push(s),
            Y::Image(r, q, _) => return self.image(r, q),
            Y::Map(e, _) => (
                "{",
                "}",
                e.iter().map(|(k, v)| (Some(k.as_str()), v)).collect(),
            ),
            Y::Seq(e, _) => ("[", "]", e.iter().map(|v| (None, v)).collect()),
        };
        let sp = self.pick(&["", " "]);
        self.push(open);
        self.push(sp);
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 {
                // A comma, or a comma (and comment) and a deeper continuation line.
                match self.pick(&[", ", ", ", ", ", " ,  ", ",", ", # c"]) {
                    c @ ("," | ", # c") => {
                        self.push(c);
                        self.eol();
                        self.pad(self.line_indent + self.width);
                    }
                    c => self.push(c),
                }
            }
            if let Some(k) = k {
                self.key(k);
                self.push(": ");
            }
            self.inline(v);
        }
        let trailing: &[_] = if entries.is_empty() {
            &[""]
        } else {
            &["", "", "", ","]
        };
        let trailing = self.pick(trailing);
        self.push(trailing);
        self.push(sp);
        self.push(close);
    }

    /// A block map's entries at `indent`; with `continues`, the first goes on the current line
    /// (after a sequence dash).
    fn block_map(&mut self, entries: &[(String, Y)], indent: usize, continues: bool) {
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 || !continues {
                self.gap(indent);
                self.pad(indent);
            }
            self.line_indent = indent;
            self.key(k);
            self.push(":");
            if k == "x-common" {
                self.push(" &common"); // The compose template services merge.
            }
            let deeper = indent + self.width;
            match v {
                Y::Map(e, false) if !e.is_empty() => {
                    self.end_line();
                    self.block_map(e, deeper, false);
                }
                Y::Seq(e, false) if !e.is_empty() => {
                    self.end_line();
                    let at = if self.roll(2) == 1 { indent } else { deeper };
                    self.block_seq(e, at);
                }
                Y::Image(r, q, true) => {
                    self.end_line();
                    self.pad(deeper);
                    self.image(r, q);
                    self.end_line();
                }
                // Text that looks like YAML, in place of a value that does not matter.
                Y::Lit(_) if !FIXED_KEYS.contains(&k.as_str()) && self.roll(12) == 1 => {
                    self.push(" |");
                    self.end_line();
                    for line in ["image: nginx:1 # not a comment", "- image: busybox"] {
                        self.pad(deeper);
                        self.push(line);
                        self.eol();
                    }
                }
                _ => {
                    let sep = self.pick(&[" ", " ", " ", " ", "  ", "\t"]);
                    self.push(sep);
                    self.inline(v);
                    self.end_line();
                }
            }
        }
    }

    fn block_seq(&mut self, items: &[Y], indent: usize) {
        for item in items {
            self.gap(indent);
            self.pad(indent);
            self.line_indent = indent;
            self.push("-");
            match item {
                Y::Map(e, false) if !e.is_empty() => {
                    self.pad(self.dash);
                    self.block_map(e, indent + 1 + self.dash, true);
                }
                Y::Seq(e, false) if !e.is_empty() => {
                    self.end_line();
                    self.block_seq(e, indent + self.width);
                }
                _ => {
                    self.pad(self.dash);
                    self.inline(item);
                    self.end_line();
                }
            }
        }
    }
}

/// Keys whose values matter to discovery.
const FIXED_KEYS: &[&str] = &["apiVersion", "kind", "<<"];

/// One generated file: its text, where each reference went, and a digest per lookup key.
#[derive(Debug, Clone)]
struct Case {
    name: &'static str,
    text: String,
    refs: Vec<(usize, String)>,
    digests: HashMap<String, String>,
}

/// Write the documents as one stream; the noise also picks line endings, indentation widths, a
/// byte order mark, a `%YAML` directive and the document markers.
fn render(name: &'static str, docs: &[Y], noise: &[u8], pool: &[String]) -> Case {
    let mut w = Writer {
        noise,
        ..Writer::default()
    };
    w.eol = w.pick(&["\n", "\r\n"]);
    w.width = 1 + w.roll(4);
    w.dash = 1 + w.roll(3);
    let head = w.pick(&["", "", "", "---", "\u{feff}", "%YAML 1.2\n---"]);
    if !head.is_empty() {
        w.push(&head.replace('\n', w.eol));
        w.eol();
    }
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 {
            let marker = w.pick(&["---", "---", "--- # next", "...\n# between\n---"]);
            w.push(&marker.replace('\n', w.eol));
            w.eol();
        }
        match doc {
            Y::Map(e, false) if !e.is_empty() => w.block_map(e, 0, false),
            _ => {
                w.line_indent = 0;
                w.inline(doc);
                w.end_line();
            }
        }
    }
    if w.roll(5) == 1 {
        let len = w.text.trim_end_matches(['\r', '\n']).len();
        w.text.truncate(len);
    }
    let mut digests = HashMap::new();
    for (_, r) in &w.refs {
        let next = pool[digests.len() % pool.len()].clone();
        digests.entry(lookup_key(r)).or_insert(next);
    }
    Case {
        name,
        text: w.text,
        refs: w.refs,
        digests,
    }
}

fn lookup_key(r: &str) -> String {
    pin::lookup_key(&Reference::parse(r).unwrap())
}

/// Rotate (and maybe reverse) entries so keys come in varied orders.
fn mix<T>(mut v: Vec<T>, seed: u8) -> Vec<T> {
    let n = v.len().max(1);
    v.rotate_left(usize::from(seed) % n);
    if seed & 0x80 != 0 {
        v.reverse();
    }
    v
}

fn entry(k: &str, v: Y) -> (String, Y) {
    (k.to_string(), v)
}

fn map(entries: Vec<(String, Y)>, seed: u8, flow: bool) -> Y {
    Y::Map(mix(entries, seed), flow)
}

fn flow() -> impl Strategy<Value = bool> {
    prop::bool::weighted(0.2)
}

/// Unrelated values, some of them looking like references (which must not be found).
const LITS: &str = "web|3|true|null|~|\"\"|''|'single quoted'|\"dq: colon\"|naïve|日本語|\
    --flag=1|a#b|http://example.com/x|nginx:1.27|\"ghcr.io/x/y:1\"|1.5";

fn lit() -> impl Strategy<Value = Y> {
    select(LITS.split('|').collect::<Vec<_>>()).prop_map(Y::Lit)
}

/// A path component of the reference grammar.
const COMPONENT: &str = "[a-z0-9]{1,6}(([._]|__|-{1,2})[a-z0-9]{1,4}){0,2}";
const DOMAINS: &str = "ghcr.io quay.io registry:5000 localhost localhost:5000 docker.io \
    index.docker.io 127.0.0.1:5000 Registry.Example.COM [::1]:5000 [2001:db8::1]";

/// A reference by the distribution/reference grammar, without digest.
fn reference() -> impl Strategy<Value = String> {
    let hub = prop_oneof![
        COMPONENT.prop_map(|c| c),
        COMPONENT.prop_map(|c| format!("library/{c}")),
        ("[a-z0-9]{1,8}([_-][a-z0-9]{1,4})?", COMPONENT).prop_map(|(u, c)| format!("{u}/{c}")),
    ];
    let domain = prop_oneof![
        select(DOMAINS.split(' ').collect::<Vec<_>>()).prop_map(str::to_string),
        "[a-z0-9]([a-z0-9-]{0,5}[a-z0-9])?(\\.[a-z0-9]{1,6}){1,2}(:[0-9]{1,5})?",
    ];
    let hosted = (domain, vec(COMPONENT, 1..4)).prop_map(|(d, p)| format!("{d}/{}", p.join("/")));
    let tag = prop_oneof![
        2 => Just(String::new()),
        3 => "[A-Za-z0-9_][A-Za-z0-9_.-]{0,12}".prop_map(|t| format!(":{t}")),
        1 => "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}".prop_map(|t| format!(":{t}")),
    ];
    (prop_oneof![hub, hosted], tag)
        .prop_map(|(name, tag)| name + &tag)
        .prop_filter("a plain `null` is YAML's null", |r| r != "null")
}

fn image() -> impl Strategy<Value = Y> {
    let quote = select(vec!["", "'", "\""]);
    (reference(), quote, prop::bool::weighted(0.15)).prop_map(|(r, q, next)| {
        // An IPv6 host starts with `[`, which cannot start a plain scalar.
        Y::Image(
            r.clone(),
            if q.is_empty() && r.starts_with('[') {
                "\""
            } else {
                q
            },
            next,
        )
    })
}

fn container() -> impl Strategy<Value = Y> {
    let env = (lit(), flow())
        .prop_map(|(v, f)| Y::Map(vec![entry("name", Y::Lit("IMAGE")), entry("value", v)], f));
    let (args, env) = (of((vec(lit(), 0..3), flow())), of((vec(env, 0..3), flow())));
    let extras = (args, env, any::<bool>());
    (weighted(0.9, image()), lit(), extras, any::<u8>(), flow()).prop_map(
        |(image, name, (args, env, pull), seed, f)| {
            let mut e = vec![entry("name", name)];
            e.extend(image.map(|i| entry("image", i)));
            e.extend(args.map(|(a, f)| entry("args", Y::Seq(a, f))));
            e.extend(env.map(|(v, f)| entry("env", Y::Seq(v, f))));
            e.extend(pull.then(|| entry("imagePullPolicy", Y::Lit("IfNotPresent"))));
            map(e, seed, f)
        },
    )
}

/// Containers, init and ephemeral containers, and a volume with a decoy `image` key.
fn pod_spec() -> impl Strategy<Value = Y> {
    let list = |n| (vec(container(), n), flow()).prop_map(|(c, f)| Y::Seq(c, f));
    let volume = (lit(), flow()).prop_map(|(v, f)| {
        let rbd = Y::Map(vec![entry("image", v), entry("pool", Y::Lit("kube"))], f);
        let item = Y::Map(vec![entry("name", Y::Lit("data")), entry("rbd", rbd)], f);
        Y::Seq(vec![item], f)
    });
    let lists = (list(1..3), of(list(0..3)), of(list(1..2)));
    (lists, of(volume), any::<u8>(), flow()).prop_map(|((c, init, eph), vol, seed, f)| {
        let mut e = vec![entry("containers", c)];
        e.extend(init.map(|c| entry("initContainers", c)));
        e.extend(eph.map(|c| entry("ephemeralContainers", c)));
        e.extend(vol.map(|v| entry("volumes", v)));
        map(e, seed, f)
    })
}

const TEMPLATE: &[&str] = &["spec", "template", "spec"];
/// apiVersion, kind and the path to the pod spec.
const WORKLOADS: &[(&str, &str, &[&str])] = &[
    ("v1", "Pod", &["spec"]),
    ("apps/v1", "Deployment", TEMPLATE),
    ("apps/v1", "StatefulSet", TEMPLATE),
    ("apps/v1", "DaemonSet", TEMPLATE),
    ("batch/v1", "Job", TEMPLATE),
    (
        "batch/v1",
        "CronJob",
        &["spec", "jobTemplate", "spec", "template", "spec"],
    ),
    ("v1", "PodTemplate", &["template", "spec"]),
    ("argoproj.io/v1alpha1", "Rollout", TEMPLATE),
];
/// An unrelated key beside each level of the path to the pod spec.
const SIBLINGS: &[&str] = &["status", "replicas", "metadata", "schedule", "parallelism"];

fn k8s_object() -> impl Strategy<Value = Y> {
    let levels = vec((of(lit()), flow()), 5);
    let (outer, decoy) = ((levels, any::<u8>(), flow()), of(lit()));
    (select(WORKLOADS), pod_spec(), decoy, outer).prop_map(
        |((api, kind, path), spec, decoy, (levels, seed, f))| {
            let mut node = spec;
            for i in (1..path.len()).rev() {
                let mut e = vec![entry(path[i], node)];
                e.extend(levels[i].0.clone().map(|s| entry(SIBLINGS[i], s)));
                node = map(e, seed, levels[i].1);
            }
            let mut meta = vec![entry("name", Y::Lit("app"))];
            meta.extend(decoy.map(|d| entry("annotations", Y::Map(vec![entry("image", d)], f))));
            let e = vec![
                entry("apiVersion", Y::Lit(api)),
                entry("kind", Y::Lit(kind)),
                entry("metadata", Y::Map(meta, f)),
                entry(path[0], node),
            ];
            map(e, seed, f)
        },
    )
}

fn k8s_doc() -> impl Strategy<Value = Y> {
    let list = (vec(k8s_object(), 1..3), flow()).prop_map(|(items, f)| {
        let (api, kind) = (
            entry("apiVersion", Y::Lit("v1")),
            entry("kind", Y::Lit("List")),
        );
        Y::Map(vec![api, kind, entry("items", Y::Seq(items, f))], false)
    });
    prop_oneof![4 => k8s_object(), 1 => list]
}

/// Services with an image or a build, maybe an `x-common` template that services without an
/// image of their own (and the first one) merge.
fn compose_doc() -> impl Strategy<Value = Y> {
    let service = (weighted(0.85, image()), of(lit()), any::<u8>(), flow()).prop_map(
        |(image, env, seed, f)| {
            let own = match image {
                Some(i) => entry("image", i),
                None => entry("build", Y::Lit(".")),
            };
            let mut e = vec![entry("restart", Y::Lit("always")), own];
            e.extend(env.map(|v| entry("environment", Y::Map(vec![entry("IMAGE", v)], f))));
            map(e, seed, f)
        },
    );
    let template = weighted(0.3, (image(), flow()));
    let top = (any::<bool>(), of(lit()), any::<u8>(), flow());
    (vec(service, 1..4), template, top).prop_map(|(mut services, template, top)| {
        let (version, decoy, seed, f) = top;
        let mut e = vec![];
        e.extend(version.then(|| entry("version", Y::Lit("\"3.9\""))));
        e.extend(decoy.map(|d| entry("x-image", d)));
        let mut e = mix(e, seed);
        let mut common = None;
        if let Some((image, tf)) = template {
            for (i, s) in services.iter_mut().enumerate() {
                let Y::Map(entries, _) = s else { continue };
                if i == 0 || !entries.iter().any(|(k, _)| k == "image") {
                    entries.retain(|(k, _)| k != "image" && k != "build");
                    entries.push(entry("<<", Y::Lit("*common")));
                }
            }
            let t = vec![entry("image", image), entry("restart", Y::Lit("no"))];
            common = Some(entry("x-common", map(t, seed, tf)));
        }
        let named = services
            .into_iter()
            .enumerate()
            .map(|(i, s)| (format!("svc{i}"), s));
        let services = entry("services", Y::Map(named.collect(), f));
        e.insert(usize::from(seed) % (e.len() + 1), services);
        e.splice(0..0, common);
        Y::Map(e, false)
    })
}

/// Keys of Helm values maps (never `image`, which only the generator places).
const HELM_KEYS: &[&str] = &["app", "worker", "images", "repository", "tag", "sidecar"];

fn helm_map(inner: impl Strategy<Value = Y>) -> impl Strategy<Value = Y> {
    (of(image()), vec(inner, 0..4), any::<u8>(), flow()).prop_map(|(image, values, seed, f)| {
        let mut e: Vec<_> = values
            .into_iter()
            .zip(HELM_KEYS)
            .map(|(v, k)| entry(k, v))
            .collect();
        e.extend(image.map(|i| entry("image", i)));
        map(e, seed, f)
    })
}

/// Helm values: `image:` strings anywhere in nested maps and lists.
fn helm_doc() -> impl Strategy<Value = Y> {
    let value = lit().prop_recursive(3, 24, 4, |inner| {
        let seq = (vec(inner.clone(), 1..3), flow()).prop_map(|(v, f)| Y::Seq(v, f));
        prop_oneof![helm_map(inner), seq]
    });
    helm_map(value)
}

fn case() -> impl Strategy<Value = Case> {
    let manifest = prop_oneof![3 => k8s_doc(), 1 => compose_doc()];
    let files = prop_oneof![
        2 => (select(vec!["deploy.yaml", "k8s/app.yml"]), vec(manifest, 1..4)),
        1 => (select(vec!["docker-compose.yml", "compose.yaml"]), vec(compose_doc(), 1..3)),
        1 => (select(vec!["values.yaml", "chart.values.yaml"]), vec(helm_doc(), 1..3)),
    ];
    let pool = vec("[0-9a-f]{64}".prop_map(|h| format!("sha256:{h}")), 6);
    (files, vec(any::<u8>(), 1..48), pool)
        .prop_map(|((name, docs), noise, pool)| render(name, &docs, &noise, &pool))
}

fn discover(name: &str, text: &str) -> DiscoverOutcome {
    let sources = [(PathBuf::from(name), text.to_string())];
    discover_sources(&sources, &SearchRules::default())
}

/// Pin with `digests` (references pinned by digest only resolve to their own digest); `None`
/// when the plan leaves the file alone.
fn pin_text(name: &str, text: &str, digests: &HashMap<String, String>) -> Option<String> {
    let outcome = discover(name, text);
    let mut digests = digests.clone();
    for r in pin::to_resolve(&outcome) {
        if let (None, Some(d)) = (r.tag(), r.digest()) {
            digests.insert(pin::lookup_key(&r), d.to_string());
        }
    }
    let plan = pin::plan(&outcome, &digests, &PinOptions::default()).unwrap();
    plan.updated(Path::new(name)).unwrap()
}

fn config(cases: u32) -> Config {
    // No regression files: failures print the generated text; reduced ones are kept below.
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn discovers_exactly_the_images_placed(c in case()) {
        prop_assert!(parse_documents(&c.text).is_ok(), "generated YAML does not parse");
        let outcome = discover(c.name, &c.text);
        prop_assert!(outcome.notices.is_empty(), "notices: {:?}", outcome.notices);
        let got: Vec<_> =
            outcome.uses.iter().map(|u| (u.span.clone(), u.reference.original())).collect();
        let want: Vec<_> = c.refs.iter().map(|(at, r)| (*at..at + r.len(), r.as_str())).collect();
        prop_assert_eq!(got, want);
        prop_assert!(outcome.uses.iter().all(|u| u.target == Target::Text));
    }

    #[test]
    fn unpinning_restores_the_original_bytes(c in case()) {
        let pinned = pin_text(c.name, &c.text, &c.digests).unwrap_or_else(|| c.text.clone());
        // The only change is `@digest` at the end of each reference span.
        let mut want = c.text.clone();
        for (at, r) in c.refs.iter().rev() {
            want.insert_str(at + r.len(), &format!("@{}", c.digests[&lookup_key(r)]));
        }
        prop_assert_eq!(&pinned, &want, "bytes outside the reference spans changed");
        let again = discover(c.name, &pinned);
        prop_assert_eq!(again.uses.len(), c.refs.len());
        let mut restored = pinned.clone();
        for (u, (_, r)) in again.uses.iter().zip(&c.refs).rev() {
            let (name, digest) = pinned[u.span.clone()].rsplit_once('@').unwrap();
            prop_assert_eq!(name, r.as_str());
            prop_assert!(digest.starts_with("sha256:") && digest.len() == 71, "{}", digest);
            restored.replace_range(u.span.start + name.len()..u.span.end, "");
        }
        prop_assert_eq!(restored, c.text);
    }

    #[test]
    fn pinning_twice_changes_nothing_and_still_parses(c in case()) {
        let pinned = pin_text(c.name, &c.text, &c.digests).unwrap_or_else(|| c.text.clone());
        prop_assert_eq!(pin_text(c.name, &pinned, &c.digests), None);
        if parse_documents(&c.text).is_ok() {
            prop_assert!(parse_documents(&pinned).is_ok(), "pinned YAML no longer parses");
        }
    }
}

// Regressions the properties found, reduced by hand.

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn pin_nginx(name: &str, text: &str) -> Option<String> {
    let digests = HashMap::from([(lookup_key("nginx:1.27"), DIGEST.to_string())]);
    pin_text(name, text, &digests)
}

/// With a tag or an anchor before an image scalar, the node span starts at the tag or anchor
/// (and, quoted, ends after the opening quote), so pin rewrites it as a double-quoted scalar: a
/// quoted image becomes `"nginx:1.27@sha256:…"nginx:1.27"` (invalid YAML), a plain one loses its
/// tag or anchor.
#[test]
fn image_after_a_tag_or_anchor_is_pinned_in_place() {
    for value in [
        "- image: &app \"nginx:1.27\"",
        "- image: !!str 'nginx:1.27'",
        "- image: &app nginx:1.27",
        "- image: !!str nginx:1.27",
        "- {image: &app nginx:1.27}",
    ] {
        let text = format!("kind: Pod\napiVersion: v1\nspec:\n  containers:\n  {value}\n");
        let want = text.replace("nginx:1.27", &format!("nginx:1.27@{DIGEST}"));
        assert_eq!(pin_nginx("pod.yaml", &text), Some(want), "`{value}`");
    }
}

/// The same bug breaks compose templates: pinning drops `&img`, so `*img` no longer resolves.
#[test]
fn aliased_image_keeps_its_anchor() {
    let text = "services:\n  a:\n    image: &img nginx:1.27\n  b:\n    image: *img\n";
    let pinned = pin_nginx("compose.yaml", text).unwrap();
    assert!(parse_documents(&pinned).is_ok(), "{pinned}");
    assert_eq!(
        pinned,
        text.replace("nginx:1.27", &format!("nginx:1.27@{DIGEST}"))
    );
}

/// A tab after `key:` is separation white space (YAML 1.2 `s-separate-in-line`), but
/// saphyr-parser 0.3 rejects `image:\tnginx` ("':' must be followed by a valid YAML
/// whitespace"): the file is reported as invalid YAML and its images are not found.
#[test]
fn tab_after_a_colon_separates_key_and_value() {
    let text = "kind: Pod\napiVersion: v1\nspec:\n  containers:\n  - image:\tnginx:1.27\n";
    let outcome = discover("pod.yaml", text);
    assert!(outcome.notices.is_empty(), "{:?}", outcome.notices);
    assert_eq!(outcome.uses.len(), 1);
    assert_eq!(&text[outcome.uses[0].span.clone()], "nginx:1.27");
}
