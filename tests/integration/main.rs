//! Integration tests: one binary, one module per area.

mod cli;
mod curation;
mod daemon;
mod shipped_files;
mod support;
