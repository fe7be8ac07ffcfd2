//! `gate sign`, `gate generate-key-pair` and `gate verify-blob`: cosign-compatible signing for
//! release scripts without cosign, and the Sigstore bundle verifier.
//!
//! Signing resolves each image to its digest, signs a simple-signing payload for that digest, and
//! appends the layer to the image's `sha256-<hex>.sig` manifest (existing signatures are kept).

use super::{emit, resolve_config, CommandError, Outcome};
use crate::cli::{GenerateKeyPairArgs, GlobalArgs, SignArgs, VerifyBlobArgs};
use crate::reference::Reference;
use crate::registry::{chain_text, Repo, ResolveError};
use crate::resolve::Resolver;
use crate::verify::sign::{append_signature, sign_digest, signature_tag};
use crate::verify::{load_signing_key, BlobOptions, KeylessIdentity};
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;

/// The password for a key file: the variable `--password-env` names (default `COSIGN_PASSWORD`),
/// else empty, as cosign does.
fn password(var: &str) -> Vec<u8> {
    std::env::var(var).unwrap_or_default().into_bytes()
}

/// The password for a new key: from `var` when it is set (even empty, as cosign does), else,
/// on a terminal, asked for twice without echo like cosign (`Enter password for private key:`,
/// then `again`); without a terminal and without `var`, empty.
fn new_key_password(var: &str) -> Result<zeroize::Zeroizing<Vec<u8>>, CommandError> {
    use std::io::IsTerminal;
    if let Ok(p) = std::env::var(var) {
        return Ok(zeroize::Zeroizing::new(p.into_bytes()));
    }
    if !std::io::stdin().is_terminal() {
        return Ok(zeroize::Zeroizing::new(Vec::new()));
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(|p| zeroize::Zeroizing::new(p.into_bytes()))
            .map_err(CommandError::Prompt)
    };
    let first = ask("Enter password for private key: ")?;
    let second = ask("Enter password for private key again: ")?;
    if first != second {
        return Err(CommandError::PasswordMismatch);
    }
    Ok(first)
}

pub async fn sign(g: &GlobalArgs, args: &SignArgs) -> Result<Outcome, CommandError> {
    let key = load_signing_key(&args.key, &password(&args.password_env))?;
    let cfg = resolve_config(g)?;
    let resolver = Resolver::new(cfg.clone())?;
    let oci = oci_client::Client::new(ClientConfig {
        protocol: ClientProtocol::HttpsExcept(cfg.client.insecure.clone()),
        ..ClientConfig::default()
    });
    let mut failed = false;
    for image in &args.images {
        match sign_one(&resolver, &oci, &cfg.client.auth, &key, image).await {
            Ok(line) => emit(g, &line)?,
            Err(e) => {
                failed = true;
                eprintln!("error: `{image}`: {e}");
            }
        }
    }
    Ok(if failed {
        Outcome::Incomplete
    } else {
        Outcome::Passed
    })
}

async fn sign_one(
    resolver: &Resolver,
    oci: &oci_client::Client,
    auth: &crate::registry::auth::AuthSources,
    key: &crate::verify::SigningKey,
    image: &str,
) -> Result<String, String> {
    let r = Reference::parse(image).map_err(|e| e.to_string())?;
    let resolved = resolver.resolve(&r).await.map_err(|e| chain_text(&e))?;
    let (repo, _) = resolver.repo_for(&r);
    let layer = sign_digest(key, &r.name(), &resolved.digest).map_err(|e| chain_text(&e))?;
    let tag = signature_tag(&resolved.digest);
    let existing = match resolver.client().get_manifest(&repo, &tag).await {
        Ok(m) => Some(m.bytes.to_vec()),
        Err(ResolveError::NotFound { .. }) => None,
        Err(e) => return Err(chain_text(&e)),
    };
    let artifact = append_signature(existing.as_deref(), &layer).map_err(|e| chain_text(&e))?;
    let target: oci_client::Reference = format!("{}/{}:{tag}", repo.domain, repo.path)
        .parse()
        .map_err(|e: oci_client::ParseError| e.to_string())?;
    let registry_auth = registry_auth(auth, &repo)?;
    oci.auth(&target, &registry_auth, oci_client::RegistryOperation::Push)
        .await
        .map_err(|e| format!("cannot log in to `{}` to push: {e}", repo.domain))?;
    for (digest, bytes) in &artifact.blobs {
        match oci.push_blob(&target, bytes.clone(), digest).await {
            Ok(_) => {}
            // go-containerregistry's registry (and others) answer a finished upload without the
            // `Location` the spec requires: the upload counts when the blob is now there.
            Err(oci_client::errors::OciDistributionError::RegistryNoLocationError)
                if oci.blob_exists(&target, digest).await.unwrap_or(false) => {}
            Err(e) => return Err(format!("cannot push a signature blob: {e}")),
        }
    }
    let media_type = "application/vnd.oci.image.manifest.v1+json"
        .parse()
        .map_err(|_invalid| "invalid media type".to_string())?;
    oci.push_manifest_raw(&target, artifact.manifest.clone(), media_type)
        .await
        .map_err(|e| format!("cannot push the signature manifest: {e}"))?;
    Ok(format!(
        "signed {}@{} ({}/{}:{tag})\n",
        r.original(),
        resolved.digest,
        repo.domain,
        repo.path
    ))
}

fn registry_auth(
    auth: &crate::registry::auth::AuthSources,
    repo: &Repo,
) -> Result<RegistryAuth, String> {
    use crate::registry::auth::Credential;
    match auth.lookup(&repo.domain, &repo.path) {
        Ok(Some(Credential::Basic { username, password })) => {
            Ok(RegistryAuth::Basic(username, password))
        }
        Ok(Some(Credential::IdentityToken(_))) => Err(format!(
            "pushing to `{}` with an identity token is not supported: use a password or token",
            repo.domain
        )),
        Ok(None) => Ok(RegistryAuth::Anonymous),
        Err(e) => Err(chain_text(&e)),
    }
}

pub fn generate_key_pair(
    g: &GlobalArgs,
    args: &GenerateKeyPairArgs,
) -> Result<Outcome, CommandError> {
    let (private, public) =
        crate::verify::generate_key_pair(&new_key_password(&args.password_env)?)?;
    let key = args.output_key_prefix.with_extension("key");
    let public_path = args.output_key_prefix.with_extension("pub");
    for (path, bytes) in [(&key, &private), (&public_path, &public)] {
        if path.exists() && !args.force {
            return Err(CommandError::Exists(path.clone()));
        }
        crate::fsutil::write_atomic(path, bytes).map_err(|source| CommandError::Output {
            path: path.clone(),
            source,
        })?;
    }
    if !g.quiet {
        eprintln!(
            "Private key written to {}\nPublic key written to {}",
            key.display(),
            public_path.display()
        );
    }
    Ok(Outcome::Passed)
}

pub fn verify_blob(g: &GlobalArgs, args: &VerifyBlobArgs) -> Result<Outcome, CommandError> {
    let identity = match (&args.certificate_identity, &args.certificate_oidc_issuer) {
        (Some(i), Some(o)) => Some(KeylessIdentity::exact(o, i)),
        (None, None) => None,
        _ => return Err(CommandError::IdentityNeedsIssuer),
    };
    let opts = BlobOptions {
        key: args.key.clone(),
        identity,
        trusted_root: Some(
            super::trust_choice(g)
                .resolve(&super::tuf_options(g))
                .map_err(|e| Box::new(crate::verify::VerifyError::from(Box::new(e))))?,
        ),
    };
    crate::verify::verify_blob(&args.file, &args.bundle, &opts).map_err(Box::new)?;
    emit(g, "Verified OK\n")?;
    Ok(Outcome::Passed)
}
