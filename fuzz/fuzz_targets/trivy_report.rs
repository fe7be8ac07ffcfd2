//! Trivy reports and `trivy version` output: parsing never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = gate::scan::Report::parse(data);
    let _ = gate::scan::VersionInfo::parse(data);
});
