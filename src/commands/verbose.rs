//! `-v`: what each stage did, from the evidence record (so it cannot disagree with the report):
//! per image the digest it resolved to, whether the scan ran or came from the cache (and with
//! which scanner and database), how many signatures and attestations were verified, what could
//! not be checked; then the time each stage took. No secrets are in the record to print.

use crate::evidence::Evidence;
use std::fmt::Write;

/// The `-v` text for a finished record, one line per fact.
pub fn describe(ev: &Evidence) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "policy: {} ({})", ev.policy.source, ev.policy.sha256);
    for i in &ev.images {
        let digest = i.digest.as_deref().unwrap_or("not resolved");
        let _ = writeln!(out, "image {}: {digest}", i.reference);
        if !i.platforms.is_empty() {
            let _ = writeln!(out, "  platforms: {}", i.platforms.join(", "));
        }
        match &i.scan {
            Some(s) => {
                let counts: Vec<String> =
                    s.counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
                let _ = writeln!(
                    out,
                    "  scan: {} {}{}, DB {}; {}",
                    s.scanner,
                    s.scanner_version,
                    if s.cached {
                        " (from the scan cache)"
                    } else {
                        ""
                    },
                    s.db_updated_at
                        .map(|d| d.to_rfc3339())
                        .unwrap_or_else(|| "of unknown date".into()),
                    if counts.is_empty() {
                        "no vulnerabilities".to_string()
                    } else {
                        counts.join(", ")
                    }
                );
            }
            None => {
                let _ = writeln!(out, "  scan: not scanned");
            }
        }
        let _ = writeln!(
            out,
            "  verify: {} signature(s), {} attestation(s) verified",
            i.signatures.len(),
            i.attestations.len()
        );
        for e in &i.errors {
            let _ = writeln!(out, "  could not check ({}): {}", e.stage, e.message);
        }
    }
    if let Some(l) = &ev.lint {
        let _ = writeln!(
            out,
            "lint: {} object(s) in {} path(s)",
            l.objects,
            l.files.len()
        );
    }
    for t in &ev.timings {
        let _ = writeln!(out, "time {}: {} ms", t.stage, t.ms);
    }
    out
}
