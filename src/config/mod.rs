//! The `psimon run` configuration: one TOML file, environment overrides, and a validation
//! that lists every problem with its path and value. Pure: text and environment in,
//! `Config` or problems out; reading files is the caller's.

mod check;
pub mod env;
mod fairness;
mod parse;
pub mod problem;
pub mod types;
pub mod validate;

pub use check::{Checked, ConfigError, check, load};
pub use types::*;
