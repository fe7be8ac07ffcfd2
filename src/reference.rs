//! Image reference grammar and normalisation (distribution/reference). Work in progress.
