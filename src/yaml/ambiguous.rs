//! Bytes the deployer's reader and gate's YAML 1.2 reader may read differently are refused.
//!
//! `kubectl` splits a stream into documents with apimachinery's `YAMLReader` (line by line, at
//! every line that starts with `---` and whose rest, trimmed of Unicode white space, is empty or
//! a comment) and decodes each with go-yaml v2, a YAML 1.1 reader. gate reads YAML 1.2
//! (saphyr). Where the two may disagree the file is refused, naming the line and the
//! character, rather than read one way while the cluster reads it the other:
//!
//! - NEL (U+0085), LINE SEPARATOR (U+2028) and PARAGRAPH SEPARATOR (U+2029) anywhere: line
//!   breaks to YAML 1.1 (so a comment ends there and what follows is content), text to 1.2;
//! - a carriage return not followed by a line feed: a line break to both YAML readers but not
//!   to `YAMLReader`'s document splitting;
//! - a byte-order mark anywhere but at the very start;
//! - a line starting with `---` followed by anything but a space, a tab or the line's end (a
//!   Unicode blank or `#` right after it splits documents for `kubectl`, while YAML 1.2 reads
//!   the line as text, hiding what follows);
//! - a Unicode blank (no-break space and the like) opening a line's indentation or text;
//! - a tab in a line's indentation outside a block scalar (YAML forbids it; the two readers
//!   recover differently).
//!
//! The common case costs one `is_ascii` and a few `memchr` scans: the line-by-line work runs
//! only when the text holds a tab, a carriage return or non-ASCII characters.

use super::YamlError;

/// Check a whole file's text (before it is split into documents).
pub fn check(text: &str) -> Result<(), YamlError> {
    let b = text.as_bytes();
    // Document markers: the byte after `---` at a line start.
    let starts = std::iter::once(0)
        .filter(|_| b.starts_with(b"---"))
        .chain(memchr::memmem::find_iter(b, b"\n---").map(|i| i + 1));
    for at in starts {
        match text[at + 3..].chars().next() {
            None | Some(' ' | '\t' | '\n') => {}
            Some('\r') if b.get(at + 4) == Some(&b'\n') => {}
            Some(c) => {
                return Err(refuse(
                    text,
                    at + 3,
                    format!(
                        "{} right after a `---` document marker: kubectl splits documents \
                         there, YAML 1.2 does not; write `---` alone on its line",
                        name(c)
                    ),
                ))
            }
        }
    }
    for i in memchr::memchr_iter(b'\r', b) {
        if b.get(i + 1) != Some(&b'\n') {
            return Err(refuse(
                text,
                i,
                "a carriage return not followed by a line feed: kubectl's document splitting \
                 and the YAML readers break lines differently there"
                    .into(),
            ));
        }
    }
    if !text.is_ascii() {
        unicode(text)?;
    }
    if memchr::memchr(b'\t', b).is_some() {
        tabs(text)?;
    }
    Ok(())
}

/// Unicode line breaks, byte-order marks after the start, and Unicode blanks that open a line.
///
/// Only the characters that can be refused are looked at: the non-ASCII ones and the ASCII
/// white space that is neither a blank nor a line break (vertical tab, form feed). Whether such
/// a character opens a line is read from the bytes since the previous one: each byte is looked
/// at a bounded number of times, so a long line of many such characters stays linear.
fn unicode(text: &str) -> Result<(), YamlError> {
    let b = text.as_bytes();
    // Only blanks (or the byte-order mark that starts the file) since the line began.
    let mut line_start = true;
    // Bytes before `from` are accounted for in `line_start`.
    let mut from = 0;
    while let Some(at) = next_refusable(&b[from..]) {
        let i = from + at;
        let mut gap = &b[from..i];
        if let Some(n) = memchr::memrchr(b'\n', gap) {
            line_start = true;
            gap = &gap[n + 1..];
        }
        line_start = line_start && gap.iter().all(|x| matches!(x, b' ' | b'\t' | b'\r'));
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        refused(text, i, c, line_start)?;
        if !(i == 0 && c == '\u{feff}') {
            line_start = false;
        }
        from = i + c.len_utf8();
    }
    Ok(())
}

/// The first byte that is not ASCII or is a vertical tab or a form feed.
fn next_refusable(b: &[u8]) -> Option<usize> {
    let refusable = |x: &u8| *x >= 0x80 || *x == 0x0b || *x == 0x0c;
    let mut at = 0;
    // Most windows hold none: each is looked at whole, without a branch per byte.
    for window in b.chunks(64) {
        if window.iter().fold(false, |any, x| any | refusable(x)) {
            return window.iter().position(refusable).map(|i| at + i);
        }
        at += window.len();
    }
    None
}

/// The refusal of character `c` at byte `i`, if any; `line_start`: only blanks before it on
/// its line.
fn refused(text: &str, i: usize, c: char, line_start: bool) -> Result<(), YamlError> {
    match c {
        '\u{85}' | '\u{2028}' | '\u{2029}' => {
            return Err(refuse(
                text,
                i,
                format!(
                    "{}: a line break to kubectl's YAML 1.1 decoder, text to YAML 1.2 (a \
                         comment ends there for one and not the other); use a plain line break",
                    name(c)
                ),
            ))
        }
        '\u{feff}' if i > 0 => {
            return Err(refuse(
                text,
                i,
                "a byte-order mark after the start of the file: readers differ on where a \
                     document starts"
                    .into(),
            ))
        }
        c if line_start && c.is_whitespace() => {
            return Err(refuse(
                text,
                i,
                format!(
                    "{} in a line's indentation: Go trims it as white space where YAML \
                         reads text; use spaces",
                    name(c)
                ),
            ))
        }
        _ => {}
    }
    Ok(())
}

/// Tabs in indentation, outside block scalars (`|`, `>`), whose lines may start with tabs
/// once indented (a Makefile in a ConfigMap).
fn tabs(text: &str) -> Result<(), YamlError> {
    // The indentation of the line that opened the block scalar we are in.
    let mut block: Option<usize> = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start_matches(' ').len();
        let rest = &body[indent..];
        let blank = rest.trim_start_matches([' ', '\t']).is_empty();
        if let Some(k) = block {
            if blank || indent > k {
                continue;
            }
            block = None;
        }
        if rest.starts_with('\t') && !rest.trim_start_matches([' ', '\t']).starts_with('#') {
            return Err(refuse(
                text,
                start + indent,
                "a tab in indentation: YAML forbids it and readers recover differently; use \
                 spaces"
                    .into(),
            ));
        }
        if opens_block(rest) {
            block = Some(indent);
        }
    }
    Ok(())
}

/// Does a line's text end with a block scalar indicator (`key: |`, `- >-`, `--- |2`), maybe
/// followed by a comment?
fn opens_block(rest: &str) -> bool {
    let code = match rest.find(" #") {
        Some(i) => &rest[..i],
        None => rest,
    };
    let code = code.trim_end_matches([' ', '\t']);
    let head = code.trim_end_matches(|c: char| c.is_ascii_digit() || c == '+' || c == '-');
    let Some(before) = head.strip_suffix(['|', '>']) else {
        return false;
    };
    before.is_empty() || before.ends_with([' ', '\t'])
}

fn refuse(text: &str, at: usize, what: String) -> YamlError {
    let before = &text[..at];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    YamlError {
        line,
        column: text[line_start..at].chars().count() + 1,
        message: format!("ambiguous: {what}"),
    }
}

/// `U+00A0 (no-break space)`, or the character itself when printable ASCII.
fn name(c: char) -> String {
    let what = match c {
        '\u{85}' => " (next line, NEL)",
        '\u{a0}' => " (no-break space)",
        '\u{2028}' => " (line separator)",
        '\u{2029}' => " (paragraph separator)",
        '\u{feff}' => " (byte-order mark)",
        '\u{3000}' => " (ideographic space)",
        c if c.is_whitespace() => " (a Unicode blank)",
        _ => "",
    };
    if c.is_ascii_graphic() {
        format!("`{c}`")
    } else {
        format!("U+{:04X}{what}", c as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    fn refused(src: &str) -> (usize, usize, String) {
        let e = check(src).expect_err(src);
        (e.line, e.column, e.message)
    }

    #[test]
    fn plain_manifests_pass() {
        for ok in [
            "a: 1\n---\nb: 2\n--- # c\n---\t\nc: 3\r\n---\r\n",
            "data:\n  Makefile: |\n    all:\n    \tgo build\n\n    \tmore\nnext: x\n",
            "d: \"caf\u{e9} \u{a0}x\"\n# \u{a0}note\nx: a\u{a0}b\n",
            "\u{feff}a: 1\n",
            "k: v\t# tab before a comment\n",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok:?}");
        }
    }

    #[test]
    fn each_class_is_refused_at_its_place() {
        let (l, c, m) = refused("a: 1\n---\u{a0}\nkind: Pod\n");
        assert_eq!((l, c), (2, 4));
        assert!(
            m.contains("U+00A0 (no-break space)") && m.contains("---"),
            "{m}"
        );
        assert_eq!(refused("a: 1\n---# c\n").0, 2);
        assert_eq!(refused("---x\n").0, 1);
        let (l, c, m) = refused("kind: Pod\n# c\u{2028}image: x\n");
        assert_eq!((l, c), (2, 4));
        assert!(m.contains("U+2028 (line separator)"), "{m}");
        assert!(refused("a: \"x\u{85}\"\n").2.contains("NEL"));
        assert!(refused("a: 1\u{2029}\n").2.contains("U+2029"));
        assert!(refused("a: 1\rb: 2\n").2.contains("carriage return"));
        assert!(refused("a: 1\n\u{feff}b: 2\n")
            .2
            .contains("byte-order mark"));
        assert_eq!(refused("a:\n\u{a0} b: 1\n").0, 2);
        assert_eq!(refused("a:\n  \u{3000}b: 1\n").1, 3);
        let (l, c, m) = refused("a:\n  \tb: 1\n");
        assert_eq!((l, c), (2, 3));
        assert!(m.contains("tab in indentation"), "{m}");
        // A block scalar's end is where indentation returns.
        assert!(check("a: |\n  x\n\tb: 1\n").is_err());
    }

    /// The character-by-character reading the fast scan replaced: every character in order,
    /// tracking whether only blanks came before it on its line.
    fn unicode_by_char(text: &str) -> Result<(), super::YamlError> {
        let mut line_start = true;
        for (i, c) in text.char_indices() {
            match c {
                '\n' => line_start = true,
                ' ' | '\t' | '\r' => {}
                _ => {
                    super::refused(text, i, c, line_start)?;
                    if !(i == 0 && c == '\u{feff}') {
                        line_start = false;
                    }
                }
            }
        }
        Ok(())
    }

    /// The scan that looks only at candidate characters refuses exactly what the reading of
    /// every character does, at the same place, over every short text of the characters that
    /// matter.
    #[test]
    fn the_fast_unicode_scan_agrees_with_reading_every_character() {
        let alphabet = [
            " ", "\t", "\r", "\n", "a", "\u{a0}", "\u{feff}", "\u{85}", "\u{b}", "\u{3000}",
            "\u{e9}",
        ];
        let mut texts = vec![String::new()];
        for _ in 0..5 {
            let longer: Vec<String> = texts
                .iter()
                .filter(|t| t.chars().count() == texts.last().unwrap().chars().count())
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(longer);
        }
        assert!(texts.len() > 150_000);
        for t in &texts {
            assert_eq!(super::unicode(t), unicode_by_char(t), "{t:?}");
        }
        // Each character at each place of the scan's windows, at a line's start or not.
        for pad in 0..200 {
            for c in alphabet {
                for t in [
                    format!("{}{c}b\n", "k".repeat(pad)),
                    format!("{}\n{c}b\n", "k".repeat(pad)),
                ] {
                    assert_eq!(super::unicode(&t), unicode_by_char(&t), "{t:?}");
                }
            }
        }
    }
}
