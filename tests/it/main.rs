//! gate's integration tests: one binary, one module per area.

#![allow(clippy::unwrap_used)]

mod check;
mod cli;
mod discover;
mod fixtures;
mod fuzz_regressions;
mod harness;
mod hostile;
mod interop;
mod lint;
mod matrix;
mod pin;
mod pin_props;
mod policy;
mod proxy;
mod reference;
mod report;
mod resolve;
mod scan;
mod verify;
mod verify_bench;
mod verify_registry;
