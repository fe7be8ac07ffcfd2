//! gate's integration tests: one binary, one module per area.

mod discover;
mod fixtures;
mod pin;
mod reference;
