//! Adjusting the no-drift p-values of the features tested together in one evaluation (one
//! model and window) for multiple testing, as STATISTICS.md sec. 4.3 specifies:
//! Benjamini-Hochberg (false discovery rate, independent or positively dependent tests),
//! Benjamini-Yekutieli (any dependence), Bonferroni (family-wise error), or none. Pure.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Adjustment {
    /// Benjamini-Hochberg.
    #[default]
    Bh,
    /// Benjamini-Yekutieli.
    By,
    Bonferroni,
    None,
}

impl Adjustment {
    pub fn as_str(self) -> &'static str {
        match self {
            Adjustment::Bh => "bh",
            Adjustment::By => "by",
            Adjustment::Bonferroni => "bonferroni",
            Adjustment::None => "none",
        }
    }
}

impl std::str::FromStr for Adjustment {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "bh" => Ok(Adjustment::Bh),
            "by" => Ok(Adjustment::By),
            "bonferroni" => Ok(Adjustment::Bonferroni),
            "none" => Ok(Adjustment::None),
            other => Err(format!(
                "\"{other}\" is not a multiple-testing adjustment (bh, by, bonferroni, none)"
            )),
        }
    }
}

/// The adjusted p-values (q-values) of `p`, in the same order. NaN p-values are treated as
/// 1 and still count in m.
pub fn adjust(p: &[f64], method: Adjustment) -> Vec<f64> {
    let m = p.len();
    let clean: Vec<f64> = p
        .iter()
        .map(|&x| if x.is_nan() { 1.0 } else { x.clamp(0.0, 1.0) })
        .collect();
    match method {
        Adjustment::None => clean,
        Adjustment::Bonferroni => clean.iter().map(|&x| (x * m as f64).min(1.0)).collect(),
        Adjustment::Bh | Adjustment::By => {
            let scale = if method == Adjustment::By {
                m as f64 * (1..=m).map(|j| 1.0 / j as f64).sum::<f64>()
            } else {
                m as f64
            };
            let mut order: Vec<usize> = (0..m).collect();
            order.sort_by(|&a, &b| clean[a].total_cmp(&clean[b]));
            let mut q = vec![1.0; m];
            // Step up from the largest: q_(i) = min over j >= i of min(1, scale p_(j) / j).
            let mut running = 1.0f64;
            for (rank, &i) in order.iter().enumerate().rev() {
                let candidate = (scale * clean[i] / (rank + 1) as f64).min(1.0);
                running = running.min(candidate);
                q[i] = running;
            }
            q
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn benjamini_hochberg_by_hand() {
        // m = 5, p = 0.01, 0.04, 0.03, 0.20, 0.005 (given out of order).
        // Sorted: 0.005 0.01 0.03 0.04 0.20 with ranks 1..5;
        // m p / rank = 0.025 0.025 0.05 0.05 0.20; running minimum from the top:
        // 0.20, 0.05, 0.05, 0.025, 0.025.
        let p = [0.01, 0.04, 0.03, 0.20, 0.005];
        close(
            &adjust(&p, Adjustment::Bh),
            &[0.025, 0.05, 0.05, 0.20, 0.025],
        );
        // At alpha 0.05 BH rejects four of five; Bonferroni (m p) only 0.005 and 0.01.
        close(
            &adjust(&p, Adjustment::Bonferroni),
            &[0.05, 0.20, 0.15, 1.0, 0.025],
        );
        close(&adjust(&p, Adjustment::None), &p);
    }

    #[test]
    fn benjamini_yekutieli_scales_by_the_harmonic_sum() {
        let p = [0.01, 0.04, 0.03, 0.20, 0.005];
        let c = 1.0 + 0.5 + 1.0 / 3.0 + 0.25 + 0.2; // 2.283...
        let bh = adjust(&p, Adjustment::Bh);
        let by = adjust(&p, Adjustment::By);
        let expected: Vec<f64> = bh.iter().map(|q| (q * c).min(1.0)).collect();
        close(&by, &expected);
    }

    #[test]
    fn ties_nan_and_empty() {
        assert!(adjust(&[], Adjustment::Bh).is_empty());
        close(&adjust(&[0.02, 0.02], Adjustment::Bh), &[0.02, 0.02]);
        close(&adjust(&[f64::NAN, 0.01], Adjustment::Bh), &[1.0, 0.02]);
    }
}
