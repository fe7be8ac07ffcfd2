//! gate's integration tests: one binary, one module per area.

mod fixtures;
mod reference;
mod discover;
mod pin;
