//! Streaming rows of a CSV (with a header) or JSON Lines file, restricted to the columns a
//! caller asks for. One row is held at a time.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::cell::Cell;
use super::error::DataError;

enum Source {
    Csv {
        reader: csv::Reader<BufReader<File>>,
        record: csv::StringRecord,
        /// Column index in the file of each requested column.
        index: Vec<usize>,
    },
    Jsonl {
        reader: BufReader<File>,
        buffer: String,
        object: Map<String, Value>,
        /// Whether each requested field was seen in any row.
        seen: Vec<bool>,
        bytes: u64,
    },
}

/// Reads rows one at a time: `while let Some(row) = reader.next_row()? { ... }`.
pub struct RowReader {
    path: PathBuf,
    columns: Vec<String>,
    source: Source,
    line: u64,
    rows: u64,
}

/// One row, borrowed from the reader until the next call.
pub struct Row<'r> {
    source: &'r Source,
    columns: &'r [String],
    line: u64,
}

impl Row<'_> {
    /// The `i`-th requested column of this row.
    pub fn cell(&self, i: usize) -> Cell<'_> {
        match self.source {
            Source::Csv { record, index, .. } => {
                Cell::from_text(record.get(index[i]).unwrap_or(""))
            }
            Source::Jsonl { object, .. } => match object.get(&self.columns[i]) {
                None | Some(Value::Null) => Cell::Missing,
                Some(Value::Number(n)) => n.as_f64().map_or(Cell::Missing, Cell::Number),
                Some(Value::String(s)) => Cell::from_text(s),
                Some(Value::Bool(true)) => Cell::Text("true"),
                Some(Value::Bool(false)) => Cell::Text("false"),
                // Nested values are not a feature value; they read as text that no
                // numeric bin accepts and no categorical level matches.
                Some(_) => Cell::Text("<nested>"),
            },
        }
    }

    /// 1-based line of the file this row came from.
    pub fn line(&self) -> u64 {
        self.line
    }
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> DataError + '_ {
    move |cause| DataError::Io {
        path: path.to_path_buf(),
        cause,
    }
}

impl RowReader {
    /// Opens `path` (format by extension) and resolves `columns`; a CSV file must have all
    /// of them in its header.
    pub fn open(path: &Path, columns: &[String]) -> Result<Self, DataError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase());
        let file = File::open(path).map_err(io_error(path))?;
        let meta = file.metadata().map_err(io_error(path))?;
        if meta.len() == 0 {
            return Err(DataError::Empty {
                path: path.to_path_buf(),
            });
        }
        let source = match ext.as_deref() {
            Some("csv") => Self::open_csv(path, file, columns)?,
            Some("jsonl") | Some("ndjson") => Source::Jsonl {
                reader: BufReader::new(file),
                buffer: String::new(),
                object: Map::new(),
                seen: vec![false; columns.len()],
                bytes: 0,
            },
            _ => {
                return Err(DataError::UnknownFormat {
                    path: path.to_path_buf(),
                });
            }
        };
        Ok(Self {
            path: path.to_path_buf(),
            columns: columns.to_vec(),
            source,
            line: 0,
            rows: 0,
        })
    }

    fn open_csv(path: &Path, file: File, columns: &[String]) -> Result<Source, DataError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(BufReader::new(file));
        let headers = reader.headers().map_err(|e| csv_error(path, e))?.clone();
        let names: Vec<&str> = headers.iter().map(str::trim).collect();
        let mut index = Vec::with_capacity(columns.len());
        for column in columns {
            match names.iter().position(|h| h == column) {
                Some(i) => index.push(i),
                None => {
                    return Err(DataError::MissingColumn {
                        path: path.to_path_buf(),
                        column: column.clone(),
                        available: names.join(", "),
                    });
                }
            }
        }
        Ok(Source::Csv {
            reader,
            record: csv::StringRecord::new(),
            index,
        })
    }

    /// The header of a CSV file, or `None` for JSON Lines.
    pub fn csv_headers(path: &Path) -> Result<Option<Vec<String>>, DataError> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !ext.eq_ignore_ascii_case("csv") {
            return Ok(None);
        }
        let file = File::open(path).map_err(io_error(path))?;
        if file.metadata().map_err(io_error(path))?.len() == 0 {
            return Err(DataError::Empty {
                path: path.to_path_buf(),
            });
        }
        let mut reader = csv::Reader::from_reader(BufReader::new(file));
        let headers = reader.headers().map_err(|e| csv_error(path, e))?;
        Ok(Some(headers.iter().map(|h| h.trim().to_string()).collect()))
    }

    /// Bytes consumed so far, for a progress bar.
    pub fn bytes_read(&self) -> u64 {
        match &self.source {
            Source::Csv { reader, .. } => reader.position().byte(),
            Source::Jsonl { bytes, .. } => *bytes,
        }
    }

    /// The next row, or `None` at the end. At the end of a file that held no rows, or of a
    /// JSON Lines file in which a requested field never appeared, this is an error.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>, DataError> {
        let got = match &mut self.source {
            Source::Csv { reader, record, .. } => {
                let more = reader
                    .read_record(record)
                    .map_err(|e| csv_error(&self.path, e))?;
                if more {
                    self.line = record.position().map_or(self.line + 1, |p| p.line());
                }
                more
            }
            Source::Jsonl {
                reader,
                buffer,
                object,
                seen,
                bytes,
            } => loop {
                buffer.clear();
                let n = reader.read_line(buffer).map_err(io_error(&self.path))?;
                if n == 0 {
                    break false;
                }
                *bytes += n as u64;
                self.line += 1;
                if buffer.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Value>(buffer) {
                    Ok(Value::Object(map)) => {
                        *object = map;
                        for (s, c) in seen.iter_mut().zip(&self.columns) {
                            *s |= object.contains_key(c);
                        }
                        break true;
                    }
                    Ok(_) => {
                        return Err(DataError::Json {
                            path: self.path.clone(),
                            line: self.line,
                            message: "the line is JSON but not an object".into(),
                        });
                    }
                    Err(e) => {
                        return Err(DataError::Json {
                            path: self.path.clone(),
                            line: self.line,
                            message: e.to_string(),
                        });
                    }
                }
            },
        };
        if !got {
            self.finish()?;
            return Ok(None);
        }
        self.rows += 1;
        Ok(Some(Row {
            source: &self.source,
            columns: &self.columns,
            line: self.line,
        }))
    }

    fn finish(&self) -> Result<(), DataError> {
        if self.rows == 0 {
            return Err(match &self.source {
                Source::Csv { .. } => DataError::NoRows {
                    path: self.path.clone(),
                },
                Source::Jsonl { .. } => DataError::Empty {
                    path: self.path.clone(),
                },
            });
        }
        if let Source::Jsonl { seen, .. } = &self.source
            && let Some(i) = seen.iter().position(|s| !s)
        {
            return Err(DataError::AbsentField {
                path: self.path.clone(),
                column: self.columns[i].clone(),
                rows: self.rows,
            });
        }
        Ok(())
    }

    /// Rows read so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }
}

fn csv_error(path: &Path, e: csv::Error) -> DataError {
    let line = e.position().map(|p| p.line());
    let message = match (e.kind(), line) {
        (
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            },
            Some(line),
        ) => format!("line {line}: {len} fields where the header has {expected_len}"),
        // The crate's own messages start with "CSV error: ", which the variant says.
        _ => {
            let text = e.to_string();
            text.strip_prefix("CSV error: ")
                .unwrap_or(&text)
                .to_string()
        }
    };
    DataError::Csv {
        path: path.to_path_buf(),
        message,
    }
}
