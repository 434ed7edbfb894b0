//! The command-line shell: argument parsing lives in `main.rs`; each command here reads its
//! files, calls the pure core and prints. Errors go up as `anyhow` with their context.

pub mod baseline_cmd;
mod config_secrets;
pub mod demo_cmd;
pub mod fmt;
pub mod generate_cmd;
pub mod loadgen_avro;
pub mod loadgen_cmd;
pub mod logging;
pub mod report_cmd;
pub mod run_cmd;
pub mod stats_cmd;
