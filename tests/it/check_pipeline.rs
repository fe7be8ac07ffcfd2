//! `gate check`'s pipeline in-process, with fake services (issue 12): a registry, a scanner and a
//! signature verifier that answer from a generated world of repositories, tags and per-digest
//! outcomes, and record what they were asked. gate's own logic (discover, joins, evaluate,
//! evidence, pin) is the real one. The property: every image's verdict is the one its own
//! digest's outcomes give, each digest is scanned once and each digest target verified once,
//! and `--pin` writes exactly the images that passed.

use gate::check::progress::Progress;
use gate::check::Overrides;
use gate::check::{
    self, CheckInput, CheckSettings, ImageScanner, Registry, Services, SignatureVerifier,
};
use gate::evidence::{Evidence, Verdict};
use gate::pin::PinOptions;
use gate::policy::file::Policy;
use gate::reference::Reference;
use gate::registry::{Repo, ResolveError, Unresolved};
use gate::resolve::{Child, ResolveConfig, Resolved};
use gate::scan::{ScanConfig, ScanError, ScanResult, ScanTarget, Vulnerability};
use gate::verify::{Layout, Signer, Verification, VerifiedSignature, VerifyError, VerifyPolicy};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;

/// A P-256 public key made for these tests; the fake verifier signs with its fingerprint.
const KEY: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEk4bJsY/PwxDicvC/Z0S4knPyg9S
JqaTTST5dBm0fWQbyZpqxDvb2EV7NW8Tgi4zmK62FXe98efGu2ny/m+tPA==
-----END PUBLIC KEY-----
";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Scan {
    Clean,
    Vulnerable,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Sig {
    Signed,
    Unsigned,
    Error,
}

/// What the services say about one digest.
#[derive(Debug, Clone, Copy)]
struct Outcomes {
    inspect_ok: bool,
    scan: Scan,
    sig: Sig,
}

/// Repositories (`domain/path`) with their tags, and each digest's outcomes.
#[derive(Debug, Clone, Default)]
struct World {
    tags: BTreeMap<String, BTreeMap<String, String>>,
    digests: BTreeMap<String, Outcomes>,
}

fn digest(i: usize) -> String {
    format!("sha256:{}", format!("{:x}", i + 1).repeat(64))
}

impl World {
    /// The digest `r` names in this world, if it resolves.
    fn resolve(&self, r: &Reference) -> Option<String> {
        let tags = self.tags.get(&r.name())?;
        match r.digest() {
            Some(d) => tags.values().any(|t| t == d).then(|| d.to_string()),
            None => tags.get(r.tag().unwrap_or("latest")).cloned(),
        }
    }

    /// The verdict the image written `spelling` must get: from its own digest's outcomes only.
    fn verdict(&self, spelling: &str) -> Verdict {
        let r = Reference::parse(spelling).unwrap();
        let Some(d) = self.resolve(&r) else {
            return Verdict::Incomplete;
        };
        let o = self.digests[&d];
        if !o.inspect_ok || o.scan == Scan::Error || o.sig == Sig::Error {
            Verdict::Incomplete
        } else if o.scan == Scan::Vulnerable || o.sig == Sig::Unsigned {
            Verdict::Failed
        } else {
            Verdict::Passed
        }
    }
}

struct FakeRegistry<'a> {
    world: &'a World,
}

impl Registry for FakeRegistry<'_> {
    async fn resolve_all(&self, refs: &[Reference]) -> Vec<Result<Resolved, Unresolved>> {
        refs.iter()
            .map(|r| match self.world.resolve(r) {
                Some(digest) => Ok(Resolved {
                    reference: r.clone(),
                    digest,
                    media_type: Some("application/vnd.oci.image.manifest.v1+json".into()),
                    size: None,
                    via: None,
                }),
                None => Err(Unresolved {
                    reference: r.original().to_string(),
                    error: ResolveError::NotFound {
                        registry: r.domain().to_string(),
                        repository: r.path().to_string(),
                        code: None,
                    },
                }),
            })
            .collect()
    }

    async fn children(&self, r: &Resolved) -> Result<Vec<Child>, Unresolved> {
        if self.world.digests[&r.digest].inspect_ok {
            return Ok(Vec::new());
        }
        Err(Unresolved {
            reference: r.reference.original().to_string(),
            error: ResolveError::BadManifest {
                registry: r.reference.domain().to_string(),
                digest: r.digest.clone(),
                reason: "the fake registry says so".into(),
            },
        })
    }

    fn repo_for(&self, r: &Reference) -> Repo {
        Repo {
            domain: r.domain().to_string(),
            path: r.path().to_string(),
        }
    }
}

struct FakeScanner<'a> {
    world: &'a World,
    /// Every digest asked for, in order.
    asked: Mutex<Vec<String>>,
}

impl ImageScanner for FakeScanner<'_> {
    async fn scan(
        &self,
        targets: Vec<ScanTarget>,
        _cfg: &ScanConfig,
    ) -> BTreeMap<String, Result<ScanResult, ScanError>> {
        let mut out = BTreeMap::new();
        for t in targets {
            assert!(t.image.ends_with(&format!("@{}", t.digest)), "{t:?}");
            self.asked.lock().unwrap().push(t.digest.clone());
            let result = match self.world.digests[&t.digest].scan {
                Scan::Error => Err(ScanError::Failed {
                    command: "image",
                    subject: t.image.clone(),
                    status: "exit status: 1".into(),
                    last_line: "the fake scanner failed".into(),
                }),
                scan => Ok(ScanResult {
                    digest: t.digest.clone(),
                    scanner: "fake".into(),
                    scanner_version: "1.0.0".into(),
                    db_updated_at: None,
                    vulnerabilities: if scan == Scan::Vulnerable {
                        vec![critical()]
                    } else {
                        Vec::new()
                    },
                    sboms: Vec::new(),
                    cached: false,
                }),
            };
            out.insert(t.digest, result);
        }
        out
    }
}

fn critical() -> Vulnerability {
    Vulnerability {
        id: "CVE-2024-0001".into(),
        pkg_name: "openssl".into(),
        pkg_path: None,
        purl: None,
        installed_version: "3.0.0".into(),
        fixed_version: Some("3.0.1".into()),
        status: Some("fixed".into()),
        severity: "CRITICAL".into(),
        title: None,
        primary_url: None,
        target: "alpine 3.19".into(),
        class: Some("os-pkgs".into()),
        platform: None,
    }
}

struct FakeVerifier<'a> {
    world: &'a World,
    /// Every `domain/path`, digest asked for.
    asked: Mutex<Vec<(String, String)>>,
}

impl SignatureVerifier for FakeVerifier<'_> {
    async fn verify(
        &self,
        repo: &Repo,
        digest: &str,
        policy: &VerifyPolicy,
    ) -> Result<Verification, VerifyError> {
        self.asked
            .lock()
            .unwrap()
            .push((format!("{}/{}", repo.domain, repo.path), digest.to_string()));
        let mut v = Verification {
            digest: digest.to_string(),
            ..Verification::default()
        };
        match self.world.digests[digest].sig {
            Sig::Error => Err(VerifyError::Read {
                path: "fake-signature".into(),
                source: std::io::Error::other("the fake verifier failed"),
            }),
            Sig::Unsigned => Ok(v),
            Sig::Signed => {
                v.signatures.push(VerifiedSignature {
                    signer: Signer::Key {
                        fingerprint: policy.keys[0].fingerprint.clone(),
                        origin: "fake".into(),
                    },
                    rekor: None,
                    docker_reference: None,
                    layout: Layout::SigTag,
                });
                Ok(v)
            }
        }
    }
}

/// The built-in policy with the test key trusted (so signatures are required).
fn test_settings(dir: &Path) -> CheckSettings {
    let key = dir.join("cosign.pub");
    std::fs::write(&key, KEY).unwrap();
    let policy = Policy::default_policy().unwrap();
    let o = Overrides {
        keys: vec![key.display().to_string()],
        ..Overrides::default()
    };
    CheckSettings::from_policy(&policy, ResolveConfig::default(), &o, dir).unwrap()
}

/// What one run gave, and what the services were asked.
struct Ran {
    ev: Evidence,
    scanned: Vec<String>,
    verified: Vec<(String, String)>,
}

fn run(world: &World, input: &CheckInput, s: &CheckSettings) -> Ran {
    let services = Services {
        registry: FakeRegistry { world },
        scanner: FakeScanner {
            world,
            asked: Mutex::default(),
        },
        verifier: FakeVerifier {
            world,
            asked: Mutex::default(),
        },
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ev = rt.block_on(check::run(input, s, &services, &Progress::quiet()));
    Ran {
        ev,
        scanned: services.scanner.asked.into_inner().unwrap(),
        verified: services.verifier.asked.into_inner().unwrap(),
    }
}

/// `gate check IMAGE...` in `w`.
fn check_images(w: &World, images: &[&str]) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let input = CheckInput {
        images: images.iter().map(|s| s.to_string()).collect(),
        files: Vec::new(),
        ..CheckInput::default()
    };
    run(w, &input, &test_settings(dir.path()))
}

fn verdict_of(ev: &Evidence, spelling: &str) -> Verdict {
    let img = ev
        .images
        .iter()
        .find(|i| i.reference == spelling)
        .unwrap_or_else(|| panic!("no image `{spelling}` in the evidence"));
    ev.image_verdict(img)
}

fn world(tags: &[(&str, &str, usize)], outcomes: &[Outcomes]) -> World {
    let mut w = World::default();
    for (repo, tag, d) in tags {
        w.tags
            .entry(repo.to_string())
            .or_default()
            .insert(tag.to_string(), digest(*d));
    }
    for (i, o) in outcomes.iter().enumerate() {
        w.digests.insert(digest(i), *o);
    }
    w
}

const OK: Outcomes = Outcomes {
    inspect_ok: true,
    scan: Scan::Clean,
    sig: Sig::Signed,
};

/// A mirror and its source naming one vulnerable build, beside a clean image: both names fail
/// with their own findings, the clean one passes, the shared digest is scanned once and each
/// repository's signatures are checked once; the gate fails (exit 1).
#[test]
fn names_sharing_a_digest_each_get_its_verdict_and_one_scan() {
    let w = world(
        &[
            ("reg.test/app/one", "t1", 0),
            ("mirror.test/app/one", "t1", 0),
            ("reg.test/app/clean", "t1", 1),
        ],
        &[
            Outcomes {
                scan: Scan::Vulnerable,
                ..OK
            },
            OK,
        ],
    );
    let images = [
        "reg.test/app/one:t1",
        "mirror.test/app/one:t1",
        "reg.test/app/clean:t1",
    ];
    let ran = check_images(&w, &images);
    assert_eq!(ran.ev.images.len(), 3);
    assert_eq!(verdict_of(&ran.ev, images[0]), Verdict::Failed);
    assert_eq!(verdict_of(&ran.ev, images[1]), Verdict::Failed);
    assert_eq!(verdict_of(&ran.ev, images[2]), Verdict::Passed);
    for image in &ran.ev.images[..2] {
        assert!(
            ran.ev
                .findings_for(image)
                .any(|f| f.rule == "GATE-VULN-001"),
            "{image:?}"
        );
    }
    assert_eq!(ran.scanned, [digest(0), digest(1)]);
    let mut verified = ran.verified.clone();
    verified.sort();
    assert_eq!(
        verified,
        [
            ("mirror.test/app/one".to_string(), digest(0)),
            ("reg.test/app/clean".to_string(), digest(1)),
            ("reg.test/app/one".to_string(), digest(0)),
        ]
    );
    assert_eq!(ran.ev.verdict, Verdict::Failed);
    assert_eq!(
        gate::commands::outcome_of(&ran.ev),
        gate::commands::Outcome::Failed
    );
}

/// A scan error and a verification error on shared digests reach every image that names them
/// (could not check, exit 2), and the clean image still passes.
#[test]
fn service_errors_reach_every_image_of_their_digest() {
    let w = world(
        &[
            ("reg.test/a/x", "t1", 0),
            ("reg.test/a/x", "t2", 0),
            ("reg.test/a/y", "t1", 1),
            ("reg.test/a/z", "t1", 2),
        ],
        &[
            Outcomes {
                scan: Scan::Error,
                ..OK
            },
            Outcomes {
                sig: Sig::Error,
                ..OK
            },
            OK,
        ],
    );
    let images = [
        "reg.test/a/x:t1",
        "reg.test/a/x:t2",
        "reg.test/a/y:t1",
        "reg.test/a/z:t1",
    ];
    let ran = check_images(&w, &images);
    for (image, want) in images.iter().zip([
        Verdict::Incomplete,
        Verdict::Incomplete,
        Verdict::Incomplete,
        Verdict::Passed,
    ]) {
        assert_eq!(verdict_of(&ran.ev, image), want, "{image}");
    }
    let x = ran.ev.images.iter().find(|i| i.reference == images[0]);
    assert!(x.unwrap().errors.iter().any(|e| e.stage == "scan"));
    // Two tags of one repository and digest are one target: verified once.
    assert_eq!(ran.verified.len(), 3, "{:?}", ran.verified);
    assert_eq!(ran.scanned.len(), 3, "{:?}", ran.scanned);
    assert_eq!(ran.ev.verdict, Verdict::Incomplete);
}

// The property over random worlds.

const REPOS: [&str; 3] = [
    "reg.test/app/one",
    "reg.test/app/two",
    "mirror.test/app/one",
];
const TAGS: [&str; 2] = ["t1", "t2"];

/// How an image is written: `repo:tag` or `repo@digest`.
#[derive(Debug, Clone)]
enum Form {
    Tag(usize),
    Digest(usize),
}

fn outcomes() -> impl Strategy<Value = Outcomes> {
    (
        prop::bool::weighted(0.9),
        prop_oneof![Just(Scan::Clean), Just(Scan::Vulnerable), Just(Scan::Error)],
        prop_oneof![Just(Sig::Signed), Just(Sig::Unsigned), Just(Sig::Error)],
    )
        .prop_map(|(inspect_ok, scan, sig)| Outcomes {
            inspect_ok,
            scan,
            sig,
        })
}

/// A world (the mirror a copy of its source, or not) and the images written, in file order.
fn case() -> impl Strategy<Value = (World, Vec<String>)> {
    let tags = prop::collection::vec(prop::option::weighted(0.8, 0usize..3), REPOS.len() * 2);
    let images = prop::collection::vec(
        (
            0..REPOS.len(),
            prop_oneof![
                (0..TAGS.len()).prop_map(Form::Tag),
                (0usize..3).prop_map(Form::Digest)
            ],
        ),
        1..=6,
    );
    (
        prop::collection::vec(outcomes(), 1..=3),
        tags,
        any::<bool>(),
        images,
    )
        .prop_map(|(outcomes, tags, mirrored, images)| {
            let n = outcomes.len();
            let mut w = World::default();
            for (i, o) in outcomes.into_iter().enumerate() {
                w.digests.insert(digest(i), o);
            }
            for (ri, repo) in REPOS.iter().enumerate() {
                // The mirror (last) copies its source's tags when `mirrored`.
                let from = if mirrored && ri == 2 { 0 } else { ri };
                let entry = w.tags.entry(repo.to_string()).or_default();
                for (ti, tag) in TAGS.iter().enumerate() {
                    if let Some(d) = tags[from * TAGS.len() + ti] {
                        entry.insert(tag.to_string(), digest(d % n));
                    }
                }
            }
            let images = images
                .into_iter()
                .map(|(ri, form)| match form {
                    Form::Tag(t) => format!("{}:{}", REPOS[ri], TAGS[t]),
                    Form::Digest(d) => format!("{}@{}", REPOS[ri], digest(d % n)),
                })
                .collect();
            (w, images)
        })
}

fn dockerfile(images: &[String]) -> String {
    images
        .iter()
        .enumerate()
        .map(|(i, r)| format!("FROM {r} AS s{i}\n"))
        .collect()
}

fn worst(verdicts: impl Iterator<Item = Verdict>) -> Verdict {
    let rank = |v: &Verdict| match v {
        Verdict::Passed => 0,
        Verdict::Failed => 1,
        Verdict::Incomplete => 2,
    };
    verdicts.max_by_key(rank).unwrap_or(Verdict::Passed)
}

fn check_case(s: &CheckSettings, w: &World, images: &[String]) -> Result<(), TestCaseError> {
    let tree = tempfile::tempdir().unwrap();
    let file = tree.path().join("Dockerfile");
    std::fs::write(&file, dockerfile(images)).unwrap();
    let input = CheckInput {
        images: Vec::new(),
        files: vec![file.clone()],
        ..CheckInput::default()
    };
    let ran = run(w, &input, s);
    let ev = &ran.ev;

    // Every image, once, with the verdict of its own digest.
    let spellings: BTreeSet<&String> = images.iter().collect();
    prop_assert!(!spellings.is_empty());
    prop_assert_eq!(ev.images.len(), spellings.len(), "{:#?}", ev.images);
    for sp in &spellings {
        prop_assert_eq!(
            verdict_of(ev, sp),
            w.verdict(sp),
            "image `{}`: {:#?}",
            sp,
            ev
        );
    }
    prop_assert_eq!(ev.verdict, worst(spellings.iter().map(|sp| w.verdict(sp))));

    // Each digest scanned once, each digest target verified once: exactly the inspected ones.
    let parsed = |sp: &String| Reference::parse(sp).unwrap();
    let checked: BTreeSet<(String, String)> = spellings
        .iter()
        .map(|sp| parsed(sp))
        .filter_map(|r| Some((r.name(), w.resolve(&r)?)))
        .filter(|(_, d)| w.digests[d].inspect_ok)
        .collect();
    let digests: BTreeSet<String> = checked.iter().map(|(_, d)| d.clone()).collect();
    let mut scanned = ran.scanned.clone();
    scanned.sort();
    prop_assert_eq!(scanned, digests.into_iter().collect::<Vec<_>>());
    let mut verified = ran.verified.clone();
    verified.sort();
    prop_assert_eq!(verified, checked.into_iter().collect::<Vec<_>>());

    // `--pin` wrote exactly the tags of the images that passed, with their digest.
    let want: String = images
        .iter()
        .enumerate()
        .map(|(i, sp)| {
            let r = parsed(sp);
            match w.resolve(&r) {
                Some(d) if r.digest().is_none() && w.verdict(sp) == Verdict::Passed => {
                    format!("FROM {sp}@{d} AS s{i}\n")
                }
                _ => format!("FROM {sp} AS s{i}\n"),
            }
        })
        .collect();
    let got = std::fs::read_to_string(&file).unwrap();
    prop_assert_eq!(&got, &want);
    prop_assert_eq!(ev.pinned.is_empty(), got == dockerfile(images));
    Ok(())
}

/// 256 random worlds: aliases sharing digests, mirrors, tags and digests, every per-digest
/// outcome including errors, pinned with `--pin`.
#[test]
fn every_image_gets_its_own_digests_verdict_and_pin_writes_exactly_the_passing() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = test_settings(dir.path());
    s.pin = Some(PinOptions::default());
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&case(), |(w, images)| check_case(&s, &w, &images))
        .unwrap();
}
