//! The divergence family beside the Jeffreys divergence (PSI, IV): Jensen-Shannon,
//! Hellinger, Kullback-Leibler both ways and the chi-square divergence, on the same kept
//! bins with the same +0.5 smoothing, each with its delta-method standard error, normal and
//! log intervals and its no-drift test. Pure: count vectors in, values out.
//!
//! `p` is the first vector's smoothed shares (current, goods), `q` the second's (baseline,
//! bads). The variance of each is the delta method's for two multinomials,
//! `sum p g^2 - (sum p g)^2` over `X` plus the same in `q` over `Y` (`g`, `h` the gradients in
//! `p` and `q`), as for J (STATISTICS.md sec. 3). Each measure is an f-divergence
//! `sum q f(p/q)`: under no drift `n_eff * 2 D / f''(1)` is asymptotically chi-square on
//! `k - 1` degrees of freedom, which is the test.

use serde::Serialize;

use super::divergence::{centred_variance, jeffreys};
use super::error::StatsError;
use super::inference::{log_interval, no_drift_pvalue, z_two_sided};

/// One member of the family. The serialised names are the JSON keys and metric labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// `JS = ½ KL(p||m) + ½ KL(q||m)`, `m = (p+q)/2`, in nats (scipy's `jensenshannon`
    /// distance is its square root).
    JensenShannon,
    /// The Hellinger distance `H = sqrt(½ sum (sqrt p - sqrt q)^2)`, in [0, 1] (whylogs',
    /// NannyML's and scipy's Freeman-Tukey statistic over `8 n`).
    Hellinger,
    /// `KL(p||q) = sum p ln(p/q)`: current (goods) against baseline (bads).
    KlPq,
    /// `KL(q||p) = sum q ln(q/p)`: baseline (bads) against current (goods).
    KlQp,
    /// Pearson's `chi2(p||q) = sum (p-q)^2 / q`, the baseline as the expected shares.
    ChiSquare,
}

impl Measure {
    pub const ALL: [Measure; 5] = [
        Measure::JensenShannon,
        Measure::Hellinger,
        Measure::KlPq,
        Measure::KlQp,
        Measure::ChiSquare,
    ];

    /// The name in JSON, configuration and metric labels.
    pub fn name(self) -> &'static str {
        match self {
            Measure::JensenShannon => "jensen_shannon",
            Measure::Hellinger => "hellinger",
            Measure::KlPq => "kl_pq",
            Measure::KlQp => "kl_qp",
            Measure::ChiSquare => "chi_square",
        }
    }

    pub fn from_name(name: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.name() == name)
    }

    /// `2 / f''(1)`: turns the divergence into its chi-square statistic per `n_eff`. For
    /// Hellinger it applies to `H^2`.
    fn chi2_scale(self) -> f64 {
        match self {
            Measure::JensenShannon | Measure::Hellinger => 8.0,
            Measure::KlPq | Measure::KlQp => 2.0,
            Measure::ChiSquare => 1.0,
        }
    }
}

/// One divergence with its uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DivergenceStats {
    pub measure: Measure,
    pub value: f64,
    pub se: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub ci_log_lower: f64,
    pub ci_log_upper: f64,
    pub chi2_stat: f64,
    pub chi2_df: usize,
    pub chi2_pvalue: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FamilyOptions {
    pub alpha: f64,
    /// The second vector is a population quantity: its variance is dropped, `n_eff = X`.
    pub second_fixed: bool,
}

/// `{measure name: {value, se, ...}}`: the JSON shape `stats` and `report` print.
pub(crate) fn by_name(stats: &[DivergenceStats]) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for s in stats {
        let mut v = serde_json::to_value(s).unwrap_or(serde_json::Value::Null);
        if let serde_json::Value::Object(fields) = &mut v {
            fields.remove("measure");
        }
        out.insert(s.measure.name().into(), v);
    }
    serde_json::Value::Object(out)
}

/// A measure's value and its gradients in `p` and `q`, before the uncertainty.
struct Point {
    value: f64,
    grad_p: Vec<f64>,
    grad_q: Vec<f64>,
    /// The chi-square statistic per `n_eff` (the value, or `H^2`, times the scale).
    chi2_per_n: f64,
}

/// Every measure of `ALL` over the same bins, in that order.
pub fn family(
    x: &[f64],
    y: &[f64],
    opts: FamilyOptions,
) -> Result<Vec<DivergenceStats>, StatsError> {
    if !(opts.alpha > 0.0 && opts.alpha < 1.0) {
        return Err(StatsError::InvalidAlpha(opts.alpha));
    }
    let d = jeffreys(x, y, "first", "second")?;
    let n_eff = if opts.second_fixed {
        d.x_total
    } else {
        d.x_total * d.y_total / (d.x_total + d.y_total)
    };
    let df = d.k.saturating_sub(1);
    let z = z_two_sided(opts.alpha);
    let stats = Measure::ALL.map(|m| {
        let pt = point(m, &d.p, &d.q);
        let var_x = centred_variance(&d.p, &pt.grad_p) / d.x_total;
        let var_y = if opts.second_fixed {
            0.0
        } else {
            centred_variance(&d.q, &pt.grad_q) / d.y_total
        };
        let se = (var_x + var_y).sqrt();
        let chi2_stat = if df == 0 { 0.0 } else { n_eff * pt.chi2_per_n };
        conclude(m, pt.value, se, z, chi2_stat, df)
    });
    Ok(stats.to_vec())
}

fn conclude(
    measure: Measure,
    value: f64,
    se: f64,
    z: f64,
    chi2_stat: f64,
    df: usize,
) -> DivergenceStats {
    let (ci_log_lower, ci_log_upper) = log_interval(value, se, z);
    DivergenceStats {
        measure,
        value,
        se,
        ci_lower: (value - z * se).max(0.0),
        ci_upper: value + z * se,
        ci_log_lower,
        ci_log_upper,
        chi2_stat,
        chi2_df: df,
        chi2_pvalue: no_drift_pvalue(df, chi2_stat),
    }
}

fn point(m: Measure, p: &[f64], q: &[f64]) -> Point {
    let (value, grad_p, grad_q) = match m {
        Measure::KlPq => kl(p, q),
        Measure::KlQp => {
            let (v, g_q, g_p) = kl(q, p);
            (v, g_p, g_q)
        }
        Measure::JensenShannon => jensen_shannon(p, q),
        Measure::ChiSquare => chi_square(p, q),
        Measure::Hellinger => return hellinger(p, q),
    };
    Point {
        value,
        grad_p,
        grad_q,
        chi2_per_n: m.chi2_scale() * value,
    }
}

type Gradients = (f64, Vec<f64>, Vec<f64>);

/// `KL(a||b)` with `d/da = ln(a/b) + 1`, `d/db = -a/b`.
fn kl(a: &[f64], b: &[f64]) -> Gradients {
    let log: Vec<f64> = a.iter().zip(b).map(|(a, b)| (a / b).ln()).collect();
    let value = a.iter().zip(&log).map(|(a, l)| a * l).sum();
    let grad_a = log.iter().map(|l| l + 1.0).collect();
    let grad_b = a.iter().zip(b).map(|(a, b)| -a / b).collect();
    (value, grad_a, grad_b)
}

/// `JS` with `d/dp = ½ ln(p/m)`, `d/dq = ½ ln(q/m)` (the other terms cancel).
fn jensen_shannon(p: &[f64], q: &[f64]) -> Gradients {
    let m: Vec<f64> = p.iter().zip(q).map(|(p, q)| 0.5 * (p + q)).collect();
    let lp: Vec<f64> = p.iter().zip(&m).map(|(p, m)| (p / m).ln()).collect();
    let lq: Vec<f64> = q.iter().zip(&m).map(|(q, m)| (q / m).ln()).collect();
    let value = 0.5
        * (0..p.len())
            .map(|i| p[i] * lp[i] + q[i] * lq[i])
            .sum::<f64>();
    let half = |v: Vec<f64>| v.into_iter().map(|l| 0.5 * l).collect();
    (value, half(lp), half(lq))
}

/// `chi2(p||q)` with `d/dp = 2 (p-q)/q`, `d/dq = 1 - p^2/q^2`.
fn chi_square(p: &[f64], q: &[f64]) -> Gradients {
    let value = p.iter().zip(q).map(|(p, q)| (p - q) * (p - q) / q).sum();
    let grad_p = p.iter().zip(q).map(|(p, q)| 2.0 * (p - q) / q).collect();
    let grad_q = p
        .iter()
        .zip(q)
        .map(|(p, q)| 1.0 - (p / q) * (p / q))
        .collect();
    (value, grad_p, grad_q)
}

/// `H = sqrt(H2)`, `H2 = ½ sum (sqrt p - sqrt q)^2` with `d H2/dp = ½ (1 - sqrt(q/p))`; the
/// chain rule divides by `2 H`. At `H = 0` the gradient is taken as 0 (the SE is 0 as for J).
fn hellinger(p: &[f64], q: &[f64]) -> Point {
    let h2: f64 = 0.5
        * p.iter()
            .zip(q)
            .map(|(p, q)| (p.sqrt() - q.sqrt()).powi(2))
            .sum::<f64>();
    let h = h2.sqrt();
    let chain = if h > 0.0 { 1.0 / (2.0 * h) } else { 0.0 };
    let grad = |a: &[f64], b: &[f64]| -> Vec<f64> {
        a.iter()
            .zip(b)
            .map(|(a, b)| chain * 0.5 * (1.0 - (b / a).sqrt()))
            .collect()
    };
    Point {
        value: h,
        grad_p: grad(p, q),
        grad_q: grad(q, p),
        chi2_per_n: Measure::Hellinger.chi2_scale() * h2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTS: FamilyOptions = FamilyOptions {
        alpha: 0.05,
        second_fixed: false,
    };

    fn by(stats: &[DivergenceStats], m: Measure) -> &DivergenceStats {
        stats.iter().find(|s| s.measure == m).unwrap()
    }

    #[test]
    fn equal_vectors_give_zero_everywhere() {
        let c = [120.0, 340.0, 0.0, 55.0];
        for s in family(&c, &c, OPTS).unwrap() {
            assert_eq!(s.value, 0.0, "{s:?}");
            assert_eq!(s.chi2_stat, 0.0, "{s:?}");
            assert_eq!(s.chi2_df, 2, "the empty bin is dropped");
        }
    }

    #[test]
    fn the_tests_agree_with_the_jeffreys_test_near_no_drift() {
        // All members are locally chi2/2 f''(1): their statistics agree with n_eff J.
        let x = [1010.0, 995.0, 1003.0, 992.0];
        let y = [1000.0, 1000.0, 1000.0, 1000.0];
        let d = jeffreys(&x, &y, "x", "y").unwrap();
        let t_j = d.value * 2000.0;
        for s in family(&x, &y, OPTS).unwrap() {
            assert!((s.chi2_stat / t_j - 1.0).abs() < 0.01, "{s:?} vs {t_j}");
        }
    }

    #[test]
    fn the_kl_directions_are_mirror_images() {
        let x = [30.0, 50.0, 20.0];
        let y = [10.0, 60.0, 130.0];
        let a = family(&x, &y, OPTS).unwrap();
        let b = family(&y, &x, OPTS).unwrap();
        assert_eq!(by(&a, Measure::KlPq).value, by(&b, Measure::KlQp).value);
        assert_eq!(by(&a, Measure::KlPq).se, by(&b, Measure::KlQp).se);
        // The symmetric members are symmetric.
        for m in [Measure::JensenShannon, Measure::Hellinger] {
            assert!((by(&a, m).value - by(&b, m).value).abs() < 1e-15);
        }
        // KL(p||q) + KL(q||p) = J.
        let j = jeffreys(&x, &y, "x", "y").unwrap().value;
        let sum = by(&a, Measure::KlPq).value + by(&a, Measure::KlQp).value;
        assert!((sum - j).abs() < 1e-14);
    }

    #[test]
    fn a_fixed_second_vector_drops_its_variance() {
        let x = [30.0, 50.0, 20.0];
        let y = [100.0, 600.0, 300.0];
        let two = family(&x, &y, OPTS).unwrap();
        let fixed = family(
            &x,
            &y,
            FamilyOptions {
                second_fixed: true,
                ..OPTS
            },
        )
        .unwrap();
        for (a, b) in two.iter().zip(&fixed) {
            assert!(b.se < a.se, "{a:?} {b:?}");
            assert!(b.chi2_stat > a.chi2_stat);
        }
    }

    #[test]
    fn names_round_trip() {
        for m in Measure::ALL {
            assert_eq!(Measure::from_name(m.name()), Some(m));
            assert_eq!(
                serde_json::to_value(m).unwrap(),
                serde_json::json!(m.name())
            );
        }
        assert_eq!(Measure::from_name("jeffreys"), None);
    }
}
