//! Reading development and monitoring samples from CSV or JSON Lines files, one row at a
//! time, so that memory does not grow with the file. Owns the file formats and the rules for
//! missing values; knows nothing of bins or statistics.

pub(crate) mod cell;
pub(crate) mod error;
pub(crate) mod reader;
pub(crate) mod sample;
pub mod synth;
pub(crate) mod target;

pub use cell::{Cell, is_missing_token};
pub use error::DataError;
pub use reader::{Row, RowReader};
