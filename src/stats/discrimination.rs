//! How well a score ranks goods above bads, from the goods and bads per score bin: AUC,
//! Gini (accuracy ratio, `2 AUC - 1`) and KS, the AUC's standard error by DeLong's method,
//! and the test of a decline against the development AUC. Pure; no knowledge of windows.
//!
//! Bins come in rank order: a higher index ranks safer (the caller reverses a score whose
//! higher values are riskier). Two applications in one bin are a tie, counted half, as
//! scikit-learn's `roc_auc_score` counts tied scores.
//!
//! DeLong, DeLong and Clarke-Pearson (1988), Biometrics 44(3): 837-845. Each good's
//! placement is the share of bads it outranks (ties half), each bad's the share of goods
//! that outrank it; the AUC is the mean of either, and
//! `Var(AUC) = S_goods / G + S_bads / B` with `S` the sample variances of the placements.
//! Binned, every good of a bin shares one placement, so the sums run over bins.

use serde::Serialize;

use super::StatsError;
use super::error::check_pair;
use super::inference::z_two_sided;
use super::special::{normal_sf, normal_upper_quantile};

/// AUC, Gini and KS of one sample with the AUC's DeLong standard error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Discrimination {
    pub goods: f64,
    pub bads: f64,
    pub auc: f64,
    pub auc_se: f64,
    /// Two-sided `1 - alpha` interval on the logit scale (inside 0 and 1).
    pub auc_ci_lower: f64,
    pub auc_ci_upper: f64,
    pub gini: f64,
    pub gini_se: f64,
    pub gini_ci_lower: f64,
    pub gini_ci_upper: f64,
    /// The largest gap between the goods' and the bads' cumulative shares over the bins.
    pub ks: f64,
    /// The bin after which that gap is largest.
    pub ks_bin: usize,
}

/// AUC, Gini, KS and the DeLong SE of `goods[i]` and `bads[i]` per bin in rank order.
pub fn discrimination(
    goods: &[f64],
    bads: &[f64],
    alpha: f64,
) -> Result<Discrimination, StatsError> {
    check(goods, bads, alpha)?;
    let (g_total, b_total) = (goods.iter().sum::<f64>(), bads.iter().sum::<f64>());
    let (good_place, bad_place) = placements(goods, bads);
    let auc = weighted_mean(goods, &good_place);
    let var = spread(goods, &good_place, auc) / g_total + spread(bads, &bad_place, auc) / b_total;
    let se = var.max(0.0).sqrt();
    let z = z_two_sided(alpha);
    let (ks, ks_bin) = ks(goods, bads, g_total, b_total);
    let (lower, upper) = logit_interval(auc, se, z);
    Ok(Discrimination {
        goods: g_total,
        bads: b_total,
        auc,
        auc_se: se,
        auc_ci_lower: lower,
        auc_ci_upper: upper,
        gini: 2.0 * auc - 1.0,
        gini_se: 2.0 * se,
        gini_ci_lower: 2.0 * lower - 1.0,
        gini_ci_upper: 2.0 * upper - 1.0,
        ks,
        ks_bin,
    })
}

/// Placements per bin: a good's share of bads below it, a bad's share of goods above (ties
/// half).
fn placements(goods: &[f64], bads: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let (g_total, b_total) = (goods.iter().sum::<f64>(), bads.iter().sum::<f64>());
    let mut bads_below = 0.0;
    let mut goods_above = g_total;
    let mut good_place = Vec::with_capacity(goods.len());
    let mut bad_place = Vec::with_capacity(goods.len());
    for (g, b) in goods.iter().zip(bads) {
        goods_above -= g;
        good_place.push((bads_below + 0.5 * b) / b_total);
        bad_place.push((goods_above + 0.5 * g) / g_total);
        bads_below += b;
    }
    (good_place, bad_place)
}

/// The AUC alone (the goods' mean placement), for callers that need no SE: NaN without
/// goods or bads.
pub(crate) fn auc(goods: &[f64], bads: &[f64]) -> f64 {
    weighted_mean(goods, &placements(goods, bads).0)
}

fn check(goods: &[f64], bads: &[f64], alpha: f64) -> Result<(), StatsError> {
    check_pair(goods, bads, alpha)?;
    // The placements' sample variance needs two of each.
    for (vector, v) in [("goods", goods), ("bads", bads)] {
        if v.iter().sum::<f64>() < 2.0 {
            return Err(StatsError::TooFew { vector, needed: 2 });
        }
    }
    Ok(())
}

/// The interval `logit(AUC) +- z SE / (AUC (1 - AUC))` mapped back: it stays inside (0, 1)
/// and covers better than the plain normal one on small samples near the ends (Pepe, The
/// Statistical Evaluation of Medical Tests, 2003, sec. 5.2.4); the plain one where the AUC
/// is 0 or 1.
fn logit_interval(auc: f64, se: f64, z: f64) -> (f64, f64) {
    if auc <= 0.0 || auc >= 1.0 {
        return ((auc - z * se).max(0.0), (auc + z * se).min(1.0));
    }
    let (centre, half) = ((auc / (1.0 - auc)).ln(), z * se / (auc * (1.0 - auc)));
    let back = |x: f64| 1.0 / (1.0 + (-x).exp());
    (back(centre - half), back(centre + half))
}

fn weighted_mean(weights: &[f64], values: &[f64]) -> f64 {
    let total: f64 = weights.iter().sum();
    weights.iter().zip(values).map(|(w, v)| w * v).sum::<f64>() / total
}

/// Sample variance (`n - 1`) of `values[i]` repeated `weights[i]` times around `mean`.
fn spread(weights: &[f64], values: &[f64], mean: f64) -> f64 {
    let total: f64 = weights.iter().sum();
    let ss: f64 = weights
        .iter()
        .zip(values)
        .map(|(w, v)| w * (v - mean) * (v - mean))
        .sum();
    ss / (total - 1.0)
}

/// KS: the largest gap of the cumulative shares, and the bin where it is reached.
fn ks(goods: &[f64], bads: &[f64], g_total: f64, b_total: f64) -> (f64, usize) {
    let (mut cg, mut cb) = (0.0, 0.0);
    let mut best = (0.0, 0);
    for (i, (g, b)) in goods.iter().zip(bads).enumerate() {
        cg += g / g_total;
        cb += b / b_total;
        if (cb - cg).abs() > best.0 {
            best = ((cb - cg).abs(), i);
        }
    }
    best
}

/// The current Gini against the development Gini: the decline, its tests and the one-sided
/// lower confidence bound of the decline relative to the development Gini, which the
/// `gini_decline` state compares with its thresholds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GiniDecline {
    pub gini_development: f64,
    pub gini_current: f64,
    /// Development Gini minus current Gini (positive: ranking power lost).
    pub decline: f64,
    /// The ECB's test: H0 current AUC >= development AUC with the development AUC taken as
    /// known, `p = P(Z > (AUC_dev - AUC_now) / SE_now)`.
    pub pvalue_one_sample: f64,
    /// Both AUCs estimated: SE `sqrt(SE_dev^2 + SE_now^2)` (independent samples).
    pub decline_se: f64,
    pub pvalue: f64,
    /// `decline / gini_development`; `None` (null) when the development Gini is not above 0
    /// by its one-sided bound, so that a share of it means nothing.
    pub relative_decline: Option<f64>,
    /// The one-sided `1 - alpha` lower bound of the decline, over the development Gini.
    pub relative_decline_lower: Option<f64>,
}

/// `current` against `development` at level `alpha`. The state uses the two-sample form:
/// a decline is only called beyond the noise of both estimates.
pub fn gini_decline(
    development: &Discrimination,
    current: &Discrimination,
    alpha: f64,
) -> GiniDecline {
    let decline = development.gini - current.gini;
    let se = development.gini_se.hypot(current.gini_se);
    let z = normal_upper_quantile(alpha);
    let informative = development.gini > z * development.gini_se && development.gini > 0.0;
    let relative = |x: f64| informative.then(|| x / development.gini);
    GiniDecline {
        gini_development: development.gini,
        gini_current: current.gini,
        decline,
        pvalue_one_sample: upper_p(decline, current.gini_se),
        decline_se: se,
        pvalue: upper_p(decline, se),
        relative_decline: relative(decline),
        relative_decline_lower: relative(decline - z * se),
    }
}

/// `P(Z > x / se)`, with a zero SE deciding by the sign.
fn upper_p(x: f64, se: f64) -> f64 {
    if se > 0.0 {
        normal_sf(x / se)
    } else if x > 0.0 {
        0.0
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AUC by brute force over every good-bad pair (ties half).
    fn pairs(goods: &[f64], bads: &[f64]) -> f64 {
        let mut wins = 0.0;
        for (i, g) in goods.iter().enumerate() {
            for (j, b) in bads.iter().enumerate() {
                let w = if i > j {
                    1.0
                } else if i == j {
                    0.5
                } else {
                    0.0
                };
                wins += g * b * w;
            }
        }
        wins / (goods.iter().sum::<f64>() * bads.iter().sum::<f64>())
    }

    #[test]
    fn auc_is_the_share_of_pairs_ranked_right() {
        let goods = [10.0, 30.0, 60.0, 100.0];
        let bads = [40.0, 30.0, 20.0, 10.0];
        let d = discrimination(&goods, &bads, 0.05).unwrap();
        assert!((d.auc - pairs(&goods, &bads)).abs() < 1e-15, "{d:?}");
        assert_eq!(auc(&goods, &bads), d.auc);
        assert!((d.gini - (2.0 * d.auc - 1.0)).abs() < 1e-15);
        assert!(d.auc_ci_lower < d.auc && d.auc < d.auc_ci_upper);
        // KS: cumulative bads 0.4, 0.7, 0.9 against goods 0.05, 0.2, 0.5.
        assert!((d.ks - 0.5).abs() < 1e-12 && d.ks_bin == 1, "{d:?}");
    }

    #[test]
    fn one_bin_is_all_ties_and_reversed_bins_mirror() {
        let d = discrimination(&[5.0], &[7.0], 0.05).unwrap();
        assert_eq!((d.auc, d.gini, d.ks), (0.5, 0.0, 0.0));
        let (g, b) = ([10.0, 30.0, 60.0], [40.0, 30.0, 20.0]);
        let up = discrimination(&g, &b, 0.05).unwrap();
        let (gr, br): (Vec<f64>, Vec<f64>) = (
            g.iter().rev().copied().collect(),
            b.iter().rev().copied().collect(),
        );
        let down = discrimination(&gr, &br, 0.05).unwrap();
        assert!((up.auc + down.auc - 1.0).abs() < 1e-15);
        assert!((up.auc_se - down.auc_se).abs() < 1e-15);
    }

    #[test]
    fn refuses_what_has_no_variance() {
        assert_eq!(
            discrimination(&[1.0, 0.0], &[3.0, 4.0], 0.05),
            Err(StatsError::TooFew {
                vector: "goods",
                needed: 2
            })
        );
        assert!(matches!(
            discrimination(&[1.0], &[1.0, 2.0], 0.05),
            Err(StatsError::LengthMismatch { .. })
        ));
    }

    #[test]
    fn a_weaker_ranking_is_a_significant_decline() {
        let dev = discrimination(&[100.0, 300.0, 600.0], &[80.0, 40.0, 20.0], 0.05).unwrap();
        let same = gini_decline(&dev, &dev, 0.05);
        assert_eq!((same.decline, same.pvalue), (0.0, 0.5));
        let weak = discrimination(&[100.0, 300.0, 600.0], &[40.0, 50.0, 50.0], 0.05).unwrap();
        let c = gini_decline(&dev, &weak, 0.05);
        assert!(c.decline > 0.0 && c.pvalue < 0.01, "{c:?}");
        // The ECB's one-sample test ignores the development's noise: a smaller p.
        assert!(c.pvalue_one_sample < c.pvalue);
        let lower = c.relative_decline_lower.unwrap();
        let want = (c.decline - normal_upper_quantile(0.05) * c.decline_se) / dev.gini;
        assert!((lower - want).abs() < 1e-15);
        // A lower bound above 0 is the one-sided test rejecting at alpha, and back.
        assert_eq!(lower > 0.0, c.pvalue < 0.05);
    }
}
