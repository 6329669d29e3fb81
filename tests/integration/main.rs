//! Integration tests: one binary, one module per area.

mod cli;
mod daemon;
mod shipped_files;
mod support;
