//! Property test for issue 13: Pods whose containers are written in every form the deployer's
//! decoder (`sigs.k8s.io/yaml`, go-yaml v2 merge semantics) accepts — block and flow, quoted,
//! escaped (`"\x69mage"`, `"\u0069mage"`), explicit (`? image`) and `!!binary` keys, `<<` merge
//! keys before and after explicit keys, JSON — and with duplicate keys. The reference decoder
//! is the generator's own model of the object (each container's final image and `privileged`,
//! by the rules kubectl follows, checked row by row against kubectl in tests/it/deployer.rs):
//! discover must find exactly those images and lint must report a privileged container exactly
//! when one is, or both must refuse a file with a duplicate key.

use gate::discover::{discover_sources, NoticeKind, SearchRules};
use gate::lint::{lint_sources, LintConfig};
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::collections::BTreeSet;
use std::path::PathBuf;

const POOL: &[&str] = &[
    "nginx:1.27",
    "ghcr.io/acme/api:2.1",
    "registry.example:5000/team/worker:v3",
    "busybox@sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d",
];

/// How the `image` key is spelled (all decode to `image`).
const YAML_KEYS: &[&str] = &[
    "image",
    "\"image\"",
    "'image'",
    "\"\\x69mage\"",
    "\"\\u0069mage\"",
    "!!binary aW1hZ2U=",
    "!<tag:yaml.org,2002:str> image",
];
const JSON_KEYS: &[&str] = &["\"image\"", "\"\\u0069mage\""];

/// Stands for the explicit key `? image` / `: value` in a block map.
const EXPLICIT: &str = "?image";

#[derive(Debug, Clone)]
struct Container {
    image: usize,
    privileged: Option<bool>,
    /// Index into the key spellings; block maps also use `? image` (explicit key).
    spell: usize,
    /// 0: written; 1: only merged; 2: merged, then written (written wins); 3: written, then
    /// merged (merged wins).
    merge: u8,
    flow: bool,
    /// A second written `image` key.
    dup: bool,
}

fn container() -> impl Strategy<Value = Container> {
    (
        0..POOL.len(),
        prop::option::of(any::<bool>()),
        0..YAML_KEYS.len() + 1,
        0u8..4,
        any::<bool>(),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(image, privileged, spell, merge, flow, dup)| Container {
            image,
            privileged,
            spell,
            merge,
            flow,
            dup,
        })
}

/// The model: what the deployer decodes.
struct Expected {
    images: BTreeSet<String>,
    privileged: bool,
    refused: bool,
}

fn expected(cs: &[Container]) -> Expected {
    Expected {
        // Only merged, then written once: the written key replaces the merged one.
        images: cs
            .iter()
            .map(|c| match (c.merge, c.dup) {
                (1, true) => other(c.image).to_string(),
                _ => POOL[c.image].to_string(),
            })
            .collect(),
        privileged: cs.iter().any(|c| c.privileged == Some(true)),
        // A second written key: refused (only-merged containers have no written one to repeat).
        refused: cs.iter().any(|c| c.dup && c.merge != 1),
    }
}

fn other(i: usize) -> &'static str {
    POOL[(i + 1) % POOL.len()]
}

/// One container's entries as `(key, value)` text, plus its anchor (for merges).
fn entries(i: usize, c: &Container) -> (Vec<(String, String)>, Option<String>) {
    let key = match YAML_KEYS.get(c.spell) {
        Some(k) => k.to_string(),
        None if c.flow => "image".to_string(),
        None => EXPLICIT.to_string(), // `? image` (block only)
    };
    let sc = c.privileged.map(|p| format!("{{privileged: {p}}}"));
    let mut e = vec![("name".to_string(), format!("c{i}"))];
    let mut anchor = None;
    let quoted = |s: &str| format!("\"{s}\"");
    match c.merge {
        0 => e.push((key.clone(), quoted(POOL[c.image]))),
        1 => {
            let sc = sc.as_ref().map(|s| format!(", securityContext: {s}"));
            anchor = Some(format!(
                "{{image: {}{}}}",
                quoted(POOL[c.image]),
                sc.unwrap_or_default()
            ));
        }
        2 => {
            anchor = Some(format!("{{image: {}}}", quoted(other(c.image))));
            e.push(("<<".into(), format!("*a{i}")));
            e.push((key.clone(), quoted(POOL[c.image])));
        }
        _ => {
            anchor = Some(format!("{{image: {}}}", quoted(POOL[c.image])));
            e.push((key.clone(), quoted(other(c.image))));
            e.push(("<<".into(), format!("*a{i}")));
        }
    }
    if c.merge == 1 {
        e.push(("<<".into(), format!("*a{i}")));
    } else if let Some(sc) = sc {
        e.push(("securityContext".into(), sc));
    }
    if c.dup {
        e.push(("image".into(), quoted(other(c.image))));
    }
    (e, anchor)
}

fn yaml(cs: &[Container]) -> String {
    let mut head = String::from("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n");
    let mut body = String::from("spec:\n  containers:\n");
    for (i, c) in cs.iter().enumerate() {
        let (e, anchor) = entries(i, c);
        if let Some(a) = anchor {
            head.push_str(&format!("x-a{i}: &a{i} {a}\n"));
        }
        if c.flow {
            let inner: Vec<String> = e.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            body.push_str(&format!("  - {{{}}}\n", inner.join(", ")));
            continue;
        }
        for (j, (k, v)) in e.iter().enumerate() {
            let lead = if j == 0 { "  - " } else { "    " };
            if k == EXPLICIT {
                body.push_str(&format!("{lead}? image\n    : {v}\n"));
            } else {
                body.push_str(&format!("{lead}{k}: {v}\n"));
            }
        }
    }
    format!("{head}{body}")
}

fn json(cs: &[Container]) -> String {
    let mut items = Vec::new();
    for (i, c) in cs.iter().enumerate() {
        let key = JSON_KEYS[c.spell % JSON_KEYS.len()];
        let mut e = vec![
            format!("\"name\":\"c{i}\""),
            format!("{key}:\"{}\"", POOL[c.image]),
        ];
        if let Some(p) = c.privileged {
            e.push(format!("\"securityContext\":{{\"privileged\":{p}}}"));
        }
        if c.dup {
            e.push(format!("\"image\":\"{}\"", other(c.image)));
        }
        items.push(format!("{{{}}}", e.join(",")));
    }
    format!(
        "{{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{{\"name\":\"p\"}},\"spec\":{{\"containers\":[{}]}}}}\n",
        items.join(",")
    )
}

fn check(name: &str, text: &str, want: &Expected) -> Result<(), TestCaseError> {
    let sources = [(PathBuf::from(name), text.to_string())];
    let d = discover_sources(&sources, &SearchRules::default());
    let l = lint_sources(
        &sources,
        &LintConfig::default(),
        chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
    );
    if want.refused {
        prop_assert!(
            d.notices
                .iter()
                .any(|n| n.kind == NoticeKind::InvalidYaml && n.message.contains("duplicate key")),
            "discover accepted a duplicate key:\n{text}\n{:?}",
            d.notices
        );
        prop_assert!(
            l.notices
                .iter()
                .any(|n| n.message.contains("duplicate key")),
            "lint accepted a duplicate key:\n{text}"
        );
        return Ok(());
    }
    prop_assert!(!d.has_errors(), "{text}\n{:?}", d.notices);
    let got: BTreeSet<String> = d
        .uses
        .iter()
        .map(|u| u.reference.original().to_string())
        .collect();
    prop_assert_eq!(&got, &want.images, "{}", text);
    let privileged = l.findings.iter().any(|f| f.rule == "GATE-PSS-002");
    prop_assert_eq!(privileged, want.privileged, "{}", text);
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: 256, failure_persistence: None, ..Config::default() })]

    #[test]
    fn discover_and_lint_see_what_the_decoder_sees(cs in prop::collection::vec(container(), 1..4)) {
        let want = expected(&cs);
        check("pod.yaml", &yaml(&cs), &want)?;
        // JSON has no merge keys: the same containers, written.
        let written: Vec<Container> = cs.iter().map(|c| Container { merge: 0, ..*c }).collect();
        check("pod.json", &json(&written), &expected(&written))?;
    }
}
