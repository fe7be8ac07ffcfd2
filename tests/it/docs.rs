//! `docs/rules/ID.md`: one page per rule, generated from the rule registry's explain texts, so
//! SARIF `helpUri` links resolve and the pages never drift from `gate explain`. Regenerate with
//! `GATE_UPDATE_DOCS=1 cargo test --test it -- docs::`.

use std::path::Path;

fn page(r: &gate::rules::Rule) -> String {
    format!(
        "<!-- Generated from the rule registry by tests/it/docs.rs; edit the rule's explain text. -->\n\
         # {} `{}`\n\n{}\n\nDefault severity: **{:?}**. Explain it locally with `gate explain {}`.\n\n{}\n",
        r.id,
        r.name,
        r.summary,
        r.severity,
        r.id,
        r.explain.trim_end()
    )
}

fn index(rules: &[&gate::rules::Rule]) -> String {
    let mut s = String::from(
        "<!-- Generated from the rule registry by tests/it/docs.rs. -->\n# Rules\n\n\
         | ID | Name | Default severity | Summary |\n|---|---|---|---|\n",
    );
    for r in rules {
        s.push_str(&format!(
            "| [{}]({}.md) | `{}` | {:?} | {} |\n",
            r.id, r.id, r.name, r.severity, r.summary
        ));
    }
    s
}

#[test]
fn rule_pages_match_the_registry() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    let rules = gate::rules::all();
    let mut expected: Vec<(String, String)> = rules
        .iter()
        .map(|r| (format!("{}.md", r.id), page(r)))
        .collect();
    expected.push(("README.md".to_string(), index(rules)));
    if std::env::var_os("GATE_UPDATE_DOCS").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in &expected {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }
    let mut stale = Vec::new();
    for (name, text) in &expected {
        if std::fs::read_to_string(dir.join(name)).ok().as_deref() != Some(text.as_str()) {
            stale.push(name.clone());
        }
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    on_disk.retain(|n| !expected.iter().any(|(e, _)| e == n));
    assert!(
        stale.is_empty() && on_disk.is_empty(),
        "docs/rules is out of date (stale: {stale:?}, extra: {on_disk:?}); regenerate with \
         GATE_UPDATE_DOCS=1 cargo test --test it -- docs::"
    );
}

const TRUST_BEGIN: &str = "<!-- Generated from src/policy/file/trust.rs by tests/it/docs.rs. -->\n";
const TRUST_END: &str = "<!-- End of the generated table. -->\n";

/// The table of who may set each policy key, from the same code that decides it.
fn trust_table() -> String {
    let mut s =
        String::from("| key | who may set it | from a policy found in the tree |\n|---|---|---|\n");
    for (key, trust) in gate::policy::file::key_trust() {
        let (who, what) = match trust {
            gate::policy::file::Trust::Tree(only) => ("tree-allowed", format!("may only {only}")),
            gate::policy::file::Trust::Trusted(because) => {
                ("trusted-only", format!("refused: it {because}"))
            }
        };
        s.push_str(&format!("| `{key}` | {who} | {what} |\n"));
    }
    s
}

/// `docs/policy.md` marks each key trusted-only or tree-allowed: the table between the markers
/// is generated from the stages' `judge` functions, composed in `policy::file::trust`. Regenerate with
/// `GATE_UPDATE_DOCS=1 cargo test --test it -- docs::`.
#[test]
fn policy_trust_table_matches_the_code() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/policy.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let (head, rest) = text
        .split_once(TRUST_BEGIN)
        .expect("docs/policy.md has the generated table's start marker");
    let (_, tail) = rest
        .split_once(TRUST_END)
        .expect("docs/policy.md has the generated table's end marker");
    let expected = format!("{head}{TRUST_BEGIN}{}{TRUST_END}{tail}", trust_table());
    if std::env::var_os("GATE_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    assert!(
        text == expected,
        "docs/policy.md's key table is out of date; regenerate with \
         GATE_UPDATE_DOCS=1 cargo test --test it -- docs::"
    );
}
