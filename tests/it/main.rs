//! gate's integration tests: one binary, one module per area.

#![allow(clippy::unwrap_used)]

mod cli;
mod fixtures;
mod harness;
mod reference;
mod resolve;
mod verify;
mod verify_bench;
mod verify_registry;
