//! psimon: a drift monitor for credit-risk scorecards.
//!
//! # Layout
//! - [`batch`]: batch PSI/IV of a sample against a baseline model (`psimon report`).
//! - [`binning`]: bin specs, the baseline file, and the builders of bins.
//! - [`calc`]: the bin-count calculator of `psimon stats` (JSON cases in, results out).
//! - [`cli`]: the commands `stats`, `baseline` and `report` (file I/O and printing).
//! - [`config`]: the `psimon run` configuration: TOML, environment overrides, validation.
//! - [`data`]: streaming rows of CSV and JSON Lines samples; the missing-value rules.
//! - [`stats`]: pure statistics — PSI, WoE, IV with SE, intervals and tests.
//! - [`synth`]: synthetic credit applications (for `psimon generate`, tests and benches).
pub mod batch;
pub mod binning;
pub mod calc;
pub mod cli;
pub mod config;
pub mod data;
pub mod stats;
pub mod synth;
