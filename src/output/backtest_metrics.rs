//! The gauges of the back-testing of each model's score per outcome window: discrimination
//! (AUC, Gini, KS, the `gini_decline` state) and calibration by score band (bad rate, its
//! PD, the adjusted Jeffreys p-value and the traffic light of each band).

use prometheus::{GaugeVec, IntGaugeVec, Registry};

use super::register::{gauge_vec, int_gauge_vec};
use crate::stats::{Band, Calibration, Discrimination, Expected};

const LABELS: &[&str] = &["model", "window"];
const BAND_LABELS: &[&str] = &["model", "window", "band"];

#[derive(Clone)]
pub struct BacktestMetrics {
    pub auc: GaugeVec,
    pub auc_stderr: GaugeVec,
    pub gini: GaugeVec,
    pub gini_ci_lower: GaugeVec,
    pub gini_ci_upper: GaugeVec,
    pub ks: GaugeVec,
    pub gini_decline: GaugeVec,
    pub gini_decline_state: IntGaugeVec,
    pub hosmer_lemeshow_p_value: GaugeVec,
    pub calibration_light: IntGaugeVec,
    pub band_bad_rate: GaugeVec,
    pub band_pd: GaugeVec,
    pub band_p_value_adjusted: GaugeVec,
    pub band_light: IntGaugeVec,
    pub expected_bad_rate: GaugeVec,
    pub expected_bad_rate_stderr: GaugeVec,
    pub expected_gini: GaugeVec,
    pub expected_gini_stderr: GaugeVec,
    pub expected_iv: GaugeVec,
    pub expected_iv_stderr: GaugeVec,
}

impl BacktestMetrics {
    pub fn register(r: &Registry) -> Self {
        let g = |name: &str, help: &str| gauge_vec(r, name, help, LABELS);
        let band = |name: &str, help: &str| gauge_vec(r, name, help, BAND_LABELS);
        Self {
            auc: g(
                "psimon_score_auc",
                "AUC of the score on the outcome window's goods and bads (ties within a score bin count half).",
            ),
            auc_stderr: g(
                "psimon_score_auc_stderr",
                "DeLong standard error of psimon_score_auc.",
            ),
            gini: g(
                "psimon_score_gini",
                "Gini (accuracy ratio, 2 AUC - 1) of the score on the outcome window.",
            ),
            gini_ci_lower: g(
                "psimon_score_gini_ci_lower",
                "Lower end of the Gini's interval (logit-scale DeLong interval of the AUC).",
            ),
            gini_ci_upper: g(
                "psimon_score_gini_ci_upper",
                "Upper end of the Gini's interval.",
            ),
            ks: g(
                "psimon_score_ks",
                "Kolmogorov-Smirnov statistic of the score: the largest gap of the goods' and bads' cumulative shares.",
            ),
            gini_decline: g(
                "psimon_score_gini_decline",
                "Development Gini minus the window's Gini (positive: ranking power lost).",
            ),
            gini_decline_state: int_gauge_vec(
                r,
                "psimon_score_gini_decline_state",
                "0 ok, 1 warning, 2 alert: the share of the development Gini lost, by its one-sided lower bound.",
                LABELS,
            ),
            hosmer_lemeshow_p_value: g(
                "psimon_score_hosmer_lemeshow_p_value",
                "p-value of the Hosmer-Lemeshow test of the score bands' bad rates against their development bad rates.",
            ),
            calibration_light: int_gauge_vec(
                r,
                "psimon_score_calibration_light",
                "The worst score band's traffic light: 0 green, 1 amber (adjusted Jeffreys p-value at most alpha), 2 red (at most alpha / 10).",
                LABELS,
            ),
            band_bad_rate: band(
                "psimon_score_band_bad_rate",
                "Bad rate of the outcome window's applications in the score band.",
            ),
            band_pd: band(
                "psimon_score_band_pd",
                "The score band's development bad rate, the PD it is tested against.",
            ),
            band_p_value_adjusted: band(
                "psimon_score_band_p_value_adjusted",
                "Jeffreys test p-value of the band (small: defaults above its PD), adjusted across bands by evaluation.multiple_testing.",
            ),
            band_light: int_gauge_vec(
                r,
                "psimon_score_band_light",
                "0 green, 1 amber, 2 red (the band's adjusted Jeffreys p-value at most alpha, at most alpha / 10).",
                BAND_LABELS,
            ),
            expected_bad_rate: g(
                "psimon_score_expected_bad_rate",
                "Bad rate the window's applications are expected to show if each score bin keeps its development bad rate (label window: a [[windows]] entry).",
            ),
            expected_bad_rate_stderr: g(
                "psimon_score_expected_bad_rate_stderr",
                "Delta-method standard error of psimon_score_expected_bad_rate.",
            ),
            expected_gini: g(
                "psimon_score_expected_gini",
                "Gini the score is expected to show on the window's applications under the development bad rates.",
            ),
            expected_gini_stderr: g(
                "psimon_score_expected_gini_stderr",
                "Delta-method standard error of psimon_score_expected_gini.",
            ),
            expected_iv: g(
                "psimon_score_expected_iv",
                "IV the score is expected to show on the window's applications under the development bad rates.",
            ),
            expected_iv_stderr: g(
                "psimon_score_expected_iv_stderr",
                "Delta-method standard error of psimon_score_expected_iv.",
            ),
        }
    }

    /// The gauges of one window's discrimination; `labels` are model and window.
    pub fn record_discrimination(&self, labels: &[&str], d: &Discrimination) {
        for (gauge, value) in [
            (&self.auc, d.auc),
            (&self.auc_stderr, d.auc_se),
            (&self.gini, d.gini),
            (&self.gini_ci_lower, d.gini_ci_lower),
            (&self.gini_ci_upper, d.gini_ci_upper),
            (&self.ks, d.ks),
        ] {
            gauge.with_label_values(labels).set(value);
        }
    }

    /// The gauges of one drift window's expected figures; `labels` are model and window.
    pub fn record_expected(&self, labels: &[&str], e: &Expected) {
        for (gauge, value) in [
            (&self.expected_bad_rate, e.bad_rate),
            (&self.expected_bad_rate_stderr, e.bad_rate_se),
            (&self.expected_gini, e.gini),
            (&self.expected_gini_stderr, e.gini_se),
            (&self.expected_iv, e.iv),
            (&self.expected_iv_stderr, e.iv_se),
        ] {
            gauge.with_label_values(labels).set(value);
        }
    }

    /// The gauges of one window's calibration; `bands` are the bands' labels.
    pub fn record_calibration(&self, labels: &[&str], bands: &[&str], c: &Calibration) {
        self.hosmer_lemeshow_p_value
            .with_label_values(labels)
            .set(c.hl_pvalue);
        self.calibration_light
            .with_label_values(labels)
            .set(c.light as i64);
        for (name, b) in bands.iter().zip(&c.bands) {
            self.record_band(&[labels[0], labels[1], name], b);
        }
    }

    fn record_band(&self, labels: &[&str], b: &Band) {
        if let Some(rate) = b.bad_rate {
            self.band_bad_rate.with_label_values(labels).set(rate);
        }
        self.band_pd.with_label_values(labels).set(b.pd);
        self.band_p_value_adjusted
            .with_label_values(labels)
            .set(b.p_adjusted);
        self.band_light
            .with_label_values(labels)
            .set(b.light as i64);
    }
}
