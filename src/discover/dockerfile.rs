//! Dockerfiles: every image BuildKit pulls. `FROM [--platform=…] image [AS stage]`,
//! `COPY --from=image`, `RUN --mount=type=bind|cache,from=image`, the same inside `ONBUILD`, and
//! the `# syntax=image` parser directive (a frontend BuildKit pulls and runs). Global `ARG`
//! defaults (those before the first `FROM`, the only ones `FROM` sees) are substituted; a
//! variable without a default is reported, never guessed. Stage names and `scratch` are not
//! images. A reference spelled entirely by one variable is pinned where its `ARG` default is
//! written, unless another image word uses that variable inside longer text (rewriting the
//! default would change that word too); a reference mixing text and variables gets `@sha256:…`
//! appended.

mod directives;

use super::{line_col, NoticeKind, Sink, Target, UseKind};
use crate::reference::Reference;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// A word of an instruction, its text without quotes and the bytes of that text.
#[derive(Debug, Clone)]
struct Word {
    text: String,
    span: Range<usize>,
}

/// A global `ARG` default: its value and where the value is written.
type Args = HashMap<String, Option<Word>>;

pub fn discover(sink: &mut Sink) {
    let text = sink.text;
    let read = directives::blanks(text).and_then(|()| directives::read(text));
    let directives = match read {
        Ok(d) => d,
        Err(e) => {
            sink.notice(e.line, e.column, NoticeKind::Ambiguous, e.message);
            return;
        }
    };
    if let Some(frontend) = &directives.syntax {
        image_word(sink, frontend, &HashMap::new(), &[], &HashSet::new());
    }
    let escape = directives.escape;
    let mut args: Args = HashMap::new();
    let mut stages: Vec<String> = Vec::new();
    let mut seen_from = false;
    let instructions = instructions(text, escape);
    let embedded = embedded_variables(&instructions, escape);
    for words in &instructions {
        let Some(first) = words.first() else { continue };
        let instr = first.text.to_ascii_uppercase();
        match instr.as_str() {
            "ARG" if !seen_from => {
                for w in &words[1..] {
                    match w.text.split_once('=') {
                        Some((name, value)) => {
                            let start = w.span.end - value.len();
                            let value = unquote(value, start);
                            args.insert(name.to_string(), Some(value));
                        }
                        None => {
                            args.insert(w.text.clone(), None);
                        }
                    }
                }
            }
            "FROM" => {
                seen_from = true;
                let mut rest = words[1..].iter().filter(|w| !w.text.starts_with("--"));
                let Some(image) = rest.next() else { continue };
                image_word(sink, image, &args, &stages, &embedded);
                if let (Some(as_kw), Some(name)) = (rest.next(), rest.next()) {
                    if as_kw.text.eq_ignore_ascii_case("AS") {
                        stages.push(name.text.to_ascii_lowercase());
                    }
                }
            }
            _ => match source_words(words, escape) {
                Ok(found) => {
                    for word in found {
                        image_word(sink, &word, &args, &stages, &embedded);
                    }
                }
                Err(at) => {
                    let (line, column) = line_col(text, at);
                    sink.notice(
                        line,
                        column,
                        NoticeKind::Ambiguous,
                        "ambiguous: a `--from`/`--mount` flag quoted or escaped so that its \
                         image is not written plainly (or holds non-ASCII bytes, which BuildKit \
                         reads one byte at a time); write it plainly"
                            .to_string(),
                    );
                }
            },
        }
    }
}

/// The image words of an instruction other than `FROM`: `COPY`/`ADD --from=`, the `from=` of
/// `RUN --mount=` flags, and those of the instruction an `ONBUILD` holds. Flags are decoded as
/// BuildKit's `extractBuilderFlags` does (quotes removed, the escape character taken literally)
/// and a mount as the CSV BuildKit reads it; `Err` is the offset of a flag whose image is not
/// written plainly in the source. Stage numbers are not images after `--from=` (they are after a
/// mount's `from=`: BuildKit looks a mount's source up by stage name only).
fn source_words(words: &[Word], escape: u8) -> Result<Vec<Word>, usize> {
    let Some((first, rest)) = words.split_first() else {
        return Ok(Vec::new());
    };
    let stage_number = |w: &Word| !w.text.is_empty() && w.text.bytes().all(|b| b.is_ascii_digit());
    let flags = rest.iter().take_while(|w| w.text.starts_with("--"));
    let mut out = Vec::new();
    match first.text.to_ascii_uppercase().as_str() {
        "ONBUILD" => return source_words(rest, escape),
        "COPY" | "ADD" => {
            for w in flags {
                let decoded = decode_flag(w, escape)?;
                if let Some(from) = decoded.strip_prefix("--from=") {
                    let word = locate(w, from, "--from=")?;
                    if !stage_number(&word) {
                        out.push(word);
                    }
                }
            }
        }
        "RUN" => {
            for w in flags {
                let decoded = decode_flag(w, escape)?;
                if let Some(m) = decoded.strip_prefix("--mount=") {
                    for from in mount_from(m).ok_or(w.span.start)? {
                        out.push(locate(w, &from, "from=")?);
                    }
                }
            }
        }
        _ => {}
    }
    Ok(out)
}

/// A flag word as BuildKit's `extractBuilderFlags` reads it: quotes removed, the escape
/// character taking the next one literally. Non-ASCII text is refused (BuildKit reads flags a
/// byte at a time).
fn decode_flag(w: &Word, escape: u8) -> Result<String, usize> {
    if !w.text.is_ascii() {
        return Err(w.span.start);
    }
    let b = w.text.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut quote = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        i += 1;
        match quote {
            None if c == b'\'' || c == b'"' => quote = Some(c),
            Some(q) if c == q => quote = None,
            _ if c == escape => {
                if let Some(&n) = b.get(i) {
                    out.push(n as char);
                    i += 1;
                }
            }
            _ => out.push(c as char),
        }
    }
    Ok(out)
}

/// The bytes of `value` in a flag word, where it follows `key` (any case) as written; `Err`
/// when it is not written plainly there.
fn locate(w: &Word, value: &str, key: &str) -> Result<Word, usize> {
    let lower = w.text.to_ascii_lowercase();
    let key = key.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(&key) {
        let at = from + i + key.len();
        let unquoted = w.text[at..]
            .strip_prefix(['"', '\''])
            .map_or(at, |_| at + 1);
        for start in [at, unquoted] {
            if w.text[start..].starts_with(value) {
                let end = start + value.len();
                let next = w.text.as_bytes().get(end).copied();
                if matches!(next, None | Some(b',' | b'"' | b'\'')) {
                    return Ok(Word {
                        text: value.to_string(),
                        span: w.span.start + start..w.span.start + end,
                    });
                }
            }
        }
        from = at;
    }
    Err(w.span.start)
}

/// The `from=` values of a `--mount` value read as CSV the way BuildKit's `csvvalue.Fields`
/// does (`"` quotes a field, `""` is a quote inside one; a stray quote is an error), keys in
/// any case. `None` when BuildKit would reject the CSV.
fn mount_from(m: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let b = m.as_bytes();
    let mut i = 0;
    loop {
        let mut field = String::new();
        if b.get(i) == Some(&b'"') {
            i += 1;
            loop {
                match b.get(i) {
                    Some(b'"') if b.get(i + 1) == Some(&b'"') => {
                        field.push('"');
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        field.push(c as char);
                        i += 1;
                    }
                    None => return None,
                }
            }
            if !matches!(b.get(i), None | Some(b',')) {
                return None;
            }
        } else {
            while let Some(&c) = b.get(i) {
                match c {
                    b',' => break,
                    b'"' => return None,
                    c => field.push(c as char),
                }
                i += 1;
            }
        }
        if let Some((k, v)) = field.split_once('=') {
            if k.eq_ignore_ascii_case("from") {
                out.push(v.to_string());
            }
        }
        if b.get(i) == Some(&b',') {
            i += 1;
        } else {
            return Some(out);
        }
    }
}

/// Take one image word (after `FROM` or `--from=`).
fn image_word(
    sink: &mut Sink,
    w: &Word,
    args: &Args,
    stages: &[String],
    embedded: &HashSet<String>,
) {
    let (line, column) = line_col(sink.text, w.span.start);
    let expanded = match expand(&w.text, args) {
        Ok(e) => e,
        Err(var) => {
            sink.notice(
                line,
                column,
                NoticeKind::Unresolvable,
                format!(
                    "image `{}` uses `{var}`, which has no default value",
                    w.text
                ),
            );
            return;
        }
    };
    let lower = expanded.to_ascii_lowercase();
    if lower == "scratch" || stages.contains(&lower) {
        return;
    }
    let r = match Reference::parse(&expanded) {
        Ok(r) => r,
        Err(e) => {
            sink.notice(
                line,
                column,
                NoticeKind::InvalidReference,
                format!("`{expanded}` is not a valid image reference: {e}"),
            );
            return;
        }
    };
    if !w.text.contains('$') {
        sink.push(
            r,
            (line, column),
            w.span.clone(),
            UseKind::Dockerfile,
            Target::Text,
        );
        return;
    }
    let var = single_variable(&w.text).filter(|v| !embedded.contains(*v));
    if let Some(Some(default)) = var.and_then(|v| args.get(v)) {
        if !default.text.contains('$') {
            let pos = line_col(sink.text, default.span.start);
            sink.push(
                r,
                pos,
                default.span.clone(),
                UseKind::Dockerfile,
                Target::Text,
            );
            return;
        }
    }
    let digest = match w.text.rfind('@') {
        Some(i) if !w.text[i..].contains('$') => Some(w.span.start + i..w.span.end),
        _ => None,
    };
    sink.push(
        r,
        (line, column),
        w.span.clone(),
        UseKind::Dockerfile,
        Target::AppendDigest { digest },
    );
}

/// The variables that image words (after `FROM`, in `--from=`) use inside longer text, such as
/// `BASE` in `${BASE}-alpine`.
fn embedded_variables(instructions: &[Vec<Word>], escape: u8) -> HashSet<String> {
    let mut out = HashSet::new();
    for words in instructions {
        let Some((first, rest)) = words.split_first() else {
            continue;
        };
        let images: Vec<String> = if first.text.eq_ignore_ascii_case("FROM") {
            rest.iter()
                .find(|w| !w.text.starts_with("--"))
                .map(|w| w.text.clone())
                .into_iter()
                .collect()
        } else {
            source_words(words, escape)
                .unwrap_or_default()
                .into_iter()
                .map(|w| w.text)
                .collect()
        };
        for image in &images {
            if single_variable(image.trim_matches(['"', '\''])).is_none() {
                out.extend(variables(image).into_iter().map(str::to_string));
            }
        }
    }
    out
}

/// The names of the variables `s` refers to (`$NAME`, `${NAME}`, `${NAME:-…}`, `${NAME-…}`).
fn variables(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        rest = &rest[i + 1..];
        let name = match rest.strip_prefix('{') {
            Some(r) => {
                let inner = &r[..r.find('}').unwrap_or(r.len())];
                inner
                    .split_once(":-")
                    .or_else(|| inner.split_once('-'))
                    .map_or(inner, |(name, _)| name)
            }
            None => {
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                &rest[..end]
            }
        };
        out.push(name);
    }
    out
}

/// `$NAME` or `${NAME}` and nothing else: the variable's name.
fn single_variable(s: &str) -> Option<&str> {
    let name = s
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .or_else(|| s.strip_prefix('$'))?;
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        .then_some(name)
}

/// Substitute `$NAME`, `${NAME}`, `${NAME:-default}` and `${NAME-default}` from global args.
/// `Err(name)` names a variable without a value.
fn expand(s: &str, args: &Args) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        let (name, default, after) = if let Some(r) = rest.strip_prefix('{') {
            let Some(end) = r.find('}') else {
                return Err(format!("${rest}"));
            };
            let inner = &r[..end];
            let (name, default) = match inner.split_once(":-").or_else(|| inner.split_once('-')) {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            (name, default, &r[end + 1..])
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            (&rest[..end], None, &rest[end..])
        };
        match (args.get(name), default) {
            (Some(Some(v)), _) if !v.text.is_empty() => out.push_str(&v.text),
            (_, Some(d)) => out.push_str(d),
            _ => return Err(format!("${name}")),
        }
        rest = after;
    }
    out.push_str(rest);
    Ok(out)
}

/// Strip one pair of surrounding quotes from a value written at `start`.
fn unquote(value: &str, start: usize) -> Word {
    for q in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(q) && value.ends_with(q) {
            return Word {
                text: value[1..value.len() - 1].to_string(),
                span: start + 1..start + value.len() - 1,
            };
        }
    }
    Word {
        text: value.to_string(),
        span: start..start + value.len(),
    }
}

/// The instructions of a Dockerfile as words with byte spans, lines read as BuildKit's parser
/// reads them: a byte-order mark at the start skipped, a line continued when it ends with the
/// escape character (not itself escaped) and blanks, comment lines and blank lines inside a
/// continuation dropped, quotes kept inside a word (so `ARG A="x y"` is one word).
fn instructions(text: &str, escape: u8) -> Vec<Vec<Word>> {
    let mut out = Vec::new();
    let mut cur: Vec<Word> = Vec::new();
    let mut continuing = false;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let mut line_start = offset;
        offset += raw.len();
        let mut line = raw.trim_end_matches(['\n', '\r']);
        if line_start == 0 {
            if let Some(rest) = line.strip_prefix('\u{feff}') {
                line = rest;
                line_start = 3;
            }
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') || (continuing && trimmed.is_empty()) {
            continue;
        }
        let (body, cont) = continuation(line, escape);
        words(body, line_start, escape, &mut cur);
        continuing = cont;
        if !cont && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// BuildKit's line continuation: `([^E])E[ \t]*$|^E[ \t]*$` for the escape character `E`. The
/// line without the escape and what follows it, and whether it continues.
fn continuation(line: &str, escape: u8) -> (&str, bool) {
    let body = line.trim_end_matches([' ', '\t']);
    let b = body.as_bytes();
    match b.last() {
        Some(&e) if e == escape && (b.len() == 1 || b[b.len() - 2] != escape) => {
            (&body[..body.len() - 1], true)
        }
        _ => (line, false),
    }
}

/// Split a line into words at ASCII blanks outside quotes; the escape character keeps the next
/// character in the word (as BuildKit's flag reader does).
fn words(body: &str, base: usize, escape: u8, out: &mut Vec<Word>) {
    let b = body.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let start = i;
        let mut quote = None;
        while i < b.len() {
            match (quote, b[i]) {
                (None, c) if c.is_ascii_whitespace() => break,
                (None, c @ (b'"' | b'\'')) => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (_, c) if c == escape && i + 1 < b.len() => i += 1,
                _ => {}
            }
            i += 1;
        }
        let end = i.min(b.len());
        out.push(Word {
            text: body[start..end].to_string(),
            span: base + start..base + end,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::ImageUse;
    use std::path::Path;

    fn run(src: &str) -> (Vec<ImageUse>, Vec<crate::discover::FileNotice>) {
        let (mut uses, mut notices) = (Vec::new(), Vec::new());
        let mut sink = Sink {
            file: Path::new("Dockerfile"),
            text: src,
            uses: &mut uses,
            notices: &mut notices,
        };
        discover(&mut sink);
        (uses, notices)
    }

    #[test]
    fn stages_scratch_platform_and_args() {
        let src = "ARG BASE=python:3.11-slim\nARG V\nFROM --platform=$BUILDPLATFORM ${BASE} AS base\nFROM base AS dev\nFROM scratch\nFROM golang:${GO:-1.22}-alpine AS b\nCOPY --from=dev /a /b\nCOPY --from=nginx:1.27 /etc/nginx /n\nFROM alpine:$V\n";
        let (uses, notices) = run(src);
        let got: Vec<_> = uses
            .iter()
            .map(|u| (&src[u.span.clone()], u.line))
            .collect();
        assert_eq!(
            got,
            [
                ("python:3.11-slim", 1),
                ("golang:${GO:-1.22}-alpine", 6),
                ("nginx:1.27", 8)
            ]
        );
        assert_eq!(uses[1].reference.tag(), Some("1.22-alpine"));
        assert!(matches!(
            uses[1].target,
            Target::AppendDigest { digest: None }
        ));
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(
            notices[0].message.contains("`$V`"),
            "{}",
            notices[0].message
        );
        assert_eq!(notices[0].line, 9);
    }

    #[test]
    fn variable_also_used_inside_longer_text_is_not_pinned_at_its_default() {
        let src =
            "ARG NODE=node:20\nFROM $NODE AS a\nFROM ${NODE}-alpine\nCOPY --from=\"$NODE\" /a /b\n";
        let (uses, notices) = run(src);
        assert!(notices.is_empty(), "{notices:?}");
        let got: Vec<_> = uses.iter().map(|u| &src[u.span.clone()]).collect();
        assert_eq!(got, ["$NODE", "${NODE}-alpine", "$NODE"]);
        assert!(uses
            .iter()
            .all(|u| matches!(u.target, Target::AppendDigest { digest: None })));
    }

    #[test]
    fn continuation_quotes_and_crlf() {
        let src = "ARG IMG=\"redis:7\"\r\nFROM \\\r\n  $IMG\r\n";
        let (uses, _) = run(src);
        assert_eq!(uses.len(), 1);
        assert_eq!(&src[uses[0].span.clone()], "redis:7");
        assert_eq!((uses[0].line, uses[0].column), (1, 10));
    }

    #[test]
    fn syntax_mounts_and_onbuild_name_images() {
        let src = "#!/usr/bin/env buildx\n# syntax = docker/dockerfile:1.7\n# check=error=true\nARG T=3.20\nFROM alpine:$T AS b\nRUN --network=none --mount=type=bind,from=busybox:1.36,target=/x \\\n  --mount=type=cache,target=/c,from=b make\nRUN echo --mount=type=bind,from=not:1\nONBUILD COPY --from=golang:1.22 /a /b\nONBUILD RUN --mount=\"type=bind,from=node:20\" true\nRUN --mount=type=bind,from=0 true\n";
        let (uses, notices) = run(src);
        assert!(notices.is_empty(), "{notices:?}");
        let got: Vec<_> = uses
            .iter()
            .map(|u| (&src[u.span.clone()], u.line))
            .collect();
        assert_eq!(
            got,
            [
                ("docker/dockerfile:1.7", 2),
                ("alpine:$T", 5),
                ("busybox:1.36", 6),
                ("golang:1.22", 9),
                ("node:20", 10),
                // A mount's source is looked up by stage name only: `0` is an image.
                ("0", 11)
            ]
        );
        // A directive after the first instruction: BuildKit's readers disagree, so refused.
        let (uses, notices) = run("FROM a:1\n# syntax=b:1\n");
        assert!(uses.is_empty(), "{uses:?}");
        assert_eq!(notices[0].kind, NoticeKind::Ambiguous);
        assert_eq!(notices[0].line, 2);
    }
}
