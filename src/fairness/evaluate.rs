//! One fairness check on one window, pure: the check's counts hold the feature's bins once
//! per group (the reference first, then the monitored groups); each monitored group is
//! compared with the reference by the IV core (STATISTICS.md sec. 6) and gets a state:
//! ok when "J < tau" is shown at `alpha`, alert when "J > tau" is shown, warning when
//! neither is (the data cannot tell yet: absence of evidence is not shown fairness).

use crate::evaluate::DriftState;
use crate::fairness::compare;
use crate::stats::{IvStats, StatsError};

/// What one monitored group shows against the reference in one window.
#[derive(Debug, Clone)]
pub(crate) struct GroupFairness {
    /// Index of the group among the check's monitored groups.
    pub group: usize,
    pub counts: Vec<f64>,
    pub stats: Result<IvStats, StatsError>,
    /// The level this window shows; the evaluation replaces it by the state after the
    /// published one ([`fairness_next_state`]).
    pub state: Option<DriftState>,
}

/// The state from the two one-sided tolerance tests.
pub(crate) fn fairness_state(below_tau: bool, above_tau: bool) -> DriftState {
    if below_tau {
        DriftState::Ok
    } else if above_tau {
        DriftState::Alert
    } else {
        DriftState::Warning
    }
}

/// The state after `prev` given this window's `level`, with hysteresis: ok holds while J
/// itself stays below tau (in a noisy window the evidence of "J < tau" may lapse while the
/// estimate has not moved toward tau), alert holds while J stays at `clear_ratio` x tau or
/// above; otherwise the level. J is the median-unbiased estimate the tables show.
pub(crate) fn fairness_next_state(
    prev: DriftState,
    level: DriftState,
    j: f64,
    tau: f64,
    clear_ratio: f64,
) -> DriftState {
    match (prev, level) {
        (DriftState::Ok, DriftState::Warning) if j < tau => DriftState::Ok,
        (DriftState::Alert, l) if l < DriftState::Alert && j >= clear_ratio * tau => {
            DriftState::Alert
        }
        _ => level,
    }
}

/// The reference group's counts and every monitored group against them. `counts` holds
/// `(1 + groups) * bins` cells.
pub(crate) fn evaluate_fairness(
    counts: &[u64],
    bins: usize,
    tau: f64,
    alpha: f64,
) -> (Vec<f64>, Vec<GroupFairness>) {
    let to_f64 = |v: &[u64]| v.iter().map(|&c| c as f64).collect::<Vec<f64>>();
    let reference = to_f64(&counts[..bins]);
    let groups = counts[bins..]
        .chunks(bins)
        .enumerate()
        .map(|(g, c)| {
            let counts = to_f64(c);
            let (stats, below, above) = compare(&counts, &reference, tau, alpha);
            let state = stats.is_ok().then(|| fairness_state(below, above));
            GroupFairness {
                group: g,
                counts,
                stats,
                state,
            }
        })
        .collect();
    (reference, groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_follow_the_reference_and_get_states_from_the_tolerance_tests() {
        // Reference, a group like it, a group far from it, an empty group; 3 bins.
        let counts = [
            4000, 4000, 2000, //
            4010, 3990, 2000, //
            1000, 2000, 7000, //
            0, 0, 0,
        ];
        let (reference, groups) = evaluate_fairness(&counts, 3, 0.02, 0.05);
        assert_eq!(reference, vec![4000.0, 4000.0, 2000.0]);
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[0].state, Some(DriftState::Ok));
        assert_eq!(groups[1].state, Some(DriftState::Alert));
        assert!(groups[2].stats.is_err() && groups[2].state.is_none());
        // The same numbers as the batch comparison.
        let (direct, _, _) = compare(&[1000.0, 2000.0, 7000.0], &reference, 0.02, 0.05);
        assert_eq!(groups[1].stats.as_ref().unwrap().iv, direct.unwrap().iv);
        // A small group: neither side shown.
        let (_, small) = evaluate_fairness(&[4000, 4000, 2000, 9, 8, 3], 3, 0.02, 0.05);
        assert_eq!(small[0].state, Some(DriftState::Warning));
    }

    #[test]
    fn ok_and_alert_hold_until_the_estimate_crosses() {
        use DriftState::{Alert, Ok, Warning};
        let next = |prev, level, j| fairness_next_state(prev, level, j, 0.02, 0.8);
        // The demo's flap: ok, then a noisy window shows neither side with J at 0.0176.
        assert_eq!(next(Ok, Warning, 0.0176), Ok);
        assert_eq!(next(Ok, Warning, 0.021), Warning);
        assert_eq!(next(Ok, Alert, 0.03), Alert);
        // Alert holds above 0.8 tau, clears below it.
        assert_eq!(next(Alert, Warning, 0.017), Alert);
        assert_eq!(next(Alert, Warning, 0.015), Warning);
        assert_eq!(next(Alert, Ok, 0.01), Ok);
        assert_eq!(next(Warning, Ok, 0.019), Ok);
    }
}
