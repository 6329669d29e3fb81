//! Integration tests: one binary, one module per area.

mod arc_pictures;
mod cli;
mod cli_extras;
mod cli_fixes;
mod curation;
mod daemon;
mod dry_run;
mod emergency_fallback;
mod faults;
mod home_assistant;
mod json_everywhere;
mod lights;
mod lights_adapter;
mod lights_cli;
mod mosquitto_example;
mod reload;
mod remote_link;
mod remote_rooms;
mod security;
mod session_end;
mod settingd_check;
mod shipped_files;
mod skips;
mod support;
mod watch_view;
mod watchdog;
