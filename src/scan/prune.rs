//! The fast path of [`Report::read`](super::report::Report::read): one pass over a report file
//! that copies, into a small buffer, only the object members whose key gate's model reads
//! (anywhere in the document), and steps over everything else (package lists, descriptions,
//! CVSS, references: nearly all of a large report), finding string ends with `memchr`. serde
//! then parses the small copy from a slice.
//!
//! Why not `serde_json::from_reader`: its reader is generic, so it is compiled into gate, byte
//! by byte; in the debug build the tests use that is 20 times slower than a slice (6 s for a
//! 250 MiB report). The copy keeps each kept member byte for byte, so serde sees exactly what
//! it would have read; members it would have ignored are checked here for structure only
//! (brackets, strings, commas, colons, scalar tokens). Anything unexpected (not an object, bad
//! structure, nesting deeper than serde's limit, a copy over `cap`) returns `None`, and the
//! caller falls back to the exact streaming parse, which also words the error.

use std::io::Read;

/// Every key gate's report model reads, at whatever depth.
pub const KEPT_KEYS: &[&str] = &[
    "SchemaVersion",
    "ArtifactName",
    "ArtifactType",
    "Trivy",
    "Version",
    "Results",
    "Target",
    "Class",
    "Type",
    "Vulnerabilities",
    "VulnerabilityID",
    "PkgName",
    "PkgPath",
    "PkgIdentifier",
    "PURL",
    "InstalledVersion",
    "FixedVersion",
    "Status",
    "Severity",
    "Title",
    "PrimaryURL",
];

/// serde_json's recursion limit.
const MAX_DEPTH: usize = 128;
/// A key longer than this (raw) cannot spell a kept key, even escaped.
const MAX_KEY: usize = 256;
/// A longer number is left to the exact parse.
const MAX_SCALAR: usize = 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// `emitted`: a member of this object was copied (the next needs a comma).
    Object {
        emitted: bool,
    },
    Array,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Value,
    FirstValueOrEnd,
    Key,
    FirstKeyOrEnd,
    Colon,
    AfterValue,
    Done,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Str {
    Key,
    Value,
}

struct Pruner {
    out: Vec<u8>,
    cap: usize,
    stack: Vec<Frame>,
    expect: Expect,
    /// Skipping the value of a dropped member of the object at this depth.
    skip: Option<usize>,
    string: Option<Str>,
    escaped: bool,
    key: Vec<u8>,
    /// A scalar token (number, `true`, `false`, `null`) being read.
    scalar: Option<Vec<u8>>,
}

/// Failure: take the exact path.
struct Bail;

/// The report read from `r` with only its [`KEPT_KEYS`] members, or `None` (see the module
/// documentation) when the exact parse must decide.
pub fn prune(r: &mut dyn Read, cap: usize) -> std::io::Result<Option<Vec<u8>>> {
    let mut p = Pruner {
        out: Vec::new(),
        cap,
        stack: Vec::new(),
        expect: Expect::Value,
        skip: None,
        string: None,
        escaped: false,
        key: Vec::new(),
        scalar: None,
    };
    let mut buf = vec![0u8; 256 << 10];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if p.feed(&buf[..n]).is_err() {
            return Ok(None);
        }
    }
    Ok(p.finish().ok())
}

impl Pruner {
    fn emitting(&self) -> bool {
        self.skip.is_none()
    }

    fn emit(&mut self, bytes: &[u8]) -> Result<(), Bail> {
        if self.emitting() {
            self.out.extend_from_slice(bytes);
            if self.out.len() > self.cap {
                return Err(Bail);
            }
        }
        Ok(())
    }

    fn feed(&mut self, buf: &[u8]) -> Result<(), Bail> {
        let mut i = 0;
        while i < buf.len() {
            if let Some(kind) = self.string {
                i += self.in_string(kind, &buf[i..])?;
                continue;
            }
            let b = buf[i];
            if let Some(tok) = &mut self.scalar {
                if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-') {
                    tok.push(b);
                    if tok.len() > MAX_SCALAR {
                        return Err(Bail);
                    }
                    i += 1;
                    continue;
                }
                self.end_scalar()?;
            }
            i += 1;
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => self.emit(&[b])?,
                b'{' | b'[' => {
                    self.start_value()?;
                    if self.stack.len() >= MAX_DEPTH {
                        return Err(Bail);
                    }
                    if b == b'{' {
                        self.stack.push(Frame::Object { emitted: false });
                        self.expect = Expect::FirstKeyOrEnd;
                    } else {
                        self.stack.push(Frame::Array);
                        self.expect = Expect::FirstValueOrEnd;
                    }
                    self.emit(&[b])?;
                }
                b'}' | b']' => {
                    let ok = match (self.stack.last(), self.expect) {
                        (
                            Some(Frame::Object { .. }),
                            Expect::FirstKeyOrEnd | Expect::AfterValue,
                        ) => b == b'}',
                        (Some(Frame::Array), Expect::FirstValueOrEnd | Expect::AfterValue) => {
                            b == b']'
                        }
                        _ => false,
                    };
                    if !ok {
                        return Err(Bail);
                    }
                    self.emit(&[b])?;
                    self.stack.pop();
                    self.value_done();
                }
                b':' => {
                    if self.expect != Expect::Colon {
                        return Err(Bail);
                    }
                    self.emit(&[b])?;
                    self.expect = Expect::Value;
                }
                b',' => {
                    match (self.stack.last(), self.expect) {
                        // The comma goes out with the next member that is kept.
                        (Some(Frame::Object { .. }), Expect::AfterValue) => {
                            self.expect = Expect::Key
                        }
                        (Some(Frame::Array), Expect::AfterValue) => {
                            self.emit(&[b])?;
                            self.expect = Expect::Value;
                        }
                        _ => return Err(Bail),
                    }
                }
                b'"' => {
                    if matches!(self.expect, Expect::Key | Expect::FirstKeyOrEnd) {
                        self.key.clear();
                        self.string = Some(Str::Key);
                    } else {
                        self.start_value()?;
                        self.emit(&[b])?;
                        self.string = Some(Str::Value);
                    }
                }
                b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
                    self.start_value()?;
                    self.scalar = Some(vec![b]);
                }
                _ => return Err(Bail),
            }
        }
        Ok(())
    }

    /// Inside a string: consume up to and including its closing quote, or all of `buf`.
    fn in_string(&mut self, kind: Str, buf: &[u8]) -> Result<usize, Bail> {
        let capture = |p: &mut Self, bytes: &[u8]| -> Result<(), Bail> {
            match kind {
                Str::Key if p.emitting() => {
                    if p.key.len() <= MAX_KEY {
                        p.key
                            .extend_from_slice(&bytes[..bytes.len().min(MAX_KEY + 1)]);
                    }
                    Ok(())
                }
                Str::Key => Ok(()),
                Str::Value => p.emit(bytes),
            }
        };
        if self.escaped {
            self.escaped = false;
            capture(self, &buf[..1])?;
            return Ok(1);
        }
        let Some(j) = memchr::memchr2(b'"', b'\\', buf) else {
            capture(self, buf)?;
            return Ok(buf.len());
        };
        capture(self, &buf[..j])?;
        if buf[j] == b'\\' {
            capture(self, &buf[j..=j])?;
            self.escaped = true;
            return Ok(j + 1);
        }
        self.string = None;
        match kind {
            Str::Value => {
                self.emit(b"\"")?;
                self.value_done();
            }
            Str::Key => self.end_key()?,
        }
        Ok(j + 1)
    }

    fn end_key(&mut self) -> Result<(), Bail> {
        self.expect = Expect::Colon;
        if !self.emitting() {
            return Ok(());
        }
        if !self.kept_key()? {
            self.skip = Some(self.stack.len());
            return Ok(());
        }
        if let Some(Frame::Object { emitted }) = self.stack.last_mut() {
            let comma = std::mem::replace(emitted, true);
            if comma {
                self.emit(b",")?;
            }
        }
        let key = std::mem::take(&mut self.key);
        self.emit(b"\"")?;
        self.emit(&key)?;
        self.emit(b"\"")
    }

    fn kept_key(&self) -> Result<bool, Bail> {
        if self.key.len() > MAX_KEY {
            return Ok(false);
        }
        if !self.key.contains(&b'\\') {
            return Ok(KEPT_KEYS
                .iter()
                .any(|k| k.as_bytes() == self.key.as_slice()));
        }
        let mut quoted = Vec::with_capacity(self.key.len() + 2);
        quoted.push(b'"');
        quoted.extend_from_slice(&self.key);
        quoted.push(b'"');
        let key: String = serde_json::from_slice(&quoted).map_err(|_| Bail)?;
        Ok(KEPT_KEYS.contains(&key.as_str()))
    }

    fn start_value(&mut self) -> Result<(), Bail> {
        match self.expect {
            Expect::Value | Expect::FirstValueOrEnd => Ok(()),
            _ => Err(Bail),
        }
    }

    fn end_scalar(&mut self) -> Result<(), Bail> {
        let Some(tok) = self.scalar.take() else {
            return Ok(());
        };
        // Kept tokens are checked by serde; skipped ones here, loosely.
        let number = |t: &[u8]| {
            t.iter()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        };
        if !self.emitting()
            && !matches!(tok.as_slice(), b"true" | b"false" | b"null")
            && !number(&tok)
        {
            return Err(Bail);
        }
        self.emit(&tok)?;
        self.value_done();
        Ok(())
    }

    fn value_done(&mut self) {
        self.expect = if self.stack.is_empty() {
            Expect::Done
        } else {
            Expect::AfterValue
        };
        if self.skip == Some(self.stack.len()) {
            self.skip = None;
        }
    }

    fn finish(mut self) -> Result<Vec<u8>, Bail> {
        self.end_scalar()?;
        if self.expect != Expect::Done || self.string.is_some() {
            return Err(Bail);
        }
        // A report is an object; anything else is for the exact parse to explain.
        if self.out.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(Bail);
        }
        Ok(self.out)
    }
}

/// The conformance data sets (the one helper every test uses).
#[cfg(test)]
#[path = "../../tests/support/fixtures.rs"]
mod fixtures;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::Report;

    fn pruned(text: &str) -> Option<String> {
        prune(&mut text.as_bytes(), 1 << 20)
            .unwrap()
            .map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn keeps_modelled_members_byte_for_byte_and_drops_the_rest() {
        let text = r#"{"SchemaVersion": 2, "CreatedAt":"x", "Metadata":{"a":[1,{"b":null}]},
          "Results":[{"Target":"t","Packages":[{"Name":"p","Version":"1"}],
            "Vulnerabilities":[{"VulnerabilityID":"CVE-1","Description":"d \" \\ }]",
              "CVSS":{"nvd":{"V3Score":9.8}},"Severity":"HIGH","PkgIdentifier":{"PURL":"pkg:x","UID":"u"}}]}],
          "Trivy":{"Version":"0.58.1"}}"#;
        let out = pruned(text).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        assert_eq!(v["SchemaVersion"], 2);
        assert!(
            v.get("CreatedAt").is_none() && v.get("Metadata").is_none(),
            "{out}"
        );
        let r = &v["Results"][0];
        assert!(r.get("Packages").is_none(), "{out}");
        let vuln = &r["Vulnerabilities"][0];
        assert_eq!(vuln["VulnerabilityID"], "CVE-1");
        assert_eq!(vuln["Severity"], "HIGH");
        assert_eq!(vuln["PkgIdentifier"], serde_json::json!({"PURL": "pkg:x"}));
        assert!(vuln.get("Description").is_none() && vuln.get("CVSS").is_none());
        assert_eq!(v["Trivy"]["Version"], "0.58.1");
    }

    /// Every recorded report (this repository's, and Trivy's own golden reports of the `trivy`
    /// conformance data set) takes the fast path and reads exactly as serde reads the whole file.
    #[test]
    fn conformance_trivy_real_reports_take_the_fast_path_and_read_the_same() {
        let mut dirs =
            vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/scan")];
        dirs.push(fixtures::dir(fixtures::Set::Trivy).join("reports"));
        let mut seen = 0;
        for dir in dirs.iter().filter(|d| d.is_dir()) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_none_or(|e| e != "json") {
                    continue;
                }
                let bytes = std::fs::read(&path).unwrap();
                let Ok(exact) = Report::parse(&bytes) else {
                    continue;
                };
                let small = prune(&mut bytes.as_slice(), 1 << 20)
                    .unwrap()
                    .unwrap_or_else(|| panic!("{}: not pruned", path.display()));
                let fast = Report::parse(&small).unwrap();
                assert_eq!(fast.schema_version, exact.schema_version);
                assert_eq!(
                    fast.artifact_name,
                    exact.artifact_name,
                    "{}",
                    path.display()
                );
                assert_eq!(
                    fast.vulnerabilities(None),
                    exact.vulnerabilities(None),
                    "{}",
                    path.display()
                );
                assert!(small.len() <= bytes.len());
                seen += 1;
            }
        }
        assert!(seen >= 3, "no reports were compared");
    }

    #[test]
    fn an_escaped_key_is_read_as_serde_reads_it() {
        let out = pruned(r#"{"Schema\u0056ersion":2,"Results\u0000":[1]}"#).unwrap();
        assert_eq!(out, r#"{"Schema\u0056ersion":2}"#);
    }

    #[test]
    fn chunk_boundaries_do_not_matter() {
        let text = r#"{"SchemaVersion":2,"X":"a\"b","Results":[{"Target":"t\\","Class":null}]}"#;
        let whole = pruned(text).unwrap();
        for size in 1..8 {
            let mut p = Pruner {
                out: Vec::new(),
                cap: 1 << 20,
                stack: Vec::new(),
                expect: Expect::Value,
                skip: None,
                string: None,
                escaped: false,
                key: Vec::new(),
                scalar: None,
            };
            for chunk in text.as_bytes().chunks(size) {
                assert!(p.feed(chunk).is_ok(), "chunk size {size}");
            }
            let out = p.finish().ok().map(|b| String::from_utf8(b).unwrap());
            assert_eq!(out.as_deref(), Some(whole.as_str()), "chunk size {size}");
        }
    }

    #[test]
    fn bad_structure_depth_and_size_leave_it_to_the_exact_parse() {
        for bad in [
            "",
            "Segmentation fault",
            "[]",
            r#"{"SchemaVersion":2"#,
            r#"{"SchemaVersion":2,}"#,
            r#"{"SchemaVersion":2,,"X":1}"#,
            r#"{"SchemaVersion" 2}"#,
            r#"{"X":[1 2]}"#,
            r#"{"X":tru}"#,
            r#"{"X":"open}"#,
            r#"{"SchemaVersion":2} trailing"#,
            r#"{"SchemaVersion":2}{}"#,
            r#"{"X":]}"#,
        ] {
            assert_eq!(pruned(bad), None, "{bad}");
        }
        let deep = format!("{{\"X\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(pruned(&deep), None);
        let big = format!(r#"{{"Title":"{}"}}"#, "x".repeat(100));
        assert_eq!(prune(&mut big.as_bytes(), 64).unwrap(), None);
        assert!(pruned(&big).is_some());
    }
}

/// Properties: on any JSON object, the copy parses to exactly the document with every member
/// whose key is not kept removed (at every depth), however the input is cut into reads.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(KEPT_KEYS).prop_map(str::to_owned),
            "[a-zA-Z\"\\\\{}\\[\\],: \n]{0,8}",
        ]
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "[ -~\u{e9}\u{1F600}\n\t\"\\\\]{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(5, 96, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((key(), inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    fn keep_only_kept(v: Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.into_iter()
                    .filter(|(k, _)| KEPT_KEYS.contains(&k.as_str()))
                    .map(|(k, v)| (k, keep_only_kept(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.into_iter().map(keep_only_kept).collect()),
            other => other,
        }
    }

    /// A reader that hands out at most `n` bytes per read.
    struct Chunks<'a>(&'a [u8], usize);

    impl Read for Chunks<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn the_copy_is_the_document_without_unkept_members(
            members in prop::collection::vec((key(), json()), 0..8),
            pretty in any::<bool>(),
            chunk in 1usize..64,
        ) {
            let doc = Value::Object(members.into_iter().collect());
            let text = if pretty {
                serde_json::to_string_pretty(&doc).unwrap()
            } else {
                serde_json::to_string(&doc).unwrap()
            };
            let parsed: Value = serde_json::from_str(&text).unwrap();
            let copy = prune(&mut Chunks(text.as_bytes(), chunk), 1 << 20).unwrap();
            let copy = copy.unwrap_or_else(|| panic!("valid JSON refused: {text}"));
            let got: Value = serde_json::from_slice(&copy)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&copy)));
            prop_assert_eq!(got, keep_only_kept(parsed));
        }
    }
}
