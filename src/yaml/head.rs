//! The head of a document without parsing its body: the root mapping's `apiVersion` and `kind`,
//! and where its `metadata` entry is, read line by line. Lint uses it to skip the bodies of
//! documents no rule reads (a CustomResourceDefinition is most of a real input's bytes) without
//! building, or even scanning, their trees.
//!
//! It answers only when the answer is certain to be the deployer's (go-yaml v2's), and `None`
//! otherwise, so the caller parses the whole document as before. It answers for a root block
//! mapping at column 0 whose every column-0 line (other than blank lines and comments) is a
//! plain `key:` with a simple key, where `apiVersion` and `kind` are written once each, as plain
//! one-line scalars. The root's keys the decoder sees are then a subset of those lines: a key
//! must start a column-0 line, and any other spelling (quoted, escaped, explicit `?`, tagged,
//! anchored, a `<<` merge, a flow mapping) makes that line fail the pattern. A column-0 line
//! that only looks like a key (inside a multi-line quoted scalar) can add a key the decoder does
//! not see, never hide one. A stream with a line break other than `\n` and `\r\n` (a lone `\r`,
//! or NEL, LS, PS, which go-yaml also breaks lines on) gets no answer.

use std::ops::Range;

/// The head of one document: byte ranges are relative to the text given to [`read`], and
/// `lines` is the number of line breaks before each range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head<'a> {
    pub api_version: &'a str,
    pub kind: &'a str,
    /// The root entries `apiVersion`, `kind` and `metadata` (when present), in source order:
    /// each from its key line to the next column-0 key line.
    pub entries: Vec<Entry>,
    /// The number of line breaks in the document.
    pub line_breaks: usize,
}

/// One root entry's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub bytes: Range<usize>,
    /// Line breaks before `bytes.start`.
    pub lines: usize,
}

/// Read the head of one document (see the module docs); `None` when it is not certain.
pub fn read(doc: &str) -> Option<Head<'_>> {
    if !plain_line_breaks(doc) {
        return None;
    }
    let b = doc.as_bytes();
    let mut reading = Reading::default();
    // `number` is the count of line breaks before `start`, a line's first byte.
    let (mut start, mut number) = (0, 0);
    while start < b.len() {
        if matches!(b[start], b' ' | b'\t') && !reading.indented_lines_matter() {
            // Most lines of a skipped document continue its body: go to the next line that
            // starts with neither a space nor a tab without looking at the ones between.
            let Some(at) = next_unindented(b, start) else {
                number += line_breaks(&b[start..]);
                start = b.len();
                break;
            };
            number += line_breaks(&b[start..=at]);
            start = at + 1;
            continue;
        }
        let end = memchr::memchr(b'\n', &b[start..]).map_or(b.len(), |n| start + n);
        reading.line(doc, start..end, number)?;
        (start, number) = (end + 1, number + 1);
    }
    // One more than the breaks when the last line has none.
    reading.head(doc, number - usize::from(start > b.len()))
}

/// What [`read`] has read so far, one line at a time.
#[derive(Default)]
struct Reading<'a> {
    keys: Vec<&'a str>,
    api_version: Option<&'a str>,
    kind: Option<&'a str>,
    entries: Vec<Entry>,
    /// The key whose value the following indented lines continue.
    open: Option<&'a str>,
}

impl<'a> Reading<'a> {
    /// Must an indented line be looked at? Only where nothing may follow: after a one-line
    /// scalar we read, or before any key (a value needs a key). Elsewhere it is more of the open
    /// entry's value.
    fn indented_lines_matter(&self) -> bool {
        matches!(self.open, Some("apiVersion" | "kind") | None)
    }

    /// Read the line at `bytes` of `doc` (its line break not included), after `number` line
    /// breaks; `None` when the head is not certain.
    fn line(&mut self, doc: &'a str, bytes: Range<usize>, number: usize) -> Option<()> {
        let line_start = bytes.start;
        let line = &doc[bytes];
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with([' ', '\t']) {
            let blank = line.trim_start_matches([' ', '\t']).is_empty();
            return (blank || !self.indented_lines_matter()).then_some(());
        }
        if line.is_empty() || line.starts_with('#') {
            return Some(());
        }
        if number == 0 && line.starts_with("---") {
            return blank_or_comment(&line[3..]).then_some(());
        }
        let (key, value) = key_line(line)?;
        if self.keys.contains(&key) {
            return None; // the parser reports the duplicate
        }
        self.keys.push(key);
        self.open = Some(key);
        if let Some(last) = self
            .entries
            .last_mut()
            .filter(|e| e.bytes.end == usize::MAX)
        {
            last.bytes.end = line_start;
        }
        match key {
            "apiVersion" => self.api_version = Some(simple_scalar(value)?),
            "kind" => self.kind = Some(simple_scalar(value)?),
            "metadata" => {}
            _ => return Some(()),
        }
        self.entries.push(Entry {
            bytes: line_start..usize::MAX,
            lines: number,
        });
        Some(())
    }

    /// The head of `doc`, which holds `line_breaks` line breaks, once every line that matters is
    /// read.
    fn head(mut self, doc: &str, line_breaks: usize) -> Option<Head<'a>> {
        if let Some(last) = self
            .entries
            .last_mut()
            .filter(|e| e.bytes.end == usize::MAX)
        {
            last.bytes.end = doc.len();
        }
        Some(Head {
            api_version: self.api_version?,
            kind: self.kind?,
            entries: self.entries,
            line_breaks,
        })
    }
}

/// The index of the first line feed at or after `from` that is followed by a byte other than a
/// space or a tab: the end of the line before the next one that is not indented (a line that is
/// empty, or holds only `\r`, counts as not indented).
fn next_unindented(b: &[u8], from: usize) -> Option<usize> {
    let ends_line = |k: usize| b[k] == b'\n' && !matches!(b[k + 1], b' ' | b'\t');
    // Fixed-width windows looked at whole, without a branch per byte (most hold no such line
    // feed): the compiler compares a window a vector at a time.
    const W: usize = 64;
    let mut i = from;
    while i + W < b.len() {
        let (Ok(here), Ok(next)) = (
            <&[u8; W]>::try_from(&b[i..i + W]),
            <&[u8; W]>::try_from(&b[i + 1..i + W + 1]),
        ) else {
            break;
        };
        let hit = here.iter().zip(next).fold(false, |hit, (&c, &n)| {
            hit | ((c == b'\n') & (n != b' ') & (n != b'\t'))
        });
        if hit {
            return (i..i + W).find(|&k| ends_line(k));
        }
        i += W;
    }
    (i..b.len().saturating_sub(1)).find(|&k| ends_line(k))
}

/// The number of line feeds in `b` (memchr counts them a vector at a time).
fn line_breaks(b: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', b).count()
}

/// True when every line break is `\n` or `\r\n`: no lone `\r`, and none of NEL, LS, PS.
fn plain_line_breaks(doc: &str) -> bool {
    let b = doc.as_bytes();
    if memchr::memchr_iter(b'\r', b).any(|i| b.get(i + 1) != Some(&b'\n')) {
        return false;
    }
    // NEL is C2 85, LS and PS are E2 80 A8 and E2 80 A9: look only where a C2 or E2 lead byte is.
    doc.is_ascii()
        || !memchr::memchr2_iter(0xC2, 0xE2, b).any(|i| match b[i] {
            0xC2 => b.get(i + 1) == Some(&0x85),
            _ => b.get(i + 1) == Some(&0x80) && b.get(i + 2).is_some_and(|&c| c & 0xFE == 0xA8),
        })
}

/// True for a rest of a line that holds nothing: blanks, then maybe a comment.
fn blank_or_comment(rest: &str) -> bool {
    let t = rest.trim_start_matches([' ', '\t']);
    t.is_empty() || (t.starts_with('#') && t.len() < rest.len())
}

/// A column-0 line `key:` or `key: value` (a space, not a tab), the key plain and simple (letters, digits, `_`, `-`,
/// `.`, `/`, starting with a letter or digit). Anything else is `None`.
fn key_line(line: &str) -> Option<(&str, &str)> {
    let b = line.as_bytes();
    if !b.first()?.is_ascii_alphanumeric() {
        return None;
    }
    let end = b
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'/')))?;
    if b[end] != b':' {
        return None;
    }
    let rest = &line[end + 1..];
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((&line[..end], rest))
}

/// The value of `key: value` when it is a one-line plain scalar of letters, digits, `.`, `-`,
/// `_` and `/` (an API version or kind), maybe followed by a comment.
fn simple_scalar(rest: &str) -> Option<&str> {
    let t = rest.trim_start_matches([' ', '\t']);
    let end = t
        .bytes()
        .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'/')))
        .unwrap_or(t.len());
    let (value, after) = t.split_at(end);
    let value_starts_well = value.as_bytes().first()?.is_ascii_alphanumeric();
    (value_starts_well && (after.is_empty() || blank_or_comment(after))).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(doc: &str) -> Option<(&str, &str)> {
        read(doc).map(|h| (h.api_version, h.kind))
    }

    #[test]
    fn reads_a_plain_head_and_the_entries() {
        let doc =
            "---\n# c\napiVersion: apiextensions.k8s.io/v1 # x\nkind: CustomResourceDefinition\n\
                   metadata:\n  name: a\n  annotations:\n    x: |\n      y\nspec:\n  group: g\n";
        let h = read(doc).unwrap();
        assert_eq!(h.api_version, "apiextensions.k8s.io/v1");
        assert_eq!(h.kind, "CustomResourceDefinition");
        let texts: Vec<&str> = h.entries.iter().map(|e| &doc[e.bytes.clone()]).collect();
        assert_eq!(
            texts,
            [
                "apiVersion: apiextensions.k8s.io/v1 # x\n",
                "kind: CustomResourceDefinition\n",
                "metadata:\n  name: a\n  annotations:\n    x: |\n      y\n"
            ]
        );
        assert_eq!(
            h.entries.iter().map(|e| e.lines).collect::<Vec<_>>(),
            [2, 3, 4]
        );
        assert_eq!(h.line_breaks, doc.matches('\n').count());
        assert_eq!(read("kind: A\napiVersion: v1").unwrap().line_breaks, 1);
        let crlf = "kind: A\r\napiVersion: v1\r\nmetadata: {name: é}\r\n";
        assert_eq!(kind(crlf), Some(("v1", "A")));
    }

    #[test]
    fn anything_uncertain_has_no_answer() {
        for doc in [
            // Spellings of `kind` a line reader must not guess at.
            "apiVersion: v1\n\"kind\": CustomResourceDefinition\n",
            "apiVersion: v1\n\"\\x6bind\": CustomResourceDefinition\n",
            "apiVersion: v1\n? kind\n: CustomResourceDefinition\n",
            "apiVersion: v1\nkind: 'CustomResourceDefinition'\n",
            "apiVersion: v1\nkind: !!str CustomResourceDefinition\n",
            "apiVersion: v1\nkind: &k CustomResourceDefinition\n",
            "apiVersion: v1\nkind:\n  CustomResourceDefinition\n",
            "apiVersion: v1\nkind: Custom\n  ResourceDefinition\n",
            "apiVersion: v1\nkind : CustomResourceDefinition\n",
            "apiVersion: v1\nkind:\tCustomResourceDefinition\n",
            // A merge key could supply (or replace) kind.
            "apiVersion: v1\nkind: CustomResourceDefinition\n<<: {kind: Deployment}\n",
            // Written twice: the parser reports it.
            "apiVersion: v1\nkind: CustomResourceDefinition\nkind: Deployment\n",
            "apiVersion: v1\nkind: CustomResourceDefinition\nx: \"\nkind: Deployment\"\n",
            // Not a root block mapping at column 0.
            "{apiVersion: v1, kind: CustomResourceDefinition}\n",
            "  apiVersion: v1\n  kind: CustomResourceDefinition\n",
            "- apiVersion: v1\n",
            "--- !!map\napiVersion: v1\nkind: CustomResourceDefinition\n",
            "%YAML 1.2\n---\napiVersion: v1\nkind: CustomResourceDefinition\n",
            "apiVersion: v1\nkind: CustomResourceDefinition\n...\nkind: Deployment\n",
            // Line breaks a line reader would not see.
            "apiVersion: v1\nkind: CustomResourceDefinition\rkind: Pod\n",
            "apiVersion: v1\nspec: x\u{2028}kind: Pod\n",
            "apiVersion: v1\nspec: x\u{85}kind: Pod\n",
            // No kind.
            "apiVersion: v1\nmetadata: {}\n",
        ] {
            assert_eq!(kind(doc), None, "{doc:?}");
        }
    }

    /// [`read`] looking at every line, as it did before the window search: the oracle of that
    /// search (both read a line the same way, [`Reading::line`]; they differ in which lines).
    fn line_by_line(doc: &str) -> Option<Head<'_>> {
        if !plain_line_breaks(doc) {
            return None;
        }
        let mut reading = Reading::default();
        let mut start = 0;
        for (number, line) in doc.split_inclusive('\n').enumerate() {
            let end = start + line.strip_suffix('\n').unwrap_or(line).len();
            reading.line(doc, start..end, number)?;
            start += line.len();
        }
        reading.head(doc, doc.matches('\n').count())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        #[test]
        fn skipping_indented_lines_reads_what_reading_every_line_reads(
            headed in proptest::bool::weighted(0.8),
            lines in proptest::collection::vec(0usize..LINES.len(), 0..40),
            crlf in proptest::bool::ANY,
            last_break in proptest::bool::ANY,
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            // Most documents open with a head that reads, so that the lines after it matter.
            let head = ["apiVersion: v1", "kind: CustomResourceDefinition", "spec:"];
            let head = if headed { &head[..] } else { &[] };
            let lines = head.iter().copied().chain(lines.iter().map(|&i| LINES[i]));
            let mut doc = lines.collect::<Vec<_>>().join(eol);
            if last_break {
                doc.push_str(eol);
            }
            proptest::prop_assert_eq!(read(&doc), line_by_line(&doc));
        }
    }

    #[test]
    fn a_key_line_is_found_wherever_it_falls_in_a_search_window() {
        for pad in 0..100 {
            let doc = format!(
                "apiVersion: v1\nkind: CustomResourceDefinition\nspec:\n  d: {}\nmetadata:\n  n: {}\n",
                "x".repeat(pad),
                "y".repeat(100)
            );
            let h = read(&doc).unwrap();
            assert_eq!(Some(h.clone()), line_by_line(&doc), "{pad}");
            assert_eq!(h.entries.len(), 3, "{pad}");
        }
    }

    /// Lines of a document: heads, bodies, blanks, comments, tabs, long indented lines (longer
    /// than a search window) and lines of nothing but `\r`.
    const LINES: &[&str] = &[
        "apiVersion: apiextensions.k8s.io/v1",
        "apiVersion: v1",
        "kind: CustomResourceDefinition",
        "kind: Deployment",
        "metadata:",
        "  name: a",
        "spec:",
        "  kind: Pod",
        "    description: a long line of a schema, longer than one window of the search",
        "                                                                  x: y",
        "",
        " ",
        "\t",
        "\tx",
        "  \t",
        "# comment",
        "---",
        "--- #c",
        "status: {}",
        "x",
        "\r",
        "  y: |",
        "    z",
    ];

    #[test]
    fn a_wrongly_nested_kind_is_not_the_root_kind() {
        let doc = "apiVersion: v1\nkind: Pod\nspec:\n  kind: CustomResourceDefinition\n";
        assert_eq!(kind(doc), Some(("v1", "Pod")));
    }
}
