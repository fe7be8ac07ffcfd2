//! Access to the shared conformance data (`$GATE_FIXTURES`), skipped with a notice when unset.

use std::path::PathBuf;

/// The fixtures root, or `None` (after printing why) when `GATE_FIXTURES` is unset.
pub fn root(test: &str) -> Option<PathBuf> {
    match std::env::var_os("GATE_FIXTURES") {
        Some(p) if !p.is_empty() => {
            let p = PathBuf::from(p);
            assert!(
                p.is_dir(),
                "GATE_FIXTURES={} is not a directory",
                p.display()
            );
            Some(p)
        }
        _ => {
            eprintln!("skipped: GATE_FIXTURES is unset ({test})");
            None
        }
    }
}
