//! Integration tests: one binary, one module per area.

mod cli;
mod curation;
mod daemon;
mod dry_run;
mod faults;
mod emergency_fallback;
mod lights;
mod lights_adapter;
mod lights_cli;
mod reload;
mod mosquitto_example;
mod security;
mod shipped_files;
mod skips;
mod support;
mod watchdog;
