//! gate's integration tests: one binary, one module per area.

#![allow(clippy::unwrap_used)]

mod fixtures;
mod harness;
mod reference;
mod resolve;
