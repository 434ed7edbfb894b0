//! One evaluation tick, pure: merged window counts and the baseline in, per-feature PSI
//! with SE, CI and tests out, plus the drift state machine's transitions. The scheduler
//! (the shell) supplies the merged counts and the wall-clock time.

pub(crate) mod backtest;
pub mod batch;
pub mod characteristic;
pub(crate) mod drift;
pub(crate) mod feature;
pub(crate) mod new_levels;
pub(crate) mod outcome;
pub mod scaling;

pub use backtest::{
    Backtest, DEFAULT_ALERT_GINI_DECLINE, DEFAULT_WARNING_GINI_DECLINE, PdSource, ScoreMeta,
    backtest, calibration_state, expected_of, gini_decline_state,
};
pub use drift::{
    DEFAULT_ALERT_IV_DROP, DEFAULT_ALERT_PSI, DEFAULT_WARNING_IV_DROP, DEFAULT_WARNING_PSI,
    DriftState, ShareThresholds, Thresholds, iv_drop_state, next_state,
};
pub use feature::{BinDetail, Binning, FeatureEval, FeatureMeta, ModelMeta, evaluate_window};
pub use new_levels::NewLevelSummary;
pub use scaling::ScoreScaling;
