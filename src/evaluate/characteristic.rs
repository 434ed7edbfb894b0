//! Characteristic analysis in points: how far a feature's share of the score moved, the
//! mean points of its bins now against at the baseline, `Σ_i (c_i - b_i) points_i` over
//! the bins' shares, with its SE (the shares of two multinomial samples: the points'
//! variance in each over its size) and a normal interval. Pure.

use serde::Serialize;

use crate::stats::inference::z_two_sided;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Characteristic {
    pub baseline_points: f64,
    pub current_points: f64,
    /// Current minus baseline mean points: the feature's part of the mean score's move.
    pub shift: f64,
    pub se: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
}

/// The characteristic of `points` per bin over `current` and `baseline` counts; `None`
/// when either sample is empty. With `baseline_fixed` the baseline's variance is dropped.
pub fn characteristic(
    current: &[f64],
    baseline: &[f64],
    points: &[f64],
    alpha: f64,
    baseline_fixed: bool,
) -> Option<Characteristic> {
    let moments = |counts: &[f64]| -> Option<(f64, f64)> {
        let n: f64 = counts.iter().sum();
        if n <= 0.0 {
            return None;
        }
        let mean = counts.iter().zip(points).map(|(c, p)| c * p).sum::<f64>() / n;
        let var = counts
            .iter()
            .zip(points)
            .map(|(c, p)| c * (p - mean) * (p - mean))
            .sum::<f64>()
            / n;
        Some((mean, var / n))
    };
    let (now, var_now) = moments(current)?;
    let (then, var_then) = moments(baseline)?;
    let se = (var_now + if baseline_fixed { 0.0 } else { var_then }).sqrt();
    let z = z_two_sided(alpha);
    let shift = now - then;
    Some(Characteristic {
        baseline_points: then,
        current_points: now,
        shift,
        se,
        ci_lower: shift - z * se,
        ci_upper: shift + z * se,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shift_is_the_mean_points_moved_and_its_se_the_two_samples() {
        // Baseline half 10, half 30 points (mean 20, variance 100); now a quarter 10.
        let c = characteristic(&[25.0, 75.0], &[400.0, 400.0], &[10.0, 30.0], 0.05, false).unwrap();
        assert_eq!(
            (c.baseline_points, c.current_points, c.shift),
            (20.0, 25.0, 5.0)
        );
        let se = (75.0f64 / 100.0 + 100.0 / 800.0).sqrt();
        assert!((c.se - se).abs() < 1e-12, "{c:?}");
        let fixed =
            characteristic(&[25.0, 75.0], &[400.0, 400.0], &[10.0, 30.0], 0.05, true).unwrap();
        assert!((fixed.se - (0.75f64).sqrt()).abs() < 1e-12);
        assert!(characteristic(&[0.0, 0.0], &[1.0, 1.0], &[1.0, 2.0], 0.05, false).is_none());
    }
}
