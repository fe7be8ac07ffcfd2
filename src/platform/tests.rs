//! The cases of containerd's own tables (`TestOnly`, `TestOnlyStrict`, `TestCompareOSFeatures`,
//! `TestParseSelector`), restated as this module's tables, plus gate's own.

use super::{Matcher, Spec};

fn p(s: &str) -> Spec {
    Spec::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

/// `(node, accepted, refused)` for one matcher.
fn table(make: fn(&Spec) -> Matcher, name: &str, rows: &[(&str, &[&str], &[&str])]) {
    for (node, yes, no) in rows {
        let m = make(&p(node));
        for c in *yes {
            assert!(m.matches(&p(c)), "{name}({node}) should accept {c}");
        }
        for c in *no {
            assert!(!m.matches(&p(c)), "{name}({node}) should refuse {c}");
        }
    }
}

const ARM64_ALL_V8: &[&str] = &[
    "linux/arm",
    "linux/arm/v5",
    "linux/arm/v6",
    "linux/arm/v7",
    "linux/arm/v8",
    "linux/arm64",
    "linux/arm64/v8",
];

#[test]
fn only_takes_the_fallbacks_a_node_runs() {
    let v96: Vec<&str> = ARM64_ALL_V8
        .iter()
        .copied()
        .chain([
            "linux/arm64/v8.1",
            "linux/arm64/v8.2",
            "linux/arm64/v8.3",
            "linux/arm64/v8.4",
            "linux/arm64/v8.5",
            "linux/arm64/v8.6",
            "linux/arm64/v8.7",
            "linux/arm64/v8.8",
            "linux/arm64/v8.9",
            "linux/arm64/v9",
            "linux/arm64/v9.0",
            "linux/arm64/v9.1",
            "linux/arm64/v9.2",
            "linux/arm64/v9.3",
            "linux/arm64/v9.4",
            "linux/arm64/v9.5",
            "linux/arm64/v9.6",
        ])
        .collect();
    let v9: Vec<&str> = ARM64_ALL_V8
        .iter()
        .copied()
        .chain([
            "linux/arm64/v8.1",
            "linux/arm64/v8.2",
            "linux/arm64/v8.3",
            "linux/arm64/v8.4",
            "linux/arm64/v8.5",
            "linux/arm64/v9",
            "linux/arm64/v9.0",
        ])
        .collect();
    let v81: Vec<&str> = ARM64_ALL_V8
        .iter()
        .copied()
        .chain(["linux/arm64/v8.1"])
        .collect();
    let others = [
        "linux/amd64",
        "linux/arm/v4",
        "windows/amd64",
        "windows/arm",
    ];
    table(
        Matcher::only,
        "Only",
        &[
            (
                "linux/amd64",
                &["linux/amd64", "linux/386"],
                &[
                    "linux/amd64/v2",
                    "linux/arm/v7",
                    "linux/arm64",
                    "windows/amd64",
                    "windows/arm",
                ],
            ),
            (
                "linux/amd64/v2",
                &[
                    "linux/amd64",
                    "linux/amd64/v1",
                    "linux/amd64/v2",
                    "linux/386",
                ],
                &[
                    "linux/amd64/v3",
                    "linux/amd64/v4",
                    "linux/arm/v7",
                    "linux/arm64",
                    "windows/amd64",
                    "windows/arm",
                ],
            ),
            (
                "linux/386",
                &["linux/386"],
                &[
                    "linux/amd64",
                    "linux/arm/v7",
                    "linux/arm64",
                    "windows/amd64",
                    "windows/arm",
                ],
            ),
            (
                "windows/amd64",
                &["windows/amd64", "windows(10.0.17763)/amd64"],
                &["linux/amd64", "linux/arm/v7", "linux/arm64", "windows/arm"],
            ),
            (
                "linux/arm/v8",
                &[
                    "linux/arm",
                    "linux/arm/v5",
                    "linux/arm/v6",
                    "linux/arm/v7",
                    "linux/arm/v8",
                ],
                &[
                    "linux/amd64",
                    "linux/arm/v4",
                    "linux/arm64",
                    "windows/amd64",
                    "windows/arm",
                ],
            ),
            (
                "linux/arm/v7",
                &["linux/arm", "linux/arm/v5", "linux/arm/v6", "linux/arm/v7"],
                &[
                    "linux/amd64",
                    "linux/arm/v4",
                    "linux/arm/v8",
                    "linux/arm64",
                    "windows/amd64",
                    "windows/arm",
                ],
            ),
            (
                "linux/arm/v6",
                &["linux/arm/v5", "linux/arm/v6"],
                &[
                    "linux/amd64",
                    "linux/arm",
                    "linux/arm/v4",
                    "linux/arm/v7",
                    "linux/arm/v8",
                    "linux/arm64",
                    "windows/amd64",
                    "windows/arm",
                ],
            ),
            (
                "linux/arm/v5",
                &["linux/arm/v5"],
                &[
                    "linux/amd64",
                    "linux/arm",
                    "linux/arm/v4",
                    "linux/arm/v6",
                    "linux/arm/v7",
                    "linux/arm/v8",
                    "linux/arm64",
                    "windows/amd64",
                    "windows/arm",
                ],
            ),
            (
                "linux/arm/v4",
                &["linux/arm/v4"],
                &[
                    "linux/amd64",
                    "linux/arm",
                    "linux/arm/v5",
                    "linux/arm/v6",
                    "linux/arm/v7",
                    "linux/arm/v8",
                    "linux/arm64",
                    "windows/amd64",
                    "windows/arm",
                ],
            ),
        ],
    );
    let mut no96 = others.to_vec();
    no96.push("linux/arm64/v8.10");
    let mut no9 = others.to_vec();
    no9.push("linux/arm64/v8.6");
    let mut no8 = others.to_vec();
    no8.extend(["linux/arm/v9", "linux/arm64/v9"]);
    table(
        Matcher::only,
        "Only",
        &[
            ("linux/arm64/v9.6", &v96, &no96),
            ("linux/arm64/v9", &v9, &no9),
            ("linux/arm64/v8.1", &v81, &no8),
            ("linux/arm64", ARM64_ALL_V8, &no8),
        ],
    );
}

#[test]
fn only_strict_takes_the_node_platform_alone() {
    table(
        Matcher::only_strict,
        "OnlyStrict",
        &[
            (
                "linux/amd64",
                &["linux/amd64"],
                &[
                    "linux/386",
                    "linux/arm/v7",
                    "linux/arm64",
                    "windows/amd64",
                    "windows/arm",
                ],
            ),
            (
                "linux/386",
                &["linux/386"],
                &[
                    "linux/amd64",
                    "linux/arm/v7",
                    "linux/arm64",
                    "windows/amd64",
                ],
            ),
            (
                "windows/amd64",
                &["windows/amd64", "windows(10.0.17763)/amd64"],
                &["linux/amd64", "linux/arm/v7", "linux/arm64", "windows/arm"],
            ),
            (
                "windows(10.0.17763)/amd64",
                &["windows/amd64", "windows(10.0.17763)/amd64"],
                &["linux/amd64", "linux/arm/v7", "linux/arm64", "windows/arm"],
            ),
            (
                "linux/arm/v8",
                &["linux/arm/v8"],
                &[
                    "linux/arm",
                    "linux/arm/v5",
                    "linux/arm/v6",
                    "linux/arm/v7",
                    "linux/amd64",
                    "linux/arm/v4",
                    "linux/arm64",
                ],
            ),
            (
                "linux/arm/v7",
                &["linux/arm", "linux/arm/v7"],
                &[
                    "linux/arm/v5",
                    "linux/arm/v6",
                    "linux/amd64",
                    "linux/arm/v4",
                    "linux/arm/v8",
                    "linux/arm64",
                ],
            ),
            (
                "linux/arm/v6",
                &["linux/arm/v6"],
                &["linux/arm/v5", "linux/arm", "linux/arm/v7", "linux/arm/v8"],
            ),
            (
                "linux/arm64/v9.5",
                &["linux/arm64/v9.5"],
                &[
                    "linux/arm/v8",
                    "linux/arm64/v8",
                    "linux/arm64/v8.1",
                    "linux/arm64/v9",
                    "linux/arm64/v9.1",
                    "linux/arm64/v9.4",
                ],
            ),
            (
                "linux/arm64/v9",
                &["linux/arm64/v9", "linux/arm64/v9.0"],
                &[
                    "linux/arm/v8",
                    "linux/arm/v9",
                    "linux/arm64/v8",
                    "linux/arm64/v8.1",
                ],
            ),
            (
                "linux/arm64/v8.1",
                &["linux/arm64/v8.1"],
                &["linux/arm", "linux/arm64/v8", "linux/arm64/v9"],
            ),
            (
                "linux/arm64",
                &["linux/arm64", "linux/arm64/v8"],
                &[
                    "linux/arm",
                    "linux/arm/v8",
                    "linux/arm/v9",
                    "linux/arm64/v9",
                ],
            ),
        ],
    );
}

/// Sorting by the matcher's preference, as containerd sorts an index's children.
fn sorted(m: &Matcher, list: &[&str]) -> Vec<String> {
    let mut v: Vec<Spec> = list.iter().map(|s| p(s)).collect();
    // A stable insertion sort with `less`, as Go's `sort.Slice` on these short lists.
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && m.less(&v[j], &v[j - 1]) {
            v.swap(j, j - 1);
            j -= 1;
        }
    }
    v.iter().map(format_all).collect()
}

fn format_all(s: &Spec) -> String {
    let mut os = s.os.clone();
    if !s.os_version.is_empty() || !s.os_features.is_empty() {
        let mut f = s.os_features.clone();
        f.sort();
        f.dedup();
        os = format!("{os}({}", s.os_version);
        if !f.is_empty() {
            os.push('+');
            os.push_str(&f.join("+"));
        }
        os.push(')');
    }
    let mut out = format!("{os}/{}", s.architecture);
    if !s.variant.is_empty() {
        out = format!("{out}/{}", s.variant);
    }
    out
}

#[test]
fn os_features_order_the_candidates() {
    let rows: &[(&str, &[&str], &[&str])] = &[
        (
            "linux/amd64",
            &[
                "windows/amd64",
                "linux/amd64",
                "linux(+other)/amd64",
                "linux/arm64",
            ],
            &[
                "linux/amd64",
                "linux(+other)/amd64",
                "windows/amd64",
                "linux/arm64",
            ],
        ),
        (
            "linux(+none)/amd64",
            &[
                "windows/amd64",
                "linux/amd64",
                "linux/arm64",
                "linux(+other)/amd64",
            ],
            &[
                "linux/amd64",
                "linux(+other)/amd64",
                "windows/amd64",
                "linux/arm64",
            ],
        ),
        (
            "linux(+other)/amd64",
            &[
                "windows/amd64",
                "linux/amd64",
                "linux/arm64",
                "linux(+other)/amd64",
            ],
            &[
                "linux(+other)/amd64",
                "linux/amd64",
                "windows/amd64",
                "linux/arm64",
            ],
        ),
        (
            "linux(+af+other+zf)/amd64",
            &[
                "windows/amd64",
                "linux/amd64",
                "linux/arm64",
                "linux(+other)/amd64",
            ],
            &[
                "linux(+other)/amd64",
                "linux/amd64",
                "windows/amd64",
                "linux/arm64",
            ],
        ),
        (
            "linux(+f1+f2)/amd64",
            &[
                "linux/amd64",
                "linux(+f2)/amd64",
                "linux(+f1)/amd64",
                "linux(+f1+f2)/amd64",
            ],
            &[
                "linux(+f1+f2)/amd64",
                "linux(+f2)/amd64",
                "linux(+f1)/amd64",
                "linux/amd64",
            ],
        ),
        (
            "linux(7.2+other)/amd64",
            &[
                "linux/amd64",
                "linux(+other)/amd64",
                "linux(7.1)/amd64",
                "linux(7.2+other)/amd64",
            ],
            &[
                "linux(+other)/amd64",
                "linux(7.2+other)/amd64",
                "linux/amd64",
                "linux(7.1)/amd64",
            ],
        ),
    ];
    for (node, list, want) in rows {
        for (name, m) in [
            ("Only", Matcher::only(&p(node))),
            ("OnlyStrict", Matcher::only_strict(&p(node))),
        ] {
            assert_eq!(sorted(&m, list), *want, "{name}({node})");
        }
    }
}

#[test]
fn an_x86_64_v3_node_prefers_amd64_v3_then_falls_back() {
    let m = Matcher::only(&p("linux/amd64/v3"));
    assert_eq!(
        sorted(
            &m,
            &[
                "linux/386",
                "linux/amd64",
                "linux/amd64/v4",
                "linux/amd64/v2",
                "linux/amd64/v3"
            ]
        ),
        [
            "linux/amd64/v3",
            "linux/amd64/v2",
            "linux/amd64",
            "linux/386",
            "linux/amd64/v4"
        ]
    );
    assert!(!m.matches(&p("linux/amd64/v4")));
    // containerd writes the lower levels canonically: `v02` is no level.
    assert!(!m.matches(&p("linux/amd64/v02")));
    // A level beyond any integer costs nothing and matches only itself and `386`.
    let huge = Matcher::only(&p("linux/amd64/v99999999999999999999"));
    assert!(huge.matches(&p("linux/amd64/v99999999999999999999")));
    assert!(huge.matches(&p("linux/386")));
    assert!(!huge.matches(&p("linux/amd64")));
    let big = Matcher::only(&p("linux/amd64/v4000000000"));
    assert_eq!(big.rank(&p("linux/amd64")), Some(3_999_999_999));
}

#[test]
fn an_arm64_node_falls_back_to_32_bit_arm_in_order() {
    let m = Matcher::only(&p("linux/arm64"));
    assert_eq!(
        sorted(
            &m,
            &[
                "linux/arm/v5",
                "linux/arm/v7",
                "linux/arm64",
                "linux/arm/v6",
                "linux/arm/v8"
            ]
        ),
        [
            "linux/arm64",
            "linux/arm/v8",
            "linux/arm/v7",
            "linux/arm/v6",
            "linux/arm/v5"
        ]
    );
    // A variant outside containerd's table matches nothing, not even itself.
    assert!(!Matcher::only(&p("linux/arm64/v10")).matches(&p("linux/arm64/v10")));
}

#[test]
fn spellings_normalise_as_containerd_reads_them() {
    let arm64 = Matcher::only(&p("linux/arm64"));
    for c in [
        Spec {
            os: "linux".into(),
            architecture: "aarch64".into(),
            ..Spec::default()
        },
        Spec {
            os: "Linux".into(),
            architecture: "AArch64".into(),
            variant: "v8".into(),
            ..Spec::default()
        },
        // An empty OS is the node's own.
        Spec {
            architecture: "arm64".into(),
            variant: "8".into(),
            ..Spec::default()
        },
    ] {
        assert!(arm64.matches(&c), "{c:?}");
    }
    let amd64 = Matcher::only(&p("linux/amd64"));
    for c in [
        "linux/x86_64",
        "Linux/x86-64",
        "linux/amd64/v1",
        "linux/i386",
    ] {
        assert!(amd64.matches(&p(c)), "{c}");
    }
    let n = |s: &str| p(s).normalize("");
    assert_eq!(n("linux/armhf"), n("linux/arm/v7"));
    assert_eq!(n("linux/arm"), n("linux/arm/v7"));
    assert_eq!(n("linux/armel"), n("linux/arm/v6"));
    assert_eq!(n("linux/aarch64/v8.0"), n("linux/arm64"));
    assert_eq!(p("macOS/arm64").os, "darwin");
    assert_eq!(
        p("windows(10.0.17763+win32k)/amd64").os_features,
        ["win32k"]
    );
    assert_eq!(
        p("windows(10.0.17763%2Bbuild.42+win32k)/amd64").os_version,
        "10.0.17763+build.42"
    );
    assert_eq!(
        p("linux(+unsorted+erofs)/amd64").os_features,
        ["unsorted", "erofs"]
    );
}

#[test]
fn specifiers_containerd_refuses_are_refused() {
    for bad in [
        "",
        "/linux/arm",
        "linux/arm/",
        "linux /arm",
        "linux/&arm",
        "linux/arm/foo/bar",
        "linux/*",
        "*",
        // Host-dependent in containerd (the missing part comes from the machine): gate asks
        // for both.
        "linux",
        "arm64",
        "windows(10.0",
    ] {
        assert!(Spec::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn windows_hosts_run_the_versions_they_are_compatible_with() {
    let ws2022 = Matcher::only(&p("windows(10.0.20348)/amd64"));
    assert!(ws2022.matches(&p("windows(10.0.20348)/amd64")));
    assert!(!ws2022.matches(&p("windows(10.0.17763)/amd64")));
    let ws2025 = Matcher::only(&p("windows(10.0.26100)/amd64"));
    assert!(ws2025.matches(&p("windows(10.0.20348)/amd64")));
    assert!(!ws2025.matches(&p("windows(10.0.26200)/amd64")));
    let rs5 = Matcher::only(&p("windows(10.0.17763)/amd64"));
    assert!(rs5.matches(&p("windows(10.0.17763.1234)/amd64")));
    assert!(!rs5.matches(&p("windows(10.0.17764)/amd64")));
    // `win32k` is not an OS feature Windows matching counts.
    assert!(rs5.matches(&p("windows(10.0.17763+win32k)/amd64")));
    assert!(!rs5.matches(&p("windows(10.0.17763+other)/amd64")));
}
