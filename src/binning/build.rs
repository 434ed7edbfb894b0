//! Chooses every feature's bins from a development sample held in memory and counts the
//! sample into them: candidate cells (quantiles, or levels), then stumps or not, then the
//! merges of `merge.rs`. Deterministic for a given sample and parameters.

use std::collections::HashMap;

use thiserror::Error;

use super::baseline::PopulationBins;
use super::baseline::{FeatureBaseline, ModelBaseline, TargetInfo};
use super::merge::{Segment, Totals, enforce_max_bins, enforce_min_share, enforce_monotone};
use super::population::population_bins;
use super::quantile::quantile_edges;
use super::spec::{BinSpec, Binner};
use super::stumps::{EXCLUDED, StumpFeature, StumpParams, boost_stumps};
use crate::data::sample::{Column, ColumnValues, DevSample, MISSING_CODE};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// Equal-frequency bins.
    Quantile,
    /// Gradient-boosted stumps on the target.
    Stumps,
}

#[derive(Debug, Clone)]
pub(crate) struct BuildParams {
    pub method: Method,
    /// Most ordinary bins per feature (Missing, Other and special bins come on top).
    pub max_bins: usize,
    /// Least share of a feature's ordinary rows that a bin must hold.
    pub min_bin_share: f64,
    /// Merge until WoE is monotone (needs a target).
    pub monotone: bool,
    /// Codes of numeric features that get a bin each.
    pub special_values: Vec<f64>,
    pub stumps: StumpParams,
    /// Most equal-frequency population bins of a numeric feature; 0 writes none. None are
    /// written where they would equal the scorecard bins.
    pub population_bins: usize,
    /// The scorecard's score column: binned by a stump fit of its own, outside the joint
    /// fit of the other features.
    pub score: Option<String>,
}

/// Candidate cells for the stumps' split search (XGBoost's default max_bin).
const STUMP_CELLS: usize = 256;

#[derive(Debug, Error, PartialEq)]
pub(crate) enum BuildError {
    #[error("--method stumps needs a target (--target COLUMN)")]
    StumpsNeedTarget,
    #[error("--monotone needs a target (--target COLUMN)")]
    MonotoneNeedsTarget,
    #[error("--max-bins must be at least 2, got {0}")]
    MaxBins(usize),
    #[error("--min-bin-share must lie in [0, 0.5], got {0}")]
    MinShare(f64),
    #[error("special value {0} is not a finite number")]
    Special(f64),
}

/// Ordered candidate cells of one feature: what the stumps split and the merges join.
struct Cells {
    codes: Vec<u16>,
    count: usize,
    kind: CellKind,
}

enum CellKind {
    /// Cell `c` is `[edges[c-1], edges[c])`.
    Numeric { edges: Vec<f64> },
    /// Cell `c` is the level `levels[c]`.
    Categorical { levels: Vec<String> },
}

pub(crate) fn build_model(
    name: &str,
    sample: &DevSample,
    target_column: Option<&str>,
    params: &BuildParams,
) -> Result<ModelBaseline, BuildError> {
    check_params(sample, params)?;
    let totals = sample.is_bad.as_ref().map(|bad| {
        let bads = bad.iter().filter(|&&b| b).count() as u64;
        Totals {
            goods: sample.rows as u64 - bads,
            bads,
        }
    });
    let cell_budget = match params.method {
        Method::Quantile => params.max_bins,
        Method::Stumps => STUMP_CELLS,
    };
    let cells: Vec<Cells> = sample
        .columns
        .iter()
        .map(|c| {
            candidate_cells(
                c,
                sample,
                params,
                cell_budget,
                params.method == Method::Stumps,
            )
        })
        .collect();

    let splits = match (params.method, &sample.is_bad) {
        (Method::Stumps, Some(is_bad)) => Some(fit_stumps(sample, &cells, is_bad, params)),
        _ => None,
    };

    let mut features = Vec::with_capacity(cells.len());
    for (f, (column, cell)) in sample.columns.iter().zip(&cells).enumerate() {
        let specials = specials_present(column, &params.special_values);
        let chosen = splits.as_ref().map(|s| s[f].as_slice());
        let (mut segs, method) = match chosen {
            Some(bounds) if !bounds.is_empty() => (segments(cell, sample, Some(bounds)), "stumps"),
            // A feature no stump chose carries no information on the target; quantile bins
            // still let PSI watch it.
            Some(_) => {
                let fallback = candidate_cells(column, sample, params, params.max_bins, false);
                let spec = finish(
                    &fallback,
                    segments(&fallback, sample, None),
                    &specials,
                    params,
                    totals,
                );
                features.push(count_feature(
                    column,
                    spec,
                    sample,
                    "quantile (no stump split)",
                ));
                continue;
            }
            None => (segments(cell, sample, None), "quantile"),
        };
        if let Some(t) = totals
            && params.monotone
        {
            enforce_monotone(&mut segs, t);
        }
        let spec = finish(cell, segs, &specials, params, totals);
        features.push(count_feature(column, spec, sample, method));
    }
    Ok(ModelBaseline {
        name: name.to_string(),
        applications: sample.rows as u64,
        target: target_column.and_then(|column| {
            sample.target_values.as_ref().map(|(good, bad)| TargetInfo {
                column: column.to_string(),
                bad_value: bad.clone(),
                good_value: good.clone(),
            })
        }),
        features: with_population(features, sample, params),
    })
}

/// Each feature's stump splits. The score, when named, is fit on its own and left out of
/// the joint fit: a scorecard's score carries the other features' information, so in one
/// fit it would take the rounds and leave them without a split.
fn fit_stumps(
    sample: &DevSample,
    cells: &[Cells],
    is_bad: &[bool],
    params: &BuildParams,
) -> Vec<Vec<usize>> {
    let mut feats: Vec<StumpFeature> = cells
        .iter()
        .map(|c| StumpFeature {
            codes: c.codes.clone(),
            cells: c.count,
        })
        .collect();
    let score = params
        .score
        .as_ref()
        .and_then(|name| sample.columns.iter().position(|c| &c.name == name));
    let Some(at) = score else {
        return boost_stumps(&feats, is_bad, params.stumps);
    };
    let alone = std::mem::replace(
        &mut feats[at],
        StumpFeature {
            codes: vec![EXCLUDED; sample.rows],
            cells: cells[at].count,
        },
    );
    let mut splits = boost_stumps(&feats, is_bad, params.stumps);
    splits[at] = boost_stumps(&[alone], is_bad, params.stumps).remove(0);
    splits
}

fn check_params(sample: &DevSample, params: &BuildParams) -> Result<(), BuildError> {
    if params.method == Method::Stumps && sample.is_bad.is_none() {
        return Err(BuildError::StumpsNeedTarget);
    }
    if params.monotone && sample.is_bad.is_none() {
        return Err(BuildError::MonotoneNeedsTarget);
    }
    if params.max_bins < 2 {
        return Err(BuildError::MaxBins(params.max_bins));
    }
    if !(0.0..=0.5).contains(&params.min_bin_share) {
        return Err(BuildError::MinShare(params.min_bin_share));
    }
    if let Some(s) = params.special_values.iter().find(|s| !s.is_finite()) {
        return Err(BuildError::Special(*s));
    }
    Ok(())
}

/// `exact`: with at most `budget` distinct values, one cell per value (XGBoost's exact
/// split finding), so that small samples split where XGBoost would.
fn candidate_cells(
    column: &Column,
    sample: &DevSample,
    params: &BuildParams,
    budget: usize,
    exact: bool,
) -> Cells {
    match &column.values {
        ColumnValues::Numeric(values) => {
            let regular = |v: f64| !v.is_nan() && !params.special_values.contains(&v);
            let mut sorted: Vec<f64> = values.iter().copied().filter(|&v| regular(v)).collect();
            sorted.sort_by(f64::total_cmp);
            let budget = budget.min(EXCLUDED as usize);
            let edges = match exact.then(|| distinct_edges(&sorted, budget)).flatten() {
                Some(edges) => edges,
                None => quantile_edges(&sorted, budget),
            };
            let codes = values
                .iter()
                .map(|&v| {
                    if regular(v) {
                        edges.partition_point(|e| *e <= v) as u16
                    } else {
                        EXCLUDED
                    }
                })
                .collect();
            Cells {
                codes,
                count: edges.len() + 1,
                kind: CellKind::Numeric { edges },
            }
        }
        ColumnValues::Categorical { codes, levels } => {
            let order = level_order(codes, levels, sample, params);
            let mut position = vec![EXCLUDED; levels.len()];
            for (pos, &level) in order.iter().enumerate() {
                position[level] = pos as u16;
            }
            Cells {
                codes: codes
                    .iter()
                    .map(|&c| {
                        if c == MISSING_CODE {
                            EXCLUDED
                        } else {
                            position[c as usize]
                        }
                    })
                    .collect(),
                count: order.len(),
                kind: CellKind::Categorical {
                    levels: order.iter().map(|&l| levels[l].clone()).collect(),
                },
            }
        }
    }
}

/// Every distinct value of `sorted` but the smallest, as edges (one cell per value), when
/// there are at most `budget` of them.
fn distinct_edges(sorted: &[f64], budget: usize) -> Option<Vec<f64>> {
    let mut edges: Vec<f64> = Vec::new();
    for w in sorted.windows(2) {
        if w[1] > w[0] {
            edges.push(w[1]);
            if edges.len() + 1 > budget {
                return None;
            }
        }
    }
    Some(edges)
}

/// Levels that keep a bin of their own, in bin order: by WoE with a target, else by
/// frequency. Levels under the minimum share (and, without a target, beyond `max_bins`)
/// go to Other.
fn level_order(
    codes: &[u32],
    levels: &[String],
    sample: &DevSample,
    params: &BuildParams,
) -> Vec<usize> {
    let mut count = vec![0u64; levels.len()];
    let mut bads = vec![0u64; levels.len()];
    for (row, &c) in codes.iter().enumerate() {
        if c != MISSING_CODE {
            count[c as usize] += 1;
            if sample.is_bad.as_ref().is_some_and(|b| b[row]) {
                bads[c as usize] += 1;
            }
        }
    }
    let present: u64 = count.iter().sum();
    let mut kept: Vec<usize> = (0..levels.len())
        .filter(|&l| count[l] > 0 && count[l] as f64 >= params.min_bin_share * present as f64)
        .collect();
    match &sample.is_bad {
        Some(_) => {
            let total_bads: u64 = bads.iter().sum();
            let total_goods = present - total_bads;
            let woe = |l: usize| {
                let g = (count[l] - bads[l]) as f64 + 0.5;
                let b = bads[l] as f64 + 0.5;
                ((g / (total_goods as f64 + 0.5)) / (b / (total_bads as f64 + 0.5))).ln()
            };
            kept.sort_by(|&a, &b| woe(a).total_cmp(&woe(b)).then(levels[a].cmp(&levels[b])));
        }
        None => {
            kept.sort_by(|&a, &b| count[b].cmp(&count[a]).then(levels[a].cmp(&levels[b])));
            kept.truncate(params.max_bins);
        }
    }
    kept
}

/// Counts per cell, grouped into segments at `bounds` (every cell its own without them).
fn segments(cells: &Cells, sample: &DevSample, bounds: Option<&[usize]>) -> Vec<Segment> {
    let mut count = vec![0u64; cells.count];
    let mut bads = vec![0u64; cells.count];
    for (row, &c) in cells.codes.iter().enumerate() {
        if c != EXCLUDED {
            count[c as usize] += 1;
            if sample.is_bad.as_ref().is_some_and(|b| b[row]) {
                bads[c as usize] += 1;
            }
        }
    }
    let mut segs: Vec<Segment> = Vec::new();
    for c in 0..cells.count {
        let starts_new = c == 0 || bounds.is_none_or(|b| b.contains(&c));
        if starts_new {
            segs.push(Segment::new(c, count[c], count[c] - bads[c], bads[c]));
        } else {
            let last = segs.last_mut().expect("cell 0 starts a segment");
            last.pieces.push(c);
            last.count += count[c];
            last.goods += count[c] - bads[c];
            last.bads += bads[c];
        }
    }
    segs
}

/// Applies the share and size limits and turns the segments into a spec.
fn finish(
    cells: &Cells,
    mut segs: Vec<Segment>,
    specials: &[f64],
    params: &BuildParams,
    totals: Option<Totals>,
) -> BinSpec {
    let ordinary: u64 = segs.iter().map(|s| s.count).sum();
    enforce_min_share(&mut segs, ordinary, params.min_bin_share, totals);
    enforce_max_bins(&mut segs, params.max_bins, totals);
    match &cells.kind {
        CellKind::Numeric { edges } => BinSpec::Numeric {
            edges: segs
                .iter()
                .skip(1)
                .map(|s| edges[s.pieces[0] - 1])
                .collect(),
            special_values: specials.to_vec(),
        },
        CellKind::Categorical { levels } => BinSpec::Categorical {
            levels: segs
                .iter()
                .map(|s| s.pieces.iter().map(|&p| levels[p].clone()).collect())
                .collect(),
        },
    }
}

/// The special values that occur in a numeric column: only they get a bin, so a feature
/// without special codes has no empty special bins.
fn specials_present(column: &Column, specials: &[f64]) -> Vec<f64> {
    match &column.values {
        ColumnValues::Numeric(values) => specials
            .iter()
            .copied()
            .filter(|s| values.contains(s))
            .collect(),
        ColumnValues::Categorical { .. } => Vec::new(),
    }
}

/// `model`'s bins with the counts of another sample (the full one, or a holdout).
pub(crate) fn recount(model: &ModelBaseline, sample: &DevSample) -> ModelBaseline {
    let features = model
        .features
        .iter()
        .zip(&sample.columns)
        .map(|(f, column)| FeatureBaseline {
            population: f
                .population
                .as_ref()
                .map(|p| count_population(column, p.bins.clone(), sample)),
            ..count_feature(column, f.bins.clone(), sample, &f.method)
        })
        .collect();
    ModelBaseline {
        applications: sample.rows as u64,
        features,
        ..model.clone()
    }
}

/// Counts the sample into the final bins.
fn count_feature(
    column: &Column,
    spec: BinSpec,
    sample: &DevSample,
    method: &str,
) -> FeatureBaseline {
    let binner = Binner::new(spec);
    let n = binner.spec().bin_count();
    let mut counts = vec![0u64; n];
    let mut bads = vec![0u64; n];
    let mut level_bins: HashMap<u32, usize> = HashMap::new();
    for row in 0..sample.rows {
        let bin = match &column.values {
            ColumnValues::Numeric(v) => binner.bin_number((!v[row].is_nan()).then_some(v[row])),
            ColumnValues::Categorical { codes, levels } => {
                let code = codes[row];
                *level_bins.entry(code).or_insert_with(|| {
                    binner.bin_level((code != MISSING_CODE).then(|| levels[code as usize].as_str()))
                })
            }
        };
        counts[bin] += 1;
        if sample.is_bad.as_ref().is_some_and(|b| b[row]) {
            bads[bin] += 1;
        }
    }
    let with_target = sample.is_bad.is_some();
    let other = other_levels(column, &level_bins, binner.spec());
    FeatureBaseline {
        name: column.name.clone(),
        labels: binner.spec().labels(),
        method: method.to_string(),
        other_levels: other,
        goods: with_target.then(|| counts.iter().zip(&bads).map(|(c, b)| c - b).collect()),
        bads: with_target.then_some(bads),
        counts,
        bins: binner.spec().clone(),
        population: None,
    }
}

/// The levels of a categorical column that `spec` puts in Other, the most frequent first:
/// what the Other bin held at development.
fn other_levels(column: &Column, level_bins: &HashMap<u32, usize>, spec: &BinSpec) -> Vec<String> {
    let ColumnValues::Categorical { codes, levels } = &column.values else {
        return Vec::new();
    };
    let other = spec.regular_bins();
    let mut rows: HashMap<u32, u64> = HashMap::new();
    for c in codes.iter().filter(|c| level_bins.get(c) == Some(&other)) {
        *rows.entry(*c).or_default() += 1;
    }
    let mut members: Vec<(u32, u64)> = rows.into_iter().collect();
    members.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(levels[a.0 as usize].cmp(&levels[b.0 as usize]))
    });
    members
        .into_iter()
        .map(|(c, _)| levels[c as usize].clone())
        .collect()
}

/// The population bins `spec` with the sample's counts.
fn count_population(column: &Column, spec: BinSpec, sample: &DevSample) -> PopulationBins {
    let counted = count_feature(column, spec, sample, "");
    PopulationBins {
        bins: counted.bins,
        labels: counted.labels,
        counts: counted.counts,
    }
}

/// Adds population bins to every feature of `features` (columns in the same order).
/// Whether two specs put every value in the same bin: equal edges and specials, or the
/// same groups of levels in any order.
fn same_bins(a: &BinSpec, b: &BinSpec) -> bool {
    let groups = |levels: &[Vec<String>]| -> std::collections::BTreeSet<Vec<String>> {
        levels
            .iter()
            .map(|g| {
                let mut g = g.clone();
                g.sort();
                g
            })
            .collect()
    };
    match (a, b) {
        (BinSpec::Categorical { levels: x }, BinSpec::Categorical { levels: y }) => {
            groups(x) == groups(y)
        }
        _ => a == b,
    }
}

fn with_population(
    mut features: Vec<FeatureBaseline>,
    sample: &DevSample,
    params: &BuildParams,
) -> Vec<FeatureBaseline> {
    if params.population_bins == 0 {
        return features;
    }
    for (feature, column) in features.iter_mut().zip(&sample.columns) {
        let specials = specials_present(column, &params.special_values);
        let spec = population_bins(
            column,
            &specials,
            params.population_bins,
            params.min_bin_share,
        );
        // Bins identical to the scorecard's would watch the same thing twice.
        if !same_bins(&spec, &feature.bins) {
            feature.population = Some(count_population(column, spec, sample));
        }
    }
    features
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_distinct_values_get_a_cell_each_where_quantiles_would_merge_them() {
        // 990 zeros, one 1, nine 2s: 256 quantile cells put the lone 1 with the 2s.
        let mut v = vec![0.0; 990];
        v.push(1.0);
        v.extend([2.0; 9]);
        assert_eq!(quantile_edges(&v, 256), vec![2.0]);
        assert_eq!(distinct_edges(&v, 256), Some(vec![1.0, 2.0]));
        // More distinct values than the budget: quantiles as before.
        let many: Vec<f64> = (0..300).map(f64::from).collect();
        assert_eq!(distinct_edges(&many, 256), None);
        assert_eq!(distinct_edges(&many[..256], 256).unwrap().len(), 255);
        assert_eq!(distinct_edges(&[3.0; 5], 256), Some(vec![]));
    }
}
