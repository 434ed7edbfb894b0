//! Golden tests of user-visible text: the drift event JSON and the metric families (each
//! must be documented in the metric table of docs/interfaces.md). Regenerate a golden file with
//! `UPDATE_GOLDEN=1 cargo test --test golden` and review the diff.

use psimon::evaluate::{Binning, DriftState, FeatureMeta, ModelMeta, Thresholds, evaluate_window};
use psimon::output::cloudevent::{Transition, drift_event};
use psimon::output::metrics::Metrics;
use psimon::window::CountMatrix;

fn golden(name: &str, actual: &str) {
    let path = format!("tests/golden/{name}");
    if std::env::var("UPDATE_GOLDEN").is_ok() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{path} missing: run with UPDATE_GOLDEN=1"));
    assert_eq!(
        actual, expected,
        "{path} changed; if intended, regenerate with UPDATE_GOLDEN=1 and review"
    );
}

#[test]
fn drift_event_json() {
    let model = ModelMeta {
        name: "retail_v3".into(),
        baseline_id: "sha256:0123456789abcdef".into(),
        baseline_applications: 20_000,
        score: None,
        divergences: Vec::new(),
        features: vec![FeatureMeta {
            name: "bureau_score".into(),
            binning: Binning::Scorecard,
            development: None,
            development_iv: None,
            labels: vec![
                "< 600".into(),
                "[600, 700)".into(),
                ">= 700".into(),
                "MISSING".into(),
            ],
            baseline: vec![4000.0, 10000.0, 6000.0, 0.0],
        }],
    };
    let mut counts = CountMatrix::new(&[4]);
    for (bin, n) in [(0u16, 1800), (1, 2400), (2, 800)] {
        for _ in 0..n {
            counts.add(&[bin]);
        }
    }
    let eval = evaluate_window(&model, &counts, 0.05).remove(0);
    let psi = eval.psi.clone().unwrap();
    let thresholds = Thresholds {
        alpha: 0.05,
        warning_psi: 0.1,
        alert_psi: 0.25,
        clear_ratio: 0.8,
        min_applications: 500,
        multiple_testing: psimon::stats::Adjustment::Bh,
    };
    let transition_at = |now_ms: i64| {
        drift_event(&Transition {
            source: "psimon/psimon",
            model: "retail_v3",
            feature: "bureau_score",
            binning: Binning::Scorecard,
            window: "24h",
            baseline_id: &model.baseline_id,
            baseline_applications: model.baseline_applications,
            previous: DriftState::Ok,
            state: DriftState::Alert,
            eval: &eval,
            psi: &psi,
            p_adjusted: 1.0e-158,
            thresholds: &thresholds,
            bounds: Some((1_795_939_200_000, 1_796_025_600_000)),
            top_bins: 2,
            now_ms,
        })
    };
    let event = transition_at(1_796_025_615_000);
    golden(
        "drift_event.json",
        &(serde_json::to_string_pretty(&event).unwrap() + "\n"),
    );
    // The id depends on the transition, not on when it was evaluated.
    let again = transition_at(1_796_025_999_000);
    assert_eq!(event["id"], again["id"]);
    assert_ne!(event["time"], again["time"]);
}

#[test]
fn every_metric_family_is_documented_in_the_readme() {
    let metrics = Metrics::new();
    let labels = ["m", "f", "w", "scorecard"];
    for g in [
        &metrics.series.feature_psi,
        &metrics.series.feature_psi_stderr,
        &metrics.series.feature_psi_ci_lower,
        &metrics.series.feature_psi_ci_upper,
        &metrics.series.feature_psi_ci_ncx2_lower,
        &metrics.series.feature_psi_ci_ncx2_upper,
        &metrics.series.feature_psi_p_value,
        &metrics.series.feature_psi_p_value_adjusted,
        &metrics.series.feature_psi_noise_floor,
        &metrics.series.feature_psi_lower_bound,
        &metrics.series.feature_missing_ratio,
        &metrics.series.new_levels.share,
        &metrics.series.feature_iv,
        &metrics.series.feature_iv_stderr,
        &metrics.series.feature_iv_ci_ncx2_lower,
        &metrics.series.feature_iv_ci_ncx2_upper,
        &metrics.series.feature_iv_p_value,
        &metrics.series.feature_iv_drop,
    ] {
        g.with_label_values(&labels).set(0.0);
    }
    let family = psimon::stats::family(
        &[10.0, 20.0],
        &[20.0, 10.0],
        psimon::stats::FamilyOptions {
            alpha: 0.05,
            second_fixed: false,
        },
    )
    .unwrap();
    metrics.series.divergence.record(&labels, &family[..1]);
    metrics
        .series
        .feature_iv_drop_state
        .with_label_values(&labels)
        .set(0);
    metrics
        .series
        .window_outcomes
        .with_label_values(&["m", "w", "good"])
        .set(0);
    metrics
        .series
        .feature_drift_state
        .with_label_values(&labels)
        .set(0);
    metrics
        .series
        .new_levels
        .applications
        .with_label_values(&labels)
        .set(0);
    let bt = &metrics.backtest;
    for g in [
        &bt.auc,
        &bt.auc_stderr,
        &bt.gini,
        &bt.gini_ci_lower,
        &bt.gini_ci_upper,
        &bt.ks,
        &bt.gini_decline,
        &bt.hosmer_lemeshow_p_value,
        &bt.expected_bad_rate,
        &bt.expected_bad_rate_stderr,
        &bt.expected_gini,
        &bt.expected_gini_stderr,
        &bt.expected_iv,
        &bt.expected_iv_stderr,
    ] {
        g.with_label_values(&["m", "w"]).set(0.0);
    }
    for g in [&bt.gini_decline_state, &bt.calibration_light] {
        g.with_label_values(&["m", "w"]).set(0);
    }
    for g in [&bt.band_bad_rate, &bt.band_pd, &bt.band_p_value_adjusted] {
        g.with_label_values(&["m", "w", "b"]).set(0.0);
    }
    bt.band_light.with_label_values(&["m", "w", "b"]).set(0);
    let fair = &metrics.fairness;
    let group = ["m", "c", "w", "g"];
    for g in [
        &fair.j,
        &fair.j_stderr,
        &fair.j_ci_ncx2_lower,
        &fair.j_ci_ncx2_upper,
        &fair.p_value,
        &fair.below_tau_p_value,
    ] {
        g.with_label_values(&group).set(0.0);
    }
    for g in [&fair.state, &fair.applications] {
        g.with_label_values(&group).set(0);
    }
    metrics
        .series
        .window_applications
        .with_label_values(&["m", "w"])
        .set(0);
    metrics
        .flow
        .consumer_lag
        .with_label_values(&["t", "0"])
        .set(0);
    metrics
        .flow
        .partition_stalled
        .with_label_values(&["t", "0"])
        .set(0);
    let exposition = metrics.render();
    let families: Vec<String> = exposition
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    let psimon_families: Vec<&String> = families
        .iter()
        .filter(|f| f.starts_with("psimon_"))
        .collect();
    golden(
        "metric_families.txt",
        &(psimon_families
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"),
    );
    let readme = std::fs::read_to_string("docs/interfaces.md").unwrap();
    for f in &families {
        if f.starts_with("process_") {
            continue;
        }
        assert!(
            readme.contains(&format!("| `{f}`")),
            "metric {f} is not in the metric table of docs/interfaces.md"
        );
    }
    assert!(
        families
            .iter()
            .any(|f| f == "process_resident_memory_bytes"),
        "the process_* set is exported"
    );
}
