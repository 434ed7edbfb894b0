//! The drift state of one model x feature x window: ok, warning or alert, driven by the size
//! of the shift and its significance together, with hysteresis on the way down.
//!
//! - level: alert when the no-drift test rejects at `alpha` (its p-value adjusted for the
//!   features tested together, STATISTICS.md sec. 4.3) and the one-sided `1 - alpha`
//!   noncentral lower bound is above the alert threshold (sec. 5.1: above it is the
//!   noncentral test of "PSI at most the threshold" rejecting at alpha); warning likewise;
//!   else ok.
//! - up: at once. Down: only when the PSI itself (the median-unbiased estimate the tables
//!   show) falls below `clear_ratio` x the threshold of the current state, so a PSI
//!   hovering at a threshold does not flap.

use serde::Serialize;

use crate::stats::{Adjustment, IvChange, PsiStats};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DriftState {
    #[default]
    Ok = 0,
    Warning = 1,
    Alert = 2,
}

impl DriftState {
    pub fn as_str(self) -> &'static str {
        match self {
            DriftState::Ok => "ok",
            DriftState::Warning => "warning",
            DriftState::Alert => "alert",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    pub alpha: f64,
    pub warning_psi: f64,
    pub alert_psi: f64,
    pub clear_ratio: f64,
    pub min_applications: u64,
    /// How the no-drift p-values of one evaluation are adjusted.
    pub multiple_testing: Adjustment,
}

/// Default PSI thresholds of the warning and alert states (`[evaluation]`, `report`).
pub const DEFAULT_WARNING_PSI: f64 = 0.1;
pub const DEFAULT_ALERT_PSI: f64 = 0.25;

/// The next state from `psi` and its no-drift p-value adjusted for multiple testing.
pub fn next_state(prev: DriftState, psi: &PsiStats, p_adjusted: f64, t: &Thresholds) -> DriftState {
    let significant = p_adjusted <= t.alpha && psi.inference.chi2_pvalue < t.alpha;
    let lower = if significant {
        psi.inference.ncx2_lower_bound
    } else {
        f64::NEG_INFINITY
    };
    let levels = ShareThresholds {
        warning: t.warning_psi,
        alert: t.alert_psi,
        clear_ratio: t.clear_ratio,
    };
    with_hysteresis(prev, lower, psi.inference.median_unbiased, levels)
}

/// Default relative IV drops (of the debiased development IV) for the `iv_drop` states.
pub const DEFAULT_WARNING_IV_DROP: f64 = 0.25;
pub const DEFAULT_ALERT_IV_DROP: f64 = 0.5;

/// The `iv_drop` state of a feature, by the rule of every state: the level is the highest
/// threshold below the one-sided `1 - alpha` lower bound of the share of the development
/// IV lost (a share: 0.5 = half the information lost); up at once, down only once the
/// share itself is below `clear_ratio` x the current state's threshold. Always ok when
/// the development IV shows no information: nothing to lose.
pub fn iv_drop_state(prev: DriftState, c: &IvChange, t: ShareThresholds) -> DriftState {
    let (Some(lower), Some(share)) = (c.relative_drop_lower_bound, c.relative_drop) else {
        return DriftState::Ok;
    };
    with_hysteresis(prev, lower, share, t)
}

/// Thresholds on a share lost (`iv_drop`, `gini_decline`) and the clearing ratio.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ShareThresholds {
    pub warning: f64,
    pub alert: f64,
    pub clear_ratio: f64,
}

/// The level a lower bound shows, held on the way down while the point value stays at
/// `clear_ratio` x the current state's threshold or above.
pub(crate) fn with_hysteresis(
    prev: DriftState,
    lower: f64,
    point: f64,
    t: ShareThresholds,
) -> DriftState {
    let level = if lower > t.alert {
        DriftState::Alert
    } else if lower > t.warning {
        DriftState::Warning
    } else {
        DriftState::Ok
    };
    if level >= prev {
        return level;
    }
    let hold = if point >= t.clear_ratio * t.alert {
        DriftState::Alert
    } else if point >= t.clear_ratio * t.warning {
        DriftState::Warning
    } else {
        DriftState::Ok
    };
    level.max(prev.min(hold))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{PsiOptions, psi};

    const T: Thresholds = Thresholds {
        alpha: 0.05,
        warning_psi: 0.1,
        alert_psi: 0.25,
        clear_ratio: 0.8,
        min_applications: 1,
        multiple_testing: Adjustment::None,
    };

    fn stats(current: &[f64]) -> PsiStats {
        psi(
            current,
            &[2500.0, 2500.0, 2500.0, 2500.0],
            PsiOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn escalates_on_size_and_significance_and_clears_with_hysteresis() {
        let none = stats(&[2500.0, 2500.0, 2500.0, 2500.0]);
        let big = stats(&[6000.0, 2000.0, 1500.0, 500.0]);
        let medium = stats(&[3900.0, 2800.0, 2000.0, 1300.0]);
        assert!(big.inference.ncx2_lower_bound > 0.25, "{}", big.psi);
        assert!(
            medium.inference.ncx2_lower_bound > 0.1 && medium.psi < 0.25,
            "{}",
            medium.psi
        );
        assert_eq!(
            next_state(DriftState::Ok, &none, none.inference.chi2_pvalue, &T),
            DriftState::Ok
        );
        assert_eq!(
            next_state(DriftState::Ok, &big, big.inference.chi2_pvalue, &T),
            DriftState::Alert
        );
        assert_eq!(
            next_state(DriftState::Ok, &medium, medium.inference.chi2_pvalue, &T),
            DriftState::Warning
        );
        // From alert, a PSI above 0.8 x 0.25 holds the alert even though its CI dips.
        let holding = stats(&[4400.0, 2600.0, 1800.0, 1200.0]);
        assert!(
            holding.psi >= 0.25 * 0.8 && holding.inference.ncx2_lower_bound < 0.25,
            "{}",
            holding.psi
        );
        assert_eq!(
            next_state(
                DriftState::Alert,
                &holding,
                holding.inference.chi2_pvalue,
                &T
            ),
            DriftState::Alert
        );
        assert_eq!(
            next_state(DriftState::Alert, &medium, medium.inference.chi2_pvalue, &T),
            DriftState::Warning
        );
        assert_eq!(
            next_state(DriftState::Alert, &none, none.inference.chi2_pvalue, &T),
            DriftState::Ok
        );
    }

    #[test]
    fn the_adjusted_p_value_and_the_noncentral_interval_decide() {
        let medium = stats(&[3900.0, 2800.0, 2000.0, 1300.0]);
        let raw = medium.inference.chi2_pvalue;
        assert!(raw < 1e-10);
        // Significant on its own, but not once adjusted (say, among many features).
        assert_eq!(next_state(DriftState::Ok, &medium, 0.2, &T), DriftState::Ok);
        // The noncentral lower bound, not the normal one, is compared with the threshold.
        let mut shifted = medium.clone();
        shifted.inference.ci_lower = 0.3;
        shifted.inference.ncx2_lower_bound = 0.05;
        assert_eq!(
            next_state(DriftState::Ok, &shifted, raw, &T),
            DriftState::Ok
        );
        shifted.inference.ncx2_lower_bound = 0.3;
        shifted.inference.ci_lower = 0.05;
        assert_eq!(
            next_state(DriftState::Ok, &shifted, raw, &T),
            DriftState::Alert
        );
    }

    #[test]
    fn a_large_but_insignificant_psi_does_not_alert() {
        // 4 applications against 4: PSI 1.1, but T = 2.2 on 1 df (p = 0.14).
        let tiny = psi(&[3.0, 1.0], &[1.0, 3.0], PsiOptions::default()).unwrap();
        assert!(tiny.psi > 0.25 && tiny.inference.chi2_pvalue > 0.05);
        assert_eq!(
            next_state(DriftState::Ok, &tiny, tiny.inference.chi2_pvalue, &T),
            DriftState::Ok
        );
    }
}
