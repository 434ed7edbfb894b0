//! Whether a score's bands still predict their bad rates: per band the observed bad rate
//! against the band's PD with the Jeffreys test, the p-values adjusted across bands, and
//! the Hosmer-Lemeshow chi-square over all bands. Pure.
//!
//! - Jeffreys test (ECB, Instructions for reporting the validation results of internal
//!   models, IRB, 2019, sec. 2.5.3.1): with `N` applications and `D` bads in a band, the
//!   posterior of its bad rate under the Jeffreys prior is `Beta(D + 1/2, N - D + 1/2)`;
//!   the p-value is that distribution function at the band's PD, small when the PD is
//!   too low (one-sided: a conservative PD is not flagged). Its interval is the posterior's
//!   equal-tailed `1 - alpha` interval.
//! - Hosmer-Lemeshow, on bands fixed in advance (not fitted on this sample):
//!   `sum (D - N PD)^2 / (N PD (1 - PD))`, chi-square with as many degrees of freedom as
//!   bands counted (Hosmer and Lemeshow, Applied Logistic Regression, 3rd ed., sec. 5.2.2).

use serde::Serialize;
use statrs::function::beta::{beta_reg, inv_beta_reg};

use super::error::check_pair;
use super::special::chi2_sf;
use super::{Adjustment, StatsError, adjust};

/// A band's traffic light: green when its adjusted Jeffreys p-value is above alpha, amber
/// at most alpha, red at most alpha / 10 (far beyond the band's PD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Light {
    Green,
    Amber,
    Red,
}

impl Light {
    pub fn as_str(self) -> &'static str {
        match self {
            Light::Green => "green",
            Light::Amber => "amber",
            Light::Red => "red",
        }
    }

    fn of(p_adjusted: f64, alpha: f64) -> Light {
        if p_adjusted <= alpha / 10.0 {
            Light::Red
        } else if p_adjusted <= alpha {
            Light::Amber
        } else {
            Light::Green
        }
    }
}

/// One band's observed bad rate against its PD.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Band {
    pub applications: f64,
    pub bads: f64,
    /// `None` (null) for a band without applications.
    pub bad_rate: Option<f64>,
    pub pd: f64,
    /// The Jeffreys posterior's equal-tailed `1 - alpha` interval of the bad rate.
    pub ci_lower: f64,
    pub ci_upper: f64,
    /// `P(rate <= PD)` under the posterior: small when the band defaults above its PD.
    pub pvalue: f64,
    /// Adjusted across the bands counted.
    pub p_adjusted: f64,
    pub light: Light,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    pub bands: Vec<Band>,
    pub hosmer_lemeshow: f64,
    pub hl_df: usize,
    pub hl_pvalue: f64,
    /// The worst band's light.
    pub light: Light,
}

/// `goods[i]` and `bads[i]` of band `i` against its `pd[i]` (strictly between 0 and 1).
pub fn calibration(
    goods: &[f64],
    bads: &[f64],
    pd: &[f64],
    alpha: f64,
    method: Adjustment,
) -> Result<Calibration, StatsError> {
    check(goods, bads, pd, alpha)?;
    let counted: Vec<usize> = (0..goods.len())
        .filter(|&i| goods[i] + bads[i] > 0.0)
        .collect();
    let raw: Vec<f64> = counted
        .iter()
        .map(|&i| jeffreys_p(goods[i] + bads[i], bads[i], pd[i]))
        .collect();
    let mut adjusted = vec![1.0; goods.len()];
    for (&i, q) in counted.iter().zip(adjust(&raw, method)) {
        adjusted[i] = q;
    }
    let bands: Vec<Band> = (0..goods.len())
        .map(|i| band(goods[i], bads[i], pd[i], adjusted[i], alpha))
        .collect();
    let hl: f64 = counted
        .iter()
        .map(|&i| {
            let (n, p) = (goods[i] + bads[i], pd[i]);
            (bads[i] - n * p).powi(2) / (n * p * (1.0 - p))
        })
        .sum();
    let light = bands.iter().map(|b| b.light).max().unwrap_or(Light::Green);
    Ok(Calibration {
        bands,
        hosmer_lemeshow: hl,
        hl_df: counted.len(),
        hl_pvalue: chi2_sf(counted.len() as f64, hl),
        light,
    })
}

fn band(good: f64, bad: f64, pd: f64, p_adjusted: f64, alpha: f64) -> Band {
    let n = good + bad;
    let (ci_lower, ci_upper) = jeffreys_interval(n, bad, alpha);
    Band {
        applications: n,
        bads: bad,
        bad_rate: (n > 0.0).then(|| bad / n),
        pd,
        ci_lower,
        ci_upper,
        pvalue: jeffreys_p(n, bad, pd),
        p_adjusted,
        light: Light::of(p_adjusted, alpha),
    }
}

/// The equal-tailed `1 - alpha` Jeffreys interval of a proportion, `d` of `n`: the
/// `Beta(d + 1/2, n - d + 1/2)` quantiles at alpha/2 and 1 - alpha/2 (Brown, Cai and
/// DasGupta, Statistical Science 16(2), 2001).
pub fn jeffreys_interval(n: f64, d: f64, alpha: f64) -> (f64, f64) {
    let (a, b) = (d + 0.5, n - d + 0.5);
    (
        inv_beta_reg(a, b, alpha / 2.0),
        inv_beta_reg(a, b, 1.0 - alpha / 2.0),
    )
}

/// The Jeffreys test's p-value: `Beta(D + 1/2, N - D + 1/2)` distribution function at `pd`.
pub fn jeffreys_p(n: f64, d: f64, pd: f64) -> f64 {
    beta_reg(d + 0.5, n - d + 0.5, pd)
}

fn check(goods: &[f64], bads: &[f64], pd: &[f64], alpha: f64) -> Result<(), StatsError> {
    if goods.len() != pd.len() {
        return Err(StatsError::LengthMismatch {
            first: goods.len(),
            second: pd.len(),
        });
    }
    check_pair(goods, bads, alpha)?;
    if let Some((index, &value)) = pd
        .iter()
        .enumerate()
        .find(|(_, p)| !(**p > 0.0 && **p < 1.0))
    {
        return Err(StatsError::InvalidPd { index, value });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_band_defaulting_above_its_pd_is_flagged_and_others_are_not() {
        // 1000 applications per band; the last band defaults at 8% against a PD of 5%.
        let bads = [10.0, 20.0, 80.0];
        let goods = [990.0, 980.0, 920.0];
        let c = calibration(
            &goods,
            &bads,
            &[0.01, 0.02, 0.05],
            0.05,
            Adjustment::Bonferroni,
        )
        .unwrap();
        assert_eq!(c.bands[0].light, Light::Green);
        assert!(c.bands[0].pvalue > 0.3 && c.bands[0].pvalue < 0.7, "{c:?}");
        assert!(c.bands[2].pvalue < 1e-4, "{c:?}");
        assert_eq!(c.bands[2].p_adjusted, (3.0 * c.bands[2].pvalue).min(1.0));
        assert_eq!(c.light, c.bands[2].light);
        assert!(c.bands[2].ci_lower > 0.05 && c.bands[2].ci_upper > 0.08);
        // Hosmer-Lemeshow: the last band alone adds (80 - 50)^2 / (1000 * 0.05 * 0.95).
        let want = 0.0 + 0.0 + 900.0 / 47.5;
        assert!((c.hosmer_lemeshow - want).abs() < 1e-12, "{c:?}");
        assert_eq!(c.hl_df, 3);
    }

    #[test]
    fn an_empty_band_is_left_out_of_the_tests() {
        let c = calibration(
            &[0.0, 95.0],
            &[0.0, 5.0],
            &[0.1, 0.05],
            0.05,
            Adjustment::Bh,
        )
        .unwrap();
        assert_eq!((c.bands[0].bad_rate, c.bands[0].p_adjusted), (None, 1.0));
        assert_eq!(c.hl_df, 1);
        assert!(matches!(
            calibration(&[1.0], &[1.0], &[0.0], 0.05, Adjustment::Bh),
            Err(StatsError::InvalidPd { index: 0, .. })
        ));
    }
}
