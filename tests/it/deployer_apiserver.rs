//! The real `kubectl create -f FILE` against a stand-in API server on loopback that serves just
//! enough discovery and records the objects kubectl sends: for generated manifests (the
//! mutations of `discover_oracle`), the objects kubectl creates are the objects the Go oracle
//! on kubectl's decoder reads, and gate sees their images or refuses the file.

use crate::discover_oracle::{manifest, pod_images, Manifest};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};

/// Built-in kinds the server knows: (group/version, resource, kind, namespaced).
const RESOURCES: &[(&str, &str, &str, bool)] = &[
    ("v1", "pods", "Pod", true),
    ("v1", "services", "Service", true),
    ("v1", "configmaps", "ConfigMap", true),
    ("v1", "serviceaccounts", "ServiceAccount", true),
    ("v1", "namespaces", "Namespace", false),
    ("apps/v1", "deployments", "Deployment", true),
    ("apps/v1", "daemonsets", "DaemonSet", true),
    ("apps/v1", "statefulsets", "StatefulSet", true),
    ("batch/v1", "jobs", "Job", true),
    ("batch/v1", "cronjobs", "CronJob", true),
];

struct ApiServer {
    url: String,
    created: Arc<Mutex<Vec<Value>>>,
}

impl ApiServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let created = Arc::new(Mutex::new(Vec::new()));
        let record = created.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { return };
                let record = record.clone();
                std::thread::spawn(move || serve(conn, &record));
            }
        });
        Self { url, created }
    }

    fn take(&self) -> Vec<Value> {
        std::mem::take(&mut *self.created.lock().unwrap())
    }
}

fn resource_list(gv: &str) -> Value {
    let resources: Vec<Value> = RESOURCES
        .iter()
        .filter(|r| r.0 == gv)
        .map(|(_, name, kind, namespaced)| {
            json!({"name": name, "singularName": kind.to_lowercase(), "namespaced": namespaced,
                   "kind": kind, "verbs": ["create", "get", "list", "delete", "patch", "update"]})
        })
        .collect();
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
}

fn route(method: &str, path: &str, body: &[u8], record: &Mutex<Vec<Value>>) -> (u16, Value) {
    let path = path.split('?').next().unwrap_or(path);
    match (method, path) {
        ("GET", "/api") => (200, json!({"kind": "APIVersions", "versions": ["v1"]})),
        ("GET", "/apis") => {
            let groups: Vec<Value> = ["apps", "batch"]
                .iter()
                .map(|g| {
                    let gv = json!({"groupVersion": format!("{g}/v1"), "version": "v1"});
                    json!({"name": g, "versions": [gv.clone()], "preferredVersion": gv})
                })
                .collect();
            (
                200,
                json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}),
            )
        }
        ("GET", "/api/v1") => (200, resource_list("v1")),
        ("GET", p) if p.starts_with("/apis/") && p.matches('/').count() == 3 => {
            (200, resource_list(&p["/apis/".len()..]))
        }
        ("POST", _) => match serde_json::from_slice::<Value>(body) {
            Ok(v) => {
                record.lock().unwrap().push(v.clone());
                (201, v)
            }
            Err(e) => (400, json!({"kind": "Status", "message": e.to_string()})),
        },
        _ => (
            404,
            json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404}),
        ),
    }
}

fn serve(conn: TcpStream, record: &Mutex<Vec<Value>>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut conn = conn;
    loop {
        let mut request = String::new();
        if reader.read_line(&mut request).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = request.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        );
        let mut length = 0;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (status, v) = route(&method, &path, &body, record);
        let text = v.to_string();
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            text.len()
        );
        if conn.write_all(head.as_bytes()).is_err() || conn.write_all(text.as_bytes()).is_err() {
            return;
        }
    }
}

fn kubectl() -> Option<PathBuf> {
    match which::which("kubectl") {
        Ok(k) => Some(k),
        Err(_) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "kubectl is not installed: run scripts/install-deps (Debian `kubernetes-client`)"
            );
            eprintln!("skipped: kubectl is not installed");
            None
        }
    }
}

/// Create the objects of a file with the real kubectl; the images of the objects the server
/// received.
fn kubectl_create(
    kubectl: &PathBuf,
    server: &ApiServer,
    file: &std::path::Path,
) -> (BTreeSet<String>, bool) {
    let dir = file.parent().unwrap();
    let out = Command::new(kubectl)
        .args([
            "create",
            "--validate=false",
            "-s",
            &server.url,
            "--cache-dir",
        ])
        .arg(dir.join("cache"))
        .arg("-f")
        .arg(file)
        .env("KUBECONFIG", dir.join("no-kubeconfig"))
        .output()
        .unwrap();
    let mut images = BTreeSet::new();
    for o in server.take() {
        pod_images(&o, &mut images);
    }
    (images, out.status.success())
}

/// kubectl's objects are the Go oracle's, and gate sees their images or refuses the file.
#[test]
fn kubectl_creates_what_the_oracle_reads() {
    let Some(kubectl) = kubectl() else { return };
    let Some(exe) = crate::discover_oracle::oracle("k8syaml") else {
        return;
    };
    let server = ApiServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 40,
        failure_persistence: None,
        ..Config::default()
    });
    let pod = |n: usize| {
        format!(
            "{{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {{\"name\": \"p{n}\"}}, \
             \"spec\": {{\"containers\": [{{\"name\": \"c\", \"image\": \"i{n}.example/a:1\"}}]}}}}"
        )
    };
    // Found by this test: kubectl strips a byte-order mark before it chooses JSON or YAML, so a
    // JSON stream after one stops at a `---` (the oracle had read it as YAML).
    let fixed = [
        format!("\u{feff}{}\n---\n{}\n", pod(0), pod(1)),
        format!("{}\n---\n{}\n", pod(0), pod(1)),
        format!("{}\n{}\n", pod(0), pod(1)),
        format!("---\n{}\n---\u{a0}\n{}\n", pod(0), pod(1)),
    ];
    for text in &fixed {
        let file = dir.path().join("fixed.yaml");
        std::fs::write(&file, text).unwrap();
        let (created, _ok) = kubectl_create(&kubectl, &server, &file);
        let r = &crate::discover_oracle::ask(&exe, &[file])[0];
        let mut oracle = BTreeSet::new();
        for o in r["objects"].as_array().unwrap() {
            pod_images(o, &mut oracle);
        }
        assert_eq!(created, oracle, "kubectl vs oracle on {text:?}");
        if let Some(gate) = crate::discover_oracle::gate_view("m.yaml", text, false) {
            assert!(created.is_subset(&gate), "{created:?} unseen in {text:?}");
        }
    }
    runner
        .run(&manifest(), |m: Manifest| {
            let text = m.text();
            let file = dir.path().join("m.yaml");
            std::fs::write(&file, &text).unwrap();
            let (created, _ok) = kubectl_create(&kubectl, &server, &file);
            let r = &crate::discover_oracle::ask(&exe, &[file])[0];
            let mut oracle = BTreeSet::new();
            for o in r["objects"].as_array().unwrap() {
                pod_images(o, &mut oracle);
            }
            prop_assert_eq!(&created, &oracle, "kubectl vs oracle on {:?}", text);
            let gate = crate::discover_oracle::gate_view("m.yaml", &text, false);
            if let Some(gate) = gate {
                let missed: Vec<_> = created.difference(&gate).collect();
                prop_assert!(
                    missed.is_empty(),
                    "kubectl creates {:?} unseen in {:?}",
                    missed,
                    text
                );
            }
            Ok(())
        })
        .unwrap();
}
