//! `gate export`: the admission configuration written from a trusted policy is stable (a
//! snapshot, byte-identical across runs), names the gate rule of every object, states every rule
//! an engine does not enforce, and never comes from a policy found in the tree.

use std::path::Path;
use std::process::Command;

/// A public key's PEM (any text: the export copies it).
const KEY: &str = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEtest0000000000000000000000000000\n-----END PUBLIC KEY-----\n";

const POLICY: &str = "signatures:
  keys: [cosign.pub]
  identities:
    - issuer: https://token.actions.githubusercontent.com
      identity-regexp: https://github.com/acme/app/.*
attestations:
  - predicate-type: https://slsa.dev/verification_summary/v1
    vsa:
      max-age: 7d
manifests:
  pss:
    level: restricted
    version: v1.30
exceptions:
  - rule: GATE-PSS-002
    subject: Pod/kube-system/cni-*
    reason: the CNI agent configures the host network
    expires: 2027-03-31
    owner: platform
  - rule: GATE-VULN-001
    ids: [CVE-2024-0001]
    reason: not reachable
";

fn export(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gate"))
        .current_dir(dir)
        .args(["export", "-q"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn export_is_stable_and_names_rules_and_gaps() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cosign.pub"), KEY).unwrap();
    std::fs::write(dir.path().join("policy.yaml"), POLICY).unwrap();
    let args = ["--policy", "policy.yaml", "--namespace", "shop"];
    let first = export(dir.path(), &args);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = export(dir.path(), &args);
    assert_eq!(first.stdout, second.stdout, "same policy, same bytes");
    let text = String::from_utf8(first.stdout).unwrap();
    // Every object names its gate rule.
    for doc in text.split("---\n") {
        if let Some(at) = doc.find("# gate rule: ") {
            assert!(doc[at..].contains("gate.dev/rule: "), "{doc}");
        }
    }
    assert!(text.matches("# gate rule: ").count() >= 10, "{text}");
    // Every lint rule is a ValidatingAdmissionPolicy or a stated gap.
    for r in gate::lint::RULES {
        let vap = format!("gate.dev/rule: {}\n", r.id);
        let gap = format!("not enforced here: {}: ", r.id);
        assert!(
            text.contains(&vap) || text.contains(&gap),
            "{} dropped silently",
            r.id
        );
    }
    // The exception's expiry: gate applies it through the day, Kyverno until the next midnight.
    assert!(
        text.contains("expiresAt: \"2027-04-01T00:00:00Z\""),
        "{text}"
    );
    insta::assert_snapshot!("export_all", text);
}

#[test]
fn a_tree_policy_is_never_exported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    // A `.gate.yaml` in the tree that would weaken the exported level: ignored.
    std::fs::write(
        dir.path().join(".gate.yaml"),
        "manifests:\n  pss:\n    level: privileged\n",
    )
    .unwrap();
    let out = export(dir.path(), &["--namespace", "shop"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("pod-security.kubernetes.io/enforce: restricted"),
        "{text}"
    );
    assert!(!text.contains("enforce: privileged"), "{text}");
}

#[test]
fn output_dir_has_one_file_per_engine() {
    let dir = tempfile::tempdir().unwrap();
    let out = export(
        dir.path(),
        &["--output-dir", "admission", "--namespace", "a"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("admission"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "kyverno-exceptions.yaml",
            "kyverno.yaml",
            "namespaces.yaml",
            "policy-controller.yaml",
            "validating-admission-policy.yaml"
        ]
    );
}
