//! Reads a development sample into the baseline's scorecard bins with its target (and,
//! for `frontier`, a protected attribute's value per row), for `scorecard` and
//! `frontier`. A cell that fits no bin stops the read with its line and column.

use std::path::Path;

use anyhow::{Result, anyhow};

use crate::binning::{BinError, Binner, ModelBaseline};
use crate::data::RowReader;
use crate::data::error::excerpt;
use crate::data::target::TargetClasses;
use crate::scorecard::BinnedSample;

/// The sample in bins, plus what the fit leaves out.
pub(super) struct Read {
    pub sample: BinnedSample,
    /// The data line of each labelled row, in `sample.rows`' order.
    pub lines: Vec<u64>,
    /// Rows without a target value: their bins and lines (scored, not fitted).
    pub unlabelled: Vec<(u64, Vec<u16>)>,
    /// Per labelled row, the protected attribute's value (`None`: missing), when asked.
    pub protected: Option<Vec<Option<String>>>,
}

/// Bins every row of `input` with `model`'s scorecard bins; `target` says good or bad.
pub(super) fn read_binned(
    input: &Path,
    model: &ModelBaseline,
    target: &str,
    bad_value: Option<&str>,
    protected: Option<&str>,
) -> Result<Read> {
    let nf = model.features.len();
    let mut columns: Vec<String> = model.features.iter().map(|f| f.name.clone()).collect();
    columns.push(target.to_string());
    columns.extend(protected.map(str::to_string));
    let binners: Vec<Binner> = model
        .features
        .iter()
        .map(|f| Binner::new(f.bins.clone()))
        .collect();
    let bad_value = bad_value
        .map(str::to_string)
        .or_else(|| model.target.as_ref().map(|t| t.bad_value.clone()));
    let mut reader = RowReader::open(input, &columns)?;
    let mut classes = TargetClasses::default();
    let (mut rows, mut bad, mut lines, mut unlabelled) = (vec![], vec![], vec![], vec![]);
    let mut groups = protected.map(|_| Vec::new());
    while let Some(row) = reader.next_row()? {
        let line = row.line();
        let mut bins = Vec::with_capacity(nf);
        for (i, b) in binners.iter().enumerate() {
            let bin = b.bin_cell(row.cell(i)).map_err(|e| match e {
                BinError::NotANumber => {
                    let text = row.cell(i).as_level().map(|t| t.into_owned());
                    anyhow!(
                        "{}: line {line}, column \"{}\": {} is not a number",
                        input.display(),
                        columns[i],
                        excerpt(&text.unwrap_or_default())
                    )
                }
            })?;
            bins.push(bin as u16);
        }
        let Some(level) = row.cell(nf).as_level() else {
            unlabelled.push((line, bins));
            continue;
        };
        classes
            .observe(&level, line)
            .map_err(|e| anyhow!("{}: line {line}, column \"{target}\": {e}", input.display()))?;
        bad.push(match &bad_value {
            Some(b) => level.as_ref() == b.as_str(),
            None => level == "1" || level == "true",
        });
        if let Some(g) = &mut groups {
            g.push(row.cell(nf + 1).as_level().map(|v| v.into_owned()));
        }
        rows.push(bins);
        lines.push(line);
    }
    classes
        .bad_class(bad_value.as_deref())
        .map_err(|e| anyhow!("{}: column \"{target}\": {e}", input.display()))?;
    Ok(Read {
        sample: BinnedSample {
            features: columns[..nf].to_vec(),
            labels: model.features.iter().map(|f| f.labels.clone()).collect(),
            rows,
            bad,
        },
        lines,
        unlabelled,
        protected: groups,
    })
}
