//! How well scores rank: AUC, Gini and KS with DeLong's intervals, from `(score, bad)`
//! pairs. Equal scores form one bin (a tie), higher scores rank safer. DeLong, DeLong and
//! Clarke-Pearson (1988) also give the paired test of two scores' AUCs on the same rows.

use crate::stats::{Discrimination, StatsError, discrimination};

/// The discrimination of `scores` (one per row, with its outcome).
pub fn assess(scores: &[(i64, bool)], alpha: f64) -> Result<Discrimination, StatsError> {
    let mut sorted = scores.to_vec();
    sorted.sort_unstable_by_key(|&(s, _)| s);
    let (mut goods, mut bads) = (Vec::new(), Vec::new());
    let mut last = None;
    for (score, bad) in sorted {
        if last != Some(score) {
            goods.push(0.0);
            bads.push(0.0);
            last = Some(score);
        }
        let at = goods.len() - 1;
        if bad {
            bads[at] += 1.0;
        } else {
            goods[at] += 1.0;
        }
    }
    discrimination(&goods, &bads, alpha)
}

/// DeLong's test of two scores' AUCs on the same rows (`scores[i] = (a, b)` with
/// `bad[i]`): the difference `AUC_a - AUC_b`, its SE and two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct AucDifference {
    pub difference: f64,
    pub se: f64,
    pub p_value: f64,
}

pub fn auc_difference(scores: &[(i64, i64)], bad: &[bool]) -> Option<AucDifference> {
    let a: Vec<i64> = scores.iter().map(|s| s.0).collect();
    let b: Vec<i64> = scores.iter().map(|s| s.1).collect();
    let (ga, ba) = placements(&a, bad)?;
    let (gb, bb) = placements(&b, bad)?;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let cov = |x: &[f64], y: &[f64]| {
        let (mx, my) = (mean(x), mean(y));
        let n = x.len() as f64;
        x.iter()
            .zip(y)
            .map(|(x, y)| (x - mx) * (y - my))
            .sum::<f64>()
            / (n - 1.0).max(1.0)
    };
    let var_part =
        |x: &[f64], y: &[f64]| (cov(x, x) + cov(y, y) - 2.0 * cov(x, y)) / x.len() as f64;
    let difference = mean(&ga) - mean(&gb);
    let se = (var_part(&ga, &gb) + var_part(&ba, &bb)).max(0.0).sqrt();
    let p_value = if se > 0.0 {
        2.0 * crate::stats::special::normal_sf((difference / se).abs())
    } else {
        1.0
    };
    Some(AucDifference {
        difference,
        se,
        p_value,
    })
}

/// Each good's share of bads it outranks and each bad's share of goods outranking it (ties
/// half), in row order within each class; `None` without both classes.
fn placements(score: &[i64], bad: &[bool]) -> Option<(Vec<f64>, Vec<f64>)> {
    let mut goods: Vec<i64> = (0..score.len())
        .filter(|&i| !bad[i])
        .map(|i| score[i])
        .collect();
    let mut bads: Vec<i64> = (0..score.len())
        .filter(|&i| bad[i])
        .map(|i| score[i])
        .collect();
    if goods.is_empty() || bads.is_empty() {
        return None;
    }
    goods.sort_unstable();
    bads.sort_unstable();
    // Share of `sorted` below `s`, ties counted half.
    let share_below = |sorted: &[i64], s: i64| {
        let below = sorted.partition_point(|&x| x < s);
        let tied = sorted.partition_point(|&x| x <= s) - below;
        (below as f64 + 0.5 * tied as f64) / sorted.len() as f64
    };
    let g = (0..score.len())
        .filter(|&i| !bad[i])
        .map(|i| share_below(&bads, score[i]))
        .collect();
    let b = (0..score.len())
        .filter(|&i| bad[i])
        .map(|i| 1.0 - share_below(&goods, score[i]))
        .collect();
    Some((g, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paired_test_agrees_with_each_aucs_own_delong_se() {
        // Scores b equal a: a difference of exactly 0 with SE 0.
        let rows: Vec<(i64, bool)> = (0..200).map(|i| ((i * 37) % 101, i % 3 == 0)).collect();
        let bad: Vec<bool> = rows.iter().map(|r| r.1).collect();
        let same: Vec<(i64, i64)> = rows.iter().map(|r| (r.0, r.0)).collect();
        let d = auc_difference(&same, &bad).unwrap();
        assert_eq!((d.difference, d.se, d.p_value), (0.0, 0.0, 1.0));
        // Against a constant score (AUC 0.5, no variance): the SE is AUC a's own.
        let flat: Vec<(i64, i64)> = rows.iter().map(|r| (r.0, 0)).collect();
        let d = auc_difference(&flat, &bad).unwrap();
        let own = assess(&rows, 0.05).unwrap();
        assert!((d.difference - (own.auc - 0.5)).abs() < 1e-12);
        assert!((d.se - own.auc_se).abs() < 1e-12, "{d:?} {own:?}");
    }

    #[test]
    fn auc_counts_pairs_ranked_right_and_ties_half() {
        // Goods 3, 5, 5; bads 1, 5: pairs right 3 + 3 + 3 = ... counted by hand:
        // (3,1) (5,1) (5,1) right = 3; (3,5) wrong; (5,5) (5,5) ties = 1. AUC = 4/6.
        let scores = [(3, false), (5, false), (5, false), (1, true), (5, true)];
        let d = assess(&scores, 0.05).unwrap();
        assert!((d.auc - 4.0 / 6.0).abs() < 1e-15, "{d:?}");
    }
}
