//! The two passes of a lint run. The first parses each file once, one document at a time,
//! counts its objects, reports what cannot be read, gathers the input's [`Facts`], keeps the
//! Namespaces and NetworkPolicies for the cross-object rules, and keeps the text of each document
//! some rule reads: the file's whole text when those documents are most of it (no copy), else a
//! copy of just them (a file of CRDs keeps little). The second re-parses those documents in
//! chunks of at most [`CHUNK`] bytes and runs the per-object rules, so memory holds the kept texts
//! plus one chunk's trees, never a whole input's trees: a 100 MB file costs about 100 MB. (A file with `{{` is parsed whole, once: telling a Helm template from
//! YAML needs all of it.)

use crate::finding::Finding;
use crate::finding::Severity;
use crate::lint::facts::Facts;
use crate::lint::object::Object;
use crate::lint::pod::PodView;
use crate::lint::rules::{self, CROSS_KINDS};
use crate::lint::source::{self, Parsed};
use crate::lint::{exceptions, pod_security, Context, FileNotice, LintConfig, LintOutcome};
use crate::yaml::{self, Node};
use chrono::NaiveDate;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The most document text the second pass parses at once (a larger document is one chunk).
const CHUNK: usize = 4 << 20;

/// A document kept for the second pass.
struct Kept {
    file: usize,
    /// Where its text is in the file's kept text.
    bytes: Range<usize>,
    /// Bytes and lines before the document in its file.
    at: usize,
    lines: usize,
}

/// One lint run: feed files with [`Linter::add`], then [`Linter::finish`].
pub struct Linter<'c> {
    cfg: &'c LintConfig,
    today: NaiveDate,
    facts: Facts,
    files: Vec<PathBuf>,
    /// The text of each file in `files`.
    texts: Vec<Arc<String>>,
    kept: Vec<Kept>,
    cross: Vec<Parsed>,
    notices: Vec<FileNotice>,
    /// Findings of the first pass (malformed annotations on objects no rule reads).
    findings: Vec<Finding>,
    objects: usize,
}

impl<'c> Linter<'c> {
    pub fn new(cfg: &'c LintConfig, today: NaiveDate) -> Self {
        Self {
            cfg,
            today,
            facts: Facts::default(),
            files: Vec::new(),
            texts: Vec::new(),
            kept: Vec::new(),
            cross: Vec::new(),
            notices: Vec::new(),
            findings: Vec::new(),
            objects: 0,
        }
    }

    /// A file that could not be read as text.
    pub fn notice(&mut self, notice: FileNotice) {
        self.notices.push(notice);
    }

    /// First pass over one file. The text is shared with the second pass, not copied.
    pub fn add(&mut self, path: &Path, text: Arc<String>) {
        let file = self.files.len();
        let kept_before = self.kept.len();
        if text.contains("{{") {
            // Maybe a Helm template: judged on the whole file at once.
            match source::parse(path, &text) {
                Ok(p) => self.first_pass(path, &text, p.docs, file, text.len()),
                Err(n) => return self.notices.push(n),
            }
        } else {
            let (mut lines, mut counted) = (0, 0);
            for seg in yaml::document_segments(&text) {
                lines += text.as_bytes()[counted..seg.start]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                counted = seg.start;
                match yaml::parse_documents(&text[seg.clone()]) {
                    Ok(mut docs) => {
                        for d in &mut docs {
                            yaml::shift(d, seg.start, lines);
                        }
                        self.first_pass(path, &text, docs, file, seg.end);
                    }
                    Err(e) => {
                        // The rest of the file is not read; what it holds cannot be checked.
                        let e = yaml::YamlError {
                            line: e.line + lines,
                            ..e
                        };
                        self.notices.push(source::malformed(path, &e));
                        break;
                    }
                }
            }
        }
        if self.kept.len() > kept_before {
            self.files.push(path.to_path_buf());
            let new = &mut self.kept[kept_before..];
            let kept_bytes: usize = new.iter().map(|k| k.bytes.len()).sum();
            if kept_bytes * 2 >= text.len() {
                self.texts.push(text);
            } else {
                let mut copy = String::with_capacity(kept_bytes);
                for k in new {
                    let from = copy.len();
                    copy.push_str(&text[k.bytes.clone()]);
                    k.bytes = from..copy.len();
                }
                self.texts.push(Arc::new(copy));
            }
        }
    }

    /// The first pass over some documents of file number `file`, the last of which ends at byte
    /// `end` of `text`.
    fn first_pass(&mut self, path: &Path, text: &str, docs: Vec<Node>, file: usize, end: usize) {
        let parsed = Parsed {
            path: path.to_path_buf(),
            docs,
        };
        let mut objects = Vec::new();
        source::objects(&parsed, &mut objects, &mut self.notices);
        self.objects += objects.len();
        let mut cross = Vec::new();
        for o in &objects {
            self.facts.observe(o);
            if let Some(pod) = PodView::of(o.kind, o.node) {
                for (path, node) in pod.shape_errors() {
                    self.notices.push(FileNotice {
                        file: o.file.to_path_buf(),
                        line: node.line,
                        column: node.column,
                        severity: Severity::Error,
                        message: format!(
                            "`{path}` of {} has the wrong type: the pod cannot be checked",
                            o.subject()
                        ),
                    });
                }
            }
            if !source::kept(o.node) {
                if let Some(Err(f)) = exceptions::read_inline(o) {
                    self.findings.push(f);
                }
            }
            if CROSS_KINDS.contains(&o.kind) {
                cross.push(o.node.clone());
            }
        }
        if !cross.is_empty() {
            self.cross.push(Parsed {
                path: path.to_path_buf(),
                docs: cross,
            });
        }
        let docs: Vec<&Node> = parsed.docs.iter().filter(|d| !d.is_null()).collect();
        let starts: Vec<usize> = docs
            .iter()
            .map(|d| line_start(text, d.span.start))
            .collect();
        for (j, doc) in docs.iter().enumerate() {
            if !source::kept(doc) {
                continue;
            }
            let (start, end) = (starts[j], starts.get(j + 1).copied().unwrap_or(end));
            self.kept.push(Kept {
                file,
                bytes: start..end.max(start),
                at: start,
                // The document's first line is the line `start` begins.
                lines: doc.line.saturating_sub(1),
            });
        }
    }

    /// Second pass and the cross-object rules.
    pub fn finish(mut self) -> LintOutcome {
        let mut findings = std::mem::take(&mut self.findings);
        let kept = std::mem::take(&mut self.kept);
        let texts = std::mem::take(&mut self.texts);
        let mut rest = kept.as_slice();
        while let Some(first) = rest.first() {
            // One file's documents, at most CHUNK bytes of them (and at least one).
            let mut size = 0;
            let n = rest
                .iter()
                .take_while(|k| {
                    size += k.bytes.len();
                    k.file == first.file && (size <= CHUNK || k.bytes == first.bytes)
                })
                .count()
                .max(1);
            let (group, tail) = rest.split_at(n);
            rest = tail;
            let path = &self.files[first.file];
            let text = &texts[first.file];
            let mut docs = Vec::new();
            for k in group {
                match yaml::parse_documents(&text[k.bytes.clone()]) {
                    Ok(parsed) => {
                        docs.extend(parsed.into_iter().filter(|d| !d.is_null()).map(|mut d| {
                            yaml::shift(&mut d, k.at, k.lines);
                            d
                        }))
                    }
                    Err(e) => self.notices.push(FileNotice {
                        file: path.clone(),
                        line: e.line + k.lines,
                        column: e.column,
                        severity: Severity::Error,
                        message: format!("could not re-read a document for linting: {}", e.message),
                    }),
                }
            }
            let parsed = Parsed {
                path: path.clone(),
                docs,
            };
            findings.extend(self.lint_objects(&parsed));
        }
        let mut objects = Vec::new();
        let mut ignored = Vec::new();
        for p in &self.cross {
            source::objects(p, &mut objects, &mut ignored);
        }
        let cx = Context::new(&objects, self.cfg, &self.facts);
        let mut hits = Vec::new();
        rules::check_cross(&cx, &mut hits);
        findings.extend(exceptions::apply(&cx, hits, self.today, false));
        findings.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
        let mut notices = self.notices;
        notices.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        LintOutcome {
            findings,
            notices,
            objects: self.objects,
        }
    }

    fn lint_objects(&self, parsed: &Parsed) -> Vec<Finding> {
        let mut objects: Vec<Object<'_>> = Vec::new();
        let mut ignored = Vec::new();
        source::objects(parsed, &mut objects, &mut ignored);
        let cx = Context::new(&objects, self.cfg, &self.facts);
        let mut hits = Vec::new();
        pod_security::check(&cx, &mut hits);
        rules::check_objects(&cx, &mut hits);
        exceptions::apply(&cx, hits, self.today, true)
    }
}

/// The byte offset where the line holding `pos` starts.
fn line_start(text: &str, pos: usize) -> usize {
    let pos = pos.min(text.len());
    text.as_bytes()[..pos]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// Findings sort by file, line, column, then rule.
fn sort_key(f: &Finding) -> (Option<(&Path, usize, usize)>, &'static str) {
    let at = f
        .location
        .as_ref()
        .map(|l| (l.file.as_path(), l.line, l.column));
    (at, f.rule.id)
}
