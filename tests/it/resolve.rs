//! Resolution against a real registry: tags, digests, indexes, credentials (config.json and a
//! credential helper), TLS with and without `--ca-file`, mirrors, 404 and a registry that is down.

use crate::harness::{Options, Registry};
use gate::reference::Reference;
use gate::registry::auth::AuthSources;
use gate::registry::{chain_text, ClientConfig, ResolveError};
use gate::resolve::{Mirror, ResolveConfig, Resolver};
use std::path::Path;
use std::time::Duration;

fn config(reg: &Registry, auth: AuthSources) -> ResolveConfig {
    ResolveConfig {
        client: ClientConfig {
            insecure: if reg.ca.is_some() {
                vec![]
            } else {
                vec![reg.addr.clone()]
            },
            ca_files: reg.ca.iter().cloned().collect(),
            timeout: Duration::from_secs(10),
            auth,
            ..ClientConfig::default()
        },
        ..ResolveConfig::default()
    }
}

fn no_auth() -> AuthSources {
    AuthSources::default()
}

fn r(s: &str) -> Reference {
    Reference::parse(s).unwrap()
}

#[tokio::test]
async fn resolves_tags_digests_and_indexes() {
    let reg = Registry::start();
    let d1 = reg.push_image("team/app", "v1").await;
    let (index, children) = reg.push_index("team/multi", "1.0").await;
    let resolver = Resolver::new(config(&reg, no_auth())).unwrap();

    let a = reg.addr.clone();
    let refs = [
        r(&format!("{a}/team/app:v1")),
        r(&format!("{a}/team/app@{d1}")),
        r(&format!("{a}/team/multi:1.0")),
        r(&format!("{a}/team/app:v1")),
        r(&format!("{a}/team/multi@{}", children[1])),
    ];
    let out = resolver.resolve_all(&refs).await;
    let digests: Vec<String> = out
        .iter()
        .map(|x| x.as_ref().unwrap().digest.clone())
        .collect();
    assert_eq!(
        digests,
        [
            d1.clone(),
            d1.clone(),
            index.clone(),
            d1,
            children[1].clone()
        ]
    );
    let idx = out[2].as_ref().unwrap();
    assert!(idx.is_index(), "{:?}", idx.media_type);
    assert_eq!(idx.canonical(), format!("{a}/team/multi@{index}"));
    assert_eq!(
        idx.reference.pinned(&idx.digest, true),
        format!("{a}/team/multi:1.0@{index}")
    );
}

#[tokio::test]
async fn unknown_tag_and_unknown_digest_are_not_found() {
    let reg = Registry::start();
    reg.push_image("team/app", "v1").await;
    let resolver = Resolver::new(config(&reg, no_auth())).unwrap();
    let missing = format!("sha256:{}", "ab".repeat(32));
    let out = resolver
        .resolve_all(&[
            r(&format!("{}/team/app:nope", reg.addr)),
            r(&format!("{}/team/app@{missing}", reg.addr)),
        ])
        .await;
    for res in out {
        let e = res.unwrap_err();
        assert!(matches!(e.error, ResolveError::NotFound { .. }), "{e:?}");
        let msg = chain_text(&e);
        assert!(
            msg.contains("not found") && msg.contains("team/app"),
            "{msg}"
        );
    }
}

#[tokio::test]
async fn registry_down_fails_fast_with_a_clear_reason() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let resolver = Resolver::new(ResolveConfig {
        client: ClientConfig {
            insecure: vec![addr.clone()],
            auth: no_auth(),
            ..ClientConfig::default()
        },
        ..ResolveConfig::default()
    })
    .unwrap();
    let start = std::time::Instant::now();
    let e = resolver
        .resolve(&r(&format!("{addr}/x:1")))
        .await
        .unwrap_err();
    assert!(matches!(e.error, ResolveError::Connect { .. }), "{e:?}");
    assert!(
        chain_text(&e).contains("cannot connect"),
        "{}",
        chain_text(&e)
    );
    assert!(start.elapsed() < Duration::from_secs(10));
}

fn write_docker_config(dir: &Path, json: &str) -> AuthSources {
    let f = dir.join("config.json");
    std::fs::write(&f, json).unwrap();
    AuthSources {
        files: vec![f],
        helper_path: Some(dir.as_os_str().to_owned()),
    }
}

#[tokio::test]
async fn basic_auth_from_config_json_helper_and_wrong_password() {
    let reg = Registry::with(Options {
        auth: Some(("alice".into(), "s3cret-pw".into())),
        ..Options::default()
    });
    let d = reg.push_image("private/app", "v1").await;
    let image = r(&format!("{}/private/app:v1", reg.addr));
    let dir = tempfile::tempdir().unwrap();

    // Anonymous: unauthorized, with the docker login hint.
    let e = Resolver::new(config(&reg, no_auth()))
        .unwrap()
        .resolve(&image)
        .await
        .unwrap_err();
    let msg = chain_text(&e);
    assert!(msg.contains(&format!("docker login {}", reg.addr)), "{msg}");

    // config.json `auths` with base64 auth.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode("alice:s3cret-pw");
    let auth = write_docker_config(
        dir.path(),
        &format!(
            r#"{{"auths": {{"http://{}": {{"auth": "{b64}"}}}}}}"#,
            reg.addr
        ),
    );
    let got = Resolver::new(config(&reg, auth))
        .unwrap()
        .resolve(&image)
        .await
        .unwrap();
    assert_eq!(got.digest, d);

    // A credential helper script named by credHelpers.
    let helper = dir.path().join("docker-credential-gatetest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread server\n[ \"$1\" = get ] && [ \"$server\" = \"{}\" ] || exit 1\n\
             echo '{{\"ServerURL\":\"'$server'\",\"Username\":\"alice\",\"Secret\":\"s3cret-pw\"}}'\n",
            reg.addr
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let auth = write_docker_config(
        dir.path(),
        &format!(r#"{{"credHelpers": {{"{}": "gatetest"}}}}"#, reg.addr),
    );
    let got = Resolver::new(config(&reg, auth))
        .unwrap()
        .resolve(&image)
        .await
        .unwrap();
    assert_eq!(got.digest, d);

    // Wrong password: rejected, and the password never appears in the message.
    let auth = write_docker_config(
        dir.path(),
        &format!(
            r#"{{"auths": {{"{}": {{"username": "alice", "password": "wrong-pw-xyz"}}}}}}"#,
            reg.addr
        ),
    );
    let e = Resolver::new(config(&reg, auth))
        .unwrap()
        .resolve(&image)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.error,
            ResolveError::Unauthorized {
                had_credentials: true,
                ..
            }
        ),
        "{e:?}"
    );
    let msg = chain_text(&e);
    assert!(
        msg.contains("rejected") && !msg.contains("wrong-pw-xyz"),
        "{msg}"
    );
}

#[tokio::test]
async fn tls_needs_the_ca_file() {
    let reg = Registry::with(Options {
        tls: true,
        ..Options::default()
    });
    let d = reg.push_image("team/app", "v1").await;
    let image = r(&format!("{}/team/app:v1", reg.addr));
    let got = Resolver::new(config(&reg, no_auth()))
        .unwrap()
        .resolve(&image)
        .await
        .unwrap();
    assert_eq!(got.digest, d);

    let mut untrusted = config(&reg, no_auth());
    untrusted.client.ca_files.clear();
    let e = Resolver::new(untrusted)
        .unwrap()
        .resolve(&image)
        .await
        .unwrap_err();
    assert!(matches!(e.error, ResolveError::Tls { .. }), "{e:?}");
    assert!(chain_text(&e).contains("--ca-file"), "{}", chain_text(&e));
}

#[tokio::test]
async fn mirrors_resolve_elsewhere_but_keep_the_users_reference() {
    let reg = Registry::start();
    let d = reg.push_image("hub/library/nginx", "1.27").await;
    let mut cfg = config(&reg, no_auth());
    cfg.mirrors = vec![format!("docker.io={}/hub", reg.addr)
        .parse::<Mirror>()
        .unwrap()];
    let got = Resolver::new(cfg)
        .unwrap()
        .resolve(&r("nginx:1.27"))
        .await
        .unwrap();
    assert_eq!(got.digest, d);
    assert_eq!(
        got.via.as_deref(),
        Some(format!("{}/hub/library/nginx", reg.addr).as_str())
    );
    assert_eq!(got.reference.pinned(&d, true), format!("nginx:1.27@{d}"));
    assert_eq!(got.canonical(), format!("docker.io/library/nginx@{d}"));
}
