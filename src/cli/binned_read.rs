//! Reads a development sample into the baseline's scorecard bins with its target (and,
//! for `frontier`, a protected attribute's value per row), for `scorecard` and
//! `frontier`. A cell that fits no bin stops the read with its line and column.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};

use crate::binning::{BaselineFile, BinError, Binner, ModelBaseline};
use crate::data::RowReader;
use crate::data::error::excerpt;
use crate::data::target::TargetClasses;
use crate::scorecard::BinnedSample;

/// The arguments both commands take: the baseline, the development sample and its target.
#[derive(clap::Args)]
pub(super) struct DevSample {
    /// Baseline file (`psimon baseline`): its scorecard bins are the ones used.
    #[arg(long)]
    pub baseline: PathBuf,
    /// Development sample (.csv with a header, or .jsonl) with the target column.
    #[arg(long)]
    pub input: PathBuf,
    /// Outcome column.
    #[arg(long)]
    pub target: String,
    /// The target value that marks a bad outcome (default: the baseline's, else 1/true).
    #[arg(long)]
    pub bad_value: Option<String>,
    /// Model of the baseline file (needed when it holds several).
    #[arg(long)]
    pub model: Option<String>,
    /// Only these features (default: all of the model's but `score`).
    #[arg(long, value_delimiter = ',')]
    pub features: Option<Vec<String>>,
}

impl DevSample {
    /// The baseline's model with the features asked for (by default all but `score`, the
    /// score being judged, not a characteristic).
    pub(super) fn model(&self) -> Result<ModelBaseline> {
        let file = BaselineFile::load(&self.baseline)?;
        let mut model = super::model_choice::select_model(
            &file,
            self.model.as_deref(),
            self.features.as_deref(),
        )?;
        if self.features.is_none() {
            model
                .features
                .retain(|f| f.name != crate::config::SCORE_FEATURE);
        }
        if model.features.is_empty() {
            bail!("no features to use: the model has none but its score");
        }
        Ok(model)
    }

    /// The sample in `model`'s bins, with `protected`'s value per row when asked.
    pub(super) fn read(&self, model: &ModelBaseline, protected: Option<&str>) -> Result<Read> {
        read_binned(
            &self.input,
            model,
            &self.target,
            self.bad_value.as_deref(),
            protected,
        )
    }
}

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
fn read_binned(
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
