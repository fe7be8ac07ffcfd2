//! gate's integration tests: one binary, one module per area.

// The whole binary is test code: helpers may unwrap like the tests they serve.
#![allow(clippy::unwrap_used)]

mod scan;
