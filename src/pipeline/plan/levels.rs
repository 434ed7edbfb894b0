//! The plan's new-level checks: per model, the categorical features whose development
//! levels are all known (`KnownLevels`), counted in a set of their own (`<model>~levels`)
//! in the model's windows. Its own set, not extra cells in the drift set, so that the
//! drift panes keep their fingerprint: adding the check loses no drift history.

use crate::binning::KnownLevels;
use crate::evaluate::ModelMeta;
use crate::event::LevelField;
use crate::state::SetId;
use crate::state::layout::SetLayout;

/// One model's check. In the layout it is set `set` (after the fairness sets, before the
/// outcome sets), with one series of two cells (known, new) per watched feature.
pub struct LevelsPlan {
    pub model: usize,
    pub set: usize,
    /// Watched features, as indices in the model's features (scorecard series only).
    pub features: Vec<usize>,
}

/// The checks of the models that watch any feature (`watched[model]`), numbered from
/// layout set `first_set` on, with their sets and the decoder's fields.
pub(super) fn levels_plans(
    models: &[ModelMeta],
    watched: Vec<Vec<(usize, KnownLevels)>>,
    first_set: usize,
) -> (Vec<LevelsPlan>, Vec<SetLayout>, Vec<LevelField>) {
    let (mut plans, mut sets, mut fields) = (Vec::new(), Vec::new(), Vec::new());
    for (m, features) in watched.into_iter().enumerate() {
        if features.is_empty() {
            continue;
        }
        let model = &models[m];
        let set = first_set + plans.len();
        let series: Vec<(String, usize)> = features
            .iter()
            .map(|(f, _)| (model.features[*f].series(), 2))
            .collect();
        let identity = format!("{}|levels", model.baseline_id);
        sets.push(SetLayout::new(
            SetId::new_levels(&model.name),
            &identity,
            &series,
        ));
        plans.push(LevelsPlan {
            model: m,
            set,
            features: features.iter().map(|(f, _)| *f).collect(),
        });
        fields.push(LevelField {
            model: m,
            target: set,
            features,
        });
    }
    (plans, sets, fields)
}
