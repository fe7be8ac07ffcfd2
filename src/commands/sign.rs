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

/// Where the password for an existing key came from, so a wrong one is explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PasswordFrom {
    /// The variable `--password-env` names (default `COSIGN_PASSWORD`).
    Env,
    /// Typed at the terminal's prompt.
    Prompt,
    /// Neither: no variable and no terminal, so empty (what an unencrypted-by-password key has).
    Nothing,
}

/// The password for a key file, as cosign gets it: the variable `--password-env` names (default
/// `COSIGN_PASSWORD`) when set, even empty; else on a terminal, asked for without echo (`Enter
/// password for private key:`); else empty.
pub(super) fn password(
    var: &str,
) -> Result<(zeroize::Zeroizing<Vec<u8>>, PasswordFrom), CommandError> {
    use std::io::IsTerminal;
    if let Ok(p) = std::env::var(var) {
        return Ok((zeroize::Zeroizing::new(p.into_bytes()), PasswordFrom::Env));
    }
    if !std::io::stdin().is_terminal() {
        return Ok((zeroize::Zeroizing::new(Vec::new()), PasswordFrom::Nothing));
    }
    let typed = rpassword::prompt_password("Enter password for private key: ")
        .map_err(CommandError::Prompt)?;
    Ok((
        zeroize::Zeroizing::new(typed.into_bytes()),
        PasswordFrom::Prompt,
    ))
}

/// The signing key at `args.key`, decrypted with [`password`]; a password that does not
/// decrypt it is explained by where it came from (and the KDF's own text, which says
/// "encrypt", is left out).
fn signing_key(args: &SignArgs) -> Result<crate::verify::SigningKey, CommandError> {
    let (pw, from) = password(&args.password_env)?;
    match load_signing_key(&args.key, &pw) {
        Err(crate::verify::KeyError::Decrypt { origin, .. }) => {
            let var = &args.password_env;
            Err(CommandError::KeyPassword(match from {
                PasswordFrom::Nothing => format!(
                    "`{origin}` is encrypted and no password was given: set `{var}` to its \
                     password (or run `gate sign` on a terminal to be asked for it)"
                ),
                PasswordFrom::Env => format!(
                    "the password in `{var}` does not decrypt `{origin}`: set `{var}` to the \
                     password the key was generated with"
                ),
                PasswordFrom::Prompt => format!(
                    "the password entered does not decrypt `{origin}`: try again with the \
                     password the key was generated with"
                ),
            }))
        }
        r => Ok(r?),
    }
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
    let key = signing_key(args)?;
    let cfg = resolve_config(g)?;
    let resolver = Resolver::new(cfg.clone())?;
    let oci = push_client(&cfg);
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
    append_and_push(resolver, oci, auth, &repo, &tag, &layer).await?;
    Ok(format!(
        "signed {}@{} ({}/{}:{tag})\n",
        r.original(),
        resolved.digest,
        repo.domain,
        repo.path
    ))
}

/// Appends `layer` to the cosign attachment manifest under `tag` in `repo` (`.sig` or `.att`;
/// what is there is kept) and pushes the blobs and the manifest.
pub(super) async fn append_and_push(
    resolver: &Resolver,
    oci: &oci_client::Client,
    auth: &crate::registry::auth::AuthSources,
    repo: &Repo,
    tag: &str,
    layer: &crate::verify::SignatureLayer,
) -> Result<(), String> {
    let existing = match resolver.client().get_manifest(repo, tag).await {
        Ok(m) => Some(m.bytes.to_vec()),
        Err(ResolveError::NotFound { .. }) => None,
        Err(e) => return Err(chain_text(&e)),
    };
    let artifact = append_signature(existing.as_deref(), layer).map_err(|e| chain_text(&e))?;
    push(
        oci,
        auth,
        repo,
        &format!(":{tag}"),
        &artifact.blobs,
        &artifact.manifest,
        crate::verify::sign::OCI_MANIFEST_MEDIA_TYPE,
    )
    .await
}

/// Pushes `blobs` then `manifest` (of `media_type`) to `repo` at `at` (`:tag` or `@digest`).
pub(super) async fn push(
    oci: &oci_client::Client,
    auth: &crate::registry::auth::AuthSources,
    repo: &Repo,
    at: &str,
    blobs: &[(String, Vec<u8>)],
    manifest: &[u8],
    media_type: &str,
) -> Result<(), String> {
    let target: oci_client::Reference = format!("{}/{}{at}", repo.domain, repo.path)
        .parse()
        .map_err(|e: oci_client::ParseError| e.to_string())?;
    let registry_auth = registry_auth(auth, repo)?;
    oci.auth(&target, &registry_auth, oci_client::RegistryOperation::Push)
        .await
        .map_err(|e| format!("cannot log in to `{}` to push: {e}", repo.domain))?;
    for (digest, bytes) in blobs {
        match oci.push_blob(&target, bytes.clone(), digest).await {
            Ok(_) => {}
            // go-containerregistry's registry (and others) answer a finished upload without the
            // `Location` the spec requires: the upload counts when the blob is now there.
            Err(oci_client::errors::OciDistributionError::RegistryNoLocationError)
                if oci.blob_exists(&target, digest).await.unwrap_or(false) => {}
            Err(e) => return Err(format!("cannot push a signature blob: {e}")),
        }
    }
    let media_type = media_type
        .parse()
        .map_err(|_invalid| "invalid media type".to_string())?;
    oci.push_manifest_raw(&target, manifest.to_vec(), media_type)
        .await
        .map_err(|e| format!("cannot push the signature manifest: {e}"))?;
    Ok(())
}

/// An OCI client that pushes to the registries `cfg` names (plain HTTP for the insecure ones).
pub(super) fn push_client(cfg: &crate::resolve::ResolveConfig) -> oci_client::Client {
    oci_client::Client::new(ClientConfig {
        protocol: ClientProtocol::HttpsExcept(cfg.client.insecure.clone()),
        ..ClientConfig::default()
    })
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
    // The private key is the owner's alone; the public key is for everyone.
    type Write = fn(&std::path::Path, &[u8]) -> std::io::Result<()>;
    let files: [(&std::path::PathBuf, &[u8], Write); 2] = [
        (&key, &private[..], crate::fsutil::write_secret),
        (&public_path, &public[..], crate::fsutil::write_atomic),
    ];
    for (path, _, _) in &files {
        if path.exists() && !args.force {
            return Err(CommandError::Exists((*path).clone()));
        }
    }
    for (path, bytes, write) in files {
        write(path, bytes).map_err(|source| CommandError::Output {
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
    // The local files first: a missing bundle is the answer, not whatever getting Sigstore's
    // trusted root (network, TUF) says.
    for (what, path) in [("bundle", &args.bundle), ("file", &args.file)] {
        std::fs::File::open(path).map_err(|source| CommandError::Input {
            what,
            path: path.clone(),
            source,
        })?;
    }
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
