//! Pin
