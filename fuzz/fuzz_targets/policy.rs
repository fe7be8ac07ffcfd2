//! Policy files: parsing never panics; errors name a line.
#![no_main]
use gate::policy::file::{Policy, PolicySource};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let _ = Policy::parse(data.to_string(), PolicySource::File("fuzz.yaml".into()));
});
