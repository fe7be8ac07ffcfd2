//! Timing spans on standard error for profiling a run (`GATE_TRACE=1`), finer than `-v`'s stage
//! times: when each stage and each scanner process started and how long it took, so the
//! critical path of a run can be read off (`scripts/bench-check` summarises them).
//!
//! Off (the variable unset, empty or `0`), a span costs one atomic load and builds nothing: its
//! detail is a closure that is never called. On, each span prints one line when it ends:
//! `gate trace: START_MS DURATION_MS NAME DETAIL`, `START_MS` counted from the first span of the
//! process (or [`init`]). Details never hold credentials: callers pass image references,
//! digests and counts only.

use std::sync::OnceLock;
use std::time::Instant;

static ORIGIN: OnceLock<Option<Instant>> = OnceLock::new();

fn origin() -> Option<Instant> {
    *ORIGIN.get_or_init(|| {
        std::env::var_os("GATE_TRACE")
            .filter(|v| !v.is_empty() && v != "0")
            .map(|_| Instant::now())
    })
}

/// Read the setting and start the clock (call once, early).
pub fn init() {
    origin();
}

/// Whether spans are printed.
pub fn enabled() -> bool {
    origin().is_some()
}

/// A running span: prints its line when dropped.
pub struct Span {
    name: &'static str,
    detail: String,
    start: Instant,
    origin: Instant,
}

impl Span {
    /// Add to the span's detail (only evaluated when tracing).
    pub fn note(&mut self, more: impl std::fmt::Display) {
        use std::fmt::Write;
        let _ = write!(self.detail, " {more}");
    }
}

/// Start a span named `name`; `detail` is only called when tracing is on.
pub fn span(name: &'static str, detail: impl FnOnce() -> String) -> Option<Span> {
    let origin = origin()?;
    Some(Span {
        name,
        detail: detail(),
        start: Instant::now(),
        origin,
    })
}

impl Drop for Span {
    fn drop(&mut self) {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        eprintln!(
            "gate trace: {:9.1} {:9.1} {} {}",
            ms(self.start.duration_since(self.origin)),
            ms(self.start.elapsed()),
            self.name,
            self.detail
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn off_builds_nothing() {
        // The test environment does not set GATE_TRACE.
        if super::enabled() {
            return;
        }
        let s = super::span("x", || unreachable!("detail built while off"));
        assert!(s.is_none());
    }
}
