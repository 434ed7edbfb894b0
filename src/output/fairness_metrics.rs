//! The gauges of the `[[fairness]]` checks, per model, check, window and group. The
//! `group` label carries only configured group names (the reference group's too, in
//! `psimon_fairness_applications`), never other values of the protected attribute.

use prometheus::{GaugeVec, IntGaugeVec, Registry};

use super::register::{gauge_vec, int_gauge_vec};
use crate::stats::IvStats;

const LABELS: &[&str] = &["model", "check", "window", "group"];

#[derive(Clone)]
pub struct FairnessMetrics {
    pub j: GaugeVec,
    pub j_stderr: GaugeVec,
    pub j_ci_ncx2_lower: GaugeVec,
    pub j_ci_ncx2_upper: GaugeVec,
    pub p_value: GaugeVec,
    pub below_tau_p_value: GaugeVec,
    pub state: IntGaugeVec,
    pub applications: IntGaugeVec,
}

impl FairnessMetrics {
    pub fn register(r: &Registry) -> Self {
        let g = |name: &str, help: &str| gauge_vec(r, name, help, LABELS);
        Self {
            j: g(
                "psimon_fairness_j",
                "Jeffreys divergence J between the checked feature's bin distribution in the group and in the reference group (the IV of group membership).",
            ),
            j_stderr: g(
                "psimon_fairness_j_stderr",
                "Delta-method standard error of psimon_fairness_j.",
            ),
            j_ci_ncx2_lower: g(
                "psimon_fairness_j_ci_ncx2_lower",
                "Lower end of the noncentral chi-square interval of J.",
            ),
            j_ci_ncx2_upper: g(
                "psimon_fairness_j_ci_ncx2_upper",
                "Upper end of the noncentral chi-square interval of J.",
            ),
            p_value: g(
                "psimon_fairness_p_value",
                "p-value of the test of no difference between the group and the reference group.",
            ),
            below_tau_p_value: g(
                "psimon_fairness_below_tau_p_value",
                "p-value of H0: J >= tau (noncentral chi-square); below alpha shows the feature carries less than tau on the group.",
            ),
            state: int_gauge_vec(
                r,
                "psimon_fairness_state",
                "0 ok (J < tau shown), 1 warning (neither J < tau nor J > tau shown), 2 alert (J > tau shown).",
                LABELS,
            ),
            applications: int_gauge_vec(
                r,
                "psimon_fairness_applications",
                "Applications of the group (or the reference group) in the check's window at the last evaluation.",
                LABELS,
            ),
        }
    }

    /// The gauges of one group's statistics.
    pub fn record(&self, labels: &[&str], s: &IvStats) {
        for (gauge, value) in [
            (&self.j, s.iv),
            (&self.j_stderr, s.inference.se),
            (&self.j_ci_ncx2_lower, s.inference.ci_ncx2_lower),
            (&self.j_ci_ncx2_upper, s.inference.ci_ncx2_upper),
            (&self.p_value, s.inference.chi2_pvalue),
        ] {
            gauge.with_label_values(labels).set(value);
        }
        if let Some(t) = &s.tolerance {
            self.below_tau_p_value
                .with_label_values(labels)
                .set(t.below_tau_pvalue_ncx2);
        }
    }
}
