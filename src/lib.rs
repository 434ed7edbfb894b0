//! psimon: a drift monitor for credit-risk scorecards.
//!
//! # Layout
//! - [`calc`]: the bin-count calculator of `psimon stats` (JSON cases in, results out).
//! - [`stats`]: pure statistics — PSI, WoE, IV with SE, intervals and tests.
pub mod calc;
pub mod stats;
