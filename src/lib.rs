//! psimon: a drift monitor for credit-risk scorecards.
//!
//! # Layout
//! - [`binning`]: bin specs, the baseline file, and the builders of bins.
//! - [`calc`]: the bin-count calculator of `psimon stats` (JSON cases in, results out).
//! - [`data`]: streaming rows of CSV and JSON Lines samples; the missing-value rules.
//! - [`stats`]: pure statistics — PSI, WoE, IV with SE, intervals and tests.
pub mod binning;
pub mod calc;
pub mod data;
pub mod stats;
