//! What back-testing knows of a model's score (`outcomes.score_feature`, default `score`,
//! under its scorecard bins): its ranges, their PDs (the development bad rates or, with
//! `[outcomes.scaling]`, the scorecard's scaling) and the development discrimination.

use crate::binning::BinSpec;
use crate::binning::baseline::ModelBaseline;
use crate::config::Config;
use crate::evaluate::{Binning, FeatureMeta, ScoreMeta};

use super::SCORE_FEATURE;

/// The score's back-testing knowledge; a configured feature that is not monitored or not
/// numeric, and a scaling with nothing to scale or whose score range cuts a bin, are
/// problems.
pub(super) fn score_meta(
    config: &Config,
    (model_name, model): (&str, &ModelBaseline),
    metas: &[FeatureMeta],
    problems: &mut Vec<String>,
) -> Option<ScoreMeta> {
    let outcomes = config.outcomes.as_ref();
    let configured = outcomes.and_then(|o| o.score_feature.as_deref());
    let scaling = outcomes.and_then(|o| o.scaling.as_ref());
    let name = configured.unwrap_or(SCORE_FEATURE);
    let found = metas
        .iter()
        .position(|f| f.name == name && f.binning == Binning::Scorecard)
        .zip(model.features.iter().find(|f| f.name == name));
    let Some((feature, BinSpec::Numeric { edges, .. })) = found.map(|(i, f)| (i, &f.bins)) else {
        if configured.is_some() {
            problems.push(format!(
                "outcomes.score_feature = \"{name}\": not a monitored numeric feature of model \"{}\"",
                model_name
            ));
        } else if scaling.is_some() {
            problems.push(format!(
                "outcomes.scaling: model \"{}\" monitors no score \"{name}\" to scale (map it with mapping.score, or name it in outcomes.score_feature)",
                model_name
            ));
        }
        return None;
    };
    let dev = metas[feature]
        .development
        .as_ref()
        .map(|(g, b)| (g.as_slice(), b.as_slice()));
    let meta = ScoreMeta::from_development(feature, edges.len() + 1, dev, config.evaluation.alpha);
    let Some(scaling) = scaling else {
        return Some(meta);
    };
    let cut = scaling.edge_problems(edges);
    for (field, why) in &cut {
        problems.push(format!(
            "outcomes.scaling.{field}: {why} of {name} in the baseline of model \"{}\"",
            model_name
        ));
    }
    cut.is_empty().then(|| meta.with_scaling(edges, scaling))
}
