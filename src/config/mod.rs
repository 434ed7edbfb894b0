//! The `psimon run` configuration: one TOML file, environment overrides, and a validation
//! that lists every problem with its path and value. Pure: text and environment in,
//! `Config` or problems out; reading files is the caller's.

mod check;
pub(crate) mod env;
mod fairness;
mod parse;
pub(crate) mod problem;
pub mod secrets;
pub(crate) mod types;
pub(crate) mod validate;

pub use check::{Checked, ConfigError, check, load};
pub use types::*;
