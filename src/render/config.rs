//! The render stage's configuration: the policy's `render:` section (how kustomizations and
//! charts are rendered), who may set each key from a policy found in the tree (nobody: every
//! key widens what runs or what is read), and the [`RenderConfig`] the renders run with.

use super::{ChartSpec, RenderConfig};
use crate::config::Judge;
use serde::Deserialize;
use std::path::PathBuf;

/// `render:` what the renderers are given: the values, release and namespace of each chart, the
/// remote references they may fetch, the binaries, and their bounds. Only a trusted policy
/// (`--policy`) may set any of it: each key widens what runs or what is read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Render {
    #[serde(default)]
    pub charts: Vec<ChartRender>,
    /// Remote kustomize resources and `helmCharts` repositories allowed, exactly as written.
    #[serde(default)]
    pub allow_remote: Vec<String>,
    /// The kustomize binary (default: `kustomize` on `PATH`, else `kubectl kustomize`).
    #[serde(default)]
    pub kustomize: Option<PathBuf>,
    /// The helm binary (default: `helm` on `PATH`).
    #[serde(default)]
    pub helm: Option<PathBuf>,
    /// The longest one render may run, in seconds (default 120).
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    /// The most one render may write, in bytes (default 64 MiB).
    #[serde(default)]
    pub max_output_bytes: Option<usize>,
}

/// `render.charts[]`: one release of a chart in the tree. Paths are relative to the working
/// directory (the root of the checkout).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ChartRender {
    /// The chart directory (holding `Chart.yaml`).
    pub chart: PathBuf,
    /// Release name (default: the chart's name).
    #[serde(default)]
    pub release: Option<String>,
    /// Release namespace (default: `default`).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Values files, in order, as `helm template --values` takes them.
    #[serde(default)]
    pub values: Vec<PathBuf>,
}

impl Render {
    /// Who may set each key: every `render:` key widens what runs or what is read, so only a
    /// trusted policy may (see [`crate::config::judge`]).
    pub fn judge(&self, j: &mut Judge) {
        let Render {
            charts,
            allow_remote,
            kustomize,
            helm,
            timeout_seconds,
            max_output_bytes,
        } = self;
        j.trusted(
            "charts",
            "chooses the values, release and namespace a chart is checked with",
            charts.is_empty(),
        );
        j.trusted(
            "allow-remote",
            "lets the renderers fetch from outside the tree",
            allow_remote.is_empty(),
        );
        j.trusted("kustomize", "names an executable", kustomize.is_none());
        j.trusted("helm", "names an executable", helm.is_none());
        j.trusted(
            "timeout-seconds",
            "sets a resource bound",
            timeout_seconds.is_none(),
        );
        j.trusted(
            "max-output-bytes",
            "sets a resource bound",
            max_output_bytes.is_none(),
        );
    }

    /// The settings the renders run with: these keys, else the defaults.
    pub fn render_config(&self) -> RenderConfig {
        let d = RenderConfig::default();
        RenderConfig {
            charts: self
                .charts
                .iter()
                .map(|c| ChartSpec {
                    chart: c.chart.clone(),
                    release: c.release.clone(),
                    namespace: c.namespace.clone(),
                    values: c.values.clone(),
                })
                .collect(),
            allow_remote: self.allow_remote.clone(),
            kustomize: self.kustomize.clone(),
            helm: self.helm.clone(),
            timeout: self
                .timeout_seconds
                .map_or(d.timeout, std::time::Duration::from_secs),
            max_output: self.max_output_bytes.unwrap_or(d.max_output),
        }
    }
}
