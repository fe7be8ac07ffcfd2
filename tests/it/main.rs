//! gate's integration tests: one binary, one module per area.

#![allow(clippy::unwrap_used)]

mod cli;
mod fixtures;
mod harness;
mod policy;
mod reference;
mod report;
mod resolve;
