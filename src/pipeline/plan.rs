//! Everything `run` needs that comes from the config and the baseline files: the decoder,
//! each model's monitored series (every feature under its scorecard bins and, where the
//! baseline has them, its population bins) with their baseline counts, the windows. Building it
//! reads the baseline files and reports every problem (a missing file, a model or feature
//! the baseline lacks) with its config path.

mod levels;
mod score;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::binning::baseline::{FeatureBaseline, ModelBaseline};
use crate::binning::{BaselineFile, Binner, KnownLevels};
use crate::config::{Config, ModelConfig, OutcomesConfig, Repartition, WindowConfig};
use crate::evaluate::{Binning, FeatureMeta, ModelMeta, ShareThresholds, Thresholds};
use crate::event::groups::GroupField;
use crate::event::outcome::OutcomeDecoder;
use crate::event::{Decoder, ModelFields};
use crate::join::Deadlines;
use crate::state::layout::{SetLayout, WindowLayout};
use crate::state::{SetId, StateLayout};
use crate::stats::{IvOptions, Measure, iv};
use crate::window::WindowSpec;
pub(crate) use levels::LevelsPlan;

pub(crate) use crate::config::SCORE_FEATURE;

pub struct Plan {
    pub decoder: Decoder,
    pub models: Vec<ModelMeta>,
    pub windows: Vec<(String, WindowSpec)>,
    /// `shapes[model]`: bins per monitored feature.
    pub shapes: Vec<Vec<usize>>,
    pub thresholds: Thresholds,
    pub top_bins: usize,
    /// Names, shapes and fingerprints as the state topic stores them.
    pub layout: StateLayout,
    /// The outcome join and its windows, when `[outcomes]` is configured.
    pub outcomes: Option<OutcomePlan>,
    /// The `[[fairness]]` checks.
    pub fairness: Vec<FairnessPlan>,
    /// The models' new-level checks (models without a watched feature have none).
    pub levels: Vec<LevelsPlan>,
}

/// One fairness check. In the layout it is set `set` (of kind fairness, after the drift sets
/// and before the outcome sets), counted in the model's windows with one series: the
/// feature's bins once per group, the reference group first, then the monitored groups in
/// order.
pub struct FairnessPlan {
    pub name: String,
    pub model: usize,
    /// The monitored series (index in the model's features) and its bin count.
    pub feature: usize,
    pub bins: usize,
    pub reference: String,
    pub groups: Vec<String>,
    pub tau: f64,
    pub set: usize,
}

/// What the outcome join needs. In the layout, the outcome set of model `m` (every series'
/// bins twice: goods, then bads) is [`OutcomePlan::set_of`] and outcome window `i` is
/// [`OutcomePlan::window_of`]: the sets and windows follow the others.
pub struct OutcomePlan {
    pub topic: String,
    /// The internal topic of outcomes keyed and partitioned by application id, and when
    /// it is used (decided at start against the partition counts).
    pub repartition_topic: String,
    pub repartition: Repartition,
    pub decoder: OutcomeDecoder,
    pub deadlines: Deadlines,
    pub store_dir: PathBuf,
    pub windows: Vec<(String, WindowSpec)>,
    first_set: usize,
    first_window: usize,
    /// Shares of the development IV lost for the `iv_drop` warning and alert.
    pub iv_drop: ShareThresholds,
    /// The `gini_decline` thresholds of the score's back-testing.
    pub gini_decline: ShareThresholds,
}

/// The internal topic through which outcomes are repartitioned by application id.
pub(crate) fn repartition_topic(group_id: &str) -> String {
    format!("{group_id}.psimon-outcomes-by-id")
}

impl OutcomePlan {
    /// The layout's outcome set of model `model`.
    pub fn set_of(&self, model: usize) -> usize {
        self.first_set + model
    }

    /// The layout's window of outcome window `window`.
    pub fn window_of(&self, window: usize) -> usize {
        self.first_window + window
    }

    /// Whether outcomes go through the repartition topic, given the outcome topic's and
    /// the input topics' partition counts; an error when they must and may not.
    pub fn repartitions(
        &self,
        outcome_partitions: i32,
        input_partitions: i32,
    ) -> Result<bool, String> {
        let co_partitioned = outcome_partitions == input_partitions;
        match self.repartition {
            Repartition::Always => Ok(true),
            Repartition::Auto => Ok(!co_partitioned),
            Repartition::Never if co_partitioned => Ok(false),
            Repartition::Never => Err(format!(
                "outcomes.repartition = \"never\", but the outcome topic {} has {outcome_partitions} partitions and the input topics {input_partitions}",
                self.topic
            )),
        }
    }
}

/// A window of the config as the rings define it.
fn window_spec(w: &WindowConfig) -> WindowSpec {
    match w {
        WindowConfig::Time {
            length,
            slide,
            allowed_lateness,
            ..
        } => WindowSpec::Time {
            length_ms: length.as_millis() as i64,
            slide_ms: slide.as_millis() as i64,
            lateness_ms: allowed_lateness.as_millis() as i64,
        },
        WindowConfig::Count { size, panes, .. } => WindowSpec::Count {
            size: *size,
            panes: *panes,
        },
    }
}

impl Plan {
    /// Loads the baselines (relative paths against `base_dir`) and builds the plan.
    pub fn build(config: &Config, base_dir: &Path) -> Result<Plan, Vec<String>> {
        let (models, fields, watched) = load_models(config, base_dir)?;
        let windows: Vec<(String, WindowSpec)> = config
            .windows
            .iter()
            .map(|w| (w.name().to_string(), window_spec(w)))
            .collect();
        let shapes: Vec<Vec<usize>> = fields
            .iter()
            .map(|m| {
                m.features
                    .iter()
                    .map(|(_, _, b)| b.spec().bin_count())
                    .collect()
            })
            .collect();
        let mut sets: Vec<SetLayout> = models
            .iter()
            .zip(&shapes)
            .map(|(meta, shape)| {
                let features: Vec<(String, usize)> = meta
                    .features
                    .iter()
                    .map(|f| f.series())
                    .zip(shape.iter().copied())
                    .collect();
                SetLayout::new(SetId::drift(&meta.name), &meta.baseline_id, &features)
            })
            .collect();
        let mut window_layouts: Vec<WindowLayout> = windows
            .iter()
            .map(|(name, spec)| WindowLayout::new(name, spec.clone()))
            .collect();
        let fairness = fairness_plans(config, &models, &shapes, sets.len())?;
        sets.extend(fairness_sets(config, &models, &fairness));
        let (levels, level_sets, level_fields) = levels::levels_plans(&models, watched, sets.len());
        sets.extend(level_sets);
        let mut input_topics = config.kafka.input_topics.clone();
        let outcomes = match &config.outcomes {
            None => None,
            Some(o) => {
                let plan = outcome_plan(config, o, base_dir, (&sets, &window_layouts))?;
                add_outcome_layouts(&plan, &mut sets, &mut window_layouts, models.len());
                input_topics.push(plan.topic.clone());
                input_topics.push(plan.repartition_topic.clone());
                Some(plan)
            }
        };
        let layout = StateLayout {
            sets,
            windows: window_layouts,
            idle_timeout_ms: config.state.idle_timeout.as_millis() as i64,
            input_topics,
        };
        let decoder = decoder(config, fields, &fairness).with_levels(level_fields);
        let e = &config.evaluation;
        Ok(Plan {
            layout,
            decoder,
            models,
            windows,
            shapes,
            thresholds: Thresholds {
                alpha: e.alpha,
                warning_psi: e.warning_psi,
                alert_psi: e.alert_psi,
                clear_ratio: e.clear_ratio,
                min_applications: e.min_applications,
                multiple_testing: e.multiple_testing,
            },
            top_bins: e.top_bins,
            outcomes,
            fairness,
            levels,
        })
    }

    pub fn window_specs(&self) -> Vec<WindowSpec> {
        self.windows.iter().map(|(_, s)| s.clone()).collect()
    }
}

/// Every model's monitored series, the fields the decoder reads for them and the series
/// whose new levels are watched; every problem (a baseline that cannot be read, a model or
/// feature it lacks) with its config path.
fn load_models(config: &Config, base_dir: &Path) -> Result<LoadedModels, Vec<String>> {
    let mut mapped: BTreeMap<String, String> = config.mapping.features.clone();
    if let Some(p) = &config.mapping.score {
        mapped.insert(SCORE_FEATURE.to_string(), p.clone());
    }
    let mut problems = Vec::new();
    let mut models = Vec::new();
    let mut fields = Vec::new();
    let mut watched = Vec::new();
    for (i, m) in config.models.iter().enumerate() {
        let file = match BaselineFile::load(&base_dir.join(&m.baseline)) {
            Ok(f) => f,
            Err(e) => {
                problems.push(format!("models[{i}].baseline = \"{}\": {e}", m.baseline));
                continue;
            }
        };
        let wanted = m.baseline_model.clone().unwrap_or_else(|| m.name.clone());
        let model = match file.model(&wanted) {
            Some(model) => model,
            None if m.baseline_model.is_none() && file.models.len() == 1 => &file.models[0],
            None => {
                problems.push(format!(
                    "models[{i}].baseline_model = \"{wanted}\": the baseline has no such model (it has: {})",
                    file.models.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")
                ));
                continue;
            }
        };
        let (metas, feats, known) = model_series(config, m, model, &mapped, &mut problems);
        watched.push(known);
        models.push(ModelMeta {
            name: m.name.clone(),
            baseline_id: file.id.clone(),
            baseline_applications: model.applications,
            score: score::score_meta(config, (&m.name, model), &metas, &mut problems),
            features: metas,
            divergences: divergences_of(i, m, &mut problems),
        });
        fields.push(ModelFields {
            name: m.name.clone(),
            features: feats,
        });
    }
    if problems.is_empty() {
        Ok((models, fields, watched))
    } else {
        Err(problems)
    }
}

/// What `load_models` gives: per model its series, its decoder fields and its watched
/// categorical series (index in its features, known levels).
type LoadedModels = (Vec<ModelMeta>, Vec<ModelFields>, Vec<Watched>);

/// The divergences `[[models]] divergences` names, each name checked.
fn divergences_of(i: usize, m: &ModelConfig, problems: &mut Vec<String>) -> Vec<Measure> {
    let mut out = Vec::new();
    for (j, name) in m.divergences.iter().enumerate() {
        match Measure::from_name(name) {
            Some(measure) if !out.contains(&measure) => out.push(measure),
            Some(_) => problems.push(format!(
                "models[{i}].divergences[{j}] = \"{name}\": named twice"
            )),
            None => problems.push(format!(
                "models[{i}].divergences[{j}] = \"{name}\": not a divergence psimon computes (known: {})",
                Measure::ALL.map(Measure::name).join(", ")
            )),
        }
    }
    out
}

/// A model's watched categorical series: index in its features, known levels.
type Watched = Vec<(usize, KnownLevels)>;

/// One model's series: each mapped feature under its scorecard bins and, when configured
/// and the baseline has them, its population bins; and the scorecard series of the
/// categorical features whose development levels are all known.
fn model_series(
    config: &Config,
    m: &ModelConfig,
    model: &ModelBaseline,
    mapped: &BTreeMap<String, String>,
    problems: &mut Vec<String>,
) -> (Vec<FeatureMeta>, Vec<(String, String, Binner)>, Watched) {
    let mut metas = Vec::new();
    let mut feats = Vec::new();
    let mut watched = Vec::new();
    for (name, pointer) in mapped {
        let Some(f) = model.features.iter().find(|f| &f.name == name) else {
            let path = if name == SCORE_FEATURE && config.mapping.score.is_some() {
                "mapping.score".to_string()
            } else {
                format!("mapping.features.{name}")
            };
            problems.push(format!(
                "{path}: feature \"{name}\" is not in the baseline of model \"{}\" ({})",
                m.name, m.baseline
            ));
            continue;
        };
        if let Some(known) = KnownLevels::of(f) {
            watched.push((metas.len(), known));
        }
        metas.push(scorecard_series(f, config.evaluation.alpha));
        feats.push((name.clone(), pointer.clone(), Binner::new(f.bins.clone())));
        // The same field binned a second time: the decoder reads it once.
        if let Some(p) = f.population.as_ref().filter(|_| m.population_bins) {
            metas.push(FeatureMeta {
                name: name.clone(),
                binning: Binning::Population,
                labels: p.labels.clone(),
                baseline: p.counts_f64(),
                development: None,
                development_iv: None,
            });
            feats.push((name.clone(), pointer.clone(), Binner::new(p.bins.clone())));
        }
    }
    (metas, feats, watched)
}

/// A feature under its scorecard bins, with its development goods, bads and IV when the
/// baseline has them.
fn scorecard_series(f: &FeatureBaseline, alpha: f64) -> FeatureMeta {
    let development = f.goods.as_ref().zip(f.bads.as_ref()).map(|(g, b)| {
        let to_f64 = |v: &[u64]| v.iter().map(|&c| c as f64).collect::<Vec<f64>>();
        (to_f64(g), to_f64(b))
    });
    let development_iv = development
        .as_ref()
        .and_then(|(g, b)| iv(g, b, IvOptions { alpha, tau: None }).ok());
    FeatureMeta {
        name: f.name.clone(),
        binning: Binning::Scorecard,
        labels: f.labels.clone(),
        baseline: f.counts_f64(),
        development_iv,
        development,
    }
}

/// The decoder of the applications: every model's fields and the fairness checks' groups.
fn decoder(config: &Config, fields: Vec<ModelFields>, fairness: &[FairnessPlan]) -> Decoder {
    // Events without a model field go to the default model; with a model field mapped
    // and no explicit default, a missing model is an invalid event.
    let default_model = match &config.mapping.default_model {
        Some(d) => config.models.iter().position(|m| &m.name == d),
        None if config.mapping.model.is_none() && config.models.len() == 1 => Some(0),
        None => None,
    };
    let groups = fairness
        .iter()
        .zip(&config.fairness)
        .map(|(f, c)| GroupField {
            model: f.model,
            pointer: c.attribute.clone(),
            feature: f.feature,
            bins: f.bins,
            target: f.set,
            values: std::iter::once(&c.reference)
                .chain(&c.groups)
                .cloned()
                .collect(),
        })
        .collect();
    Decoder::new(
        config.kafka.max_message_bytes,
        config.mapping.model.clone(),
        default_model,
        config.mapping.event_time.clone(),
        fields,
    )
    .with_groups(groups)
}

/// The fairness checks' sets: what the fingerprint covers is what changes the meaning of
/// their counts (the attribute, the groups, the feature), not tau.
fn fairness_sets<'a>(
    config: &'a Config,
    models: &'a [ModelMeta],
    fairness: &'a [FairnessPlan],
) -> impl Iterator<Item = SetLayout> + 'a {
    fairness.iter().zip(&config.fairness).map(|(f, c)| {
        let model = &models[f.model];
        let identity = format!(
            "{}|fairness|{}|{}|{}|{}",
            model.baseline_id,
            c.attribute,
            c.reference,
            c.groups.join("\u{1f}"),
            model.features[f.feature].series()
        );
        SetLayout::new(
            SetId::fairness(&model.name, &f.name),
            &identity,
            &[("groups".to_string(), (1 + f.groups.len()) * f.bins)],
        )
    })
}

/// The outcome join's plan; refused when a series' bins, counted twice, do not fit a bin
/// index (u16). Its sets and windows follow `sets` and `windows`.
fn outcome_plan(
    config: &Config,
    o: &OutcomesConfig,
    base_dir: &Path,
    (sets, windows): (&[SetLayout], &[WindowLayout]),
) -> Result<OutcomePlan, Vec<String>> {
    if let Some(m) = sets
        .iter()
        .find(|m| m.shape.iter().any(|&k| 2 * k > usize::from(u16::MAX)))
    {
        return Err(vec![format!(
            "outcomes: model \"{}\" has a feature with more than {} bins; outcome windows hold every bin twice",
            m.id.model,
            u16::MAX / 2
        )]);
    }
    Ok(OutcomePlan {
        topic: o.topic.clone(),
        repartition_topic: repartition_topic(&config.kafka.group_id),
        repartition: if o.id.is_some() {
            Repartition::Always
        } else {
            o.repartition
        },
        decoder: OutcomeDecoder::new(
            config.kafka.max_message_bytes,
            &o.outcome,
            o.outcome_time.as_deref(),
            &o.bad_values,
            &o.good_values,
        )
        .with_id(o.id.as_deref()),
        deadlines: Deadlines {
            horizon_ms: i64::try_from(o.horizon.as_millis()).unwrap_or(i64::MAX),
            grace_ms: i64::try_from(o.grace.as_millis()).unwrap_or(i64::MAX),
        },
        store_dir: base_dir.join(o.store_dir.as_deref().unwrap_or("psimon-join")),
        windows: o
            .windows
            .iter()
            .map(|w| (w.name().to_string(), window_spec(w)))
            .collect(),
        first_set: sets.len(),
        first_window: windows.len(),
        iv_drop: ShareThresholds {
            warning: o.warning_iv_drop,
            alert: o.alert_iv_drop,
            clear_ratio: config.evaluation.clear_ratio,
        },
        gini_decline: ShareThresholds {
            warning: o.warning_gini_decline,
            alert: o.alert_gini_decline,
            clear_ratio: config.evaluation.clear_ratio,
        },
    })
}

/// The outcome sets (each drift set's series with their bins twice: goods, then bads) and
/// the outcome windows, after the others.
fn add_outcome_layouts(
    plan: &OutcomePlan,
    sets: &mut Vec<SetLayout>,
    windows: &mut Vec<WindowLayout>,
    models: usize,
) {
    let doubled: Vec<SetLayout> = sets[..models]
        .iter()
        .map(|m| {
            let features: Vec<(String, usize)> = m
                .shape
                .iter()
                .enumerate()
                .map(|(i, k)| (format!("s{i}"), 2 * k))
                .collect();
            SetLayout::new(
                SetId::outcomes(&m.id.model),
                &format!("{}|{}", m.baseline_id, m.fingerprint),
                &features,
            )
        })
        .collect();
    sets.extend(doubled);
    windows.extend(
        plan.windows
            .iter()
            .map(|(name, spec)| WindowLayout::of_outcomes(name, spec.clone())),
    );
}

/// The `[[fairness]]` checks against the models: layout sets from `first_layout` on.
/// A check whose groups' bins do not fit a bin index (u16) is refused.
fn fairness_plans(
    config: &Config,
    models: &[ModelMeta],
    shapes: &[Vec<usize>],
    first_layout: usize,
) -> Result<Vec<FairnessPlan>, Vec<String>> {
    let mut problems = Vec::new();
    let mut plans = Vec::new();
    for (i, c) in config.fairness.iter().enumerate() {
        let model = match &c.model {
            Some(name) => models.iter().position(|m| &m.name == name),
            None => (models.len() == 1).then_some(0),
        };
        let Some(model) = model else {
            problems.push(format!("fairness[{i}].model: no such model"));
            continue;
        };
        let Some(feature) = models[model]
            .features
            .iter()
            .position(|f| f.name == c.feature && f.binning == Binning::Scorecard)
        else {
            problems.push(format!(
                "fairness[{i}].feature = \"{}\": not a monitored feature of model \"{}\"",
                c.feature, models[model].name
            ));
            continue;
        };
        let bins = shapes[model][feature];
        if (1 + c.groups.len()) * bins > usize::from(u16::MAX) {
            problems.push(format!(
                "fairness[{i}]: {} groups x {bins} bins of \"{}\" are more than {} bins",
                1 + c.groups.len(),
                c.feature,
                u16::MAX
            ));
            continue;
        }
        plans.push(FairnessPlan {
            name: c.name.clone(),
            model,
            feature,
            bins,
            reference: c.reference.clone(),
            groups: c.groups.clone(),
            tau: c.tau,
            set: first_layout + i,
        });
    }
    if problems.is_empty() {
        Ok(plans)
    } else {
        Err(problems)
    }
}
