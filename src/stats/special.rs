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

/// Terms smaller than this share of the running sum end the Poisson series (the reference
/// tolerance of the noncentral outputs is 1e-6 relative).
const SERIES_EPS: f64 = 1e-15;
/// The linear-space recurrences of the weights are re-anchored on their closed forms
/// (`ln_gamma`) this often, so that rounding does not accumulate over the long walks of
/// large noncentralities (and an underflowed weight is recomputed).
const REANCHOR: u32 = 512;
/// A tail whose Chernoff bound is below `e^LN_NEGLIGIBLE` (about 1e-300) is returned as 0.
const LN_NEGLIGIBLE: f64 = -690.0;
/// The walk starts this many standard deviations of the tilted mixing law beyond its mean.
const START_SDS: f64 = 6.0;
/// A weight below this is subnormal (it has lost bits) or zero: it is recomputed from its
/// closed form instead of carried on by the recurrence.
const TINY: f64 = f64::MIN_POSITIVE;
/// Steps taken without checks when nothing can go wrong inside them.
const RUN: u32 = 8;
const RUN_F: f64 = RUN as f64;
/// A run starts only with weights above this and ratios above RATIO_FLOOR, so that its
/// weights stay normal numbers (1e-200 * (1e-6)^8 = 1e-248).
const SAFE: f64 = 1e-200;
const RATIO_FLOOR: f64 = 1e-6;

/// Which tail of `chi2'(df, lambda)` at `t` is the smaller one, the natural log of its
/// Chernoff bound, and the mean of the Poisson mixing index under the exponential tilt that
/// gives the bound (where the terms of that tail's series are largest).
///
/// The tilt `s` turns the mixing law Poisson(lambda/2) into Poisson(lambda/2 * r) exactly,
/// with `r = 1 / (1 - 2s)` (upper tail, r > 1) or `1 / (1 + 2s)` (lower tail, r < 1), the
/// root of `lambda r^2 + df r - t = 0`.
struct Tail {
    upper: bool,
    ln_bound: f64,
    tilted_mean: f64,
}

fn smaller_tail(df: f64, lambda: f64, t: f64) -> Tail {
    let root = 2.0 * t / (df + (df * df + 4.0 * lambda * t).sqrt());
    let upper = t >= df + lambda;
    let ln_bound = if root <= 0.0 || !root.is_finite() {
        0.0
    } else if upper {
        let s = 0.5 * (1.0 - 1.0 / root);
        -s * t + 0.5 * df * root.ln() + 0.5 * lambda * (root - 1.0)
    } else {
        let s = 0.5 * (1.0 / root - 1.0);
        s * t + 0.5 * df * root.ln() - 0.5 * lambda * (1.0 - root)
    };
    Tail {
        upper,
        ln_bound: ln_bound.min(0.0),
        tilted_mean: 0.5 * lambda * if root.is_finite() { root } else { 1.0 },
    }
}

/// The Poisson(m) mixture `sum_j Pois(j; m) F(a0 + j, x)` where F is the lower (`lower`)
/// or upper regularised incomplete gamma, with the same mixture for `a0 + 1` (two more
/// degrees of freedom; their difference is the derivative in the noncentrality).
///
/// It walks in j in the direction where the recurrence is stable (`P(a+1) = P(a) - t`,
/// `Q(a+1) = Q(a) + t`, `t = x^a e^-x / Gamma(a+1)`): P from the top down, Q from the bottom
/// up. The walk starts `START_SDS` standard deviations before `centre` (the tilted mean of
/// the mixing index, where this tail's terms are largest) and goes on until the terms are
/// negligible.
fn poisson_gamma_mixture(a0: f64, x: f64, m: f64, lower: bool, centre: f64) -> (f64, f64) {
    let mixture = Mixture {
        a0,
        x,
        m,
        ln_m: m.ln(),
        ln_x: x.ln(),
        lower,
    };
    let spread = START_SDS * centre.sqrt() + 10.0;
    let (sum, sum_above) = if lower {
        mixture.walk_down(centre, spread)
    } else {
        mixture.walk_up(centre, spread)
    };
    (sum.min(1.0), sum_above.min(1.0))
}

/// The terms of [`poisson_gamma_mixture`].
struct Mixture {
    a0: f64,
    x: f64,
    m: f64,
    ln_m: f64,
    ln_x: f64,
    lower: bool,
}

impl Mixture {
    /// ln Pois(j; m).
    #[inline]
    fn ln_pois(&self, j: f64) -> f64 {
        if self.m == 0.0 {
            if j == 0.0 { 0.0 } else { f64::NEG_INFINITY }
        } else {
            -self.m + j * self.ln_m - ln_gamma(j + 1.0)
        }
    }

    /// ln t(a) = a ln x - x - ln Gamma(a + 1); t(0) = e^-x (mass of the `a = 0` jump).
    #[inline]
    fn ln_t(&self, a: f64) -> f64 {
        if self.x == 0.0 {
            if a == 0.0 { 0.0 } else { f64::NEG_INFINITY }
        } else {
            a * self.ln_x - self.x - ln_gamma(a + 1.0)
        }
    }

    /// `F(a0 + j, x)`, with the degenerate `a = 0` (df = 0, j = 0): a point mass at zero.
    fn direct(&self, j: f64) -> f64 {
        let a = self.a0 + j;
        if a == 0.0 {
            if self.lower { 1.0 } else { 0.0 }
        } else if self.lower {
            reg_lower(a, self.x)
        } else {
            reg_upper(a, self.x)
        }
    }

    /// The lower mixture, walking down in j from above the centre. Between anchors the
    /// weights move by exact ratios in linear space (multiplies instead of a logarithm and
    /// an exponential); every REANCHOR steps, and whenever one is subnormal, they are
    /// recomputed from their closed forms, so rounding cannot accumulate.
    fn walk_down(&self, centre: f64, spread: f64) -> (f64, f64) {
        let a0 = self.a0;
        let (mut sum, mut sum_above, mut prev_term, mut steps) = (0.0, 0.0, f64::INFINITY, 0u32);
        let mut j = (centre + spread).ceil();
        let mut f = self.direct(j);
        // P(a0 + j + 1): the value f had one step earlier (the walk goes down in j). The
        // first one by the unstable recurrence, which costs far less than an incomplete
        // gamma: it enters only the df + 2 sum (the slope), with a weight of e^-18 or less.
        let mut f_above = (f - self.ln_t(a0 + j).exp()).max(0.0);
        let mut w = self.ln_pois(j).exp();
        let mut t = self.ln_t(a0 + j - 1.0).exp();
        let (inv_m, inv_x) = (1.0 / self.m, 1.0 / self.x);
        loop {
            // A run of RUN steps without checks where nothing can end, underflow or need
            // re-anchoring inside it (the checks cost as much as the arithmetic).
            let (rw_end, rt_end) = ((j - RUN_F) * inv_m, (a0 + j - RUN_F) * inv_x);
            if self.m > 0.0
                && j > RUN_F
                && w > SAFE
                && t > SAFE
                && rw_end.min(rt_end) > RATIO_FLOOR
                && steps % REANCHOR + RUN < REANCHOR
            {
                let (mut rw, mut rt) = (j * inv_m, (a0 + j - 1.0) * inv_x);
                let mut term = 0.0;
                for _ in 0..RUN {
                    term = w * f;
                    sum += term;
                    sum_above += w * f_above;
                    f_above = f;
                    f += t;
                    w *= rw;
                    t *= rt;
                    rw -= inv_m;
                    rt -= inv_x;
                }
                j -= RUN_F;
                steps += RUN;
                let fading = j < centre && term <= prev_term && term <= SERIES_EPS * sum;
                if fading {
                    break;
                }
                prev_term = term;
                continue;
            }
            let term = w * f;
            sum += term;
            sum_above += w * f_above;
            let fading = sum > 0.0 && j < centre && term <= prev_term && term <= SERIES_EPS * sum;
            if j == 0.0 || fading {
                break;
            }
            prev_term = term;
            // Step j -> j - 1: P(a - 1) = P(a) + t(a - 1).
            f_above = f;
            f += t;
            steps += 1;
            if steps.is_multiple_of(REANCHOR) || self.m == 0.0 || w < TINY || t < TINY {
                w = self.ln_pois(j - 1.0).exp();
                t = self.ln_t(a0 + j - 2.0).exp();
            } else {
                w *= j * inv_m;
                t *= (a0 + j - 1.0) * inv_x;
            }
            j -= 1.0;
        }
        (sum, sum_above)
    }

    /// The upper mixture, walking up in j from below the centre (as `walk_down`).
    fn walk_up(&self, centre: f64, spread: f64) -> (f64, f64) {
        let a0 = self.a0;
        let (mut sum, mut sum_above, mut prev_term, mut steps) = (0.0, 0.0, f64::INFINITY, 0u32);
        let mut j = (centre - spread).floor().max(0.0);
        let mut f = self.direct(j);
        let mut w = self.ln_pois(j).exp();
        let mut t = self.ln_t(a0 + j).exp();
        loop {
            // As above; the ratios m / (j + 1) and x / (a + 1) need divisions, done first
            // for the whole run so that they overlap.
            if self.m > 0.0 && w > SAFE && t > SAFE && steps % REANCHOR + RUN < REANCHOR {
                let mut rw = [0.0; RUN as usize];
                let mut rt = [0.0; RUN as usize];
                for k in 0..RUN as usize {
                    let step = (k + 1) as f64;
                    rw[k] = self.m / (j + step);
                    rt[k] = self.x / (a0 + j + step);
                }
                if rw[RUN as usize - 1].min(rt[RUN as usize - 1]).min(rw[0]) > RATIO_FLOOR {
                    let mut term = 0.0;
                    for k in 0..RUN as usize {
                        term = w * f;
                        sum += term;
                        sum_above += w * (f + t);
                        f += t;
                        w *= rw[k];
                        t *= rt[k];
                    }
                    j += RUN_F;
                    steps += RUN;
                    let fading = j > centre && term <= prev_term && term <= SERIES_EPS * sum;
                    if fading {
                        break;
                    }
                    prev_term = term;
                    continue;
                }
            }
            let term = w * f;
            sum += term;
            // Q(a0 + j + 1) = Q(a0 + j) + t(a0 + j).
            sum_above += w * (f + t);
            let fading = sum > 0.0 && j > centre && term <= prev_term && term <= SERIES_EPS * sum;
            // Past the Poisson mode the weights only fall; once they underflow nothing is left.
            if fading || (j > self.m && w == 0.0) {
                break;
            }
            prev_term = term;
            f += t;
            steps += 1;
            if steps.is_multiple_of(REANCHOR) || self.m == 0.0 || w < TINY || t < TINY {
                w = self.ln_pois(j + 1.0).exp();
                t = self.ln_t(a0 + j + 1.0).exp();
            } else {
                w *= self.m / (j + 1.0);
                t *= self.x / (a0 + j + 1.0);
            }
            j += 1.0;
        }
        (sum, sum_above)
    }
}

/// The CDF and the survival function of `chi2'(df, lambda)` at `t`, with the CDF at
/// `df + 2`. The smaller tail is summed (and is 0 when its Chernoff bound is below 1e-300);
/// the other is its complement, so neither loses precision to cancellation where it is small.
fn ncx2_both(df: f64, lambda: f64, t: f64) -> (f64, f64, f64) {
    if t < 0.0 {
        return (0.0, 1.0, 0.0);
    }
    if df == 0.0 && lambda == 0.0 {
        return (1.0, 0.0, chi2_cdf(2.0, t));
    }
    let tail = smaller_tail(df, lambda, t);
    let (small, small_plus2) = if tail.ln_bound < LN_NEGLIGIBLE {
        (0.0, 0.0)
    } else {
        poisson_gamma_mixture(
            df / 2.0,
            t / 2.0,
            lambda / 2.0,
            !tail.upper,
            tail.tilted_mean,
        )
    };
    if tail.upper {
        (1.0 - small, small, 1.0 - small_plus2)
    } else {
        (small, 1.0 - small, small_plus2)
    }
}

/// `P(chi2'(df, lambda) <= t)`, the noncentral chi-square CDF.
pub fn ncx2_cdf(df: f64, lambda: f64, t: f64) -> f64 {
    ncx2_both(df, lambda, t).0
}

/// The CDF and its derivative in lambda, `-(F(t; df) - F(t; df + 2)) / 2`.
fn ncx2_cdf_and_slope(df: f64, lambda: f64, t: f64) -> (f64, f64) {
    let (f, _, f_plus2) = ncx2_both(df, lambda, t);
    (f, -0.5 * (f - f_plus2))
}

/// `P(chi2'(df, lambda) > t)`, the noncentral chi-square upper tail.
pub fn ncx2_sf(df: f64, lambda: f64, t: f64) -> f64 {
    ncx2_both(df, lambda, t).1
}

/// The `target` quantile of `chi2'(df, lambda)` by the Cornish-Fisher expansion to the
/// fourth cumulant (`kappa_r = 2^(r-1) (r-1)! (df + r lambda)`): the starting point of the
/// inversion, within a small share of a standard deviation once lambda is large.
fn cornish_fisher_quantile(df: f64, lambda: f64, z: f64) -> f64 {
    let var = 2.0 * (df + 2.0 * lambda);
    let sd = var.sqrt();
    let skew = 8.0 * (df + 3.0 * lambda) / (var * sd);
    let kurt = 48.0 * (df + 4.0 * lambda) / (var * var);
    let w = z + skew * (z * z - 1.0) / 6.0 + kurt * (z * z * z - 3.0 * z) / 24.0
        - skew * skew * (2.0 * z * z * z - 5.0 * z) / 36.0;
    df + lambda + sd * w
}

/// The lambda at which the Cornish-Fisher quantile equals `t` (a few secant steps on the
/// closed form; no series is summed).
fn cornish_fisher_lambda(df: f64, t: f64, z: f64) -> f64 {
    // The normal approximation T = df + lambda + z sqrt(2 df + 4 lambda), solved exactly.
    let s = -2.0 * z + 2.0 * (z * z + t - df / 2.0).max(0.0).sqrt();
    let mut lambda = ((s * s - 2.0 * df) / 4.0).max(1e-3);
    for _ in 0..6 {
        let h = cornish_fisher_quantile(df, lambda, z) - t;
        let dl = 1e-6 * lambda.max(1.0);
        let slope = (cornish_fisher_quantile(df, lambda + dl, z) - t - h) / dl;
        if slope.is_nan() || slope <= 0.0 {
            break;
        }
        let next = (lambda - h / slope).max(1e-3);
        if (next - lambda).abs() <= 1e-9 * next {
            return next;
        }
        lambda = next;
    }
    lambda
}

/// The noncentrality `lambda >= 0` with `P(chi2'(df, lambda) <= t) = target`, or 0 when even
/// `lambda = 0` gives a CDF at or below the target (the CDF falls as lambda grows).
/// Newton's method from the Cornish-Fisher solution, with the slope that each CDF evaluation
/// yields for free, kept inside a bracket (bisection when a step would leave it). A Newton
/// step shorter than 3e-5 of the law's standard deviation leaves an error of the order of
/// its square (1e-9 standard deviations), so it is taken without a further evaluation:
/// one or two evaluations for large lambda, where each sums thousands of terms.
pub fn ncx2_lambda_for_cdf(df: f64, t: f64, target: f64) -> f64 {
    if df <= 0.0 || chi2_cdf(df, t) <= target {
        return 0.0;
    }
    // The standard normal quantile of the target (`P(Z > -z) = target`).
    let z = -normal_upper_quantile(target);
    let mut lambda = cornish_fisher_lambda(df, t, z);
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
        let is_newton = slope < 0.0 && newton > lo && newton < hi;
        let next = if is_newton {
            newton
        } else if hi.is_finite() {
            0.5 * (lo + hi)
        } else {
            2.0 * lambda.max(1.0)
        };
        if !next.is_finite() {
            return f64::INFINITY;
        }
        let sd = (2.0 * (df + 2.0 * next)).sqrt();
        // Error after the step ~ step^2 / sd: at most 1e-9 sd, and 1e-9 of lambda.
        let short = (next - lambda).abs() <= 3e-5 * sd.min((next * sd).sqrt());
        // (`hi` stays infinite until a CDF falls below the target; inf - lo <= inf holds.)
        let bracketed = hi.is_finite() && hi - lo <= 1e-12 * hi;
        if (is_newton && short) || (next - lambda).abs() <= 1e-12 * next || bracketed {
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
