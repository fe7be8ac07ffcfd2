//! Image references: parsing never panics, and normalising is idempotent.
#![no_main]
use gate::reference::Reference;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    if let Ok(r) = Reference::parse(data) {
        let again = Reference::parse(&r.to_string()).expect("a normalised reference parses");
        assert_eq!(again.to_string(), r.to_string());
        let pinned = r.pinned(&format!("sha256:{}", "a".repeat(64)), true);
        Reference::parse(&pinned).expect("a pinned reference parses");
    }
    let _ = Reference::parse_strict(data);
});
