//! Dockerfiles: every image BuildKit pulls. `FROM [--platform=…] image [AS stage]`,
//! `COPY --from=image`, `RUN --mount=type=bind|cache,from=image`, the same inside `ONBUILD`, and
//! the `# syntax=image` parser directive (a frontend BuildKit pulls and runs). Global `ARG`
//! defaults (those before the first `FROM`, the only ones `FROM` sees) are substituted; a
//! variable without a default is reported, never guessed. Stage names and `scratch` are not
//! images. A reference spelled entirely by one variable is pinned where its `ARG` default is
//! written, unless another image word uses that variable inside longer text (rewriting the
//! default would change that word too); a reference mixing text and variables gets `@sha256:…`
//! appended.

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
    if let Some(frontend) = syntax_directive(text) {
        image_word(sink, &frontend, &HashMap::new(), &[], &HashSet::new());
    }
    let escape = escape_char(text);
    let mut args: Args = HashMap::new();
    let mut stages: Vec<String> = Vec::new();
    let mut seen_from = false;
    let instructions = instructions(text, escape);
    let embedded = embedded_variables(&instructions);
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
            _ => {
                for word in source_words(words) {
                    image_word(sink, &word, &args, &stages, &embedded);
                }
            }
        }
    }
}

/// The value of a `# syntax=` parser directive (after an optional `#!` line), among the comment
/// and blank lines that open the file.
fn syntax_directive(text: &str) -> Option<Word> {
    let mut offset = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let line = if i == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || (i == 0 && trimmed.starts_with("#!")) {
            continue;
        }
        let d = trimmed.strip_prefix('#')?;
        let Some((k, v)) = d.split_once('=') else {
            continue;
        };
        if k.trim().eq_ignore_ascii_case("syntax") && !v.trim().is_empty() {
            let value = v.trim();
            // `value` is a slice of `raw`: its offset there is its offset in the line.
            let at = start + (value.as_ptr() as usize - raw.as_ptr() as usize);
            return Some(Word {
                text: value.to_string(),
                span: at..at + value.len(),
            });
        }
    }
    None
}

/// The image words of an instruction other than `FROM`: `COPY`/`ADD --from=`, the `from=` of
/// `RUN --mount=` flags, and those of the instruction an `ONBUILD` holds. Stage numbers are
/// not images.
fn source_words(words: &[Word]) -> Vec<Word> {
    let Some((first, rest)) = words.split_first() else {
        return Vec::new();
    };
    let stage_number = |w: &Word| !w.text.is_empty() && w.text.bytes().all(|b| b.is_ascii_digit());
    match first.text.to_ascii_uppercase().as_str() {
        "ONBUILD" => source_words(rest),
        "COPY" | "ADD" => rest
            .iter()
            .filter_map(|w| {
                let from = w.text.strip_prefix("--from=")?;
                Some(unquote(from, w.span.end - from.len()))
            })
            .filter(|w| !stage_number(w))
            .collect(),
        "RUN" => rest
            .iter()
            .take_while(|w| w.text.starts_with("--"))
            .filter_map(|w| {
                let m = w.text.strip_prefix("--mount=")?;
                Some(unquote(m, w.span.end - m.len()))
            })
            .flat_map(|m| mount_from(&m))
            .filter(|w| !stage_number(w))
            .collect(),
        _ => Vec::new(),
    }
}

/// The `from=` fields of a `--mount` value (`type=bind,from=img,target=/x`).
fn mount_from(m: &Word) -> Vec<Word> {
    let mut out = Vec::new();
    let mut at = m.span.start;
    for field in m.text.split(',') {
        if let Some((k, v)) = field.split_once('=') {
            if k.trim().eq_ignore_ascii_case("from") {
                out.push(unquote(v, at + k.len() + 1));
            }
        }
        at += field.len() + 1;
    }
    out
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
fn embedded_variables(instructions: &[Vec<Word>]) -> HashSet<String> {
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
            source_words(words).into_iter().map(|w| w.text).collect()
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

/// The escape character a `# escape=` parser directive sets (default `\`).
fn escape_char(text: &str) -> u8 {
    for line in text.trim_start_matches('\u{feff}').lines() {
        let Some(d) = line.trim().strip_prefix('#') else {
            break;
        };
        if let Some((k, v)) = d.split_once('=') {
            if k.trim().eq_ignore_ascii_case("escape") && v.trim() == "`" {
                return b'`';
            }
        }
    }
    b'\\'
}

/// The instructions of a Dockerfile as words with byte spans: continuation lines joined,
/// comment lines dropped, quotes kept inside a word (so `ARG A="x y"` is one word).
fn instructions(text: &str, escape: u8) -> Vec<Vec<Word>> {
    let mut out = Vec::new();
    let mut cur: Vec<Word> = Vec::new();
    let mut continuing = false;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') || (continuing && trimmed.is_empty()) {
            continue;
        }
        let body = line.trim_end();
        let (body, cont) = match body.as_bytes().last() {
            Some(&b) if b == escape => (&body[..body.len() - 1], true),
            _ => (body, false),
        };
        words(body, line_start, &mut cur);
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

fn words(body: &str, base: usize, out: &mut Vec<Word>) {
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
                _ => {}
            }
            i += 1;
        }
        out.push(Word {
            text: body[start..i].to_string(),
            span: base + start..base + i,
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
            marked: Vec::new(),
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
                ("node:20", 10)
            ]
        );
        // A directive after the first instruction is a comment.
        let (uses, _) = run("FROM a:1\n# syntax=b:1\n");
        assert_eq!(uses.len(), 1);
    }
}
