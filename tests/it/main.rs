//! gate's integration tests: one binary, one module per area.

#![allow(clippy::unwrap_used)]

mod cli;
mod discover;
mod fixtures;
mod harness;
mod hostile;
mod lint;
mod pin;
mod proxy;
mod reference;
mod resolve;
mod scan;
mod verify;
mod verify_registry;
