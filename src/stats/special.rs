//! Special functions behind the tests and intervals: the normal quantile and upper tail,
//! the chi-square upper tail, and the noncentral chi-square distribution with its inversion
//! in the noncentrality parameter (STATISTICS.md sec. 4-5).
//! Pure numerics: no knowledge of PSI, IV or bins.

use libm::erfc;
use statrs::function::erf::erfc_inv;
use statrs::function::gamma::{gamma_lr, gamma_ur, ln_gamma};

/// `z` with `P(Z > z) = tail` for a standard normal Z, computed from the tail so that
/// small tails keep their precision.
pub fn normal_upper_quantile(tail: f64) -> f64 {
    let z = std::f64::consts::SQRT_2 * erfc_inv(2.0 * tail);
    // One Newton step on the accurate `erfc` of libm polishes the rational approximation.
    let density = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    if density > 0.0 {
        z + (normal_sf(z) - tail) / density
    } else {
        z
    }
}

/// `P(Z > z)` for a standard normal Z, as `erfc(z / sqrt 2) / 2` (never `1 - cdf`).
/// libm's erfc (musl's, within an ulp or so): statrs's is off by about 1e-11 relative.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// Regularised lower incomplete gamma `P(a, x)`, total over the whole domain `a > 0, x >= 0`.
fn reg_lower(a: f64, x: f64) -> f64 {
    if x <= 0.0 { 0.0 } else { gamma_lr(a, x) }
}

/// Regularised upper incomplete gamma `Q(a, x)`, total over the whole domain `a > 0, x >= 0`.
fn reg_upper(a: f64, x: f64) -> f64 {
    if x <= 0.0 { 1.0 } else { gamma_ur(a, x) }
}

/// `P(chi2_df > t)`; `df = 0` is the point mass at 0.
pub fn chi2_sf(df: f64, t: f64) -> f64 {
    if df <= 0.0 {
        return if t < 0.0 { 1.0 } else { 0.0 };
    }
    reg_upper(df / 2.0, t / 2.0)
}

/// `P(chi2_df <= t)`.
pub fn chi2_cdf(df: f64, t: f64) -> f64 {
    if df <= 0.0 {
        return if t < 0.0 { 0.0 } else { 1.0 };
    }
    reg_lower(df / 2.0, t / 2.0)
}

/// Terms smaller than this share of the running sum end the Poisson series.
const SERIES_EPS: f64 = 1e-20;
/// The linear-space recurrences of the weights are re-anchored on their closed forms
/// (`ln_gamma`) this often, so that rounding does not accumulate over the long walks of
/// large noncentralities (and an underflowed weight is recomputed).
const REANCHOR: u32 = 64;

/// The Poisson(m) mixture `sum_j Pois(j; m) F(a0 + j, x)` where F is the lower (`lower`)
/// or upper regularised incomplete gamma. It starts far out in the Poisson tail on the side
/// where the recurrence in j is stable (`P(a+1) = P(a) - t`, `Q(a+1) = Q(a) + t`,
/// `t = x^a e^-x / Gamma(a+1)`): P is summed from the top down, Q from the bottom up, and
/// the walk continues until the terms are negligible, however far the product's mode lies
/// from the Poisson mode (in the far tail it can lie well outside `m +- 12 sqrt(m)`).
///
/// Returns the mixture and, for the lower form, the same mixture with `a0 + 1` (the CDF with
/// two more degrees of freedom), which the walk gets for free and which gives the
/// derivative in the noncentrality.
fn poisson_gamma_mixture(a0: f64, x: f64, m: f64, lower: bool) -> (f64, f64) {
    let spread = 12.0 * m.sqrt() + 30.0;
    let ln_m = m.ln();
    let ln_x = x.ln();
    let ln_pois = |j: f64| {
        if m == 0.0 {
            if j == 0.0 { 0.0 } else { f64::NEG_INFINITY }
        } else {
            -m + j * ln_m - ln_gamma(j + 1.0)
        }
    };
    // ln t(a) = a ln x - x - ln Gamma(a + 1); t(0) = e^-x (mass of the `a = 0` jump).
    let ln_t = |a: f64| {
        if x == 0.0 {
            if a == 0.0 { 0.0 } else { f64::NEG_INFINITY }
        } else {
            a * ln_x - x - ln_gamma(a + 1.0)
        }
    };
    // `F(a0 + j, x)`, with the degenerate `a = 0` (df = 0, j = 0): a point mass at zero.
    let direct = |j: f64| {
        let a = a0 + j;
        if a == 0.0 {
            if lower { 1.0 } else { 0.0 }
        } else if lower {
            reg_lower(a, x)
        } else {
            reg_upper(a, x)
        }
    };

    let mut sum = 0.0;
    let mut sum_above = 0.0;
    let mut prev_term = f64::INFINITY;
    let mut steps = 0u32;
    // Between anchors the weights move by exact ratios in linear space (a multiply and a
    // divide per step instead of a logarithm and an exponential); every REANCHOR steps
    // they are recomputed from their closed forms, so rounding cannot accumulate.
    if lower {
        let mut j = (m + spread).ceil();
        let mut f = direct(j);
        // P(a0 + j + 1): the value f had one step earlier (the walk goes down in j).
        let mut f_above = reg_lower(a0 + j + 1.0, x);
        let mut w = ln_pois(j).exp();
        let mut t = ln_t(a0 + j - 1.0).exp();
        let (inv_m, inv_x) = (1.0 / m, 1.0 / x);
        loop {
            let term = w * f;
            sum += term;
            sum_above += w * f_above;
            let fading = sum > 0.0 && j < m && term <= prev_term && term <= SERIES_EPS * sum;
            if j == 0.0 || fading {
                break;
            }
            prev_term = term;
            // Step j -> j - 1: P(a - 1) = P(a) + t(a - 1).
            f_above = f;
            f += t;
            steps += 1;
            if steps.is_multiple_of(REANCHOR) || m == 0.0 || w == 0.0 || t == 0.0 {
                w = ln_pois(j - 1.0).exp();
                t = ln_t(a0 + j - 2.0).exp();
            } else {
                w *= j * inv_m;
                t *= (a0 + j - 1.0) * inv_x;
            }
            j -= 1.0;
        }
    } else {
        let mut j = (m - spread).floor().max(0.0);
        let mut f = direct(j);
        let mut w = ln_pois(j).exp();
        let mut t = ln_t(a0 + j).exp();
        loop {
            let term = w * f;
            sum += term;
            let fading = sum > 0.0 && j > m && term <= prev_term && term <= SERIES_EPS * sum;
            // Past the Poisson mode the weights only fall; once they underflow nothing is left.
            if fading || (j > m && w == 0.0) {
                break;
            }
            prev_term = term;
            // Step j -> j + 1: Q(a + 1) = Q(a) + t(a).
            f += t;
            steps += 1;
            if steps.is_multiple_of(REANCHOR) || m == 0.0 || w == 0.0 || t == 0.0 {
                w = ln_pois(j + 1.0).exp();
                t = ln_t(a0 + j + 1.0).exp();
            } else {
                w *= m / (j + 1.0);
                t *= x / (a0 + j + 1.0);
            }
            j += 1.0;
        }
    }
    (sum.min(1.0), sum_above.min(1.0))
}

/// `P(chi2'(df, lambda) <= t)`, the noncentral chi-square CDF.
pub fn ncx2_cdf(df: f64, lambda: f64, t: f64) -> f64 {
    ncx2_cdf_and_slope(df, lambda, t).0
}

/// The CDF and its derivative in lambda, `-(F(t; df) - F(t; df + 2)) / 2`.
fn ncx2_cdf_and_slope(df: f64, lambda: f64, t: f64) -> (f64, f64) {
    if t < 0.0 {
        return (0.0, 0.0);
    }
    let (f, f_plus2) = poisson_gamma_mixture(df / 2.0, t / 2.0, lambda / 2.0, true);
    (f, -0.5 * (f - f_plus2))
}

/// `P(chi2'(df, lambda) > t)`, the noncentral chi-square upper tail, summed directly.
pub fn ncx2_sf(df: f64, lambda: f64, t: f64) -> f64 {
    if t < 0.0 {
        return 1.0;
    }
    poisson_gamma_mixture(df / 2.0, t / 2.0, lambda / 2.0, false).0
}

/// The noncentrality `lambda >= 0` with `P(chi2'(df, lambda) <= t) = target`, or 0 when even
/// `lambda = 0` gives a CDF at or below the target (the CDF falls as lambda grows).
/// Newton's method from the normal approximation, with the slope that each CDF evaluation
/// yields for free, kept inside a bracket (bisection when a step would leave it): a few
/// evaluations, which matters when t is large and each one sums many terms.
pub fn ncx2_lambda_for_cdf(df: f64, t: f64, target: f64) -> f64 {
    if df <= 0.0 || chi2_cdf(df, t) <= target {
        return 0.0;
    }
    // T ~ df + lambda + z sqrt(2 df + 4 lambda) at the target quantile; solve for lambda.
    let z = -normal_upper_quantile(target);
    let s = -2.0 * z + 2.0 * (z * z + t - df / 2.0).max(0.0).sqrt();
    let mut lambda = ((s * s - 2.0 * df) / 4.0).max(1e-3);
    let (mut lo, mut hi) = (0.0, f64::INFINITY);
    for _ in 0..200 {
        let (cdf, slope) = ncx2_cdf_and_slope(df, lambda, t);
        let g = cdf - target;
        if g > 0.0 {
            lo = lambda;
        } else {
            hi = lambda;
        }
        let newton = lambda - g / slope;
        let next = if slope < 0.0 && newton > lo && newton < hi {
            newton
        } else if hi.is_finite() {
            0.5 * (lo + hi)
        } else {
            2.0 * lambda.max(1.0)
        };
        if !next.is_finite() {
            return f64::INFINITY;
        }
        if (next - lambda).abs() <= 1e-12 * next || hi - lo <= 1e-12 * hi {
            return next;
        }
        lambda = next;
    }
    lambda
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantile_matches_known_value() {
        let z = normal_upper_quantile(0.025);
        assert!((z - 1.959_963_984_540_054).abs() < 1e-14, "{z}");
        let back = normal_sf(z);
        assert!((back - 0.025).abs() < 1e-15, "{back}");
    }

    #[test]
    fn ncx2_with_zero_noncentrality_is_central() {
        for &(df, t) in &[(1.0, 0.5), (4.0, 3.0), (9.0, 32.15), (19.0, 7.0)] {
            let c = ncx2_cdf(df, 0.0, t);
            assert!(
                (c - chi2_cdf(df, t)).abs() < 1e-12,
                "df {df} t {t}: {c} vs {}",
                chi2_cdf(df, t)
            );
            let s = ncx2_sf(df, 0.0, t);
            assert!(
                (s - chi2_sf(df, t)).abs() < 1e-12,
                "df {df} t {t}: {s} vs {}",
                chi2_sf(df, t)
            );
        }
    }

    #[test]
    fn ncx2_cdf_and_sf_add_to_one() {
        for &(df, lam, t) in &[(4.0, 10.0, 12.0), (9.0, 200.0, 150.0), (2.0, 0.3, 0.1)] {
            let total = ncx2_cdf(df, lam, t) + ncx2_sf(df, lam, t);
            assert!((total - 1.0).abs() < 1e-12, "{df} {lam} {t}: {total}");
        }
    }

    #[test]
    fn ncx2_inversion_hits_its_target() {
        let lam = ncx2_lambda_for_cdf(9.0, 32.15, 0.975);
        assert!((ncx2_cdf(9.0, lam, 32.15) - 0.975).abs() < 1e-10);
        assert_eq!(ncx2_lambda_for_cdf(9.0, 1.0, 0.975), 0.0);
    }
}
