//! Integration tests: one binary, one module per area.

mod cli;
mod curation;
mod daemon;
mod dry_run;
mod shipped_files;
mod skips;
mod support;
