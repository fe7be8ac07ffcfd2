//! File type detection, by name first and by content when the name says nothing.

use std::path::{Path, PathBuf};

/// What a file holds, as far as discovery cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Dockerfile,
    Yaml(YamlHint),
    /// Not a format discovery reads (including Helm's `Chart.yaml`).
    Other,
}

/// What a YAML file's name says about it. [`YamlHint::Auto`] decides per document by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlHint {
    Auto,
    Kustomization,
    Compose,
    Workflow,
    /// A GitHub action's metadata (`action.yml`).
    Action,
    HelmValues,
}

/// Detect by name, then by content (standard input and unknown extensions).
pub fn detect(path: &Path, text: &str) -> FileType {
    if let Some(t) = by_name(path) {
        return t;
    }
    if looks_like_dockerfile(text) {
        FileType::Dockerfile
    } else {
        FileType::Yaml(YamlHint::Auto)
    }
}

/// True when a directory walk should read this file.
pub fn is_candidate(path: &Path) -> bool {
    matches!(
        by_name(path),
        Some(FileType::Dockerfile | FileType::Yaml(_))
    ) || is_chart(path)
}

fn by_name(path: &Path) -> Option<FileType> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    if lower == "dockerfile"
        || lower == "containerfile"
        || lower.ends_with(".dockerfile")
        || lower.starts_with("dockerfile.")
        || lower.starts_with("containerfile.")
    {
        return Some(FileType::Dockerfile);
    }
    let stem = lower
        .strip_suffix(".yaml")
        .or_else(|| lower.strip_suffix(".yml"))
        .or_else(|| lower.strip_suffix(".json"))?;
    if is_chart(path) {
        return Some(FileType::Other);
    }
    let in_workflows = path
        .parent()
        .is_some_and(|p| p.ends_with(".github/workflows"));
    let hint = if stem == "kustomization" || stem.ends_with(".kustomization") {
        YamlHint::Kustomization
    } else if in_workflows {
        YamlHint::Workflow
    } else if stem == "action" && !lower.ends_with(".json") {
        YamlHint::Action
    } else if ["docker-compose", "compose", "docker-stack"]
        .iter()
        .any(|p| stem.starts_with(p))
    {
        YamlHint::Compose
    } else if stem == "values"
        || stem.starts_with("values-")
        || stem.starts_with("values.")
        || stem.ends_with(".values")
        || stem.ends_with("-values")
    {
        YamlHint::HelmValues
    } else {
        YamlHint::Auto
    };
    Some(FileType::Yaml(hint))
}

/// `Chart.yaml`, or `<prefix>.Chart.yaml` (how vendored charts are often flattened).
pub fn is_chart(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == "Chart.yaml" || n.ends_with(".Chart.yaml"))
}

/// The chart files that may hold a values file's `appVersion`, most specific first.
pub fn chart_for(values: &Path) -> Vec<PathBuf> {
    let dir = values.parent().unwrap_or(Path::new(""));
    let mut out = Vec::new();
    if let Some(prefix) = values
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.split_once(".values."))
        .map(|(p, _)| p)
    {
        out.push(dir.join(format!("{prefix}.Chart.yaml")));
    }
    out.push(dir.join("Chart.yaml"));
    out
}

/// The first instruction of a Dockerfile is `FROM`, `ARG` or a parser directive/comment.
fn looks_like_dockerfile(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| {
            let word = l.split_whitespace().next().unwrap_or("");
            word.eq_ignore_ascii_case("FROM") || word.eq_ignore_ascii_case("ARG")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(p: &str) -> FileType {
        detect(Path::new(p), "")
    }

    #[test]
    fn names() {
        assert_eq!(name("a/Dockerfile"), FileType::Dockerfile);
        assert_eq!(name("x.Dockerfile"), FileType::Dockerfile);
        assert_eq!(name("Dockerfile.dev"), FileType::Dockerfile);
        assert_eq!(
            name("k/kustomization.yaml"),
            FileType::Yaml(YamlHint::Kustomization)
        );
        assert_eq!(
            name("a_base.kustomization.yaml"),
            FileType::Yaml(YamlHint::Kustomization)
        );
        assert_eq!(
            name("r/.github/workflows/ci.yml"),
            FileType::Yaml(YamlHint::Workflow)
        );
        assert_eq!(
            name("docker-compose.test.yml"),
            FileType::Yaml(YamlHint::Compose)
        );
        assert_eq!(name("docker-stack.yml"), FileType::Yaml(YamlHint::Compose));
        assert_eq!(
            name("trivy.values.yaml"),
            FileType::Yaml(YamlHint::HelmValues)
        );
        assert_eq!(
            name("values-prod.yaml"),
            FileType::Yaml(YamlHint::HelmValues)
        );
        assert_eq!(name("chart/Chart.yaml"), FileType::Other);
        assert_eq!(name("deploy.yaml"), FileType::Yaml(YamlHint::Auto));
        assert_eq!(name("p.json"), FileType::Yaml(YamlHint::Auto));
    }

    #[test]
    fn content() {
        let p = Path::new("-");
        assert_eq!(
            detect(p, "# syntax=docker/dockerfile:1\nFROM x\n"),
            FileType::Dockerfile
        );
        assert_eq!(detect(p, "kind: Pod\n"), FileType::Yaml(YamlHint::Auto));
    }

    #[test]
    fn chart_next_to_values() {
        let c = chart_for(Path::new("d/demo.values.yaml"));
        assert_eq!(c[0], Path::new("d/demo.Chart.yaml"));
        assert_eq!(c[1], Path::new("d/Chart.yaml"));
    }
}
