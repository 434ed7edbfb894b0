//! The pure statistics core: PSI, WoE and IV with standard errors, intervals and tests,
//! exactly as `shared/reference/STATISTICS.md` specifies. No I/O, no clock, no allocation
//! beyond the result vectors; callers pass count vectors over the same bins.
//!
//! - `divergence`: the smoothed Jeffreys divergence and its delta-method variance parts.
//! - `inference`: intervals (normal, log, noncentral chi-square) and tests from value + SE.
//! - `special`: normal and (noncentral) chi-square functions.
//! - `multiple`: multiple-testing adjustment of the p-values of one evaluation.
//! - `report`: `psi()` and `iv()`, the user-facing results with the reference field names.
//! - `discrimination`: AUC, Gini and KS of a score with DeLong's SE; decline against development.
//! - `calibration`: bad rate per score band against its PD (Jeffreys test, Hosmer-Lemeshow).
//! - `expected`: bad rate, AUC and IV expected of a population under development bad rates.
//! - `family`: Jensen-Shannon, Hellinger, KL both ways and chi-square with their SEs.
//! - `compare`: IV now against IV at development (the drop, its SE, test and interval).

pub mod calc;
pub(crate) mod calibration;
pub(crate) mod compare;
pub(crate) mod discrimination;
pub(crate) mod divergence;
pub(crate) mod error;
pub(crate) mod expected;
pub(crate) mod family;
pub(crate) mod inference;
pub(crate) mod multiple;
pub(crate) mod report;
pub mod special;

pub use calibration::{Band, Calibration, Light, calibration, jeffreys_interval, jeffreys_p};
pub use compare::{IvChange, iv_change};
pub use discrimination::{Discrimination, GiniDecline, discrimination, gini_decline};
pub use error::StatsError;
pub use expected::{Development, Expected, expected};
pub use family::{DivergenceStats, FamilyOptions, Measure, family};
pub use multiple::{Adjustment, adjust};
pub use report::{
    DEFAULT_ALPHA, DEFAULT_PSI_TAU, IvOptions, IvStats, PsiOptions, PsiStats, iv, psi,
};
