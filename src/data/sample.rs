//! A development sample held in memory column by column, for choosing bins. A column is
//! numeric when every non-missing value parses as a number (unless forced categorical).

use std::collections::HashMap;
use std::path::Path;

use super::cell::{Cell, format_number};
use super::error::{DataError, excerpt};
use super::reader::RowReader;
use super::target::TargetClasses;

pub(crate) const MISSING_CODE: u32 = u32::MAX;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ColumnValues {
    /// NaN marks a missing value.
    Numeric(Vec<f64>),
    /// Index into `levels`, or `MISSING_CODE`.
    Categorical {
        codes: Vec<u32>,
        levels: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Column {
    pub name: String,
    pub values: ColumnValues,
}

#[derive(Debug, Clone)]
pub(crate) struct DevSample {
    pub rows: usize,
    pub columns: Vec<Column>,
    /// Per row: is the outcome bad (with a target column).
    pub is_bad: Option<Vec<bool>>,
    /// The target's good and bad values as text.
    pub target_values: Option<(String, String)>,
}

impl DevSample {
    /// The rows `rows` (in that order) as a sample of their own.
    pub(crate) fn subset(&self, rows: &[usize]) -> DevSample {
        let columns = self
            .columns
            .iter()
            .map(|c| Column {
                name: c.name.clone(),
                values: match &c.values {
                    ColumnValues::Numeric(v) => {
                        ColumnValues::Numeric(rows.iter().map(|&r| v[r]).collect())
                    }
                    ColumnValues::Categorical { codes, levels } => ColumnValues::Categorical {
                        codes: rows.iter().map(|&r| codes[r]).collect(),
                        levels: levels.clone(),
                    },
                },
            })
            .collect();
        DevSample {
            rows: rows.len(),
            columns,
            is_bad: self
                .is_bad
                .as_ref()
                .map(|b| rows.iter().map(|&r| b[r]).collect()),
            target_values: self.target_values.clone(),
        }
    }

    /// A seeded split into (training rows, holdout rows) with `fraction` of each outcome
    /// class (or of all rows, without a target) held out.
    pub(crate) fn split_holdout(&self, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
        split_holdout(self.rows, self.is_bad.as_deref(), fraction, seed)
    }
}

/// A seeded split of `rows` rows into (training rows, holdout rows) with `fraction` of each
/// outcome class (or of all rows, without outcomes) held out.
pub(crate) fn split_holdout(
    rows: usize,
    is_bad: Option<&[bool]>,
    fraction: f64,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut rng = crate::data::synth::Rng::new(seed);
    let classes: Vec<Vec<usize>> = match is_bad {
        Some(bad) => vec![
            (0..rows).filter(|&r| !bad[r]).collect(),
            (0..rows).filter(|&r| bad[r]).collect(),
        ],
        None => vec![(0..rows).collect()],
    };
    let (mut train, mut hold) = (Vec::new(), Vec::new());
    for mut rows in classes {
        // Fisher-Yates with the sample's own generator: the same seed, the same split.
        for i in (1..rows.len()).rev() {
            let j = ((rng.uniform() * (i + 1) as f64) as usize).min(i);
            rows.swap(i, j);
        }
        let n_hold = (rows.len() as f64 * fraction).round() as usize;
        hold.extend_from_slice(&rows[..n_hold]);
        train.extend_from_slice(&rows[n_hold..]);
    }
    train.sort_unstable();
    hold.sort_unstable();
    (train, hold)
}

/// What to load.
pub(crate) struct SampleRequest<'a> {
    pub features: &'a [String],
    pub categorical: &'a [String],
    pub target: Option<&'a str>,
    pub bad_value: Option<&'a str>,
}

/// A column's values while loading, with what is needed to tell a categorical column from
/// a numeric one with stray text in it.
struct ColumnBuilder {
    values: Builder,
    forced_categorical: bool,
    numbers: u64,
    texts: u64,
    first_text: Option<(u64, String)>,
}

impl ColumnBuilder {
    fn new(forced_categorical: bool) -> Self {
        Self {
            values: if forced_categorical {
                Builder::categorical()
            } else {
                Builder::Numeric(Vec::new())
            },
            forced_categorical,
            numbers: 0,
            texts: 0,
            first_text: None,
        }
    }

    /// Takes the cell of line `line`, counting numbers and texts (the first text kept for
    /// the error of a numeric column with a stray text).
    fn push(&mut self, cell: Cell<'_>, line: u64) {
        match cell.as_number() {
            Ok(Some(_)) => self.numbers += 1,
            Ok(None) => {}
            Err(()) => {
                self.texts += 1;
                if self.first_text.is_none()
                    && let Some(text) = cell.as_level()
                {
                    self.first_text = Some((line, text.into_owned()));
                }
            }
        }
        self.values.push(cell);
    }
}

enum Builder {
    Numeric(Vec<f64>),
    Categorical {
        codes: Vec<u32>,
        levels: Vec<String>,
        index: HashMap<String, u32>,
    },
}

impl Builder {
    fn categorical() -> Self {
        Builder::Categorical {
            codes: Vec::new(),
            levels: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn push_level(&mut self, level: Option<&str>) {
        if let Builder::Categorical {
            codes,
            levels,
            index,
        } = self
        {
            let code = match level {
                None => MISSING_CODE,
                Some(l) => *index.entry(l.to_string()).or_insert_with(|| {
                    levels.push(l.to_string());
                    (levels.len() - 1) as u32
                }),
            };
            codes.push(code);
        }
    }

    fn push(&mut self, cell: Cell<'_>) {
        if let Builder::Numeric(values) = self {
            match cell.as_number() {
                Ok(v) => {
                    values.push(v.unwrap_or(f64::NAN));
                    return;
                }
                Err(()) => {
                    // First text in the column: it is categorical after all.
                    let numbers = std::mem::take(values);
                    *self = Builder::categorical();
                    for v in numbers {
                        let text = (!v.is_nan()).then(|| format_number(v));
                        self.push_level(text.as_deref());
                    }
                }
            }
        }
        let level = cell.as_level();
        self.push_level(level.as_deref());
    }

    fn finish(self) -> ColumnValues {
        match self {
            Builder::Numeric(v) => ColumnValues::Numeric(v),
            Builder::Categorical { codes, levels, .. } => {
                ColumnValues::Categorical { codes, levels }
            }
        }
    }
}

/// Reads the requested columns of `path` into memory.
pub(crate) fn load_sample(path: &Path, req: &SampleRequest<'_>) -> Result<DevSample, DataError> {
    let mut names: Vec<String> = req.features.to_vec();
    if let Some(t) = req.target {
        names.push(t.to_string());
    }
    let mut reader = RowReader::open(path, &names)?;
    let mut builders: Vec<ColumnBuilder> = req
        .features
        .iter()
        .map(|f| ColumnBuilder::new(req.categorical.contains(f)))
        .collect();
    let mut classes = TargetClasses::default();
    let mut target_class: Vec<u8> = Vec::new();
    let nf = req.features.len();
    while let Some(row) = reader.next_row()? {
        for (i, b) in builders.iter_mut().enumerate() {
            b.push(row.cell(i), row.line());
        }
        if let Some(t) = req.target {
            let cell = row.cell(nf);
            let value_error = |message: String| DataError::Value {
                path: path.to_path_buf(),
                line: row.line(),
                column: t.to_string(),
                message,
            };
            let Some(level) = cell.as_level() else {
                return Err(value_error("the target is missing".into()));
            };
            let class = classes
                .observe(&level, row.line())
                .map_err(|e| value_error(e.to_string()))?;
            target_class.push(class);
        }
    }
    let rows = reader.rows() as usize;
    let (is_bad, target_values) = match req.target {
        None => (None, None),
        Some(t) => {
            let bad = classes
                .bad_class(req.bad_value)
                .map_err(|e| DataError::Value {
                    path: path.to_path_buf(),
                    line: reader.rows(),
                    column: t.to_string(),
                    message: e.to_string(),
                })?;
            let values = classes.values();
            let good = 1 - bad;
            (
                Some(target_class.iter().map(|&c| c == bad).collect()),
                Some((values[good as usize].clone(), values[bad as usize].clone())),
            )
        }
    };
    let mut columns = Vec::with_capacity(nf);
    for (name, b) in req.features.iter().zip(builders) {
        // Mostly numbers with some text: a data error, not a categorical feature.
        if !b.forced_categorical
            && b.numbers > b.texts
            && let Some((line, text)) = &b.first_text
        {
            let mut e = not_a_number(path, *line, name, text);
            if let DataError::Value { message, .. } = &mut e {
                message.push_str(&format!(
                    " ({} of the column's values are numbers; pass --categorical {name} \
                         if it is categorical)",
                    b.numbers
                ));
            }
            return Err(e);
        }
        columns.push(Column {
            name: name.clone(),
            values: b.values.finish(),
        });
    }
    Ok(DevSample {
        rows,
        columns,
        is_bad,
        target_values,
    })
}

/// A text cell in a numeric feature, as a user-facing error.
pub(crate) fn not_a_number(path: &Path, line: u64, column: &str, text: &str) -> DataError {
    DataError::Value {
        path: path.to_path_buf(),
        line,
        column: column.to_string(),
        message: format!("{} is not a number", excerpt(text)),
    }
}
