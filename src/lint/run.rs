//! The two passes of a lint run. The first parses each file once, counts its objects, reports
//! what cannot be read, gathers the input's [`Facts`], keeps the Namespaces and NetworkPolicies
//! for the cross-object rules, and keeps the *text* of each document some rule reads. The second
//! re-reads those documents one file at a time and runs the per-object rules, so memory holds one
//! file's trees, not the whole input's.

use crate::finding::Finding;
use crate::finding::Severity;
use crate::lint::facts::Facts;
use crate::lint::object::Object;
use crate::lint::pod::PodView;
use crate::lint::rules::{self, CROSS_KINDS};
use crate::lint::source::{self, Parsed};
use crate::lint::{exceptions, pod_security, Context, FileNotice, LintConfig, LintOutcome};
use crate::yaml::{self, Node, Value};
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

/// A document kept for the second pass: its text and where it starts in its file.
struct Kept {
    file: usize,
    text: String,
    /// Lines and bytes before the document in its file.
    lines: usize,
    bytes: usize,
}

/// One lint run: feed files with [`Linter::add`], then [`Linter::finish`].
pub struct Linter<'c> {
    cfg: &'c LintConfig,
    today: NaiveDate,
    facts: Facts,
    files: Vec<PathBuf>,
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

    /// First pass over one file.
    pub fn add(&mut self, path: &Path, text: &str) {
        let parsed = match source::parse(path, text) {
            Ok(p) => p,
            Err(n) => return self.notices.push(n),
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
        let file = self.files.len();
        let (mut lines, mut counted) = (0, 0);
        for (j, doc) in docs.iter().enumerate() {
            if !source::kept(doc) {
                continue;
            }
            let (start, end) = (starts[j], starts.get(j + 1).copied().unwrap_or(text.len()));
            // Documents come in order; should one not, count its lines from the top.
            if start < counted {
                (lines, counted) = (0, 0);
            }
            lines += text.as_bytes()[counted..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            counted = start;
            self.kept.push(Kept {
                file,
                text: text[start..end.max(start)].to_string(),
                lines,
                bytes: start,
            });
        }
        if self.kept.last().is_some_and(|k| k.file == file) {
            self.files.push(path.to_path_buf());
        }
    }

    /// Second pass and the cross-object rules.
    pub fn finish(mut self) -> LintOutcome {
        let mut findings = std::mem::take(&mut self.findings);
        let kept = std::mem::take(&mut self.kept);
        let mut rest = kept.as_slice();
        while let Some(first) = rest.first() {
            let n = rest.iter().take_while(|k| k.file == first.file).count();
            let (group, tail) = rest.split_at(n);
            rest = tail;
            let path = &self.files[first.file];
            let mut docs = Vec::new();
            for k in group {
                match yaml::parse_documents(&k.text) {
                    Ok(parsed) => {
                        docs.extend(parsed.into_iter().filter(|d| !d.is_null()).map(|mut d| {
                            shift(&mut d, k.lines, k.bytes);
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

/// Move a tree parsed from a document's text to its place in the file.
fn shift(n: &mut Node, lines: usize, bytes: usize) {
    n.line += lines;
    n.span = n.span.start + bytes..n.span.end + bytes;
    match &mut n.value {
        Value::Scalar(..) => {}
        Value::Seq(items) => items.iter_mut().for_each(|i| shift(i, lines, bytes)),
        Value::Map(pairs) => pairs.iter_mut().for_each(|(k, v)| {
            shift(k, lines, bytes);
            shift(v, lines, bytes)
        }),
    }
}

/// Findings sort by file, line, column, then rule.
fn sort_key(f: &Finding) -> (Option<(&Path, usize, usize)>, &'static str) {
    let at = f
        .location
        .as_ref()
        .map(|l| (l.file.as_path(), l.line, l.column));
    (at, f.rule)
}
