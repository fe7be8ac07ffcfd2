//! Progress on standard error: a spinner per stage (indicatif) when stderr is a terminal, plain
//! log lines when it is not or when `CI` is set, nothing with `-q`.

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

/// How progress is shown.
pub struct Progress {
    mode: Mode,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

enum Mode {
    Quiet,
    Lines,
    Bars(MultiProgress),
}

impl Progress {
    /// Choose from the environment: quiet, a terminal (bars) or plain lines (CI, pipes).
    pub fn new(quiet: bool) -> Self {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() {
            Mode::Bars(MultiProgress::new())
        } else {
            Mode::Lines
        };
        Self {
            mode,
            bars: Mutex::new(HashMap::new()),
        }
    }

    /// No output at all (tests, library use).
    pub fn quiet() -> Self {
        Self::new(true)
    }

    /// A stage started.
    pub fn stage(&self, name: &str) {
        if let Mode::Bars(m) = &self.mode {
            let bar = m.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix:>8} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(name.to_string());
            bar.set_message("…");
            bar.enable_steady_tick(Duration::from_millis(100));
            if let Ok(mut b) = self.bars.lock() {
                b.insert(name.to_string(), bar);
            }
        }
    }

    /// A stage finished, with a short summary.
    pub fn done(&self, name: &str, summary: &str) {
        match &self.mode {
            Mode::Quiet => {}
            Mode::Lines => {
                if summary.is_empty() {
                    eprintln!("gate: {name} done");
                } else {
                    eprintln!("gate: {name}: {summary}");
                }
            }
            Mode::Bars(_) => {
                if let Some(bar) = self.bars.lock().ok().and_then(|mut b| b.remove(name)) {
                    bar.finish_with_message(format!("✓ {summary}"));
                }
            }
        }
    }
}
