//! One scan run: targets in, one result per distinct digest out.
//!
//! Targets naming the same digest are coalesced, so each digest is scanned at most once (an
//! index's children are targets of their own; Trivy is never asked to choose a platform). The cache is consulted first (keyed with the DB time from
//! one `trivy version` call, and only while that DB is not due for an update); the rest is
//! scanned concurrently, bounded by `concurrency`, through one shared server when there is more
//! than one. SBOMs are converted from the same JSON report, never by a second scan.
//!
//! Raw reports stay on disk ([`super::spool`]): each is parsed from its file as its scan ends,
//! then dropped (removed) unless the cache or SBOMs need it; reports for the cache are moved
//! into it once every scan is done and the DB version that keys it is known.

use super::cache::Cache;
use super::error::ScanError;
use super::report::{check_json_file, preview_file, VersionInfo, Vulnerability};
use super::sbom::SbomFormat;
use super::spool::ReportFile;
use super::trivy::{ScanJob, Scanner, TrivyScanner};
use super::{ScanConfig, ScanResult, ScanTarget};
use crate::fsutil::{copy_atomic, temp_path};
use futures::stream::{self, StreamExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Scan every distinct digest with the `trivy` found by `cfg`: one result per distinct digest,
/// in first-seen order.
pub async fn scan_all(
    targets: Vec<ScanTarget>,
    cfg: &ScanConfig,
) -> Vec<Result<ScanResult, ScanError>> {
    scan_keyed(None, targets, cfg)
        .await
        .into_iter()
        .map(|(_, r)| r)
        .collect()
}

/// Scan every distinct digest, each result keyed by its digest (`sha256:…`): targets that share a
/// digest share its result.
pub async fn scan_by_digest(
    targets: Vec<ScanTarget>,
    cfg: &ScanConfig,
) -> std::collections::BTreeMap<String, Result<ScanResult, ScanError>> {
    scan_keyed(None, targets, cfg).await.into_iter().collect()
}

/// [`scan_by_digest`] with a scanner set up ahead of the targets ([`TrivyScanner::warm_up`]),
/// when there is one.
pub async fn scan_by_digest_with(
    ready: Option<TrivyScanner>,
    targets: Vec<ScanTarget>,
    cfg: &ScanConfig,
) -> std::collections::BTreeMap<String, Result<ScanResult, ScanError>> {
    scan_keyed(ready, targets, cfg).await.into_iter().collect()
}

async fn scan_keyed(
    ready: Option<TrivyScanner>,
    targets: Vec<ScanTarget>,
    cfg: &ScanConfig,
) -> Keyed {
    match ready.map_or_else(|| TrivyScanner::locate(cfg), Ok) {
        Ok(mut scanner) => scan_keyed_with(&mut scanner, targets, cfg).await,
        Err(e) => {
            let e = Arc::new(e);
            group(targets)
                .into_iter()
                .map(|g| (g.target.digest, Err(ScanError::Shared(Arc::clone(&e)))))
                .collect()
        }
    }
}

/// Results with the digest each is for.
type Keyed = Vec<(String, Result<ScanResult, ScanError>)>;

/// Targets sharing a digest, merged.
struct Group {
    target: ScanTarget,
    invalid: bool,
}

/// A scan's raw report (when kept) and its vulnerabilities.
type Scanned = Result<(Option<ReportFile>, Vec<Vulnerability>), ScanError>;

/// One digest to scan (an index's children are targets of their own: Trivy never picks a
/// platform).
struct Job {
    group: usize,
}

struct Done {
    /// The raw report on disk, when SBOMs may need it.
    report: Option<ReportFile>,
    vulnerabilities: Vec<Vulnerability>,
    cached: bool,
    key: Option<String>,
    scanner_version: String,
    db_updated_at: Option<String>,
    sboms: Vec<PathBuf>,
}

fn group(targets: Vec<ScanTarget>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for t in targets {
        if groups.iter().any(|g| g.target.digest == t.digest) {
            continue;
        }
        let invalid = !is_digest(&t.digest) || !t.image.ends_with(&format!("@{}", t.digest));
        groups.push(Group { target: t, invalid });
    }
    groups
}

fn is_digest(d: &str) -> bool {
    let hex_ok = |h: &str, n: usize| {
        h.len() == n
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    match d.split_once(':') {
        Some(("sha256", h)) => hex_ok(h, 64),
        Some(("sha512", h)) => hex_ok(h, 128),
        _ => false,
    }
}

/// [`scan_all`] with any [`Scanner`].
pub async fn scan_all_with<S: Scanner>(
    scanner: &mut S,
    targets: Vec<ScanTarget>,
    cfg: &ScanConfig,
) -> Vec<Result<ScanResult, ScanError>> {
    scan_keyed_with(scanner, targets, cfg)
        .await
        .into_iter()
        .map(|(_, r)| r)
        .collect()
}

async fn scan_keyed_with<S: Scanner>(
    scanner: &mut S,
    targets: Vec<ScanTarget>,
    cfg: &ScanConfig,
) -> Keyed {
    let groups = group(targets);
    let jobs: Vec<Job> = groups
        .iter()
        .enumerate()
        .filter(|(_, g)| !g.invalid)
        .map(|(i, _)| Job { group: i })
        .collect();
    let mut done: Vec<Option<Result<Done, ScanError>>> = jobs.iter().map(|_| None).collect();

    if !jobs.is_empty() {
        match scanner.version().await {
            Ok(version) => run_jobs(scanner, &groups, &jobs, &mut done, &version, cfg).await,
            Err(e) => {
                let e = Arc::new(e);
                for slot in &mut done {
                    *slot = Some(Err(ScanError::Shared(Arc::clone(&e))));
                }
            }
        }
    }

    assemble(groups, &jobs, done)
}

async fn run_jobs<S: Scanner>(
    scanner: &mut S,
    groups: &[Group],
    jobs: &[Job],
    done: &mut [Option<Result<Done, ScanError>>],
    version: &VersionInfo,
    cfg: &ScanConfig,
) {
    let cache = if cfg.no_cache || !scanner.cacheable() {
        None
    } else {
        Cache::open(cfg.cache_dir.as_deref())
    };
    let key_for = |job: &Job, v: &VersionInfo| -> Option<String> {
        let db = v.db_updated_at.as_deref()?;
        let digest = &groups[job.group].target.digest;
        Some(Cache::key(digest, &v.version, db))
    };
    // A DB due for an update may be replaced by this run's scans: do not trust entries keyed on
    // it (offline, the DB cannot change, so they stay good).
    let lookup = cache.is_some() && (cfg.offline || !version.db_is_due(chrono::Utc::now()));
    let mut span = crate::trace::span("scan.cache-lookup", String::new);
    let mut pending = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let hit = match (&cache, lookup) {
            (Some(c), true) => {
                key_for(job, version).and_then(|k| Some((c.lookup(&k, cfg.sbom_dir.is_some())?, k)))
            }
            _ => None,
        };
        match hit {
            Some((entry, key)) => {
                done[i] = Some(Ok(Done {
                    report: entry.report.map(ReportFile::cached),
                    vulnerabilities: entry.vulnerabilities,
                    cached: true,
                    key: Some(key),
                    scanner_version: version.version.clone(),
                    db_updated_at: version.db_updated_at.clone(),
                    sboms: Vec::new(),
                }))
            }
            None => pending.push(i),
        }
    }

    if let Some(s) = span.as_mut() {
        s.note(format_args!("{} of {} to scan", pending.len(), jobs.len()));
    }
    drop(span);
    if !pending.is_empty() {
        let prepare = crate::trace::span("scan.prepare", String::new);
        let prepared = scanner.prepare(pending.len()).await;
        drop(prepare);
        if let Err(e) = prepared {
            let e = Arc::new(e);
            for &i in &pending {
                done[i] = Some(Err(ScanError::Shared(Arc::clone(&e))));
            }
        } else {
            let shared: &S = scanner;
            // Reports the cache or the SBOMs need stay on disk; the rest go as soon as read.
            let keep = cache.is_some() || cfg.sbom_dir.is_some();
            // Futures are built eagerly (not in a stream's closure) so the run stays `Send`.
            let scans: Vec<_> = pending
                .iter()
                .map(|&i| {
                    let job = &jobs[i];
                    let t = &groups[job.group].target;
                    async move {
                        let job = ScanJob {
                            image: &t.image,
                            digest: &t.digest,
                            credential: t.credential.as_ref(),
                            insecure: t.insecure,
                        };
                        (i, scan_one(shared, &job, keep).await)
                    }
                })
                .collect();
            let scanned: Vec<(usize, Scanned)> = stream::iter(scans)
                .buffer_unordered(cfg.concurrency.max(1))
                .collect()
                .await;
            // Key what was scanned with the DB the scans used (a server may have updated it).
            let after = match &cache {
                Some(_) => shared.version().await.ok(),
                None => None,
            };
            let _span = crate::trace::span("scan.cache-write", || {
                format!("{} report(s)", scanned.len())
            });
            for (i, r) in scanned {
                done[i] = Some(r.map(|(mut report, vulnerabilities)| {
                    let key = after.as_ref().and_then(|v| key_for(&jobs[i], v));
                    if let (Some(c), Some(k), Some(f)) = (&cache, &key, report.as_mut()) {
                        // Best effort: a cache that cannot be written costs a scan next time.
                        let _ = c.put(k, f, &vulnerabilities);
                    }
                    if cfg.sbom_dir.is_none() {
                        report = None;
                    }
                    Done {
                        report,
                        vulnerabilities,
                        cached: false,
                        key,
                        scanner_version: version.version.clone(),
                        db_updated_at: after.as_ref().unwrap_or(version).db_updated_at.clone(),
                        sboms: Vec::new(),
                    }
                }));
            }
        }
    }

    if let Some(dir) = &cfg.sbom_dir {
        write_sboms(&*scanner, groups, jobs, done, cache.as_ref(), dir, cfg).await;
    }
    scanner.finish().await;
}

async fn scan_one<S: Scanner>(scanner: &S, job: &ScanJob<'_>, keep: bool) -> Scanned {
    let file = scanner.scan(job).await?;
    // Parsing a large report is blocking work: off the runtime's threads.
    let (file, parsed) = blocking(move || {
        let _span = crate::trace::span("scan.parse", || file.path().display().to_string());
        let parsed = file.parse();
        (file, parsed)
    })
    .await?;
    let report = parsed.map_err(|source| ScanError::Report {
        command: "image",
        subject: job.image.to_owned(),
        last_line: preview_file(file.path()),
        source,
    })?;
    let vulnerabilities = report.into_vulnerabilities(None);
    Ok((keep.then_some(file), vulnerabilities))
}

/// Run blocking file work (reading a large report) off the runtime's threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ScanError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ScanError::Io {
            program: "gate".into(),
            source: std::io::Error::other(e),
        })
}

/// `sha256-<hex>.<ext>`.
pub fn sbom_file_name(digest: &str, format: SbomFormat) -> String {
    format!("{}.{}", digest.replace(':', "-"), format.extension())
}

async fn write_sboms<S: Scanner>(
    scanner: &S,
    groups: &[Group],
    jobs: &[Job],
    done: &mut [Option<Result<Done, ScanError>>],
    cache: Option<&Cache>,
    dir: &Path,
    cfg: &ScanConfig,
) {
    let work: Vec<(usize, &Done)> = done
        .iter()
        .enumerate()
        .filter_map(|(i, d)| match d {
            Some(Ok(d)) => Some((i, d)),
            _ => None,
        })
        .collect();
    let conversions: Vec<_> = work
        .into_iter()
        .map(|(i, d)| {
            let job = &jobs[i];
            let t = &groups[job.group].target;
            async move {
                let r = sboms_for(scanner, t, d, cache, dir).await;
                (i, r)
            }
        })
        .collect();
    let written: Vec<(usize, Result<Vec<PathBuf>, ScanError>)> = stream::iter(conversions)
        .buffer_unordered(cfg.concurrency.max(1))
        .collect()
        .await;
    for (i, r) in written {
        match r {
            Ok(paths) => {
                if let Some(Ok(d)) = &mut done[i] {
                    d.sboms = paths;
                }
            }
            Err(e) => done[i] = Some(Err(e)),
        }
    }
}

async fn sboms_for<S: Scanner>(
    scanner: &S,
    t: &ScanTarget,
    d: &Done,
    cache: Option<&Cache>,
    dir: &Path,
) -> Result<Vec<PathBuf>, ScanError> {
    let write_err = |path: &Path| {
        let path = path.to_owned();
        move |source| ScanError::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(write_err(dir))?;
    let mut paths = Vec::new();
    for format in SbomFormat::ALL {
        let dest = dir.join(sbom_file_name(&t.digest, format));
        let cached = match (cache, &d.key) {
            (Some(c), Some(k)) => c.sbom(k, format),
            _ => None,
        };
        if let Some(sbom) = cached {
            copy_atomic(&sbom, &dest, true).map_err(write_err(&dest))?;
            paths.push(dest);
            continue;
        }
        let Some(report) = &d.report else {
            // Unreachable: entries are looked up, and scans kept, with their report when SBOMs
            // are due.
            return Err(ScanError::Write {
                path: dest,
                source: std::io::Error::other("the raw report is missing"),
            });
        };
        convert(scanner, &t.image, report.path(), format, &dest).await?;
        if let (Some(c), Some(k)) = (cache, &d.key) {
            let _ = c.put_sbom(k, format, &dest);
        }
        paths.push(dest);
    }
    Ok(paths)
}

/// Convert into a temporary file, check it is JSON (streaming), then rename it into place.
async fn convert<S: Scanner>(
    scanner: &S,
    subject: &str,
    report: &Path,
    format: SbomFormat,
    dest: &Path,
) -> Result<(), ScanError> {
    let tmp = temp_path(dest);
    let outcome = async {
        scanner.convert(subject, report, format, &tmp).await?;
        let check = tmp.clone();
        blocking(move || check_json_file(&check))
            .await?
            .map_err(|source| ScanError::Report {
                command: "convert",
                subject: subject.to_owned(),
                last_line: preview_file(&tmp),
                source,
            })?;
        std::fs::rename(&tmp, dest).map_err(|source| ScanError::Write {
            path: dest.to_owned(),
            source,
        })
    }
    .await;
    if outcome.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    outcome
}

fn assemble(
    groups: Vec<Group>,
    jobs: &[Job],
    mut done: Vec<Option<Result<Done, ScanError>>>,
) -> Keyed {
    let mut out = Vec::with_capacity(groups.len());
    for (gi, g) in groups.into_iter().enumerate() {
        let t = g.target;
        if g.invalid {
            out.push((
                t.digest.clone(),
                Err(ScanError::NotByDigest {
                    image: t.image,
                    digest: t.digest,
                }),
            ));
            continue;
        }
        let mut result = ScanResult {
            digest: t.digest.clone(),
            scanner: "trivy".into(),
            scanner_version: String::new(),
            db_updated_at: None,
            vulnerabilities: Vec::new(),
            sboms: Vec::new(),
            cached: true,
        };
        let mut failure = None;
        for (ji, _) in jobs.iter().enumerate().filter(|(_, j)| j.group == gi) {
            match done[ji].take() {
                Some(Ok(d)) => {
                    result.vulnerabilities.extend(d.vulnerabilities);
                    result.sboms.extend(d.sboms);
                    result.cached &= d.cached;
                    if result.scanner_version.is_empty() {
                        result.scanner_version = d.scanner_version;
                    }
                    if result.db_updated_at.is_none() {
                        result.db_updated_at = d.db_updated_at;
                    }
                }
                Some(Err(e)) => {
                    failure.get_or_insert(e);
                }
                None => {
                    failure.get_or_insert(ScanError::NotByDigest {
                        image: t.image.clone(),
                        digest: t.digest.clone(),
                    });
                }
            }
        }
        out.push((
            t.digest,
            match failure {
                Some(e) => Err(e),
                None => Ok(result),
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    fn target(image: &str, digest: &str) -> ScanTarget {
        ScanTarget {
            image: image.into(),
            digest: digest.into(),
            credential: None,
            insecure: false,
        }
    }

    #[test]
    fn coalesces_digests_and_refuses_tags() {
        let groups = group(vec![
            target(&format!("a/b@{D}"), D),
            target(&format!("c/d@{D}"), D),
            target("a/b:latest", D.replace('1', "2").as_str()),
            target("a/b@sha256:abc", "sha256:abc"),
        ]);
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[0].target.image, format!("a/b@{D}"));
        assert!(!groups[0].invalid);
        assert!(groups[1].invalid);
        assert!(groups[2].invalid);
    }

    #[test]
    fn the_run_can_be_spawned() {
        fn send<T: Send>(_: &T) {}
        let cfg = ScanConfig::default();
        send(&scan_all(Vec::new(), &cfg));
    }

    #[test]
    fn sbom_names_carry_the_digest() {
        assert_eq!(
            sbom_file_name(D, SbomFormat::CycloneDx),
            format!("sha256-{}.cdx.json", &D[7..])
        );
        assert_eq!(
            sbom_file_name(D, SbomFormat::SpdxJson),
            format!("sha256-{}.spdx.json", &D[7..])
        );
    }
}
