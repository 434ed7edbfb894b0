//! Batch PSI (and IV) of a sample against a baseline model: counts rows into the baseline's
//! bins one at a time, then computes every series' statistics (each feature under its
//! scorecard bins and, where the baseline has them, its population bins). Pure: rows come
//! in as cells, results go out as values; the CLI reads the file and prints.

use serde::Serialize;

use crate::binning::{BinError, BinSpec, Binner, FeatureBaseline, ModelBaseline};
use crate::data::Cell;
use crate::evaluate::Binning;
use crate::evaluate::new_levels::{NewLevelSummary, NewLevels};
use crate::stats::{
    IvChange, IvOptions, IvStats, PsiOptions, PsiStats, StatsError, iv, iv_change, psi,
};

/// Counts per bin of every series of one model.
pub struct BatchCounter {
    /// Per series: its feature's index and binning, and its binner.
    series: Vec<(usize, Binning)>,
    binners: Vec<Binner>,
    counts: Vec<Vec<u64>>,
    /// Per series, per bin: rows whose target is bad / good (with a target).
    bads: Vec<Vec<u64>>,
    goods: Vec<Vec<u64>>,
    rows: u64,
    rows_with_target: u64,
    /// Bins of the row being added (per series), reused across rows.
    scratch: Vec<usize>,
    /// Per series: the new levels of a categorical feature's scorecard bins.
    new_levels: Vec<Option<NewLevels>>,
}

/// A cell that does not fit its feature's bins.
#[derive(Debug, Clone, PartialEq)]
pub struct CellError {
    pub feature: usize,
    pub error: BinError,
}

impl BatchCounter {
    pub fn new(model: &ModelBaseline) -> Self {
        let mut series = Vec::new();
        let mut binners = Vec::new();
        let mut new_levels = Vec::new();
        for (i, f) in model.features.iter().enumerate() {
            series.push((i, Binning::Scorecard));
            binners.push(Binner::new(f.bins.clone()));
            new_levels.push(NewLevels::for_feature(f));
            if let Some(p) = &f.population {
                series.push((i, Binning::Population));
                binners.push(Binner::new(p.bins.clone()));
                new_levels.push(None);
            }
        }
        let zeros = |b: &Binner| vec![0u64; b.spec().bin_count()];
        Self {
            counts: binners.iter().map(zeros).collect(),
            bads: binners.iter().map(zeros).collect(),
            goods: binners.iter().map(zeros).collect(),
            scratch: vec![0; binners.len()],
            new_levels,
            series,
            binners,
            rows: 0,
            rows_with_target: 0,
        }
    }

    /// Adds one row: `cell(i)` is the value of feature `i`; `is_bad` its outcome if known.
    /// On error nothing of the row is counted.
    pub fn add_row<'a>(
        &mut self,
        cell: impl Fn(usize) -> Cell<'a>,
        is_bad: Option<bool>,
    ) -> Result<(), CellError> {
        for (s, b) in self.binners.iter().enumerate() {
            let feature = self.series[s].0;
            self.scratch[s] = b
                .bin_cell(cell(feature))
                .map_err(|error| CellError { feature, error })?;
        }
        for (i, &bin) in self.scratch.iter().enumerate() {
            self.counts[i][bin] += 1;
            if let Some(n) = &mut self.new_levels[i] {
                n.note(bin, || cell(self.series[i].0));
            }
            match is_bad {
                Some(true) => self.bads[i][bin] += 1,
                Some(false) => self.goods[i][bin] += 1,
                None => {}
            }
        }
        self.rows += 1;
        if is_bad.is_some() {
            self.rows_with_target += 1;
        }
        Ok(())
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Adds another counter's counts (same model): counting parts of a sample separately
    /// and merging gives the counts of the whole.
    pub fn merge(&mut self, other: &BatchCounter) {
        let add = |into: &mut Vec<Vec<u64>>, from: &Vec<Vec<u64>>| {
            for (a, b) in into.iter_mut().zip(from) {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
            }
        };
        add(&mut self.counts, &other.counts);
        add(&mut self.goods, &other.goods);
        add(&mut self.bads, &other.bads);
        for (mine, theirs) in self.new_levels.iter_mut().zip(&other.new_levels) {
            if let (Some(m), Some(t)) = (mine, theirs) {
                m.merge(t);
            }
        }
        self.rows += other.rows;
        self.rows_with_target += other.rows_with_target;
    }

    /// Counts of the first feature's bins (for tests and callers with one feature).
    pub fn counts(&self) -> &[u64] {
        self.counts.first().map_or(&[], |c| c.as_slice())
    }

    pub fn rows_with_target(&self) -> u64 {
        self.rows_with_target
    }

    /// Statistics of every series, each feature's scorecard series first. `with_target`
    /// asks for IV from the sample's outcomes (on scorecard bins).
    pub fn finish(
        &self,
        model: &ModelBaseline,
        opts: PsiOptions,
        with_target: bool,
    ) -> Vec<FeatureReport> {
        self.series
            .iter()
            .enumerate()
            .map(|(i, &(f, binning))| {
                self.feature_report(i, &model.features[f], binning, opts, with_target)
            })
            .collect()
    }

    fn feature_report(
        &self,
        i: usize,
        f: &FeatureBaseline,
        binning: Binning,
        opts: PsiOptions,
        with_target: bool,
    ) -> FeatureReport {
        let to_f64 = |v: &[u64]| v.iter().map(|&c| c as f64).collect::<Vec<f64>>();
        let (spec, labels, baseline_counts): (&BinSpec, &[String], &[u64]) =
            match (binning, &f.population) {
                (Binning::Population, Some(p)) => (&p.bins, &p.labels, &p.counts),
                _ => (&f.bins, &f.labels, &f.counts),
            };
        let current = to_f64(&self.counts[i]);
        let baseline = to_f64(baseline_counts);
        let psi_result = psi(&current, &baseline, opts);
        let iv_result = (with_target && binning == Binning::Scorecard).then(|| {
            iv(
                &to_f64(&self.goods[i]),
                &to_f64(&self.bads[i]),
                IvOptions {
                    alpha: opts.alpha,
                    tau: None,
                },
            )
        });
        // IV now against the development IV of the baseline's goods and bads.
        let development_iv = match (&iv_result, &f.goods, &f.bads) {
            (Some(_), Some(g), Some(b)) => iv(
                &to_f64(g),
                &to_f64(b),
                IvOptions {
                    alpha: opts.alpha,
                    tau: None,
                },
            )
            .ok(),
            _ => None,
        };
        let change = match (&iv_result, &development_iv) {
            (Some(Ok(now)), Some(dev)) => Some(iv_change(dev, now, opts.alpha)),
            _ => None,
        };
        let cur_total: f64 = current.iter().sum();
        let base_total: f64 = baseline.iter().sum();
        let contrib = psi_result
            .as_ref()
            .ok()
            .map(|p| expand(&p.contrib, &p.dropped_bins, baseline.len()));
        let ci = |b: usize| super::feature::share_interval(current[b], cur_total, opts.alpha);
        let bins = (0..baseline.len())
            .map(|b| BinReport {
                current_ci_lower: ci(b).map(|c| c.0),
                current_ci_upper: ci(b).map(|c| c.1),
                label: labels.get(b).cloned().unwrap_or_default(),
                baseline_count: baseline_counts[b],
                baseline_share: baseline[b] / base_total,
                current_count: self.counts[i][b],
                current_share: if cur_total > 0.0 {
                    current[b] / cur_total
                } else {
                    0.0
                },
                contrib: contrib.as_ref().and_then(|c| c[b]),
                goods: iv_result.is_some().then(|| self.goods[i][b]),
                bads: iv_result.is_some().then(|| self.bads[i][b]),
                baseline_goods: development_iv.as_ref().and(f.goods.as_ref()).map(|g| g[b]),
                baseline_bads: development_iv.as_ref().and(f.bads.as_ref()).map(|d| d[b]),
            })
            .collect();
        let missing = self.counts[i][spec.missing_bin()];
        FeatureReport {
            name: f.name.clone(),
            binning,
            new_levels: self.new_levels[i]
                .as_ref()
                .and_then(|n| n.summary(self.rows)),
            other_levels: match binning {
                Binning::Scorecard => f.other_levels.clone(),
                Binning::Population => Vec::new(),
            },
            kind: match f.bins {
                crate::binning::BinSpec::Numeric { .. } => "numeric",
                crate::binning::BinSpec::Categorical { .. } => "categorical",
            },
            missing_ratio: if self.rows > 0 {
                missing as f64 / self.rows as f64
            } else {
                0.0
            },
            psi: psi_result,
            iv: iv_result,
            development_iv,
            iv_change: change,
            bins,
        }
    }
}

/// Values over kept bins back onto all bins (`None` where a bin was dropped).
fn expand(kept: &[f64], dropped: &[usize], n: usize) -> Vec<Option<f64>> {
    let mut it = kept.iter();
    (0..n)
        .map(|b| {
            if dropped.contains(&b) {
                None
            } else {
                it.next().copied()
            }
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct BinReport {
    pub label: String,
    pub baseline_count: u64,
    pub baseline_share: f64,
    pub current_count: u64,
    pub current_share: f64,
    /// The equal-tailed `1 - alpha` Jeffreys interval of the current share (each bin on
    /// its own); null for an empty sample.
    pub current_ci_lower: Option<f64>,
    pub current_ci_upper: Option<f64>,
    /// PSI contribution; null for a bin empty in both samples (dropped).
    pub contrib: Option<f64>,
    /// The sample's goods and bads in the bin (with a target, scorecard bins).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goods: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bads: Option<u64>,
    /// The development goods and bads in the bin (with a target and a baseline built with
    /// one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_goods: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_bads: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct FeatureReport {
    pub name: String,
    pub binning: Binning,
    /// The development levels the scorecard bins' OTHER holds (categorical features).
    pub other_levels: Vec<String>,
    /// Levels never seen in development, when any (scorecard bins of categorical features).
    pub new_levels: Option<NewLevelSummary>,
    pub kind: &'static str,
    pub missing_ratio: f64,
    pub psi: Result<PsiStats, StatsError>,
    pub iv: Option<Result<IvStats, StatsError>>,
    /// The development IV of the baseline's goods and bads (with a target).
    pub development_iv: Option<IvStats>,
    /// IV now against the baseline's development IV (with a target and baseline outcomes).
    pub iv_change: Option<IvChange>,
    pub bins: Vec<BinReport>,
}

impl FeatureReport {
    /// The sample's count per bin, as the statistics take them.
    pub fn current_counts(&self) -> Vec<f64> {
        self.bins.iter().map(|b| b.current_count as f64).collect()
    }

    /// The baseline's count per bin.
    pub fn baseline_counts(&self) -> Vec<f64> {
        self.bins.iter().map(|b| b.baseline_count as f64).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binning::BinSpec;

    fn model() -> ModelBaseline {
        let bins = BinSpec::Numeric {
            edges: vec![10.0],
            special_values: vec![],
        };
        ModelBaseline {
            name: "m".into(),
            applications: 100,
            target: None,
            features: vec![FeatureBaseline {
                name: "x".into(),
                labels: bins.labels(),
                bins,
                method: String::new(),
                counts: vec![50, 50, 0],
                goods: None,
                bads: None,
                population: None,
                other_levels: Vec::new(),
            }],
        }
    }

    #[test]
    fn counts_rows_and_rejects_text_in_numeric_features() {
        let m = model();
        let mut c = BatchCounter::new(&m);
        for v in ["1", "11", "12", ""] {
            c.add_row(|_| Cell::from_text(v), None).unwrap();
        }
        assert!(c.add_row(|_| Cell::Text("abc"), None).is_err());
        assert_eq!(c.rows(), 4);
        let r = &c.finish(&m, PsiOptions::default(), false)[0];
        let counts: Vec<u64> = r.bins.iter().map(|b| b.current_count).collect();
        assert_eq!(counts, vec![1, 2, 1]);
        assert_eq!(r.missing_ratio, 0.25);
        let p = r.psi.as_ref().unwrap();
        // Offline: the same counts straight through the core.
        let direct = psi(&[1.0, 2.0, 1.0], &[50.0, 50.0, 0.0], PsiOptions::default()).unwrap();
        assert_eq!(p.psi, direct.psi);
        assert!(r.bins.iter().all(|b| b.contrib.is_some()));
    }
}
