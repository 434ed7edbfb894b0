//! IV now against IV at development: the drop, its SE and interval, the one-sided test of
//! "no drop", and the drop relative to the development IV (what the `iv_drop` thresholds
//! compare). Pure; built on two results of `iv()` from independent samples.
//!
//! Each plug-in IV is biased up by about its noise floor `(k-1)/n_eff` (the mean of the
//! noncentral chi-square law, sec. 4): a small current window would look more informative
//! than it is and hide a drop. So the drop compares the debiased values,
//! `(IV_dev - floor_dev) - (IV_now - floor_now)`. Its SE is `sqrt(SE_dev^2 + SE_now^2)`
//! (independent samples), its interval normal. The share of the development IV lost is
//! defined when the development IV shows information (its test of IV = 0 rejects at alpha).

use serde::Serialize;

use super::IvStats;
use super::inference::z_two_sided;
use super::special::{normal_sf, normal_upper_quantile};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IvChange {
    /// The plug-in IVs, as `iv` reports them.
    pub iv_development: f64,
    pub iv_current: f64,
    /// Each IV less its noise floor `(k-1)/n_eff`: what the drop compares.
    pub iv_development_debiased: f64,
    pub iv_current_debiased: f64,
    /// `iv_development_debiased - iv_current_debiased` (positive: information lost).
    pub drop: f64,
    pub drop_se: f64,
    /// Two-sided `1 - alpha` normal interval of the drop.
    pub drop_ci_lower: f64,
    pub drop_ci_upper: f64,
    /// One-sided p-value of H0: no drop (`P(Z > drop / SE)`).
    pub drop_pvalue: f64,
    /// `drop / iv_development_debiased`; `None` (JSON null) when the development IV does
    /// not show information (its own test of IV = 0 does not reject at alpha): then there
    /// is no share of it to lose.
    pub relative_drop: Option<f64>,
    /// The one-sided `1 - alpha` lower bound of the drop, relative to the debiased
    /// development IV: what the `iv_drop` thresholds compare (above a threshold of 0 or
    /// more is the one-sided test of no drop rejecting at alpha).
    pub relative_drop_lower_bound: Option<f64>,
}

fn debiased(s: &IvStats) -> f64 {
    s.iv - s.inference.null_mean
}

pub fn iv_change(development: &IvStats, current: &IvStats, alpha: f64) -> IvChange {
    let drop = debiased(development) - debiased(current);
    let se = development.inference.se.hypot(current.inference.se);
    let z = z_two_sided(alpha);
    let base = debiased(development);
    let informative = development.inference.chi2_pvalue < alpha && base > 0.0;
    let relative = |x: f64| informative.then(|| x / base);
    IvChange {
        iv_development: development.iv,
        iv_current: current.iv,
        iv_development_debiased: base,
        iv_current_debiased: debiased(current),
        drop,
        drop_se: se,
        drop_ci_lower: drop - z * se,
        drop_ci_upper: drop + z * se,
        drop_pvalue: if se > 0.0 {
            normal_sf(drop / se)
        } else if drop > 0.0 {
            0.0
        } else {
            1.0
        },
        relative_drop: relative(drop),
        relative_drop_lower_bound: relative(drop - normal_upper_quantile(alpha) * se),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{IvOptions, iv};

    #[test]
    fn the_same_counts_show_no_drop_and_a_weaker_sample_does() {
        let goods = [400.0, 300.0, 200.0, 100.0];
        let bads = [20.0, 40.0, 60.0, 80.0];
        let dev = iv(&goods, &bads, IvOptions::default()).unwrap();
        let same = iv_change(&dev, &dev, 0.05);
        assert_eq!(same.drop, 0.0);
        assert_eq!(same.drop_pvalue, 0.5);
        // Half the bads spread evenly: the relation is weaker.
        let weaker = iv(&goods, &[40.0, 45.0, 50.0, 65.0], IvOptions::default()).unwrap();
        let c = iv_change(&dev, &weaker, 0.05);
        assert!(c.drop > 0.0 && c.drop_pvalue < 0.01, "{c:?}");
        assert!((c.drop_se - dev.inference.se.hypot(weaker.inference.se)).abs() < 1e-15);
        let want = (dev.iv - dev.inference.null_mean) - (weaker.iv - weaker.inference.null_mean);
        assert_eq!(c.drop, want);
        let r = c.relative_drop.unwrap();
        assert!(r > 0.5 && r < 1.0, "{c:?}");
        assert_eq!(c.drop, c.iv_development_debiased - c.iv_current_debiased);
        // The bound the state compares: one-sided, so above 0 exactly when p < alpha.
        let lower = c.relative_drop_lower_bound.unwrap();
        assert!(
            (lower * c.iv_development_debiased - (c.drop - 1.6448536269514722 * c.drop_se)).abs()
                < 1e-12
        );
        // A development IV its own test does not tell from 0: no share of it.
        let flat = iv(&[100.0, 101.0], &[50.0, 49.0], IvOptions::default()).unwrap();
        assert!(flat.inference.chi2_pvalue > 0.05);
        assert_eq!(iv_change(&flat, &flat, 0.05).relative_drop, None);
    }
}
