//! `gate resolve IMAGE...`: one line per argument, the input and `name@sha256:…`.

use super::{emit, resolve_config, CommandError, Outcome};
use crate::cli::{Format, GlobalArgs, ResolveArgs};
use crate::reference::Reference;
use crate::registry::chain_text;
use crate::resolve::Resolver;
use serde::Serialize;

#[derive(Serialize)]
struct Row<'a> {
    input: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
    /// `docker.io/library/nginx@sha256:…`
    #[serde(skip_serializing_if = "Option::is_none")]
    canonical: Option<String>,
    /// `nginx:1.27@sha256:…`, in the user's spelling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pinned: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub async fn run(g: &GlobalArgs, args: &ResolveArgs) -> Result<Outcome, CommandError> {
    let resolver = Resolver::new(resolve_config(g)?)?;
    let mut rows: Vec<Row> = args
        .images
        .iter()
        .map(|input| Row {
            input,
            reference: None,
            digest: None,
            canonical: None,
            pinned: None,
            media_type: None,
            via: None,
            error: None,
        })
        .collect();
    let mut refs = Vec::new();
    let mut slots = Vec::new();
    for (i, input) in args.images.iter().enumerate() {
        match Reference::parse(input) {
            Ok(r) => {
                refs.push(r);
                slots.push(i);
            }
            Err(e) => rows[i].error = Some(format!("`{input}`: {e}")),
        }
    }
    for (slot, res) in slots.into_iter().zip(resolver.resolve_all(&refs).await) {
        let row = &mut rows[slot];
        match res {
            Ok(r) => {
                row.reference = Some(r.reference.to_string());
                row.canonical = Some(r.canonical());
                row.pinned = Some(r.reference.pinned(&r.digest, true));
                row.digest = Some(r.digest);
                row.media_type = r.media_type;
                row.via = r.via;
            }
            Err(e) => row.error = Some(chain_text(&e)),
        }
    }
    let failed = rows.iter().filter(|r| r.error.is_some()).count();
    for r in &rows {
        if let Some(e) = &r.error {
            eprintln!("error: {e}");
        }
    }
    let text = match g.format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&rows).unwrap_or_default();
            s.push('\n');
            s
        }
        _ => {
            let width = rows.iter().map(|r| r.input.len()).max().unwrap_or(0);
            rows.iter()
                .filter_map(|r| {
                    let c = r.canonical.as_ref()?;
                    Some(format!("{:width$}  {c}\n", r.input))
                })
                .collect()
        }
    };
    emit(g, &text)?;
    Ok(if failed > 0 {
        Outcome::Incomplete
    } else {
        Outcome::Passed
    })
}
