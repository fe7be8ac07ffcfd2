//! gate's integration tests: one binary, one module per area.

#![allow(clippy::unwrap_used)]

mod action;
mod check;
mod check_joins;
mod check_pipeline;
mod cli;
mod conventions;
mod deployer;
mod deployer_apiserver;
mod deployer_props;
mod discover;
mod discover_oracle;
mod docs;
mod fixtures;
mod fuzz_regressions;
mod harness;
mod hostile;
mod interop;
mod junit_schema;
mod lint;
mod lint_skip;
mod matrix;
mod own_image;
mod pin;
mod pin_props;
mod policy;
mod proxy;
mod real_trivy;
mod reference;
mod report;
mod resolve;
mod scan;
mod tree;
#[path = "../support/trivy_db.rs"]
mod trivy_db;
mod tuf;
mod verify;
mod verify_bench;
mod verify_registry;
