//! The two passes of a lint run. The first reads each file into its thread's reused buffer,
//! one document at a time: it counts objects, reports what cannot be read, gathers the facts the
//! per-object rules need ([`Facts::observe`]: Namespaces, ServiceAccounts, ClusterRoles), keeps
//! the Namespaces, NetworkPolicies and Services for the cross-object rules, and copies out the
//! text of each document some rule reads. The second parses those documents in chunks of at most
//! [`CHUNK`] bytes and runs the per-object rules, so memory holds the kept texts plus one
//! chunk's trees per thread, never a whole input's trees. (A file with `{{` is parsed whole:
//! telling a Helm template from YAML needs all of it.)
//!
//! Most documents are parsed once. The first pass reads only the head ([`yaml::head`]) of a
//! document whose kind no rule reads ([`rules::SKIPPED_KINDS`]: it builds only its
//! `apiVersion`, `kind` and `metadata`) and of one whose kind adds nothing to that pass
//! ([`rules::is_lint_only`]: workloads, pods, ConfigMaps, Secrets, Roles, bindings…), whose
//! whole segment it keeps; the second pass then does for it what the first does for a document
//! it parses (count it, report it malformed, check its pod's shape and inline exceptions) and
//! gathers the pods' facts, which only the cross-object rules read, after it. Files are read
//! and first-passed in parallel, chunks second-passed in parallel ([`parallel::map`]), and the
//! results merged in input order, so the outcome is the same on any number of threads and with
//! or without skimming (`tests/it/lint_skip.rs`). Every thread counts its alias expansions
//! against the run's one [`yaml::AliasBudget`].

use crate::finding::Finding;
use crate::finding::Severity;
use crate::lint::facts::Facts;
use crate::lint::object::Object;
use crate::lint::pod::PodView;
use crate::lint::rules::{self, CROSS_KINDS};
use crate::lint::source::{self, Parsed};
use crate::lint::{exceptions, parallel, pod_security, Context, FileNotice, LintConfig};
use crate::lint::{LintError, LintOutcome};
use crate::yaml::{self, Node, Value};
use chrono::NaiveDate;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The most document text the second pass parses at once (a larger document is one chunk).
const CHUNK: usize = 4 << 20;

/// A file at least this large whose documents are mostly kept keeps the buffer it was read into
/// (a smaller one is copied: the buffer, grown for the largest file yet, stays for the next).
const TAKE_BUFFER: usize = 1 << 20;

/// A document kept for the second pass.
struct Kept {
    file: usize,
    /// Where its text is in the file's kept text.
    bytes: Range<usize>,
    /// Bytes and lines before the document in its file.
    at: usize,
    lines: usize,
    /// A whole document segment of a kind whose first pass adds only the object itself
    /// ([`rules::is_lint_only`], read from its head): the first pass never parsed it, so the
    /// second also does what the first does for it (counts, checks, reports it malformed).
    whole: bool,
}

/// What the first pass learns from one file, before it is merged into the run in input order.
struct FileFirst {
    path: PathBuf,
    facts: Facts,
    /// Documents kept for the second pass (`file` is set when merged), in `text`.
    kept: Vec<Kept>,
    /// The kept documents' text: a copy of them, or the file's whole text when they are most
    /// of it (the reading thread then reads on into a new buffer).
    text: Option<String>,
    cross: Vec<Node>,
    notices: Vec<FileNotice>,
    /// Malformed inline exceptions on objects no rule reads.
    findings: Vec<Finding>,
    objects: usize,
}

/// One lint run: feed files with [`Linter::add`] or [`Linter::add_files`], then
/// [`Linter::finish`].
pub struct Linter<'c> {
    cfg: &'c LintConfig,
    today: NaiveDate,
    threads: usize,
    /// Skip the bodies of kinds no rule reads (off only to compare against the full parse).
    skip: bool,
    budget: yaml::AliasBudget,
    facts: Facts,
    files: Vec<PathBuf>,
    /// The kept text of each file in `files`.
    texts: Vec<String>,
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
            threads: parallel::default_threads(),
            skip: true,
            budget: yaml::AliasBudget::default(),
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

    /// Use at most `threads` threads (at least one) instead of one per core.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Parse every document whole, also those of kinds no rule reads: the outcome is the same,
    /// only slower (for tests that prove it).
    pub fn without_skipping(mut self) -> Self {
        self.skip = false;
        self
    }

    /// A file that could not be read as text.
    pub fn notice(&mut self, notice: FileNotice) {
        self.notices.push(notice);
    }

    /// First pass over one file (what the second pass needs of it is copied).
    pub fn add(&mut self, path: &Path, text: &str) {
        let mut first = self.budget.enter(|| FileFirst::of(path, text, self.skip));
        first.keep_copy(text);
        self.merge(first);
    }

    /// First pass over `files` in parallel, each read by `read`: `Some(text)` when the text was
    /// read already, else `None` with the file's bytes put into the buffer it is given (one per
    /// thread, reused from file to file, so a run touches fresh memory only for what it keeps).
    /// Bytes that are not UTF-8 are the file's notice. The first error, in the order of
    /// `files`, stops the run.
    pub fn add_files<'t, F>(&mut self, files: &[PathBuf], read: F) -> Result<(), LintError>
    where
        F: Fn(&Path, &mut Vec<u8>) -> Result<Option<&'t str>, LintError> + Sync,
    {
        let (budget, skip) = (&self.budget, self.skip);
        let span = crate::trace::span("lint.first-pass", || format!("{} file(s)", files.len()));
        let firsts = parallel::map(files, self.threads, |path| {
            BUFFER.with_borrow_mut(|buf| {
                budget.enter(|| {
                    if let Some(text) = read(path, buf)? {
                        let mut first = FileFirst::of(path, text, skip);
                        first.keep_copy(text);
                        return Ok(Ok(first));
                    }
                    let text = match source::text(path, buf) {
                        Ok(text) => text,
                        Err(notice) => return Ok(Err(notice)),
                    };
                    let mut first = FileFirst::of(path, text, skip);
                    if text.len() < TAKE_BUFFER || !first.keeps_most(text.len()) {
                        first.keep_copy(text);
                        return Ok(Ok(first));
                    }
                    // Most of a large file is kept: the buffer itself is (no second copy of a
                    // file of ConfigMaps), and this thread reads on into a new one.
                    match String::from_utf8(std::mem::take(buf)) {
                        Ok(whole) => first.text = Some(whole),
                        Err(e) => {
                            *buf = e.into_bytes();
                            first.keep_copy(&String::from_utf8_lossy(buf));
                        }
                    }
                    Ok(Ok(first))
                })
            })
        });
        // The calling thread's buffer, if it read (one thread): no longer needed.
        BUFFER.with_borrow_mut(std::mem::take);
        drop(span);
        for first in firsts {
            match first? {
                Ok(first) => self.merge(first),
                Err(notice) => self.notice(notice),
            }
        }
        Ok(())
    }

    /// Lint files and directories (see [`crate::lint::lint_read`]), taking a file's text from
    /// `read` when it was read already.
    pub fn run(
        mut self,
        paths: &[PathBuf],
        read: &HashMap<PathBuf, String>,
    ) -> Result<LintOutcome, LintError> {
        let files = source::collect_files(paths)?;
        let budget = crate::fsutil::ReadBudget::default();
        self.add_files(&files, |path, buf| match read.get(path) {
            Some(text) => Ok(Some(text.as_str())),
            None => source::read_into(path, &budget, buf).map(|()| None),
        })?;
        Ok(self.finish())
    }

    /// Merge one file's first pass into the run (files in input order).
    fn merge(&mut self, first: FileFirst) {
        self.facts.merge(first.facts);
        self.notices.extend(first.notices);
        self.findings.extend(first.findings);
        self.objects += first.objects;
        if !first.cross.is_empty() {
            self.cross.push(Parsed {
                path: first.path.clone(),
                docs: first.cross,
            });
        }
        if let Some(text) = first.text {
            let file = self.files.len();
            self.files.push(first.path);
            self.texts.push(text);
            self.kept
                .extend(first.kept.into_iter().map(|k| Kept { file, ..k }));
        }
    }

    /// Second pass and the cross-object rules.
    pub fn finish(mut self) -> LintOutcome {
        let mut findings = std::mem::take(&mut self.findings);
        let kept = std::mem::take(&mut self.kept);
        let texts = std::mem::take(&mut self.texts);
        let mut chunks = Vec::new();
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
            chunks.push(group);
        }
        let this = &self;
        let span = crate::trace::span("lint.second-pass", || format!("{} chunk(s)", chunks.len()));
        let linted = parallel::map(&chunks, self.threads, |group| {
            this.budget.enter(|| this.second_pass(group, &texts))
        });
        drop(span);
        let span = crate::trace::span("lint.cross", String::new);
        let mut seconds = Vec::with_capacity(linted.len());
        for second in linted {
            seconds.push(second.findings);
            self.notices.extend(second.notices);
            self.objects += second.objects;
            self.facts.merge(second.facts);
        }
        let mut objects = Vec::new();
        let mut ignored = Vec::new();
        for p in &self.cross {
            source::objects(p, &mut objects, &mut ignored);
        }
        let cx = Context::new(&objects, self.cfg, &self.facts);
        let mut hits = Vec::new();
        rules::check_cross(&cx, &mut hits);
        let cross = exceptions::apply(&cx, hits, self.today, false);
        // Every finding moved once, into room made once (tens of thousands of them).
        findings.reserve(seconds.iter().map(Vec::len).sum::<usize>() + cross.len());
        seconds.into_iter().for_each(|s| findings.extend(s));
        findings.extend(cross);
        drop(span);
        let span = crate::trace::span("lint.sort", || format!("{} finding(s)", findings.len()));
        sort_findings(&mut findings);
        drop(span);
        let mut notices = self.notices;
        notices.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        drop(objects);
        crate::background::drop_elsewhere((texts, self.cross, self.facts, self.files));
        LintOutcome {
            findings,
            notices,
            objects: self.objects,
        }
    }

    /// Re-parse and lint one chunk: documents of one file. A whole segment ([`Kept::whole`])
    /// gets here what the first pass does for a document it parses, before it is linted.
    fn second_pass(&self, group: &[Kept], texts: &[String]) -> Second {
        let mut second = Second::default();
        let Some(first) = group.first() else {
            return second;
        };
        let path = &self.files[first.file];
        let text = &texts[first.file];
        let mut docs = Vec::new();
        let mut whole = FileFirst::new(path);
        for k in group {
            let aliased = yaml::aliases_charged();
            let parsed = yaml::parse_documents(&text[k.bytes.clone()]);
            // A document grown by aliases is linted at once, before the next is parsed: the
            // trees held at once stay about the size of the chunk's text.
            let grew = yaml::aliases_charged() != aliased;
            match parsed {
                Ok(parsed) => {
                    let parsed: Vec<Node> = parsed
                        .into_iter()
                        .filter(|d| !d.is_null())
                        .map(|mut d| {
                            yaml::shift(&mut d, k.at, k.lines);
                            d
                        })
                        .collect();
                    if !k.whole {
                        docs.extend(parsed);
                    } else if let Some(d) = parsed
                        .iter()
                        .find(|d| !d.get_str("kind").is_some_and(rules::is_lint_only))
                    {
                        // The head said a kind that adds nothing to the first pass; a document
                        // of any other kind here would have added facts it never did.
                        second.notices.push(FileNotice {
                            file: path.clone(),
                            line: d.line,
                            column: d.column,
                            severity: Severity::Error,
                            message: "the document's kind read whole is not the one its head \
                                      gave: it cannot be checked"
                                .to_string(),
                        });
                    } else {
                        let mut parsed = whole.observe(parsed);
                        parsed.retain(source::kept);
                        docs.extend(parsed);
                    }
                }
                Err(e) if k.whole => second.notices.push(source::malformed(
                    path,
                    &yaml::YamlError {
                        line: e.line + k.lines,
                        ..e
                    },
                )),
                Err(e) => second.notices.push(FileNotice {
                    file: path.clone(),
                    line: e.line + k.lines,
                    column: e.column,
                    severity: Severity::Error,
                    message: format!("could not re-read a document for linting: {}", e.message),
                }),
            }
            if grew {
                self.lint_docs(path, std::mem::take(&mut docs), &mut second);
            }
        }
        second.objects = whole.objects;
        second.notices.append(&mut whole.notices);
        second.findings.append(&mut whole.findings);
        self.lint_docs(path, docs, &mut second);
        second
    }

    /// Lint parsed documents of one file (per object: how they are grouped changes nothing)
    /// and gather their pods' facts.
    fn lint_docs(&self, path: &Path, docs: Vec<Node>, second: &mut Second) {
        let parsed = Parsed {
            path: path.to_path_buf(),
            docs,
        };
        let mut objects: Vec<Object<'_>> = Vec::new();
        let mut ignored = Vec::new();
        source::objects(&parsed, &mut objects, &mut ignored);
        for o in &objects {
            second.facts.observe_pods(o);
        }
        let cx = Context::new(&objects, self.cfg, &self.facts);
        let mut hits = Vec::new();
        pod_security::check(&cx, &mut hits);
        rules::check_objects(&cx, &mut hits);
        second
            .findings
            .extend(exceptions::apply(&cx, hits, self.today, true));
    }
}

/// What the second pass gives for one chunk.
#[derive(Default)]
struct Second {
    findings: Vec<Finding>,
    notices: Vec<FileNotice>,
    /// Objects of whole segments (the first pass did not count them).
    objects: usize,
    /// The pods' facts ([`Facts::observe_pods`]).
    facts: Facts,
}

thread_local! {
    /// The file buffer of a thread of [`Linter::add_files`].
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl FileFirst {
    fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            facts: Facts::default(),
            kept: Vec::new(),
            text: None,
            cross: Vec::new(),
            notices: Vec::new(),
            findings: Vec::new(),
            objects: 0,
        }
    }

    /// The first pass over one file.
    fn of(path: &Path, text: &str, skip: bool) -> Self {
        let mut first = Self::new(path);
        if let Err(e) = yaml::check_unambiguous(text) {
            // Read one way here and another by the deployer: nothing in it can be checked.
            first.notices.push(FileNotice {
                file: path.to_path_buf(),
                line: e.line,
                column: e.column,
                severity: Severity::Error,
                message: e.message,
            });
        } else if source::has_template_action(text) {
            // Maybe a Helm template: judged on the whole file at once.
            match source::parse(path, text) {
                Ok(p) => first.documents(text, p.docs, text.len()),
                Err(n) => first.notices.push(n),
            }
        } else {
            // Line breaks before the segment.
            let mut lines = 0;
            for seg in yaml::document_segments(text) {
                let head = skip.then(|| yaml::head::read(&text[seg.clone()])).flatten();
                if let Some(head) = head {
                    if rules::is_lint_only(head.kind) {
                        // Counted, checked and linted by the second pass, parsed once there.
                        first.kept.push(Kept {
                            file: 0,
                            bytes: seg.clone(),
                            at: seg.start,
                            lines,
                            whole: true,
                        });
                        lines += head.line_breaks;
                        continue;
                    }
                    if let Some(node) = skim(text, seg.clone(), lines, &head) {
                        first.documents(text, vec![node], seg.end);
                        lines += head.line_breaks;
                        continue;
                    }
                }
                let breaks = text.as_bytes()[seg.clone()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                match yaml::parse_documents(&text[seg.clone()]) {
                    Ok(mut docs) => {
                        for d in &mut docs {
                            yaml::shift(d, seg.start, lines);
                        }
                        first.documents(text, docs, seg.end);
                        lines += breaks;
                    }
                    Err(e) => {
                        // This document cannot be checked (an error: the gate fails); the
                        // next segment is read on its own, as the deployer's reader splits
                        // them, so what follows is still checked.
                        let e = yaml::YamlError {
                            line: e.line + lines,
                            ..e
                        };
                        first.notices.push(source::malformed(path, &e));
                        lines += breaks;
                    }
                }
            }
        }
        first
    }

    /// Do the kept documents make up most of a file of `len` bytes (then the file's own text is
    /// kept rather than a copy of them)?
    fn keeps_most(&self, len: usize) -> bool {
        self.kept.iter().map(|k| k.bytes.len()).sum::<usize>() * 2 >= len
    }

    /// Keep a copy of the kept documents of `text`, the file's text: a file of CRDs keeps
    /// little.
    fn keep_copy(&mut self, text: &str) {
        if self.kept.is_empty() {
            return;
        }
        let kept_bytes: usize = self.kept.iter().map(|k| k.bytes.len()).sum();
        let mut copy = String::with_capacity(kept_bytes);
        for k in &mut self.kept {
            let from = copy.len();
            copy.push_str(&text[k.bytes.clone()]);
            k.bytes = from..copy.len();
        }
        self.text = Some(copy);
    }

    /// The first pass over some documents of this file, the last of which ends at byte `end`
    /// of `text`.
    fn documents(&mut self, text: &str, docs: Vec<Node>, end: usize) {
        let docs = self.observe(docs);
        let docs: Vec<&Node> = docs.iter().filter(|d| !d.is_null()).collect();
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
                file: 0,
                bytes: start..end.max(start),
                at: start,
                // The document's first line is the line `start` begins.
                lines: doc.line.saturating_sub(1),
                whole: false,
            });
        }
    }

    /// What the first pass learns from parsed documents: their objects (counted, or the notice
    /// why one is not an object), the facts they declare, pods that cannot be checked, malformed
    /// inline exceptions of objects no rule reads, and the objects of the cross-object rules.
    /// Gives the documents back.
    fn observe(&mut self, docs: Vec<Node>) -> Vec<Node> {
        let parsed = Parsed {
            path: self.path.clone(),
            docs,
        };
        let mut objects = Vec::new();
        source::objects(&parsed, &mut objects, &mut self.notices);
        self.objects += objects.len();
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
                self.cross.push(o.node.clone());
            }
        }
        drop(objects);
        parsed.docs
    }
}

/// A document of a kind no rule reads ([`rules::is_skipped`]), whose `head` was read with
/// certainty ([`yaml::head`]), as a tree of only its `apiVersion`, `kind` and `metadata`
/// entries, each parsed alone and put in its place in `text`; the body is never parsed. `None`
/// (parse the whole document) when it is of another kind or an entry does not parse alone as
/// one entry.
fn skim(text: &str, seg: Range<usize>, lines: usize, head: &yaml::head::Head<'_>) -> Option<Node> {
    let doc = &text[seg.clone()];
    if !rules::is_skipped(head.api_version, head.kind) {
        return None;
    }
    let mut pairs = Vec::with_capacity(head.entries.len());
    for e in &head.entries {
        let mut parsed = yaml::parse_documents(&doc[e.bytes.clone()]).ok()?;
        let mut entry = parsed.pop().filter(|_| parsed.is_empty())?;
        yaml::shift(&mut entry, seg.start + e.bytes.start, lines + e.lines);
        match entry.value {
            Value::Map(p) if p.len() == 1 => pairs.extend(p),
            _ => return None,
        }
    }
    let (key, _) = pairs.first()?;
    let node = Node {
        span: key.span.start..seg.end,
        line: key.line,
        column: key.column,
        from_alias: false,
        tag: None,
        value: Value::Map(pairs),
    };
    Some(node)
}

/// The byte offset where the line holding `pos` starts.
fn line_start(text: &str, pos: usize) -> usize {
    let pos = pos.min(text.len());
    text.as_bytes()[..pos]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// Order findings by file (as paths order), line, column and rule, stably. Each distinct file
/// is ranked once: a run's findings number in the tens of thousands, its files in the
/// thousands, and comparing paths component by component dominated the sort.
fn sort_findings(findings: &mut [Finding]) {
    let ranks: Vec<Option<(usize, usize, usize)>> = {
        let mut files: Vec<&Path> = findings
            .iter()
            .filter_map(|f| f.location.as_ref())
            .map(|l| l.file.as_path())
            .collect();
        files.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
        files.dedup_by(|a, b| a.as_os_str() == b.as_os_str());
        files.sort();
        // Paths equal as paths (`a//b`, `a/b`) share a rank, as they compared equal before.
        let mut rank = HashMap::with_capacity(files.len());
        let mut r = 0;
        for (i, f) in files.iter().enumerate() {
            if i > 0 && files[i - 1] != *f {
                r = i;
            }
            rank.insert(f.as_os_str(), r);
        }
        findings
            .iter()
            .map(|f| {
                let l = f.location.as_ref()?;
                Some((rank[l.file.as_os_str()], l.line, l.column))
            })
            .collect()
    };
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by_key(|&i| (ranks[i], findings[i].rule.id));
    // Put each finding in its place without a second vector of them: follow each cycle of the
    // permutation (position k takes the finding at `order[k]`).
    let mut placed = vec![false; order.len()];
    for start in 0..order.len() {
        let mut k = start;
        while !placed[k] {
            placed[k] = true;
            if order[k] != start {
                findings.swap(k, order[k]);
            }
            k = order[k];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skimmed_head_is_the_full_parse_of_those_entries() {
        let text = "# crds\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n\
                    metadata:\n  name: widgets.example.com\n  annotations:\n    gate.dev/ignore: |\n      \
                    nonsense\n  labels: {a: b}\nspec:\n  group: example.com\n  names: {kind: Widget}\n";
        let seg = yaml::document_segments(text)[1].clone();
        let lines = text[..seg.start].matches('\n').count();
        let h = yaml::head::read(&text[seg.clone()]).unwrap();
        assert_eq!(h.line_breaks, text[seg.clone()].matches('\n').count());
        let head = skim(text, seg.clone(), lines, &h).unwrap();
        let mut full = yaml::parse_documents(&text[seg.clone()]).unwrap().remove(0);
        yaml::shift(&mut full, seg.start, lines);
        let keys = |n: &Node| -> Vec<String> {
            n.as_map()
                .unwrap()
                .iter()
                .map(|(k, _)| k.as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(keys(&head), ["apiVersion", "kind", "metadata"]);
        for key in keys(&head) {
            assert_eq!(head.get(&key), full.get(&key), "{key}");
        }
        assert_eq!((head.line, head.column), (full.line, full.column));
        assert_eq!(head.get("metadata").unwrap().line, 6);
        // Only the kinds no rule reads are skimmed, and only in their own group.
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n";
        let skim_all = |t: &str| yaml::head::read(t).and_then(|h| skim(t, 0..t.len(), 0, &h));
        assert!(skim_all(pod).is_none());
        let custom =
            "apiVersion: example.com/v1\nkind: CustomResourceDefinition\nmetadata: {name: c}\n";
        assert!(skim_all(custom).is_none());
        // An entry that does not stand alone (an alias to an anchor in the body): parsed whole.
        let alias = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n\
                     spec: {group: &g x}\nmetadata: {name: *g}\n";
        assert!(skim_all(alias).is_none());
    }
}
