//! A positioned YAML tree: every node knows its byte span, line and column in the source.
//!
//! Discovery needs exact byte spans to rewrite only a reference's bytes; lint and reports need
//! `file:line` of objects and fields. Both read the same tree, built from `saphyr-parser` events.
//! Aliases are expanded (bounded: a "billion laughs" document fails instead of eating memory);
//! nodes that came from an alias say so, so a rewrite never touches the anchor's bytes twice.
//!
//! Mappings are read the way `sigs.k8s.io/yaml` (go-yaml v2, what `kubectl apply` decodes with)
//! reads them, so gate sees the object the deployer sees: `<<` merge keys are expanded in place
//! (a later entry replaces an earlier one, from a list of merged mappings the first wins), a key
//! written twice is an error naming both lines (kubectl's strict decoding rejects it; never
//! "first wins"), `!!binary` scalars are decoded, and escaped (`"\x69mage"`) or explicit
//! (`? image`) keys are keys like any other.

mod ambiguous;
mod budget;
pub mod head;

pub use ambiguous::check as check_unambiguous;
use budget::charge_aliases;
pub use budget::{aliases_charged, AliasBudget};

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

/// How many nodes one document may expand to through aliases before we call it hostile.
pub const MAX_NODES: usize = 1_000_000;
/// How deeply collections may nest before we call it hostile.
pub const MAX_DEPTH: usize = 512;
/// How many nodes aliases may expand to across every document a run parses (a file of many
/// documents each just under [`MAX_NODES`] is an alias bomb too). Lint parses on several
/// threads that share one [`AliasBudget`]; discovery parses on one thread, counted per thread;
/// so a run expands at most twice this. Real manifests expand aliases to a few thousand nodes
/// at most.
pub const MAX_ALIAS_NODES_PER_RUN: usize = 4_000_000;

/// A YAML node with its position in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    /// Byte range in the source. For quoted scalars it includes the quotes; for block scalars
    /// (`|`, `>`) it starts at the first content line (the indicator is not included) and the
    /// line and column are those of that first content line.
    pub span: Range<usize>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// True when this node is a copy made by expanding an alias (`*name`): its span is the
    /// anchor's, not a place of its own.
    pub from_alias: bool,
    /// An explicit tag such as `!!str` or `!Ref`, as `handle` + `suffix`.
    pub tag: Option<String>,
}

/// The value of a node. Scalars stay text; callers interpret them (`as_bool`, `as_i64`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(String, Style),
    Seq(Vec<Node>),
    /// Key/value pairs in document order, `<<` merges expanded; scalar keys are unique.
    Map(Vec<(Node, Node)>),
}

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// Why a document could not be read. `line`/`column` are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Node {
    /// The scalar text, if this is a scalar (any style).
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// True for `null`, `~`, an empty plain scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s, Style::Plain) if matches!(s.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// A YAML 1.2 core-schema boolean (plain `true`/`false` in any of its cases).
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar(s, Style::Plain) => match s.as_str() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// A plain integer scalar (decimal, `0x`, `0o`).
    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Scalar(s, Style::Plain) => {
                let t = s.as_str();
                let (neg, t) = match t.strip_prefix('-') {
                    Some(r) => (true, r),
                    None => (false, t.strip_prefix('+').unwrap_or(t)),
                };
                let v = if let Some(h) = t.strip_prefix("0x") {
                    i64::from_str_radix(h, 16).ok()?
                } else if let Some(o) = t.strip_prefix("0o") {
                    i64::from_str_radix(o, 8).ok()?
                } else {
                    t.parse().ok()?
                };
                Some(if neg { -v } else { v })
            }
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(v) => Some(v),
            _ => None,
        }
    }

    /// The value under a scalar key in a mapping (first match).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// Walk a path of mapping keys: `node.path(&["spec", "template", "spec"])`.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |n, k| n.get(k))
    }

    /// The value under `key` as a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key)?.as_str()
    }
}

/// Parse every document of a YAML stream. Empty documents (e.g. a lone `---`) come back as null
/// scalars so document indices match what a reader counts.
///
/// YAML 1.2 allows a tab as the blank after a mapping's `:` (`image:\tnginx`), which
/// saphyr-parser 0.3 rejects. A stream that fails to parse and has `:` + tab is parsed again with
/// those tabs read as spaces: one byte for one, so every span still points into `src`.
pub fn parse_documents(src: &str) -> Result<Vec<Node>, YamlError> {
    match Builder::new(src).run() {
        Err(e) if src.contains(":\t") => {
            let spaced = src.replace(":\t", ": ");
            Builder::new(&spaced).run().map_err(|_| e)
        }
        r => r,
    }
}

/// The byte ranges of a stream's documents, split before each `---` line, so that a large
/// stream can be parsed one document at a time. A stream with directives (`%YAML`) is one range:
/// its documents may depend on them.
pub fn document_segments(text: &str) -> Vec<std::ops::Range<usize>> {
    let b = text.as_bytes();
    if text.starts_with('%') || memchr::memmem::find(b, b"\n%").is_some() {
        return std::iter::once(0..text.len()).collect();
    }
    let mut starts = vec![0];
    // memmem, not `match_indices`: the two-way searcher costs more than the scan here.
    for i in memchr::memmem::find_iter(b, b"\n---") {
        let after = text.as_bytes().get(i + 4);
        if matches!(after, None | Some(b' ' | b'\t' | b'\r' | b'\n')) {
            starts.push(i + 1);
        }
    }
    starts.push(text.len());
    starts.windows(2).map(|w| w[0]..w[1]).collect()
}

/// Move a tree parsed from a slice of a text to its place in the whole text: `bytes` and
/// `lines` before the slice.
pub fn shift(n: &mut Node, bytes: usize, lines: usize) {
    n.span = n.span.start + bytes..n.span.end + bytes;
    n.line += lines;
    match &mut n.value {
        Value::Scalar(..) => {}
        Value::Seq(items) => items.iter_mut().for_each(|i| shift(i, bytes, lines)),
        Value::Map(pairs) => pairs.iter_mut().for_each(|(k, v)| {
            shift(k, bytes, lines);
            shift(v, bytes, lines);
        }),
    }
}

/// Translates saphyr's character indices into byte offsets, walking from the last position
/// (events arrive nearly in order, so this stays linear).
struct Offsets<'a> {
    src: &'a str,
    ascii: bool,
    char_idx: usize,
    byte_idx: usize,
}

impl<'a> Offsets<'a> {
    fn byte(&mut self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.src.len());
        }
        while self.char_idx < char_index {
            match self.src[self.byte_idx..].chars().next() {
                Some(c) => {
                    self.byte_idx += c.len_utf8();
                    self.char_idx += 1;
                }
                None => break,
            }
        }
        while self.char_idx > char_index {
            match self.src[..self.byte_idx].chars().next_back() {
                Some(c) => {
                    self.byte_idx -= c.len_utf8();
                    self.char_idx -= 1;
                }
                None => break,
            }
        }
        self.byte_idx
    }
}

enum Frame {
    Seq(Node, Vec<Node>, usize),
    Map(Node, Vec<(Node, Node)>, Option<Node>, usize),
}

struct Builder<'a> {
    src: &'a str,
    offsets: Offsets<'a>,
    anchors: HashMap<usize, Arc<Node>>,
    nodes: usize,
}

impl<'a> Builder<'a> {
    fn new(src: &'a str) -> Self {
        Self {
            src,
            offsets: Offsets {
                src,
                ascii: src.is_ascii(),
                char_idx: 0,
                byte_idx: 0,
            },
            anchors: HashMap::new(),
            nodes: 0,
        }
    }

    fn error(&self, line: usize, column: usize, message: impl Into<String>) -> YamlError {
        YamlError {
            line,
            column,
            message: message.into(),
        }
    }

    fn node(&mut self, value: Value, span: Span, tag: Option<String>) -> Node {
        let start = self.offsets.byte(span.start.index());
        let end = self.offsets.byte(span.end.index()).max(start);
        Node {
            value,
            span: start..end,
            line: span.start.line(),
            column: span.start.col() + 1,
            from_alias: false,
            tag,
        }
    }

    fn count(&mut self, n: usize, line: usize, column: usize) -> Result<(), YamlError> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err(self.error(
                line,
                column,
                format!("document expands to more than {MAX_NODES} nodes (alias bomb?)"),
            ));
        }
        Ok(())
    }

    fn run(mut self) -> Result<Vec<Node>, YamlError> {
        let mut docs = Vec::new();
        let mut stack: Vec<Frame> = Vec::new();
        let mut root: Option<Node> = None;
        let mut doc_span: Option<Span> = None;
        for item in Parser::new_from_str(self.src) {
            let (event, span) = item.map_err(|e| {
                let m = e.marker();
                self.error(m.line(), m.col() + 1, e.info().to_string())
            })?;
            let (line, column) = (span.start.line(), span.start.col() + 1);
            let is_seq = matches!(event, Event::SequenceStart(..));
            let completed = match event {
                Event::DocumentStart(_) => {
                    self.anchors.clear();
                    self.nodes = 0;
                    root = None;
                    doc_span = Some(span);
                    None
                }
                Event::DocumentEnd => {
                    let doc = match root.take() {
                        Some(n) => n,
                        None => {
                            let s = doc_span.unwrap_or(span);
                            self.node(Value::Scalar(String::new(), Style::Plain), s, None)
                        }
                    };
                    docs.push(doc);
                    None
                }
                Event::Scalar(text, style, anchor, tag) => {
                    self.count(1, line, column)?;
                    let style = match style {
                        ScalarStyle::Plain => Style::Plain,
                        ScalarStyle::SingleQuoted => Style::SingleQuoted,
                        ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                        ScalarStyle::Literal => Style::Literal,
                        ScalarStyle::Folded => Style::Folded,
                    };
                    let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                    let mut text = text.into_owned();
                    if tag.as_deref().is_some_and(is_binary_tag) {
                        text = decode_binary(&text).ok_or_else(|| {
                            self.error(
                                line,
                                column,
                                "`!!binary` scalar is not base64 of UTF-8 text",
                            )
                        })?;
                    }
                    let has_properties = anchor > 0 || tag.is_some();
                    let mut n = self.node(Value::Scalar(String::new(), style), span, tag);
                    if has_properties {
                        // saphyr's span starts at `&anchor` / `!tag`; the value comes after.
                        skip_properties(self.src, &mut n);
                    }
                    n.span.end = scalar_end(self.src, n.span.start, &text, style, n.span.end);
                    n.value = Value::Scalar(text, style);
                    if anchor > 0 {
                        self.anchors.insert(anchor, Arc::new(n.clone()));
                    }
                    Some(n)
                }
                Event::Alias(id) => {
                    let Some(target) = self.anchors.get(&id).cloned() else {
                        return Err(self.error(line, column, "alias to an unknown anchor"));
                    };
                    let expanded = size(&target);
                    self.count(expanded, line, column)?;
                    let total = charge_aliases(expanded);
                    if total > MAX_ALIAS_NODES_PER_RUN {
                        return Err(self.error(
                            line,
                            column,
                            format!(
                                "aliases expand to more than {MAX_ALIAS_NODES_PER_RUN} nodes in \
                                 this run (alias bomb?)"
                            ),
                        ));
                    }
                    let mut n = (*target).clone();
                    mark_alias(&mut n);
                    Some(n)
                }
                Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(self.error(
                            line,
                            column,
                            format!("collections nested deeper than {MAX_DEPTH}"),
                        ));
                    }
                    self.count(1, line, column)?;
                    let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                    let head = self.node(Value::Seq(Vec::new()), span, tag);
                    stack.push(if is_seq {
                        Frame::Seq(head, Vec::new(), anchor)
                    } else {
                        Frame::Map(head, Vec::new(), None, anchor)
                    });
                    None
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let end = self.offsets.byte(span.end.index());
                    let (mut head, value, anchor) = match stack.pop() {
                        Some(Frame::Seq(h, items, a)) => (h, Value::Seq(items), a),
                        Some(Frame::Map(h, pairs, _, a)) => (h, Value::Map(merge_keys(pairs)?), a),
                        None => return Err(self.error(line, column, "unbalanced collection")),
                    };
                    head.value = value;
                    head.span.end = end.max(head.span.start);
                    if anchor > 0 {
                        self.anchors.insert(anchor, Arc::new(head.clone()));
                    }
                    Some(head)
                }
                Event::StreamStart | Event::StreamEnd | Event::Nothing => None,
            };
            if let Some(n) = completed {
                match stack.last_mut() {
                    Some(Frame::Seq(_, items, _)) => items.push(n),
                    Some(Frame::Map(_, pairs, key, _)) => match key.take() {
                        Some(k) => pairs.push((k, n)),
                        None => *key = Some(n),
                    },
                    None => root = Some(n),
                }
            }
        }
        Ok(docs)
    }
}

/// The exact end of a scalar written at `start`: saphyr's end marker may run on past trailing
/// blanks and comments, so flow scalars are measured from the source itself.
/// Move a scalar node's start past its properties (`&anchor`, `!tag`, `!!str`, in any order)
/// and the blanks, line breaks and comments between them and the value.
fn skip_properties(src: &str, n: &mut Node) {
    let b = src.as_bytes();
    let mut i = n.span.start;
    let (mut line, mut column) = (n.line, n.column);
    let end = n.span.end.max(i).min(b.len());
    loop {
        match b.get(i) {
            Some(b'&' | b'!') => {
                while i < end && !matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
                    i += 1;
                    column += 1;
                }
            }
            Some(b' ' | b'\t' | b'\r') if i < end => {
                i += 1;
                column += 1;
            }
            Some(b'\n') if i < end => {
                i += 1;
                line += 1;
                column = 1;
            }
            Some(b'#') if i < end => {
                while i < end && b[i] != b'\n' {
                    i += 1;
                }
            }
            _ => break,
        }
    }
    // Only ever forward, and only onto a character boundary.
    if i > n.span.start && src.is_char_boundary(i) {
        n.span.start = i;
        n.line = line;
        n.column = column;
    }
}

fn scalar_end(src: &str, start: usize, text: &str, style: Style, fallback: usize) -> usize {
    let rest = &src[start..];
    let b = rest.as_bytes();
    match style {
        Style::Plain if rest.starts_with(text) => start + text.len(),
        Style::SingleQuoted => {
            let mut i = 1;
            while i < b.len() {
                if b[i] == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    return start + i + 1;
                }
                i += 1;
            }
            fallback
        }
        Style::DoubleQuoted => {
            let mut i = 1;
            while i < b.len() {
                match b[i] {
                    b'\\' => i += 2,
                    b'"' => return start + i + 1,
                    _ => i += 1,
                }
            }
            fallback
        }
        _ => {
            // Multi-line plain and block scalars: saphyr's end, less trailing blanks.
            let trimmed = src[start..fallback.max(start)].trim_end();
            start + trimmed.len()
        }
    }
}

/// True for the YAML merge key: a plain `<<` (or one tagged `!!merge`).
fn is_merge_key(k: &Node) -> bool {
    matches!(&k.value, Value::Scalar(s, Style::Plain) if s == "<<")
        && k.tag.as_deref().is_none_or(|t| tag_is(t, "merge"))
}

/// True when a resolved tag is the core schema's `name` (`!!name`, `tag:yaml.org,2002:name`,
/// percent-escapes decoded as go-yaml does).
fn tag_is(tag: &str, name: &str) -> bool {
    let mut decoded = Vec::with_capacity(tag.len());
    let b = tag.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(v)) => {
                decoded.push(v);
                i += 3;
            }
            (c, _) => {
                decoded.push(c);
                i += 1;
            }
        }
    }
    let t = String::from_utf8_lossy(&decoded);
    ["!!", "tag:yaml.org,2002:"]
        .iter()
        .any(|p| t.strip_prefix(p) == Some(name))
}

fn is_binary_tag(tag: &str) -> bool {
    tag_is(tag, "binary")
}

/// The text a `!!binary` scalar stands for: base64 (line breaks and blanks ignored) of UTF-8.
fn decode_binary(text: &str) -> Option<String> {
    use base64::Engine as _;
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// A mapping's entries as go-yaml v2 sets them into a map: in order, a `<<` entry setting the
/// merged mapping's entries (from a list, the last first, so the first wins), each entry
/// replacing one with the same key. The same key written twice (not merged) is an error.
/// Collection keys are kept as they are (the deployer cannot decode them into an object).
fn merge_keys(pairs: Vec<(Node, Node)>) -> Result<Vec<(Node, Node)>, YamlError> {
    if !pairs.iter().any(|(k, _)| is_merge_key(k)) {
        // The common case, without allocating a key: no merge and no key twice (small
        // mappings, most of them, compared pairwise without allocating at all).
        let unique = if pairs.len() <= 8 {
            pairs.iter().enumerate().all(|(i, (k, _))| {
                k.as_str()
                    .is_none_or(|k| pairs[..i].iter().all(|(e, _)| e.as_str() != Some(k)))
            })
        } else {
            let mut keys: Vec<&str> = pairs.iter().filter_map(|(k, _)| k.as_str()).collect();
            keys.sort_unstable();
            keys.windows(2).all(|w| w[0] != w[1])
        };
        if unique {
            return Ok(pairs);
        }
    }
    let mut out: Vec<(Node, Node)> = Vec::with_capacity(pairs.len());
    // Key text -> (index in `out`, line where it was written if it was, not merged).
    let mut index: HashMap<String, (usize, Option<usize>)> = HashMap::new();
    let mut set = |k: Node, v: Node, written: bool, out: &mut Vec<(Node, Node)>| {
        let Some(text) = k.as_str().map(str::to_string) else {
            out.push((k, v));
            return Ok(());
        };
        let line = written.then_some(k.line);
        match index.get_mut(&text) {
            Some((i, first)) => {
                if let (Some(first), true) = (*first, written) {
                    return Err(YamlError {
                        line: k.line,
                        column: k.column,
                        message: format!(
                            "duplicate key `{text}` (first at line {first}): the deployer's \
                             strict decoding rejects it"
                        ),
                    });
                }
                *first = first.or(line);
                out[*i] = (k, v);
            }
            None => {
                index.insert(text, (out.len(), line));
                out.push((k, v));
            }
        }
        Ok(())
    };
    for (k, v) in pairs {
        if !is_merge_key(&k) {
            set(k, v, true, &mut out)?;
            continue;
        }
        let maps = match v.value {
            Value::Map(_) => vec![v],
            Value::Seq(items) => items.into_iter().rev().collect(),
            Value::Scalar(..) => vec![v],
        };
        for m in maps {
            let Value::Map(entries) = m.value else {
                return Err(YamlError {
                    line: m.line,
                    column: m.column,
                    message: "merge key `<<` needs a mapping or a list of mappings".into(),
                });
            };
            for (mk, mv) in entries {
                set(mk, mv, false, &mut out)?;
            }
        }
    }
    Ok(out)
}

fn size(n: &Node) -> usize {
    1 + match &n.value {
        Value::Scalar(..) => 0,
        Value::Seq(v) => v.iter().map(size).sum(),
        Value::Map(v) => v.iter().map(|(k, v)| size(k) + size(v)).sum(),
    }
}

fn mark_alias(n: &mut Node) {
    n.from_alias = true;
    match &mut n.value {
        Value::Scalar(..) => {}
        Value::Seq(v) => v.iter_mut().for_each(mark_alias),
        Value::Map(v) => v.iter_mut().for_each(|(k, v)| {
            mark_alias(k);
            mark_alias(v)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> Node {
        let mut d = parse_documents(src).unwrap();
        assert_eq!(d.len(), 1);
        d.remove(0)
    }

    #[test]
    fn spans_cover_scalar_bytes_in_every_style() {
        let src = "a: nginx:1.27\nb: 'x:1'\nc: \"y:2\" # c\n";
        let d = one(src);
        for (k, want) in [("a", "nginx:1.27"), ("b", "'x:1'"), ("c", "\"y:2\"")] {
            let n = d.get(k).unwrap();
            assert_eq!(&src[n.span.clone()], want, "key {k}");
        }
        let c = d.get("c").unwrap();
        assert_eq!((c.line, c.column), (3, 4));
    }

    #[test]
    fn spans_are_bytes_with_multibyte_text_and_bom() {
        let src = "\u{feff}# é ü\nname: \"ä\"\nimage: réd:1\n";
        let d = one(src);
        let n = d.get("image").unwrap();
        assert_eq!(&src[n.span.clone()], "réd:1");
        assert_eq!(n.line, 3);
        assert_eq!(&src[d.get("name").unwrap().span.clone()], "\"ä\"");
    }

    #[test]
    fn multi_documents_and_empty_ones() {
        let d = parse_documents("---\na: 1\n---\n---\nb: [x, y]\n").unwrap();
        assert_eq!(d.len(), 3);
        assert!(d[1].is_null());
        assert_eq!(d[2].get("b").unwrap().as_seq().unwrap().len(), 2);
        assert_eq!(d[0].get("a").unwrap().as_i64(), Some(1));
    }

    #[test]
    fn aliases_expand_and_are_marked() {
        let d = one("base: &b {image: x:1}\nother: *b\n");
        assert!(!d.path(&["base", "image"]).unwrap().from_alias);
        let o = d.path(&["other", "image"]).unwrap();
        assert!(o.from_alias);
        assert_eq!(o.as_str(), Some("x:1"));
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            s.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let e = parse_documents(&s).unwrap_err();
        assert!(e.message.contains("alias bomb"), "{e}");
    }

    #[test]
    fn alias_expansion_is_bounded_across_documents_of_a_run() {
        // Each document expands to ~111,111 nodes, well under the per-document bound; the run
        // (this fresh thread) may not expand them without end.
        std::thread::spawn(|| {
            let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
            for i in 1..5 {
                let refs = vec![format!("*a{}", i - 1); 10].join(", ");
                doc.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
            }
            // Each document alone is fine; a run of them is refused, and not at once.
            assert!(parse_documents(&doc).is_ok());
            for _ in 0..1_000 {
                if let Err(e) = parse_documents(&doc) {
                    assert!(e.message.contains("in this run"), "{e}");
                    return;
                }
            }
            panic!("never refused");
        })
        .join()
        .unwrap();
    }

    #[test]
    fn scalar_spans_start_after_anchors_and_tags() {
        let src = "a: &x nginx:1.27\nb: !!str 'q:1'\nc: &y !t\n  # note\n  \"v\"\nd: *x\n";
        let docs = parse_documents(src).unwrap();
        let doc = &docs[0];
        for (key, want, line) in [("a", "nginx:1.27", 1), ("b", "'q:1'", 2), ("c", "\"v\"", 5)] {
            let n = doc.get(key).unwrap();
            assert_eq!(&src[n.span.clone()], want, "{key}");
            assert_eq!(n.line, line, "{key}");
        }
        assert_eq!(doc.get("a").unwrap().column, 7);
        assert_eq!(doc.get("d").unwrap().as_str(), Some("nginx:1.27"));
    }

    #[test]
    fn a_tab_after_a_colon_is_a_blank() {
        let src = "image:\tnginx:1.27\nname: x\n";
        let docs = parse_documents(src).unwrap();
        let n = docs[0].get("image").unwrap();
        assert_eq!(n.as_str(), Some("nginx:1.27"));
        assert_eq!(&src[n.span.clone()], "nginx:1.27");
        // Still an error where the YAML is broken for another reason.
        assert!(parse_documents("image:\tnginx\nb: [1, 2\n").is_err());
    }

    #[test]
    fn errors_carry_line_and_column() {
        let e = parse_documents("a: 1\nb: [1, 2\n").unwrap_err();
        assert!(e.line >= 2, "{e}");
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let s = "[".repeat(MAX_DEPTH + 10);
        let e = parse_documents(&s).unwrap_err();
        assert!(
            e.message.contains("nested") || e.message.contains("recursion"),
            "{e}"
        );
    }

    #[test]
    fn merge_keys_expand_like_go_yaml_v2() {
        let d = one("b: &b {image: merged:1, sc: {privileged: true}}\nc: {<<: *b}\n");
        let c = d.get("c").unwrap();
        assert_eq!(c.get_str("image"), Some("merged:1"));
        assert_eq!(c.path(&["sc", "privileged"]).unwrap().as_bool(), Some(true));
        assert!(c.get("<<").is_none());
        // A later entry replaces an earlier one, merged or written.
        let d = one("b: &b {image: m:1}\nx: {image: e:1, <<: *b}\ny: {<<: *b, image: e:1}\n");
        assert_eq!(d.path(&["x", "image"]).unwrap().as_str(), Some("m:1"));
        assert_eq!(d.path(&["y", "image"]).unwrap().as_str(), Some("e:1"));
        // From a list of mappings, the first wins.
        let d = one("a: &a {image: a:1}\nb: &b {image: b:1, n: 2}\nc: {<<: [*a, *b]}\n");
        assert_eq!(d.path(&["c", "image"]).unwrap().as_str(), Some("a:1"));
        assert_eq!(d.path(&["c", "n"]).unwrap().as_i64(), Some(2));
        // Inline merges and nested ones.
        let d = one("c:\n  <<: {<<: {image: deep:1}}\n");
        assert_eq!(d.path(&["c", "image"]).unwrap().as_str(), Some("deep:1"));
        // A quoted `<<` is an ordinary key.
        let d = one("c: {\"<<\": {image: q:1}}\n");
        assert!(d.path(&["c", "image"]).is_none());
        let e = parse_documents("c: {<<: 3}\n").unwrap_err();
        assert!(e.message.contains("merge key"), "{e}");
    }

    #[test]
    fn duplicate_keys_are_errors_naming_both_lines() {
        let e = parse_documents("c:\n  image: a:1\n  name: x\n  image: b:1\n").unwrap_err();
        assert_eq!((e.line, e.column), (4, 3), "{e}");
        assert!(
            e.message
                .contains("duplicate key `image` (first at line 2)"),
            "{e}"
        );
        // Spelled differently, decoded the same.
        let e = parse_documents("c: {image: a, \"\\x69mage\": b}\n").unwrap_err();
        assert!(e.message.contains("duplicate key"), "{e}");
        let e = parse_documents("c:\n  ? image\n  : a\n  image: b\n").unwrap_err();
        assert!(e.message.contains("duplicate key"), "{e}");
        // Large maps take the other path.
        let mut big: String = (0..20).map(|i| format!("k{i}: {i}\n")).collect();
        assert!(parse_documents(&big).is_ok());
        big.push_str("k3: again\n");
        assert_eq!(parse_documents(&big).unwrap_err().line, 21);
    }

    #[test]
    fn escaped_explicit_and_binary_keys_are_keys() {
        let d =
            one("a: {\"\\x69mage\": e:1}\nb:\n  ? image\n  : x:1\nc: {!!binary aW1hZ2U=: b:1}\n");
        assert_eq!(d.path(&["a", "image"]).unwrap().as_str(), Some("e:1"));
        assert_eq!(d.path(&["b", "image"]).unwrap().as_str(), Some("x:1"));
        assert_eq!(d.path(&["c", "image"]).unwrap().as_str(), Some("b:1"));
        let d = one("c: {!<tag:yaml.org,2002:bin%61ry> aW1hZ2U=: b:1}\n");
        assert_eq!(d.path(&["c", "image"]).unwrap().as_str(), Some("b:1"));
        assert!(parse_documents("c: !!binary //79\n").is_err());
    }
}
