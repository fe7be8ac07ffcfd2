//! An index read the way Go runtimes read it, or refused. Go's `encoding/json` matches object
//! keys to fields without regard to case (`"Digest"` fills `digest`, as does `"ſize"` `size`)
//! and lets a repeated key win over, or merge into, the earlier one; serde takes exact keys and
//! refuses repeats. Where the two could read one index differently (which child, which
//! platform), the index is refused: nothing gate scans can then differ from what a node pulls.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// The fields of an index, a descriptor and a platform that runtimes read.
const FIELDS: [&str; 18] = [
    "schemaVersion",
    "mediaType",
    "artifactType",
    "manifests",
    "subject",
    "annotations",
    "config",
    "layers",
    "digest",
    "size",
    "urls",
    "data",
    "platform",
    "os",
    "architecture",
    "variant",
    "os.version",
    "os.features",
];

/// A JSON value that keeps every member of an object, repeats included.
enum Json {
    Object(Vec<(String, Json)>),
    Array(Vec<Json>),
    Scalar,
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Json;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Json, E> {
                Ok(Json::Scalar)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Json, E> {
                Ok(Json::Scalar)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Json, E> {
                Ok(Json::Scalar)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Json, E> {
                Ok(Json::Scalar)
            }
            fn visit_str<E>(self, _: &str) -> Result<Json, E> {
                Ok(Json::Scalar)
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Scalar)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Json, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Json::Array(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Json, A::Error> {
                let mut v = Vec::new();
                while let Some(e) = a.next_entry::<String, Json>()? {
                    v.push(e);
                }
                Ok(Json::Object(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// Go's case folding of a key, as far as it reaches ASCII (`ſ` is `s`, the Kelvin sign `k`).
fn fold(key: &str) -> String {
    key.chars()
        .map(|c| match c {
            '\u{17f}' => 's',
            '\u{212a}' => 'k',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// `Ok` when Go and gate read the index (or manifest) `bytes` alike; else why not. Bytes that
/// are not JSON are left to the caller's parser to refuse.
pub fn check_unambiguous(bytes: &[u8]) -> Result<(), String> {
    let Ok(doc) = serde_json::from_slice::<Json>(bytes) else {
        return Ok(());
    };
    let Json::Object(top) = &doc else {
        return Ok(());
    };
    object(top, "the index")?;
    let has = |k: &str| top.iter().any(|(key, _)| key == k);
    if has("manifests") && (has("layers") || has("config")) {
        return Err("it has both `manifests` (an index) and `layers`/`config` (a manifest)".into());
    }
    for (key, value) in top {
        if let ("manifests", Json::Array(list)) = (key.as_str(), value) {
            for (i, d) in list.iter().enumerate() {
                let Json::Object(d) = d else { continue };
                object(d, &format!("`manifests[{i}]`"))?;
                for (key, value) in d {
                    if let ("platform", Json::Object(p)) = (key.as_str(), value) {
                        object(p, &format!("`manifests[{i}].platform`"))?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// No key twice, and none that Go would take for a field it spells otherwise.
fn object(members: &[(String, Json)], what: &str) -> Result<(), String> {
    let mut seen: Vec<(String, &str)> = Vec::new();
    for (key, _) in members {
        let f = fold(key);
        if let Some((_, earlier)) = seen.iter().find(|(g, _)| *g == f) {
            return Err(format!(
                "{what} has the key `{key}` twice (as `{earlier}` and `{key}`), which Go runtimes \
                 read as one"
            ));
        }
        if let Some(field) = FIELDS.iter().find(|n| fold(n) == f && **n != key.as_str()) {
            return Err(format!(
                "{what} has the key `{key}`, which Go runtimes read as `{field}` and gate does not"
            ));
        }
        seen.push((f, key.as_str()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_unambiguous as check;

    #[test]
    fn readings_that_could_differ_are_refused() {
        let ok = br#"{"schemaVersion":2,"manifests":[{"digest":"sha256:a","size":1,
            "platform":{"os":"linux","architecture":"amd64","os.features":["x"]},
            "annotations":{"Digest":"free-form"}}]}"#;
        assert_eq!(check(ok), Ok(()));
        for bad in [
            r#"{"manifests":[{"digest":"sha256:a","Digest":"sha256:b"}]}"#,
            r#"{"manifests":[{"digest":"sha256:a","digest":"sha256:b"}]}"#,
            r#"{"manifests":[{"Platform":{"os":"linux","architecture":"amd64"}}]}"#,
            r#"{"manifests":[{"platform":{"os":"windows","OS":"linux","architecture":"amd64"}}]}"#,
            r#"{"manifests":[{"platform":{"os":"linux","architecture":"arm64","Variant":"v8"}}]}"#,
            "{\"manifests\":[{\"\u{17f}ize\":1}]}",
            r#"{"Manifests":[]}"#,
            r#"{"manifests":[],"layers":[]}"#,
        ] {
            assert!(check(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
