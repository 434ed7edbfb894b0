//! From a fitted model to points per bin. The score is `offset + factor ln(odds good:bad)`
//! with `factor = pdo / ln 2` and `offset = base_score - factor ln(base_odds)`; the model
//! gives `ln(odds bad) = β0 + Σ_j c_j(bin_j)`, so each feature's bin scores
//! `offset/m - factor (β0/m + c_j(bin))`, rounded to whole points, and an application's
//! score is the sum of its bins' points.

use serde::Serialize;

use super::encode::{BinnedSample, Design, Encoding, training_counts};
use super::logistic::{Fit, FitError, fit};

/// Points to double the odds, and the score at given good:bad odds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scaling {
    pub base_score: f64,
    pub base_odds: f64,
    pub pdo: f64,
}

impl Scaling {
    fn factor(&self) -> f64 {
        self.pdo / std::f64::consts::LN_2
    }

    fn offset(&self) -> f64 {
        self.base_score - self.factor() * self.base_odds.ln()
    }
}

/// One bin of the scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BinPoints {
    pub feature: String,
    pub bin: usize,
    pub label: String,
    pub training_goods: f64,
    pub training_bads: f64,
    pub woe: f64,
    /// The coefficient of the bin's column: the feature's WoE coefficient, the bin's
    /// one-hot coefficient, or 0 for a one-hot reference (or empty) bin.
    pub coefficient: f64,
    /// Its standard error (0 where there is no column).
    pub coefficient_se: f64,
    /// The bin's part of `ln(odds bad)`.
    pub logit: f64,
    pub points: i64,
}

#[derive(Debug, Clone)]
pub struct Scorecard {
    pub encoding: Encoding,
    pub scaling: Scaling,
    pub fit: Fit,
    pub bins: Vec<BinPoints>,
    /// Per feature, the index in `bins` of its first bin (`bins` is feature by feature).
    first: Vec<usize>,
}

impl Scorecard {
    /// The bins of a row, one per feature.
    fn row_bins<'a>(&'a self, row: &'a [u16]) -> impl Iterator<Item = &'a BinPoints> {
        row.iter()
            .zip(&self.first)
            .map(|(&b, &first)| &self.bins[first + b as usize])
    }

    /// The score of a row: the sum of its bins' points.
    pub fn score(&self, row: &[u16]) -> i64 {
        self.row_bins(row).map(|b| b.points).sum()
    }

    /// The row's points per feature.
    pub fn points(&self, row: &[u16]) -> Vec<i64> {
        self.row_bins(row).map(|b| b.points).collect()
    }

    /// The model's probability of a bad outcome for the row (before rounding to points).
    pub fn pd(&self, row: &[u16]) -> f64 {
        let logit = self.fit.coefficients[0] + self.row_bins(row).map(|b| b.logit).sum::<f64>();
        1.0 / (1.0 + (-logit).exp())
    }
}

/// Fits the model on the `train` rows under `encoding` and scales it to points.
pub fn build(
    s: &BinnedSample,
    train: &[usize],
    encoding: Encoding,
    ridge: f64,
    scaling: Scaling,
) -> Result<Scorecard, FitError> {
    let counts = training_counts(s, train);
    let design = Design::of(encoding, &counts);
    let rows: Vec<_> = train.iter().map(|&r| design.row(&s.rows[r])).collect();
    let bad: Vec<bool> = train.iter().map(|&r| s.bad[r]).collect();
    let fitted = fit(&rows, &bad, design.columns, ridge)?;
    let m = s.features.len() as f64;
    let (factor, offset) = (scaling.factor(), scaling.offset());
    let intercept = fitted.coefficients[0];
    let mut bins = Vec::new();
    let mut first = Vec::new();
    for (f, name) in s.features.iter().enumerate() {
        first.push(bins.len());
        for (b, label) in s.labels[f].iter().enumerate() {
            let cell = design.cells[f][b];
            let (coefficient, coefficient_se) = cell.map_or((0.0, 0.0), |(c, _)| {
                (fitted.coefficients[c], fitted.standard_errors[c])
            });
            let logit = cell.map_or(0.0, |(c, v)| fitted.coefficients[c] * v);
            bins.push(BinPoints {
                feature: name.clone(),
                bin: b,
                label: label.clone(),
                training_goods: counts[f].0[b],
                training_bads: counts[f].1[b],
                woe: design.woe[f][b],
                coefficient,
                coefficient_se,
                logit,
                points: (offset / m - factor * (intercept / m + logit)).round() as i64,
            });
        }
    }
    Ok(Scorecard {
        encoding,
        scaling,
        fit: fitted,
        bins,
        first,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_points_follow_the_scaling() {
        // One feature, two bins: odds good:bad 4:1 and 1:1.
        let mut rows = Vec::new();
        let mut bad = Vec::new();
        for (bin, goods, bads) in [(0u16, 400, 100), (1, 250, 250)] {
            for i in 0..goods + bads {
                rows.push(vec![bin]);
                bad.push(i >= goods);
            }
        }
        let s = BinnedSample {
            features: vec!["x".into()],
            labels: vec![vec!["a".into(), "b".into()]],
            rows,
            bad,
        };
        let all: Vec<usize> = (0..s.rows.len()).collect();
        let scaling = Scaling {
            base_score: 600.0,
            base_odds: 1.0,
            pdo: 20.0,
        };
        let card = build(&s, &all, Encoding::OneHot, 0.0, scaling).unwrap();
        // Saturated: odds 1:1 scores the base score, odds 4:1 two doublings more.
        assert_eq!(card.score(&[1]), 600);
        assert_eq!(card.score(&[0]), 640);
        assert!((card.pd(&[0]) - 0.2).abs() < 1e-12);
        let woe = build(&s, &all, Encoding::Woe, 0.0, scaling).unwrap();
        assert_eq!((woe.score(&[0]), woe.score(&[1])), (640, 600));
    }
}
