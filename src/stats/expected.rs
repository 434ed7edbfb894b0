//! What the current population will cost before its outcomes arrive: the bad rate, AUC,
//! Gini and IV the score would show if each score bin kept its development bad rate, with
//! delta-method standard errors. Pure.
//!
//! With current shares `w_i` (of `N` applications) and development bad rates `r_i` (of
//! `n_i` development applications, Jeffreys posterior mean `(d_i + 1/2) / (n_i + 1)` so
//! that no bin's rate is 0 or 1), the expected goods and bads of bin `i` are
//! `w_i (1 - r_i)` and `w_i r_i`. Each figure is a smooth function `f(w, r)`; its variance
//! is `g_w' S_w g_w + sum_i g_r,i^2 r_i (1 - r_i) / n_i` with `S_w = (diag w - w w') / N`
//! (the current counts multinomial, the development rates independent binomials) and the
//! gradients by central differences.

use serde::Serialize;

use super::StatsError;
use super::discrimination::auc;

/// The expected figures of the current population and their SEs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expected {
    /// Current applications in bins with a development bad rate.
    pub applications: f64,
    /// Current applications in bins without development applications (not predicted).
    pub unpredicted: f64,
    pub bad_rate: f64,
    pub bad_rate_se: f64,
    pub auc: f64,
    pub auc_se: f64,
    pub gini: f64,
    pub gini_se: f64,
    /// The IV the score would have on the expected goods and bads (plug-in J).
    pub iv: f64,
    pub iv_se: f64,
}

/// The development of a score: goods and bads per bin, and how its bins rank.
pub struct Development<'a> {
    pub goods: &'a [f64],
    pub bads: &'a [f64],
    /// The ranges at the front of the bins; the others (special values, Missing) are not
    /// ranked.
    pub ranked: usize,
    /// Whether a higher bin is riskier (ranked in reverse).
    pub reversed: bool,
}

/// The expected figures of `current` counts per bin under `dev`'s bad rates.
pub fn expected(current: &[f64], dev: &Development<'_>) -> Result<Expected, StatsError> {
    if current.len() != dev.goods.len() || dev.goods.len() != dev.bads.len() {
        return Err(StatsError::LengthMismatch {
            first: current.len(),
            second: dev.goods.len(),
        });
    }
    let used: Vec<usize> = (0..current.len())
        .filter(|&i| dev.goods[i] + dev.bads[i] > 0.0)
        .collect();
    let n: f64 = used.iter().map(|&i| current[i]).sum();
    if n < 2.0 {
        return Err(StatsError::TooFew {
            vector: "current",
            needed: 2,
        });
    }
    let w: Vec<f64> = used.iter().map(|&i| current[i] / n).collect();
    let n_dev: Vec<f64> = used.iter().map(|&i| dev.goods[i] + dev.bads[i]).collect();
    let r: Vec<f64> = used
        .iter()
        .zip(&n_dev)
        .map(|(&i, nd)| (dev.bads[i] + 0.5) / (nd + 1.0))
        .collect();
    let ranked: Vec<usize> = (0..used.len()).filter(|&j| used[j] < dev.ranked).collect();
    let model = Model {
        n,
        w,
        r,
        n_dev,
        ranked,
        reversed: dev.reversed,
    };
    let (bad_rate, bad_rate_se) = model.with_se(&|w, r| bad_rate(w, r));
    let (auc, auc_se) = model.with_se(&|w, r| model.auc(w, r));
    let (iv, iv_se) = model.with_se(&|w, r| iv(w, r));
    Ok(Expected {
        applications: n,
        unpredicted: current.iter().sum::<f64>() - n,
        bad_rate,
        bad_rate_se,
        auc,
        auc_se,
        gini: 2.0 * auc - 1.0,
        gini_se: 2.0 * auc_se,
        iv,
        iv_se,
    })
}

struct Model {
    n: f64,
    w: Vec<f64>,
    r: Vec<f64>,
    n_dev: Vec<f64>,
    ranked: Vec<usize>,
    reversed: bool,
}

type Figure<'a> = dyn Fn(&[f64], &[f64]) -> f64 + 'a;

impl Model {
    /// `f` at the estimates and its delta-method SE.
    fn with_se(&self, f: &Figure<'_>) -> (f64, f64) {
        let value = f(&self.w, &self.r);
        let gw = gradient(&self.w, |w| f(w, &self.r));
        let gr = gradient(&self.r, |r| f(&self.w, r));
        // g' (diag w - w w') g / N = (sum w g^2 - (sum w g)^2) / N
        let mean: f64 = self.w.iter().zip(&gw).map(|(w, g)| w * g).sum();
        let square: f64 = self.w.iter().zip(&gw).map(|(w, g)| w * g * g).sum();
        let var_w = (square - mean * mean) / self.n;
        let var_r: f64 = (0..self.r.len())
            .map(|i| gr[i] * gr[i] * self.r[i] * (1.0 - self.r[i]) / self.n_dev[i])
            .sum();
        (value, (var_w + var_r).max(0.0).sqrt())
    }

    /// The AUC of the expected goods and bads of the ranked bins.
    fn auc(&self, w: &[f64], r: &[f64]) -> f64 {
        let mut goods: Vec<f64> = self.ranked.iter().map(|&j| w[j] * (1.0 - r[j])).collect();
        let mut bads: Vec<f64> = self.ranked.iter().map(|&j| w[j] * r[j]).collect();
        if self.reversed {
            goods.reverse();
            bads.reverse();
        }
        auc(&goods, &bads)
    }
}

fn bad_rate(w: &[f64], r: &[f64]) -> f64 {
    w.iter().zip(r).map(|(w, r)| w * r).sum::<f64>() / w.iter().sum::<f64>()
}

/// Plug-in J of the expected goods' and bads' distributions over the bins.
fn iv(w: &[f64], r: &[f64]) -> f64 {
    let g: f64 = w.iter().zip(r).map(|(w, r)| w * (1.0 - r)).sum();
    let b: f64 = w.iter().zip(r).map(|(w, r)| w * r).sum();
    w.iter()
        .zip(r)
        .filter(|(w, _)| **w > 0.0)
        .map(|(w, r)| {
            let (p, q) = (w * (1.0 - r) / g, w * r / b);
            (p - q) * (p / q).ln()
        })
        .sum()
}

/// Central-difference gradient of `f` at `x`.
fn gradient(x: &[f64], f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
    let mut at = x.to_vec();
    (0..x.len())
        .map(|i| {
            let h = 1e-6 * x[i].abs().max(1e-3);
            at[i] = x[i] + h;
            let up = f(&at);
            at[i] = x[i] - h;
            let down = f(&at);
            at[i] = x[i];
            (up - down) / (2.0 * h)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOODS: [f64; 4] = [100.0, 300.0, 600.0, 1000.0];
    const BADS: [f64; 4] = [120.0, 80.0, 50.0, 30.0];

    fn dev() -> Development<'static> {
        Development {
            goods: &GOODS,
            bads: &BADS,
            ranked: 4,
            reversed: false,
        }
    }

    use crate::stats::discrimination;

    #[test]
    fn the_development_mix_expects_the_development_figures() {
        // Current counts in the development's proportions: the development's bad rate
        // and AUC (up to the Jeffreys half counts).
        let current: Vec<f64> = GOODS.iter().zip(&BADS).map(|(g, b)| g + b).collect();
        let e = expected(&current, &dev()).unwrap();
        let dev_rate = BADS.iter().sum::<f64>() / current.iter().sum::<f64>();
        assert!((e.bad_rate - dev_rate).abs() < 1e-3, "{e:?}");
        let d = discrimination(&GOODS, &BADS, 0.05).unwrap();
        assert!((e.auc - d.auc).abs() < 2e-3, "{e:?} vs {}", d.auc);
        assert!(e.bad_rate_se > 0.0 && e.auc_se > 0.0 && e.iv_se > 0.0);
    }

    #[test]
    fn the_bad_rate_se_is_the_closed_form() {
        let current = [500.0, 500.0, 500.0, 500.0];
        let e = expected(&current, &dev()).unwrap();
        let r: Vec<f64> = (0..4)
            .map(|i| (BADS[i] + 0.5) / (GOODS[i] + BADS[i] + 1.0))
            .collect();
        let mean = r.iter().sum::<f64>() / 4.0;
        let var_w = (r.iter().map(|x| 0.25 * x * x).sum::<f64>() - mean * mean) / 2000.0;
        let var_r: f64 = (0..4)
            .map(|i| 0.0625 * r[i] * (1.0 - r[i]) / (GOODS[i] + BADS[i]))
            .sum();
        assert!((e.bad_rate - mean).abs() < 1e-12);
        assert!(
            (e.bad_rate_se - (var_w + var_r).sqrt()).abs() < 1e-8,
            "{e:?}"
        );
    }

    #[test]
    fn a_riskier_mix_expects_more_bads() {
        let e_now = expected(&[800.0, 600.0, 400.0, 200.0], &dev()).unwrap();
        let e_dev = expected(&[200.0, 400.0, 600.0, 800.0], &dev()).unwrap();
        assert!(e_now.bad_rate > e_dev.bad_rate + 5.0 * e_now.bad_rate_se);
    }
}
