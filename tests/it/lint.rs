//! Lint: Pod Security conformance over the upstream fixtures, and each guardrail on small
//! manifests under tests/data/lint (a failing and a passing case each, exact rule IDs and lines).

use chrono::NaiveDate;
use gate::finding::Finding;
use gate::lint::pss::{Level, Version};
use gate::lint::{lint_paths, lint_sources, LintConfig};

use std::path::{Path, PathBuf};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
}

fn cfg(level: Level, version: Version) -> LintConfig {
    LintConfig {
        level,
        version,
        ..LintConfig::default()
    }
}

fn pss_findings(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.rule.starts_with("GATE-PSS-"))
        .collect()
}

#[test]
fn pss_conformance() {
    let Ok(root) = std::env::var("GATE_FIXTURES") else {
        eprintln!("skipped: GATE_FIXTURES is unset");
        return;
    };
    let root = Path::new(&root).join("pss");
    let mut total = 0;
    let mut ok = 0;
    let mut failures = Vec::new();
    for level in ["baseline", "restricted"] {
        for minor in 0..=37 {
            let version = format!("v1.{minor}");
            let config = cfg(level.parse().unwrap(), version.parse().unwrap());
            for expect in ["pass", "fail"] {
                let dir = root.join(level).join(&version).join(expect);
                let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect();
                files.sort();
                for file in files {
                    total += 1;
                    let text = std::fs::read_to_string(&file).unwrap();
                    let out = lint_sources(&[(file.clone(), text)], &config, today());
                    assert!(
                        out.notices.is_empty(),
                        "{}: {:?}",
                        file.display(),
                        out.notices
                    );
                    assert_eq!(out.objects, 1);
                    let pss = pss_findings(&out.findings);
                    let admitted = pss.is_empty();
                    if admitted == (expect == "pass") {
                        ok += 1;
                    } else {
                        failures.push(format!(
                            "{level}:{version} {}: {:?}",
                            file.display(),
                            pss.iter().map(|f| &f.message).collect::<Vec<_>>()
                        ));
                    }
                }
            }
        }
    }
    println!("PSS conformance: {ok}/{total}");
    eprintln!("PSS conformance: {ok}/{total}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(total, 4537);
}
