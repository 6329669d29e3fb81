//! Tests of the core in virtual time: whole sessions in milliseconds.

mod fixture;
mod overrides;
mod persistence;
mod prompts;
mod properties;
mod properties_gen;
mod properties_regressions;
mod readings;
mod session;
mod validation;
