//! Errors of reading a sample file; each names the file and, where there is one, the line
//! and column.

use std::path::PathBuf;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DataError {
    /// The I/O error is part of the message, not a separate cause (which would print it
    /// twice in an error chain).
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path}: unknown file type; use a .csv, .jsonl or .ndjson file")]
    UnknownFormat { path: PathBuf },
    #[error("{path}: the file is empty")]
    Empty { path: PathBuf },
    #[error("{path}: the file has a header but no data rows")]
    NoRows { path: PathBuf },
    #[error("{path}: CSV error: {message}")]
    Csv { path: PathBuf, message: String },
    #[error("{path}, line {line}: not a JSON object: {message}")]
    Json {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}: no column \"{column}\" (columns: {available})")]
    MissingColumn {
        path: PathBuf,
        column: String,
        available: String,
    },
    #[error("{path}: field \"{column}\" is absent from all {rows} rows")]
    AbsentField {
        path: PathBuf,
        column: String,
        rows: u64,
    },
    #[error("{path}, line {line}, column \"{column}\": {message}")]
    Value {
        path: PathBuf,
        line: u64,
        column: String,
        message: String,
    },
}

/// Keeps an offending value short in messages.
pub(crate) fn excerpt(value: &str) -> String {
    const MAX: usize = 40;
    if value.chars().count() <= MAX {
        format!("\"{value}\"")
    } else {
        let cut: String = value.chars().take(MAX).collect();
        format!("\"{cut}...\"")
    }
}
