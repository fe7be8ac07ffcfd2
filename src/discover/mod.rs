//! Stage `discover`: find every image reference in the files a deploy repository holds.
//!
//! Each source format has its own file (Kubernetes and CRDs, kustomize, Helm values, compose,
//! Dockerfile, GitHub workflows); this module holds the shared types, the dispatch by file type
//! and the rules the stage reports. Discovery is pure over `(path, text)` pairs
//! ([`discover_sources`]); [`discover_paths`] only reads files and directories first. Every
//! [`ImageUse`] carries the exact bytes to rewrite, so `pin` can replace the reference and
//! nothing else.

mod account;
mod compose;
pub mod config;
mod detect;
mod dockerfile;
mod follow;
mod helm;
mod kubernetes;
mod kustomize;
mod rules;
mod scalar;
mod search;
mod walk;
mod workflow;

use crate::finding::Rule;
use crate::reference::Reference;
use crate::yaml::Style;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use account::{Accounting, Reason};
pub use detect::FileType;
pub use rules::{
    unaccounted_findings, unresolvable_findings, STALE_PIN, UNACCOUNTED_REFERENCE, UNPINNED_IMAGE,
    UNRESOLVABLE_REFERENCE,
};
pub use search::{SearchRule, SearchRuleError, SearchRuleSpec, SearchRules};
pub use walk::{discover_paths, read_sources, DiscoverError};

/// The rules this stage reports.
pub const RULES: &[Rule] = &[
    UNPINNED_IMAGE,
    STALE_PIN,
    UNRESOLVABLE_REFERENCE,
    UNACCOUNTED_REFERENCE,
];

/// The path that means standard input.
pub use crate::input::STDIN;

/// Which kind of file an image use was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UseKind {
    /// A container of a built-in workload's pod spec.
    Kubernetes,
    /// An `images:` entry of a kustomization or component.
    Kustomize,
    /// An `image` map or string in a Helm values file.
    HelmValues,
    /// `services.*.image` of a compose file.
    Compose,
    /// A `FROM` (or `COPY --from=`) image of a Dockerfile.
    Dockerfile,
    /// A job container, service container, `docker://` step or step `with.image` of a workflow.
    Workflow,
    /// A custom resource: a generic pod template or a search rule's path.
    Crd,
}

/// A quoted or plain YAML scalar slot that pin may overwrite (a `digest:` or `tag:` value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// The whole scalar, quotes included.
    pub span: Range<usize>,
    pub style: Style,
}

/// Where a new key line goes when a map lacks the key pin wants to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insertion {
    /// Byte offset to insert at.
    pub at: usize,
    /// For block maps: the indentation of the map's keys. `None` for a flow map (`{…}`), where
    /// the key is inserted as `, key: value` before the closing brace.
    pub indent: Option<String>,
    /// True when the inserted text must start with a line break (the map ends at end of file
    /// without a final newline).
    pub leading_break: bool,
    /// The file's line ending (`\n` or `\r\n`).
    pub eol: &'static str,
}

/// A reference assembled from several keys of one map (kustomize `images:` entries, Helm
/// `image:` maps). Pin writes a digest key, or (Helm without one) the tag key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    /// A Helm `image:` map (else a kustomize `images:` entry).
    pub helm: bool,
    /// The existing `digest` value, if the map has the key (Helm: the chart has the convention).
    pub digest: Option<Slot>,
    /// The existing tag value (`newTag` / `tag`), if any.
    pub tag: Option<Slot>,
    /// The tag the reference uses (for Helm: written back as `tag: "TAG@sha256:…"`).
    pub tag_text: Option<String>,
    /// Where a missing `digest:` (kustomize) or `tag:` (Helm) key goes.
    pub insert: Insertion,
}

/// How pin rewrites an image use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `span` holds exactly the reference text: replace it with the pinned form.
    Text,
    /// `span` is a whole YAML scalar whose raw bytes are not its value (escapes, folding):
    /// replace it with a double-quoted scalar.
    Scalar,
    /// A Dockerfile token built from `ARG` variables: the pinned form cannot be spelled in
    /// place, so `@sha256:…` is appended to the token (or its literal digest replaced).
    /// `span` is the whole token; `digest` the literal `@…` suffix if present.
    AppendDigest { digest: Option<Range<usize>> },
    /// A reference assembled from map keys.
    Fields(Fields),
    /// A rendered image with no place in the tree to write its digest (a chart builds it in a
    /// template, a kustomize replacement copies it): pin refuses to write rather than guess.
    Unwritable,
}

/// One place a file names an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUse {
    pub reference: Reference,
    pub file: PathBuf,
    /// 1-based line and column of the reference text.
    pub line: usize,
    pub column: usize,
    /// Bytes of the reference text in the file (without quotes). For [`Target::Fields`] the
    /// span of the name value; for [`Target::Scalar`] the whole scalar.
    pub span: Range<usize>,
    pub kind: UseKind,
    pub target: Target,
}

/// Why a notice was raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoticeKind {
    /// The file could not be parsed (invalid YAML); it is skipped and left untouched.
    InvalidYaml,
    /// The file is not UTF-8 text.
    NotUtf8,
    /// An image is named through a variable, template or placeholder that discovery does not
    /// guess (`${VAR}` without a default, `${{ env.X }}`, `CONTAINER_IMAGES_TAG`), or a Helm or
    /// kustomize image whose parts do not make a reference. Reported as `GATE-IMG-003`.
    Unresolvable,
    /// An image field of a manifest, compose file, workflow or Dockerfile holds literal text
    /// that is not a valid reference (`ghcr.io/acme/Shop-API:1.4`): no runtime can pull it and
    /// the gate cannot check it, so it is a "could not check" error, never a silent pass.
    InvalidReference,
    /// The file's bytes may be read one way by gate and another by the deployer (a Unicode
    /// line break, a `---` marker followed by a Unicode blank, a parser directive BuildKit
    /// ignores): refused, never read one way.
    Ambiguous,
}

impl NoticeKind {
    /// True when something the files name could not be checked at all (a "could not check"
    /// error): a file that could not be read, or an image that cannot be named.
    pub fn is_error(self) -> bool {
        matches!(
            self,
            Self::InvalidYaml | Self::NotUtf8 | Self::InvalidReference | Self::Ambiguous
        )
    }
}

/// Something discovery could not take as an image use, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileNotice {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub kind: NoticeKind,
    /// Sentence case, no trailing period.
    pub message: String,
}

impl std::fmt::Display for FileNotice {
    /// `file:line:col: message`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// A file discovery read: what pin needs to rewrite it later without holding every file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// SHA-256 of the text discovery read.
    pub hash: [u8; 32],
    /// The text itself, when it cannot (standard input) or need not be read again.
    pub text: Option<Arc<str>>,
}

/// Everything discovery found: the uses (in file order, one per span) and the notices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiscoverOutcome {
    pub uses: Vec<ImageUse>,
    pub notices: Vec<FileNotice>,
    /// Every file with a use: the hash of the bytes discovery read (so pin can refuse a file
    /// that changed on disk since) and, for standard input and in-memory sources, the text.
    pub sources: HashMap<PathBuf, Source>,
    /// Every reference-shaped string of the files read, and how it is accounted for
    /// (`reason: None`: it is not, a `GATE-IMG-005` finding).
    pub accounting: Vec<Accounting>,
}

impl DiscoverOutcome {
    /// The distinct references, normalised, in first-seen order.
    pub fn references(&self) -> Vec<Reference> {
        let mut seen = HashSet::new();
        self.uses
            .iter()
            .filter(|u| seen.insert(u.reference.to_string()))
            .map(|u| u.reference.clone())
            .collect()
    }

    /// True when some file could not be read or parsed.
    pub fn has_errors(&self) -> bool {
        self.notices.iter().any(|n| n.kind.is_error())
    }

    /// Mark the reference-shaped strings of `file` (those in `span`, or all of the file's)
    /// accounted for, with the reason: e.g. a renderer marks its inputs ("input of kustomization
    /// X; its rendered output is checked"). Returns how many strings it marked.
    pub fn account(&mut self, file: &Path, span: Option<Range<usize>>, reason: &str) -> usize {
        let mut n = 0;
        for a in self.accounting.iter_mut().filter(|a| a.file == file) {
            let inside = span
                .as_ref()
                .is_none_or(|s| s.start < a.span.end && a.span.start < s.end);
            if inside && a.reason.is_none() {
                a.reason = Some(Reason::Marked(reason.to_string()));
                n += 1;
            }
        }
        n
    }

    /// The reference-shaped strings nothing accounts for.
    pub fn unaccounted(&self) -> impl Iterator<Item = &Accounting> {
        self.accounting.iter().filter(|a| a.reason.is_none())
    }
}

/// Discover image uses in already-read sources (kept in memory for pin). `Chart.yaml` files
/// among them (or `<prefix>.Chart.yaml` next to `<prefix>.values.yaml`) give Helm values their
/// default tag.
pub fn discover_sources(sources: &[(PathBuf, String)], rules: &SearchRules) -> DiscoverOutcome {
    let charts: HashMap<&Path, &str> = sources
        .iter()
        .filter(|(p, _)| detect::is_chart(p))
        .map(|(p, t)| (p.as_path(), t.as_str()))
        .collect();
    let mut out = DiscoverOutcome::default();
    for (path, text) in sources {
        let app_version = || {
            detect::chart_for(path)
                .iter()
                .find_map(|c| charts.get(c.as_path()))
                .and_then(|t| helm::app_version(t))
        };
        discover_one(path, text, rules, &app_version, true, &mut out);
    }
    out
}

/// Discover one file into `out`; remember its hash (and, with `keep`, its text) when it has uses.
pub(crate) fn discover_one(
    path: &Path,
    text: &str,
    rules: &SearchRules,
    app_version: &dyn Fn() -> Option<String>,
    keep: bool,
    out: &mut DiscoverOutcome,
) {
    let before = out.uses.len();
    let noticed = out.notices.len();
    let mut sink = Sink {
        file: path,
        text,
        uses: &mut out.uses,
        notices: &mut out.notices,
        marked: Vec::new(),
    };
    let file_type = detect::detect(path, text);
    match file_type {
        FileType::Dockerfile => dockerfile::discover(&mut sink),
        FileType::Yaml(hint) => scalar::discover_yaml(&mut sink, hint, rules, app_version),
        FileType::Other => {}
    }
    let marked = std::mem::take(&mut sink.marked);
    dedup(&mut out.uses, before);
    // Two readers of one document (a known pod path and the pod-spec walk) say the same once.
    let mut said = HashSet::new();
    let mut index = 0;
    out.notices.retain(|n| {
        index += 1;
        index <= noticed || said.insert((n.line, n.column, n.kind, n.message.clone()))
    });
    let (uses, notices) = (out.uses[before..].to_vec(), out.notices[noticed..].to_vec());
    account::account_file(
        path,
        text,
        file_type == FileType::Dockerfile,
        &uses,
        &notices,
        &marked,
        out,
    );
    if out.uses.len() > before {
        let source = Source {
            hash: Sha256::digest(text.as_bytes()).into(),
            text: keep.then(|| Arc::from(text)),
        };
        out.sources.insert(path.to_path_buf(), source);
    }
}

/// Keep one use per span (aliases and overlapping rules find the same bytes twice), in order.
fn dedup(uses: &mut Vec<ImageUse>, from: usize) {
    let mut tail = uses.split_off(from);
    tail.sort_by_key(|u| (u.span.start, u.span.end));
    tail.dedup_by(|a, b| a.span == b.span);
    uses.extend(tail);
}

/// Where per-format discoverers put what they find for one file.
pub(crate) struct Sink<'a> {
    pub file: &'a Path,
    pub text: &'a str,
    pub uses: &'a mut Vec<ImageUse>,
    pub notices: &'a mut Vec<FileNotice>,
    /// Spans a format knows are not images to check, and why (a compose build's image name).
    pub marked: Vec<(Range<usize>, Reason)>,
}

impl Sink<'_> {
    pub fn notice(&mut self, line: usize, column: usize, kind: NoticeKind, message: String) {
        self.notices.push(FileNotice {
            file: self.file.to_path_buf(),
            line,
            column,
            kind,
            message,
        });
    }

    pub fn push(
        &mut self,
        reference: Reference,
        (line, column): (usize, usize),
        span: Range<usize>,
        kind: UseKind,
        target: Target,
    ) {
        self.uses.push(ImageUse {
            reference,
            file: self.file.to_path_buf(),
            line,
            column,
            span,
            kind,
            target,
        });
    }

    /// The file's line ending.
    pub fn eol(&self) -> &'static str {
        if self.text.contains("\r\n") {
            "\r\n"
        } else {
            "\n"
        }
    }
}

/// True when text names an image through something discovery does not expand.
pub(crate) fn has_variable(s: &str) -> bool {
    s.contains('$') || s.contains("{{")
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}
