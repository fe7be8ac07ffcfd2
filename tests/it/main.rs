//! gate's integration tests: one binary, one module per area.

#![allow(clippy::unwrap_used)]

mod cli;
mod fixtures;
mod harness;
mod hostile;
mod lint;
mod proxy;
mod reference;
mod resolve;
mod scan;
mod verify;
mod verify_registry;
