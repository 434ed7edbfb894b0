//! The problems of the `[outcomes]` section: its topic, pointers, values, thresholds and
//! windows, each with its path. Part of `validate`; no parsing here.

use super::{Bad, is_pointer, window_problems};
use crate::config::Config;

/// The `iv_drop` and `gini_decline` thresholds: shares, warning below alert.
fn share_thresholds(o: &crate::config::OutcomesConfig, bad: Bad<'_>) {
    for (what, warning, alert) in [
        ("iv_drop", o.warning_iv_drop, o.alert_iv_drop),
        ("gini_decline", o.warning_gini_decline, o.alert_gini_decline),
    ] {
        if !(warning > 0.0 && warning < alert && alert <= 1.0) {
            let of = if what == "iv_drop" { "IV" } else { "Gini" };
            bad(
                &format!("outcomes.alert_{what}"),
                &alert,
                &format!(
                    "shares of the development {of} need 0 < outcomes.warning_{what} < outcomes.alert_{what} <= 1"
                ),
            );
        }
    }
}

/// The problems of the `[outcomes]` section.
pub(super) fn outcomes_problems(c: &Config, bad: Bad<'_>) {
    let k = &c.kafka;
    if let Some(s) = c.outcomes.as_ref().and_then(|o| o.scaling.as_ref()) {
        for (field, why) in s.problems() {
            let value = match field {
                "base_score" => Some(s.base_score),
                "base_odds" => Some(s.base_odds),
                "points_to_double_odds" => Some(s.points_to_double_odds),
                _ => s.max_score,
            };
            let shown = value.map_or("none".to_string(), |v| v.to_string());
            bad(&format!("outcomes.scaling.{field}"), &shown, &why);
        }
    }
    if let Some(o) = &c.outcomes {
        if o.topic.trim().is_empty() {
            bad("outcomes.topic", &"\"\"", "must not be empty");
        }
        if k.input_topics.contains(&o.topic)
            || o.topic == k.drift_topic
            || o.topic == k.dead_letter_topic
        {
            bad(
                "outcomes.topic",
                &format!("\"{}\"", o.topic),
                "must differ from the input, drift and dead-letter topics",
            );
        }
        for (path, p) in [
            ("outcomes.outcome", Some(&o.outcome)),
            ("outcomes.id", o.id.as_ref()),
            ("outcomes.outcome_time", o.outcome_time.as_ref()),
        ] {
            if let Some(p) = p
                && (p.is_empty() || !is_pointer(p))
            {
                bad(
                    path,
                    &format!("\"{p}\""),
                    "is not a JSON pointer (like \"/outcome\")",
                );
            }
        }
        if o.id.is_some() && o.repartition == crate::config::Repartition::Never {
            bad(
                "outcomes.repartition",
                &"\"never\"",
                "outcomes.id reads the id from the payload, so the outcomes must be repartitioned by it",
            );
        }
        if o.bad_values.is_empty() {
            bad(
                "outcomes.bad_values",
                &"[]",
                "give the values that mean bad",
            );
        }
        if o.good_values.is_empty() {
            bad(
                "outcomes.good_values",
                &"[]",
                "give the values that mean good",
            );
        }
        for v in &o.good_values {
            if o.bad_values.contains(v) {
                bad(
                    "outcomes.good_values",
                    &format!("\"{v}\""),
                    "is also in outcomes.bad_values",
                );
            }
        }
        share_thresholds(o, bad);
        if o.horizon.is_zero() {
            bad(
                "outcomes.horizon",
                &format!("{:?}", o.horizon),
                "must be positive",
            );
        }
        if o.windows.is_empty() {
            bad(
                "outcomes.windows",
                &"[]",
                "configure at least one outcome window",
            );
        }
        window_problems(&o.windows, "outcomes.windows", bad);
        for (i, w) in o.windows.iter().enumerate() {
            if c.windows.iter().any(|x| x.name() == w.name()) {
                bad(
                    &format!("outcomes.windows[{i}].name"),
                    &format!("\"{}\"", w.name()),
                    "is also the name of a [[windows]] entry",
                );
            }
        }
    }
}
