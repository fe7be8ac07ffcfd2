//! Accountability: every string in a file gate reads that is shaped like an image reference is
//! accounted for, independently of how discovery understood the file's structure. The file is
//! scanned lexically in one pass ([`scan`]): bare words and quoted strings (escapes decoded,
//! `\`-continued lines joined), comments included. A word is *reference-shaped* when it holds a
//! digest (`sha256:` and 64 hex digits), or names a registry host with a path
//! (`ghcr.io/acme/app`, `localhost:5000/x:1`; a bare `domain/name`, the shape of a Kubernetes
//! label or annotation key, only under an image key), or is a `name:tag` / `name@digest` under a
//! key (or `KEY=`, or Dockerfile instruction) whose name says image (`image`, `from`). Each such word is
//! then either checked (an [`ImageUse`] of the file covers it or names it), or known not to be
//! deployed ([`Reason`]: a URL, a comment, a key whose values are not images, a use reported
//! otherwise, or a file a caller marks with [`DiscoverOutcome::account`]), or it is
//! *unaccounted*: `GATE-IMG-005`, unless the trusted policy excepts it.
//!
//! A mapping key is not a value the deployer reads as an image and is not scanned further
//! (`app.kubernetes.io/name:`). A comment accounts for what it holds only when no reader can end
//! it early: a comment holding a Unicode line break (NEL, LS, PS, which YAML 1.1 readers break
//! lines at) accounts for nothing.
//!
//! [`ImageUse`]: super::ImageUse
//! [`DiscoverOutcome::account`]: super::DiscoverOutcome::account

use super::{DiscoverOutcome, FileNotice, ImageUse};
use crate::reference::Reference;
use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A reference-shaped string found by the lexical scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    /// The decoded text (escapes decoded, continuations joined).
    pub text: String,
    /// Bytes of the file it was read from (a quoted string's inside, or the bare word).
    pub span: Range<usize>,
    /// 1-based line and column of its first byte.
    pub line: usize,
    pub column: usize,
    /// The key (or `KEY=`, or Dockerfile instruction) it is the value of, if the scan saw one.
    pub key: Option<String>,
    /// Inside a `#` comment that every reader ends at the line's end.
    pub comment: bool,
}

/// Why a reference-shaped string is known not to be an image gate must check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "reason", content = "detail")]
pub enum Reason {
    /// Checked as an image: an image use of the file covers or names it.
    Checked,
    /// A URL (`https://…`, `oci://…` charts, `git://…`): fetched by its scheme, not run.
    Url,
    /// In a comment: no reader takes it as a value.
    Comment,
    /// The value of a key whose values are never images (`apiVersion`, label selectors' `key`).
    NotImageKey(String),
    /// Discovery reported it already (a variable, an invalid reference): `GATE-IMG-003` or a
    /// "could not check" error.
    Reported,
    /// The name of the image a Compose service builds (`build:` beside `image:`): built, not
    /// pulled; its Dockerfile's bases are checked.
    ComposeBuildName,
    /// In a document of a built-in kind that runs no pod (a CustomResourceDefinition): the API
    /// server runs nothing it names.
    PodlessKind(String),
    /// Marked by a caller (e.g. the input of a render whose output is checked).
    Marked(String),
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Checked => f.write_str("checked as an image"),
            Self::Url => f.write_str("a URL"),
            Self::Comment => f.write_str("in a comment"),
            Self::NotImageKey(k) => write!(f, "the value of `{k}`, which is never an image"),
            Self::Reported => f.write_str("reported by discovery"),
            Self::ComposeBuildName => f.write_str("the name of an image compose builds"),
            Self::PodlessKind(k) => write!(f, "in a `{k}`, which runs no pod"),
            Self::Marked(why) => f.write_str(why),
        }
    }
}

/// One reference-shaped string of a file, and how it is accounted for (`None`: it is not).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Accounting {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    #[serde(skip)]
    pub span: Range<usize>,
    /// The string as decoded.
    pub text: String,
    pub reason: Option<Reason>,
}

/// Keys whose values are never image references, though they may look like one.
const NOT_IMAGE_KEYS: &[&str] = &[
    "apiVersion",
    "key",
    "topologyKey",
    "kind",
    "resource",
    "group",
    "apiGroup",
    "provisioner",
    "driver",
    "controller",
    "controllerName",
    "spec.group",
    "home",
    "repoURL",
    "repository_url",
    "url",
    "source",
    "sources",
    "module",
];

/// Account for the reference-shaped strings of one file (`text`), given the uses and notices
/// discovery found in it and the spans its format marked (a compose service's build name).
pub(crate) fn account_file(
    file: &Path,
    text: &str,
    dockerfile: bool,
    uses: &[ImageUse],
    notices: &[FileNotice],
    marked: &[(Range<usize>, Reason)],
    out: &mut DiscoverOutcome,
) {
    let words = scan(text, dockerfile);
    if words.is_empty() {
        return;
    }
    let named: HashSet<String> = uses.iter().map(|u| u.reference.to_string()).collect();
    let names: HashSet<String> = uses.iter().map(|u| u.reference.name()).collect();
    let digests: HashSet<&str> = uses.iter().filter_map(|u| u.reference.digest()).collect();
    let noticed: HashSet<usize> = notices.iter().map(|n| n.line).collect();
    for w in words {
        let Some(shape) = classify(&w) else { continue };
        let overlaps = |s: &Range<usize>| s.start < w.span.end && w.span.start < s.end;
        let reason = match shape {
            Shape::Url => Some(Reason::Url),
            _ if uses.iter().any(|u| overlaps(&u.span)) => Some(Reason::Checked),
            Shape::Reference(ref r) if named.contains(&r.to_string()) => Some(Reason::Checked),
            Shape::Reference(ref r) if r.digest().is_none() && names.contains(&r.name()) => {
                Some(Reason::Checked)
            }
            Shape::Digest(ref d) if digests.contains(d.as_str()) => Some(Reason::Checked),
            _ if marked.iter().any(|(s, _)| overlaps(s)) => marked
                .iter()
                .find(|(s, _)| overlaps(s))
                .map(|(_, r)| r.clone()),
            _ if noticed.contains(&w.line) => Some(Reason::Reported),
            _ if w.comment => Some(Reason::Comment),
            _ => match &w.key {
                Some(k) if NOT_IMAGE_KEYS.contains(&k.as_str()) => {
                    Some(Reason::NotImageKey(k.clone()))
                }
                _ => None,
            },
        };
        out.accounting.push(Accounting {
            file: file.to_path_buf(),
            line: w.line,
            column: w.column,
            span: w.span,
            text: w.text,
            reason,
        });
    }
}

/// What a scanned word is.
#[derive(Debug)]
enum Shape {
    /// A URL whose host and path look like a reference.
    Url,
    /// A bare digest (`sha256:…`), e.g. a Helm or kustomize `digest:` value.
    Digest(String),
    Reference(Reference),
}

/// Is the word reference-shaped, and how?
fn classify(w: &Word) -> Option<Shape> {
    let t = w
        .text
        .trim_matches(|c: char| matches!(c, '.' | ',' | ';' | '(' | ')' | '[' | ']'));
    let (t, image_prefix) = match t.split_once("://") {
        Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
            "docker" | "docker-image" => (rest, true),
            _ => {
                return host_path(rest.split(['?', '#']).next().unwrap_or("")).then_some(Shape::Url)
            }
        },
        None => (t, false),
    };
    if let Some(d) = digest_in(t) {
        if t == d {
            return Some(Shape::Digest(d.to_string()));
        }
    }
    let image_context = image_prefix || w.key.as_deref().is_some_and(image_key);
    // `domain/name` without a tag is how Kubernetes spells label and annotation keys
    // (`app.kubernetes.io/name`); it counts only under an image key.
    let label_shaped = t.matches('/').count() == 1 && !t.contains(['@', ':']);
    let shaped = digest_in(t).is_some()
        || host_path(t) && (!label_shaped || image_context)
        || image_context && t.contains([':', '@']);
    if !shaped {
        return None;
    }
    Reference::parse(t).ok().map(Shape::Reference)
}

/// A key (or Dockerfile instruction, or flag) whose value is an image.
fn image_key(k: &str) -> bool {
    let k = k.trim_start_matches('-').to_ascii_lowercase();
    k.contains("image") || k == "from"
}

/// The `sha256:<64 hex>` in a word, if any.
fn digest_in(t: &str) -> Option<&str> {
    let i = t.find("sha256:")?;
    let d = t.get(i..i + 71)?;
    d[7..]
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        .then_some(d)
}

/// `host/path` where the host is a registry's: a domain with a dot and a top-level label of
/// letters, `localhost`, or anything with a port; the path non-empty.
fn host_path(t: &str) -> bool {
    let Some((host, path)) = t.split_once('/') else {
        return false;
    };
    if path.is_empty() || path.starts_with('/') {
        return false;
    }
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host, None),
    };
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        return false;
    }
    if let Some(p) = port {
        return !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    }
    if name == "localhost" {
        return true;
    }
    match name.rsplit_once('.') {
        Some((_, tld)) => tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()),
        None => false,
    }
}

/// Bytes that may be part of a reference-shaped word.
fn word_byte(b: u8) -> bool {
    WORD[usize::from(b)]
}

/// [`word_byte`] as a table: the scanner's inner loop is one load per byte.
static WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric()
            || matches!(c, b'.' | b'_' | b'-' | b'/' | b':' | b'@' | b'+');
        b += 1;
    }
    t
};

/// Does the text hold `/`, `:` or `@` (the bytes every reference-shaped word has)?
fn has_reference_byte(t: &str) -> bool {
    memchr::memchr3(b'/', b':', b'@', t.as_bytes()).is_some()
}

/// One pass over the text: every word that could be reference-shaped (it has a `/`, `:` or `@`),
/// with the key it is the value of. Quoted strings with a `\` are decoded; `\` before a line
/// break joins the lines (YAML's escaped line break, a Dockerfile continuation).
pub(crate) fn scan(text: &str, dockerfile: bool) -> Vec<Word> {
    Scanner {
        b: text.as_bytes(),
        text,
        dockerfile,
        out: Vec::new(),
        keys: Vec::new(),
        line_key: None,
        line: 1,
        line_start: 0,
        col: (0, 0, 1),
    }
    .run()
}

struct Scanner<'a> {
    b: &'a [u8],
    text: &'a str,
    dockerfile: bool,
    out: Vec<Word>,
    /// Enclosing YAML keys: (column, key).
    keys: Vec<(usize, String)>,
    /// A `KEY=` or Dockerfile instruction in force until the line ends.
    line_key: Option<String>,
    line: usize,
    line_start: usize,
    /// The last column computed: (its line's start, its byte, its column).
    col: (usize, usize, usize),
}

impl Scanner<'_> {
    fn run(mut self) -> Vec<Word> {
        let b = self.b;
        let mut i = 0;
        let mut line_begins = true;
        while i < b.len() {
            if line_begins {
                line_begins = false;
                i = self.begin_line(i);
                continue;
            }
            match b[i] {
                b'\n' => {
                    let continued = self.dockerfile
                        && b[..i].strip_suffix(b"\r").unwrap_or(&b[..i]).last() == Some(&b'\\');
                    i += 1;
                    if continued {
                        self.advance_line(i);
                    } else {
                        self.new_line(i);
                        line_begins = true;
                    }
                }
                b'#' if i == self.line_start || b[i - 1] == b' ' || b[i - 1] == b'\t' => {
                    i = self.comment(i);
                }
                q @ (b'"' | b'\'') if self.opens_string(i) => {
                    i = self.string(i, q);
                }
                c if word_byte(c) => i = self.word(i),
                _ => i += 1,
            }
        }
        self.out
    }

    fn new_line(&mut self, at: usize) {
        self.advance_line(at);
        self.line_key = None;
    }

    /// Count a line break inside a token or a continued instruction (the key stays).
    fn advance_line(&mut self, at: usize) {
        self.line += 1;
        self.line_start = at;
    }

    /// At a line's first byte: pop the keys this line's indentation closes.
    fn begin_line(&mut self, at: usize) -> usize {
        let b = self.b;
        let mut i = at;
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        let blank = i >= b.len() || matches!(b[i], b'\n' | b'\r' | b'#');
        if !blank {
            let indent = i - at;
            let item = b[i] == b'-' && b.get(i + 1).is_none_or(|c| c.is_ascii_whitespace());
            while let Some(&(col, _)) = self.keys.last() {
                if col > indent || col == indent && !item {
                    self.keys.pop();
                } else {
                    break;
                }
            }
            if self.dockerfile {
                let end = b[i..]
                    .iter()
                    .position(|c| !c.is_ascii_alphabetic())
                    .map_or(b.len(), |p| i + p);
                if end > i {
                    self.line_key = Some(self.text[i..end].to_ascii_lowercase());
                    return end;
                }
            }
        }
        i
    }

    /// Can a quote at `i` open a string (YAML, JSON, Dockerfile `KEY="…"`)?
    fn opens_string(&self, i: usize) -> bool {
        i == self.line_start
            || matches!(
                self.b[i - 1],
                b' ' | b'\t' | b':' | b'[' | b'{' | b',' | b'=' | b'-' | b'('
            )
    }

    /// A comment runs to the line's end; it accounts for its words unless a Unicode line break
    /// in it makes a YAML 1.1 reader end it earlier.
    fn comment(&mut self, at: usize) -> usize {
        let end = self.b[at..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(self.b.len(), |p| at + p);
        let body = &self.text[at..end];
        // NEL is C2 85, LS and PS are E2 80 A8/A9.
        let ambiguous = memchr::memmem::find(body.as_bytes(), "\u{85}".as_bytes()).is_some()
            || memchr::memmem::find(body.as_bytes(), "\u{2028}".as_bytes()).is_some()
            || memchr::memmem::find(body.as_bytes(), "\u{2029}".as_bytes()).is_some();
        let mut i = at + 1;
        while i < end {
            if word_byte(self.b[i]) {
                let pos = (self.line, self.line_start);
                let (text, stop) = self.bare(i, end);
                self.emit(text, i..stop, i, pos, !ambiguous);
                i = stop;
            } else {
                i += 1;
            }
        }
        end
    }

    /// A bare word from `at` (not past `limit`): word bytes, with `\` + line break joined.
    fn bare(&mut self, at: usize, limit: usize) -> (String, usize) {
        let b = &self.b[..limit];
        let mut text = String::new();
        let mut i = at;
        let mut from = at;
        while i < limit {
            while i < limit && WORD[usize::from(b[i])] {
                i += 1;
            }
            if i >= limit {
                break;
            }
            let brk = match (b[i], b.get(i + 1), b.get(i + 2)) {
                (b'\\', Some(b'\n'), _) => 2,
                (b'\\', Some(b'\r'), Some(b'\n')) => 3,
                _ => 0,
            };
            if brk == 0 || i + brk >= limit || !word_byte(b[i + brk]) {
                break;
            }
            text.push_str(&self.text[from..i]);
            i += brk;
            from = i;
            self.advance_line(i);
        }
        text.push_str(&self.text[from..i]);
        (text, i)
    }

    /// A bare word outside comments; `word:` before a blank or the line's end is a key, and
    /// `WORD=` sets the key of the rest of the line.
    fn word(&mut self, at: usize) -> usize {
        let pos = (self.line, self.line_start);
        let (text, end) = self.bare(at, self.b.len());
        let next = self.b.get(end).copied();
        if let Some(key) = text.strip_suffix(':') {
            if key.is_empty() {
                return end;
            }
            if next.is_none_or(|c| c.is_ascii_whitespace()) {
                let column = at - pos.1;
                self.keys.push((column, key.to_string()));
                return end;
            }
        }
        if next == Some(b'=') {
            self.line_key = Some(text);
            return end + 1;
        }
        self.emit(text, at..end, at, pos, false);
        end
    }

    /// A quoted string: its inside decoded (when it has escapes), a key when `:` follows.
    fn string(&mut self, at: usize, q: u8) -> usize {
        let b = self.b;
        let start_line = (self.line, self.line_start);
        let mut i = at + 1;
        let mut escaped = false;
        while i < b.len() {
            match b[i] {
                b'\\' if q == b'"' && !escaped => {
                    escaped = true;
                    i += 1;
                    continue;
                }
                b'\n' => self.advance_line(i + 1),
                c if c == q && !escaped => {
                    if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                _ => {}
            }
            escaped = false;
            i += 1;
        }
        let end = i.min(b.len());
        let inner = at + 1..end;
        let raw = &self.text[inner.clone()];
        let decoded = if q == b'"' && raw.contains('\\') {
            decode_double(raw)
        } else {
            raw.to_string()
        };
        let after = b[(end + 1).min(b.len())..]
            .iter()
            .position(|c| !matches!(c, b' ' | b'\t'))
            .map(|p| b[end + 1 + p]);
        if after == Some(b':') {
            // A quoted key (JSON): the key of what follows, past its `:`.
            let column = at - self.line_start;
            self.keys.push((column, decoded));
            let colon = b[end + 1..].iter().position(|&c| c == b':').unwrap_or(0);
            return end + 2 + colon;
        }
        let (line, line_start) = (self.line, self.line_start);
        (self.line, self.line_start) = start_line;
        let same = decoded.len() == raw.len();
        let mut seen = inner.start;
        for (w_at, w) in words_of(&decoded) {
            let raw_at = if same {
                inner.start + w_at
            } else {
                inner.start
            };
            let span = if same {
                raw_at..raw_at + w.len()
            } else {
                inner.clone()
            };
            // Line breaks inside the string before this word.
            for (k, c) in self.b[seen..raw_at].iter().enumerate() {
                if *c == b'\n' {
                    self.advance_line(seen + k + 1);
                }
            }
            seen = raw_at;
            let pos = (self.line, self.line_start);
            self.emit(w.to_string(), span, raw_at, pos, false);
        }
        (self.line, self.line_start) = (line, line_start);
        end + 1
    }

    /// Record a word at byte `at` of line `line` (which starts at byte `line_start`).
    fn emit(
        &mut self,
        text: String,
        span: Range<usize>,
        at: usize,
        (line, line_start): (usize, usize),
        comment: bool,
    ) {
        if !has_reference_byte(&text) {
            return;
        }
        let key = self
            .line_key
            .clone()
            .or_else(|| self.keys.last().map(|(_, k)| k.clone()));
        // Columns are counted from the last word's on the same line: linear in a long line.
        if self.col.0 != line_start || self.col.1 > at {
            self.col = (line_start, line_start, 1);
        }
        let (_, from, chars) = self.col;
        let column = chars + self.text[from..at].chars().count();
        self.col = (line_start, at, column);
        self.out.push(Word {
            text,
            span,
            line,
            column,
            key,
            comment,
        });
    }
}

/// The reference-shaped words of a decoded string, with their byte offsets.
fn words_of(s: &str) -> impl Iterator<Item = (usize, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() && !word_byte(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        let start = i;
        while i < b.len() && word_byte(b[i]) {
            i += 1;
        }
        Some((start, &s[start..i]))
    })
}

/// Decode a YAML / JSON double-quoted string's escapes; an escaped line break joins the lines
/// (leading blanks of the next line dropped), an unescaped one folds to a space.
fn decode_double(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            out.push(' ');
            while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
            continue;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else { break };
        let hex = |n: usize, chars: &mut std::iter::Peekable<std::str::Chars>| {
            let h: String = (0..n).filter_map(|_| chars.next()).collect();
            u32::from_str_radix(&h, 16).ok().and_then(char::from_u32)
        };
        match e {
            '\r' | '\n' => {
                if e == '\r' {
                    chars.next_if_eq(&'\n');
                }
                while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
            }
            'x' => out.extend(hex(2, &mut chars)),
            'u' => out.extend(hex(4, &mut chars)),
            'U' => out.extend(hex(8, &mut chars)),
            'n' => out.push('\n'),
            't' | '\t' => out.push('\t'),
            'r' => out.push('\r'),
            '0' => out.push('\0'),
            'N' => out.push('\u{85}'),
            '_' => out.push('\u{a0}'),
            'L' => out.push('\u{2028}'),
            'P' => out.push('\u{2029}'),
            'a' | 'b' | 'e' | 'f' | 'v' => out.push(' '),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shaped(text: &str) -> Vec<String> {
        scan(text, false)
            .iter()
            .filter(|w| classify(w).is_some())
            .map(|w| w.text.clone())
            .collect()
    }

    #[test]
    fn finds_references_in_every_spelling() {
        let t = "a:\n  image: nginx:1.27\n  x: \"ghcr.io\\x2facme/app:1\"\n  y: 'quay.io/a/b'\n  \
                 z: \"ghcr.io/acme/\\\n    joined:2\"\n# docker.io/library/busybox:1\nlabels:\n  \
                 app.kubernetes.io/name: web\n  name: plain:1\n";
        assert_eq!(
            shaped(t),
            [
                "nginx:1.27",
                "ghcr.io/acme/app:1",
                "quay.io/a/b",
                "ghcr.io/acme/joined:2",
                "docker.io/library/busybox:1"
            ]
        );
        let w = scan(t, false);
        assert_eq!(w[0].key.as_deref(), Some("image"));
        assert_eq!((w[1].line, w[3].line, w[4].line), (3, 5, 7));
        assert!(w[4].comment && !w[0].comment);
    }

    #[test]
    fn json_and_dockerfiles() {
        assert_eq!(
            shaped("{\"image\": \"nginx:1\", \"name\": \"a:b\"}"),
            ["nginx:1"]
        );
        let d = scan(
            "FROM nginx:1 AS b\nCOPY --from=alpine:3 /a /b\nRUN echo a:b\n",
            true,
        );
        let got: Vec<_> = d.iter().filter(|w| classify(w).is_some()).collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[1].key.as_deref(), Some("--from"));
        assert_eq!(
            shaped("FROM ghcr.io/acme/\\\nbase:1\n"),
            ["ghcr.io/acme/base:1"]
        );
    }

    #[test]
    fn urls_and_lookalikes() {
        let w = scan("u: https://ghcr.io/v2/acme\nd: docker://alpine:3\n", false);
        assert!(matches!(classify(&w[0]), Some(Shape::Url)));
        assert!(matches!(classify(&w[1]), Some(Shape::Reference(_))));
        assert!(!host_path("foo/bar"));
        assert!(host_path("localhost:5000/x"));
        assert!(!host_path("1.2/3"));
    }

    #[test]
    fn a_comment_with_a_unicode_line_break_accounts_for_nothing() {
        let w = scan("# x\u{2028}image: ghcr.io/a/b:1\n", false);
        assert!(!w[0].comment);
    }
}
