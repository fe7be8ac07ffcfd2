//! gate's integration tests: one binary, one module per area.

#![allow(clippy::unwrap_used)]

mod cli;
mod discover;
mod fixtures;
mod harness;
mod pin;
mod reference;
mod resolve;
