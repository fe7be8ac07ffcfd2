//! Discovery + rewrite on arbitrary text: no panic; when the input is YAML that parses, the
//! pinned output parses too, names as many images, and pinning it again changes nothing.
#![no_main]
use gate::discover::{discover_sources, SearchRules};
use gate::pin::{self, PinOptions};
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use std::path::PathBuf;

const DIGEST: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn pin_once(name: &str, text: &str) -> Option<(usize, String)> {
    let path = PathBuf::from(name);
    let outcome = discover_sources(&[(path.clone(), text.to_string())], &SearchRules::default());
    let digests: HashMap<String, String> = pin::to_resolve(&outcome)
        .iter()
        .map(|r| (pin::lookup_key(r), DIGEST.to_string()))
        .collect();
    let plan = pin::plan(&outcome, &digests, &PinOptions::default()).ok()?;
    let updated = plan
        .updated(&path)
        .ok()?
        .unwrap_or_else(|| text.to_string());
    Some((outcome.uses.len(), updated))
}

fuzz_target!(|data: &str| {
    for name in [
        "deploy.yaml",
        "Dockerfile",
        "kustomization.yaml",
        "values.yaml",
    ] {
        let Some((uses, updated)) = pin_once(name, data) else {
            continue;
        };
        if name.ends_with(".yaml") && gate::yaml::parse_documents(data).is_ok() {
            assert!(
                gate::yaml::parse_documents(&updated).is_ok(),
                "pinned YAML no longer parses"
            );
        }
        if let Some((uses2, twice)) = pin_once(name, &updated) {
            assert_eq!(uses, uses2, "pinning changed the number of image uses");
            assert_eq!(updated, twice, "pinning is not idempotent");
        }
    }
});
