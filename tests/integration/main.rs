//! Integration tests: one binary, one module per area.

mod cli;
mod curation;
mod daemon;
mod dry_run;
mod lights;
mod lights_adapter;
mod lights_cli;
mod shipped_files;
mod skips;
mod support;
