//! Parser directives read as BuildKit reads them, and the bytes where gate's reading and
//! BuildKit's could part, refused.
//!
//! BuildKit reads directives twice, differently: its parser (`parser.Parse`) takes the
//! `escape` directive from the leading lines that are `# key=value` directives (leading blanks
//! allowed; the first other line, a shebang included, ends them), and the dockerfile frontend
//! picks the frontend image with `DetectSyntax`: a `#` directive block at column 0 after an
//! optional `#!` line, else a `//` block, else the whole file as a JSON object's `"syntax"`.

use super::Word;
use crate::yaml::YamlError;

/// What the directives say, and where BuildKit's parser stops reading them.
pub(super) struct Directives {
    pub escape: u8,
    pub syntax: Option<Word>,
}

/// BuildKit's `DirectiveParser.ParseLine` for one line (without its line break): the key (lower
/// case) and the value's byte range in `line`, or `None` when the line is not a directive (which
/// ends the block).
fn directive(line: &str, prefix: &str) -> Option<(String, std::ops::Range<usize>)> {
    let rest = line.strip_prefix(prefix)?;
    let body = rest.trim_start_matches(go_space);
    let body_at = line.len() - body.len();
    // ^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$ with RE2's ASCII \s.
    let key_len = body
        .bytes()
        .enumerate()
        .take_while(|&(i, c)| c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()))
        .count();
    if key_len == 0 {
        return None;
    }
    let after = body[key_len..].trim_start_matches(re_space);
    let value = after.strip_prefix('=')?.trim_start_matches(re_space);
    let value = value.trim_end_matches(re_space);
    if value.is_empty() {
        return None;
    }
    let key = body[..key_len].to_ascii_lowercase();
    if !matches!(key.as_str(), "syntax" | "escape" | "check") {
        return None;
    }
    let at = body_at + (value.as_ptr() as usize - body.as_ptr() as usize);
    Some((key, at..at + value.len()))
}

/// Go's `unicode.IsSpace`.
fn go_space(c: char) -> bool {
    c.is_whitespace()
}

/// RE2's `\s`: `[\t\n\f\r ]`.
fn re_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

/// The lines of `text` with their byte offsets, line breaks (`\n`, and a `\r` before it) cut.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut at = 0;
    text.split_inclusive('\n').map(move |raw| {
        let start = at;
        at += raw.len();
        (start, raw.trim_end_matches('\n').trim_end_matches('\r'))
    })
}

/// Read the directives, or refuse the file where BuildKit's readings and gate's could differ.
pub(super) fn read(text: &str) -> Result<Directives, YamlError> {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    if let Some(i) = text[bom..].find('\u{feff}') {
        return Err(refuse(
            text,
            bom + i,
            "a byte-order mark after the start of the file: BuildKit strips one only at the \
             start",
        ));
    }
    // The parser's block: `escape`.
    let mut escape = b'\\';
    let mut parser_block = 0..0;
    let mut seen: Vec<String> = Vec::new();
    for (n, (start, line)) in lines(text).enumerate() {
        let line = if n == 0 {
            &line[bom.min(line.len())..]
        } else {
            line
        };
        let lead = line.len() - line.trim_start_matches(go_space).len();
        let Some((key, value)) = directive(&line[lead..], "#") else {
            break;
        };
        if seen.contains(&key) {
            return Err(refuse(
                text,
                start,
                &format!("`{key}` parser directive written twice (BuildKit rejects the file)"),
            ));
        }
        let at = start + (line.as_ptr() as usize - text[start..].as_ptr() as usize);
        let v = &line[lead..][value];
        if key == "escape" {
            escape = match v {
                "`" => b'`',
                "\\" => b'\\',
                _ => {
                    return Err(refuse(
                        text,
                        at,
                        "`escape` parser directive other than ` or \\ (BuildKit rejects it)",
                    ))
                }
            };
        }
        seen.push(key);
        parser_block = 0..at + line.len();
    }
    let syntax = detect_syntax(text, bom);
    let syntax_block = syntax.as_ref().map_or(0..0, |(_, block)| block.clone());
    // A directive anywhere else is one some reader may honour and another not.
    for (start, line) in lines(text) {
        if parser_block.contains(&start) {
            continue;
        }
        let body = line.trim_start_matches(go_space);
        let found = directive(body, "#").or_else(|| directive(body, "//"));
        let Some((key, _)) = found else { continue };
        if key != "escape" && syntax_block.contains(&start) {
            continue;
        }
        return Err(refuse(
            text,
            start + (line.len() - body.len()),
            &format!(
                "`{key}` parser directive after the first line that is not one: BuildKit's \
                 readers disagree on whether it applies; move it to the top or remove it"
            ),
        ));
    }
    Ok(Directives {
        escape,
        syntax: syntax.map(|(w, _)| w),
    })
}

/// BuildKit's `DetectSyntax`: the frontend image (the value's first word) and the byte range
/// of the directive block it came from.
fn detect_syntax(text: &str, bom: usize) -> Option<(Word, std::ops::Range<usize>)> {
    let mut from = bom;
    if text[from..].starts_with("#!") {
        from += text[from..].find('\n').map_or(text.len() - from, |i| i + 1);
    }
    for prefix in ["#", "//"] {
        let mut seen: Vec<String> = Vec::new();
        let mut found = None;
        let mut end = from;
        for (start, line) in lines(&text[from..]) {
            let start = from + start;
            let Some((key, value)) = directive(line, prefix) else {
                break;
            };
            if seen.contains(&key) {
                break;
            }
            end = start + line.len();
            if key == "syntax" && found.is_none() {
                let v = &line[value.clone()];
                let first = v.split(' ').next().unwrap_or(v);
                let at = start + value.start;
                found = Some(Word {
                    text: first.to_string(),
                    span: at..at + first.len(),
                });
            }
            seen.push(key);
        }
        if let Some(w) = found {
            // The whole run of directives is read: `check` beside `syntax` is honoured too.
            return Some((w, bom..end));
        }
    }
    // The whole file as JSON: `{"syntax": "image"}`.
    let json: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text[from..]).ok()?;
    let v = json.get("syntax")?.as_str()?;
    let first = v.split(' ').next().unwrap_or(v);
    // Point at the value's bytes when they are written plainly.
    let at = text.find(&format!("\"{v}\"")).map(|i| i + 1)?;
    Some((
        Word {
            text: first.to_string(),
            span: at..at + first.len(),
        },
        0..text.len(),
    ))
}

/// Bytes BuildKit's parser and gate's may split or trim differently: Unicode blanks and line
/// breaks, vertical tabs and form feeds, and a carriage return not before a line feed, outside
/// comment lines.
pub(super) fn blanks(text: &str) -> Result<(), YamlError> {
    let ascii = text.is_ascii();
    if ascii && !text.contains(['\x0b', '\x0c', '\r']) {
        return Ok(());
    }
    for (start, line) in lines(text) {
        let body = line.trim_start_matches(go_space);
        if body.starts_with('#') {
            continue;
        }
        for (i, c) in line.char_indices() {
            let odd = match c {
                '\r' => true,
                '\x0b' | '\x0c' => true,
                '\u{feff}' => false,
                c => !c.is_ascii() && c.is_whitespace(),
            };
            if odd {
                return Err(refuse(
                    text,
                    start + i,
                    &format!(
                        "U+{:04X} outside a comment: BuildKit splits and trims words on Go's \
                         white space, differently from gate; use spaces",
                        c as u32
                    ),
                ));
            }
        }
    }
    Ok(())
}

pub(super) fn refuse(text: &str, at: usize, what: &str) -> YamlError {
    let (line, column) = super::super::line_col(text, at);
    YamlError {
        line,
        column,
        message: format!("ambiguous: {what}"),
    }
}
