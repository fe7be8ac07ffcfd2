//! A fault-injecting proxy in front of the real test registry.
//!
//! A small HTTP/1.1 server on 127.0.0.1 (one request per connection, `Connection: close`) that
//! forwards to the registry and, per test, breaks the answer in one chosen way: a status, a
//! hang, a truncated or oversized body, lying digests, a redirect, a bearer-token challenge,
//! bytes of the test's choosing, or another object's answer. A hook sees every request's path.
//! It counts requests so tests can assert how many a run made. Only loopback is ever contacted.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What to do to matching requests.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Forward faithfully.
    Pass,
    /// Answer this status (with an optional `Retry-After`) for the first `times` matching
    /// requests (`usize::MAX` = always), then forward.
    Status {
        code: u16,
        retry_after: Option<String>,
        times: usize,
    },
    /// 401 with `WWW-Authenticate: Basic`, no token endpoint.
    Unauthorized,
    /// Accept the connection, never answer.
    Hang,
    /// Announce the full length, send half, close.
    Truncate,
    /// Forward, but with a `Docker-Content-Digest` that is not the body's.
    WrongDigestHeader,
    /// Forward the headers, but replace the body with other bytes of the same length.
    WrongBody,
    /// Answer manifests (and the referrers API) with a body of this many bytes.
    Huge(usize),
    /// Answer manifests with an OCI index of this many children.
    WideIndex(usize),
    /// Redirect (307) every request to this URL prefix.
    Redirect(String),
    /// Require a bearer token from our own `/token` endpoint, given for these Basic credentials.
    Token { user: String, pass: String },
    /// Answer with these bytes (and their true digest), whatever was asked.
    Serve { body: Vec<u8>, media_type: String },
    /// Forward with `from` replaced by `to` in the path: the registry answers for another object.
    Rewrite { from: String, to: String },
}

/// Called with each request's path before it is answered.
pub type Hook = Arc<dyn Fn(&str) + Send + Sync>;

/// A running proxy; stops when dropped.
pub struct FaultProxy {
    /// `127.0.0.1:PORT`
    pub addr: String,
    fault: Arc<Mutex<(Fault, Option<String>)>>,
    requests: Arc<AtomicUsize>,
    /// Authorization headers seen, for asserting where credentials went.
    pub seen_auth: Arc<Mutex<Vec<String>>>,
    hook: Arc<Mutex<Option<Hook>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl FaultProxy {
    /// Start in front of `upstream` (`127.0.0.1:PORT`, plain HTTP).
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let fault = Arc::new(Mutex::new((Fault::Pass, None)));
        let requests = Arc::new(AtomicUsize::new(0));
        let seen_auth = Arc::new(Mutex::new(Vec::new()));
        let hook: Arc<Mutex<Option<Hook>>> = Arc::new(Mutex::new(None));
        let upstream = upstream.to_string();
        let (f, r, s, a, h) = (
            fault.clone(),
            requests.clone(),
            seen_auth.clone(),
            addr.clone(),
            hook.clone(),
        );
        let task = tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let ctx = Ctx {
                    upstream: upstream.clone(),
                    me: a.clone(),
                    fault: f.clone(),
                    requests: r.clone(),
                    seen_auth: s.clone(),
                    hook: h.lock().unwrap().clone(),
                    http: http.clone(),
                };
                tokio::spawn(async move {
                    let _ = ctx.serve(sock).await;
                });
            }
        });
        Self {
            addr,
            fault,
            requests,
            seen_auth,
            hook,
            task,
        }
    }

    /// Run `hook` with the path of every request from now on (`None` stops it).
    pub fn on_request(&self, hook: Option<Hook>) {
        *self.hook.lock().unwrap() = hook;
    }

    /// Inject `fault` for requests whose path contains `only` (all requests when `None`).
    pub fn set(&self, fault: Fault, only: Option<&str>) {
        *self.fault.lock().unwrap() = (fault, only.map(str::to_string));
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

struct Ctx {
    upstream: String,
    me: String,
    fault: Arc<Mutex<(Fault, Option<String>)>>,
    requests: Arc<AtomicUsize>,
    seen_auth: Arc<Mutex<Vec<String>>>,
    hook: Option<Hook>,
    http: reqwest::Client,
}

async fn read_request(sock: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf).to_string();
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Request {
        method,
        path,
        headers,
    })
}

async fn respond(
    sock: &mut TcpStream,
    status: u16,
    headers: &[(&str, String)],
    body: &[u8],
    head: bool,
) {
    let mut out = format!("HTTP/1.1 {status} X\r\nConnection: close\r\n");
    let mut has_len = false;
    for (k, v) in headers {
        has_len |= k.eq_ignore_ascii_case("content-length");
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if !has_len {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let _ = sock.write_all(out.as_bytes()).await;
    if !head {
        let _ = sock.write_all(body).await;
    }
    let _ = sock.shutdown().await;
}

impl Ctx {
    async fn serve(self, mut sock: TcpStream) -> Option<()> {
        let req = read_request(&mut sock).await?;
        self.requests.fetch_add(1, Ordering::SeqCst);
        if let Some(hook) = &self.hook {
            hook(&req.path);
        }
        if let Some(a) = req.header("authorization") {
            self.seen_auth.lock().unwrap().push(a.to_string());
        }
        let head = req.method == "HEAD";
        let (fault, applies, spent) = {
            let mut g = self.fault.lock().unwrap();
            let applies = g.1.as_ref().is_none_or(|p| req.path.contains(p.as_str()));
            let f = g.0.clone();
            let mut spent = false;
            if applies {
                if let Fault::Status { times, .. } = &mut g.0 {
                    spent = *times == 0;
                    *times = times.saturating_sub(1);
                }
            }
            (f, applies, spent)
        };
        if !applies || spent {
            return self.forward(sock, &req, None).await;
        }
        match fault {
            Fault::Pass => self.forward(sock, &req, None).await,
            Fault::Status {
                code, retry_after, ..
            } => {
                let mut h = vec![("Content-Type", "application/json".to_string())];
                if let Some(r) = retry_after {
                    h.push(("Retry-After", r));
                }
                let body = br#"{"errors":[{"code":"TOOMANYREQUESTS","message":"injected"}]}"#;
                respond(&mut sock, code, &h, body, head).await;
                Some(())
            }
            Fault::Unauthorized => {
                let h = vec![("WWW-Authenticate", r#"Basic realm="proxy""#.to_string())];
                respond(&mut sock, 401, &h, b"", head).await;
                Some(())
            }
            Fault::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Some(())
            }
            Fault::Redirect(to) => {
                let h = vec![("Location", format!("{to}{}", req.path))];
                respond(&mut sock, 307, &h, b"", head).await;
                Some(())
            }
            Fault::Huge(n)
                if req.path.contains("/manifests/") || req.path.contains("/referrers/") =>
            {
                // No length announced: the client must stop reading by itself.
                let head_text = "HTTP/1.1 200 OK\r\nConnection: close\r\n\
                    Content-Type: application/vnd.oci.image.manifest.v1+json\r\n\r\n";
                sock.write_all(head_text.as_bytes()).await.ok()?;
                if !head {
                    let chunk = vec![b' '; 64 * 1024];
                    let mut sent = 0;
                    while sent < n {
                        if sock.write_all(&chunk).await.is_err() {
                            break;
                        }
                        sent += chunk.len();
                    }
                }
                let _ = sock.shutdown().await;
                Some(())
            }
            Fault::WideIndex(n) if req.path.contains("/manifests/") => {
                let entry = |i: usize| {
                    format!(
                        r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{:064x}","size":1,"platform":{{"os":"linux","architecture":"amd64"}}}}"#,
                        i
                    )
                };
                let entries: Vec<String> = (0..n).map(entry).collect();
                let body = format!(
                    r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{}]}}"#,
                    entries.join(",")
                );
                let digest = crate::harness::sha256(body.as_bytes());
                let h = vec![
                    (
                        "Content-Type",
                        "application/vnd.oci.image.index.v1+json".to_string(),
                    ),
                    ("Docker-Content-Digest", digest),
                ];
                respond(&mut sock, 200, &h, body.as_bytes(), head).await;
                Some(())
            }
            Fault::Token { user, pass } => self.token(sock, &req, &user, &pass).await,
            Fault::Serve { body, media_type } => {
                let h = vec![
                    ("Content-Type", media_type),
                    ("Docker-Content-Digest", crate::harness::sha256(&body)),
                ];
                respond(&mut sock, 200, &h, &body, head).await;
                Some(())
            }
            Fault::Rewrite { from, to } => {
                let moved = Request {
                    path: req.path.replace(&from, &to),
                    ..req
                };
                self.forward(sock, &moved, None).await
            }
            f @ (Fault::Truncate | Fault::WrongDigestHeader | Fault::WrongBody) => {
                self.forward(sock, &req, Some(f)).await
            }
            Fault::Huge(_) | Fault::WideIndex(_) => self.forward(sock, &req, None).await,
        }
    }

    async fn token(self, mut sock: TcpStream, req: &Request, user: &str, pass: &str) -> Option<()> {
        use base64::Engine;
        let head = req.method == "HEAD";
        if req.path.starts_with("/token") {
            let want = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
            );
            if req.header("authorization") != Some(want.as_str()) {
                respond(&mut sock, 401, &[], b"{}", head).await;
                return Some(());
            }
            let h = vec![("Content-Type", "application/json".to_string())];
            respond(
                &mut sock,
                200,
                &h,
                br#"{"token":"proxy-token-123","expires_in":300}"#,
                head,
            )
            .await;
            return Some(());
        }
        if req.header("authorization") == Some("Bearer proxy-token-123") {
            return self.forward(sock, req, None).await;
        }
        let h = vec![(
            "WWW-Authenticate",
            format!(r#"Bearer realm="http://{}/token",service="proxy""#, self.me),
        )];
        respond(
            &mut sock,
            401,
            &h,
            br#"{"errors":[{"code":"UNAUTHORIZED"}]}"#,
            head,
        )
        .await;
        Some(())
    }

    async fn forward(self, mut sock: TcpStream, req: &Request, twist: Option<Fault>) -> Option<()> {
        let url = format!("http://{}{}", self.upstream, req.path);
        let method = reqwest::Method::from_bytes(req.method.as_bytes()).ok()?;
        let mut up = self.http.request(method, &url);
        for (k, v) in &req.headers {
            if k.eq_ignore_ascii_case("accept") {
                up = up.header("Accept", v);
            }
        }
        let resp = up.send().await.ok()?;
        let status = resp.status().as_u16();
        let mut headers: Vec<(&str, String)> = Vec::new();
        for name in [
            "content-type",
            "docker-content-digest",
            "location",
            "www-authenticate",
        ] {
            if let Some(v) = resp.headers().get(name).and_then(|v| v.to_str().ok()) {
                headers.push((name, v.to_string()));
            }
        }
        let len = resp.content_length();
        let head = req.method == "HEAD";
        let mut body = resp.bytes().await.ok()?.to_vec();
        match twist {
            Some(Fault::WrongDigestHeader) => {
                headers.retain(|(k, _)| *k != "docker-content-digest");
                headers.push((
                    "docker-content-digest",
                    format!("sha256:{}", "e".repeat(64)),
                ));
            }
            Some(Fault::WrongBody) => {
                for b in body.iter_mut() {
                    if *b == b'a' {
                        *b = b'b';
                    }
                }
                headers.retain(|(k, _)| *k != "docker-content-digest");
            }
            Some(Fault::Truncate) => {
                headers.retain(|(k, _)| *k != "docker-content-digest");
                let full = body.len();
                headers.push(("Content-Length", full.to_string()));
                body.truncate(full / 2);
            }
            _ => {}
        }
        if head {
            if let Some(n) = len {
                headers.push(("Content-Length", n.to_string()));
            }
        }
        respond(&mut sock, status, &headers, &body, head).await;
        Some(())
    }
}
