//! The SE of a sum of IVs measured on the same rows. Each IV is a smooth function of its
//! two samples' bin shares; by the delta method a row's influence on the sum is the sum
//! of its bins' gradients over the chosen features, so the variance is the influences'
//! variance within each sample over its size: `Var_goods(Σ_j c_j)/G + Var_bads(Σ_j u_j)/B`.
//! Features that move together (correlated bins) widen it, as they should. With one
//! feature it is the IV's own delta-method variance with the observed shares as weights
//! (`stats::iv` weights by the smoothed shares; the two differ by O(1/n)).

use super::{Estimate, Rows, Variant};

/// The predictive and the protected IV of `chosen` together, each with its SE.
pub fn sum_with_se(rows: Rows<'_>, chosen: &[&Variant]) -> (Estimate, Estimate) {
    let influence = |row: &[u16], which: usize| -> f64 {
        chosen
            .iter()
            .map(|v| v.gradients[which][v.groups[row[v.feature] as usize]])
            .sum()
    };
    // Per sample: (sum, sum of squares, count) of the influences.
    let mut acc = [(0.0, 0.0, 0.0); 4];
    for (i, row) in rows.bins.iter().enumerate() {
        let mut add = |sample: usize, which: usize| {
            let x = influence(row, which);
            let a = &mut acc[sample];
            *a = (a.0 + x, a.1 + x * x, a.2 + 1.0);
        };
        // Goods are the predictive IV's p sample (gradient 0), bads its q sample (1).
        let s = usize::from(rows.bad[i]);
        add(s, s);
        if let Some(protected) = rows.group[i] {
            let s = if protected { 2 } else { 3 };
            add(s, s);
        }
    }
    let var = |(sum, squares, n): (f64, f64, f64)| {
        if n > 0.0 {
            let mean = sum / n;
            ((squares / n - mean * mean).max(0.0)) / n
        } else {
            0.0
        }
    };
    let total = |f: fn(&Variant) -> Estimate| chosen.iter().map(|v| f(v).value).sum::<f64>();
    (
        Estimate {
            value: total(|v| v.predictive_iv),
            se: (var(acc[0]) + var(acc[1])).sqrt(),
        },
        Estimate {
            value: total(|v| v.protected_iv),
            se: (var(acc[2]) + var(acc[3])).sqrt(),
        },
    )
}
