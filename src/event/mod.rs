//! Decoding an application event (JSON) per the field mapping into the bins of its model's
//! baseline, or a reason why it is invalid. Pure: bytes in, bins out. Details name fields,
//! never their values: applications hold personal data.

pub mod avro;
#[cfg(test)]
pub(crate) mod avro_reference;
pub mod extra;
pub mod extract;
pub(crate) mod groups;
pub(crate) mod outcome;
pub(crate) mod scan;
mod tree;

pub use extra::{Extra, LevelField};
use extract::{ExtractError, Extractor, Found};
use groups::{GroupField, GroupMatcher};

use crate::binning::{BinError, Binner, FastPath};
use crate::data::Cell;

/// Why a message could not be counted; the label of `psimon_events_invalid_total{reason}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvalidReason {
    Oversized,
    InvalidJson,
    NotAnObject,
    MissingField,
    WrongType,
    NonFinite,
    UnknownModel,
    InvalidTime,
    /// An outcome whose value is neither a bad nor a good value, or with no key.
    InvalidOutcome,
    /// Avro input: not the Confluent wire format, or not a datum of its writer schema.
    InvalidAvro,
    /// Avro input: the schema registry does not know the message's schema id.
    UnknownSchema,
}

impl InvalidReason {
    pub const ALL: [InvalidReason; 11] = [
        InvalidReason::Oversized,
        InvalidReason::InvalidJson,
        InvalidReason::NotAnObject,
        InvalidReason::MissingField,
        InvalidReason::WrongType,
        InvalidReason::NonFinite,
        InvalidReason::UnknownModel,
        InvalidReason::InvalidTime,
        InvalidReason::InvalidOutcome,
        InvalidReason::InvalidAvro,
        InvalidReason::UnknownSchema,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InvalidReason::Oversized => "oversized",
            InvalidReason::InvalidJson => "invalid_json",
            InvalidReason::NotAnObject => "not_an_object",
            InvalidReason::MissingField => "missing_field",
            InvalidReason::WrongType => "wrong_type",
            InvalidReason::NonFinite => "non_finite",
            InvalidReason::UnknownModel => "unknown_model",
            InvalidReason::InvalidTime => "invalid_time",
            InvalidReason::InvalidOutcome => "invalid_outcome",
            InvalidReason::InvalidAvro => "invalid_avro",
            InvalidReason::UnknownSchema => "unknown_schema",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub reason: InvalidReason,
    /// Which field and what was wrong with it, without the value.
    pub detail: String,
}

pub(crate) fn invalid(reason: InvalidReason, detail: impl Into<String>) -> Invalid {
    Invalid {
        reason,
        detail: detail.into(),
    }
}

/// An `oversized` message is refused before it is parsed.
pub(crate) fn within_size(payload: &[u8], max_bytes: usize) -> Result<(), Invalid> {
    if payload.len() > max_bytes {
        return Err(invalid(
            InvalidReason::Oversized,
            format!("{} bytes, more than the {max_bytes} allowed", payload.len()),
        ));
    }
    Ok(())
}

/// Mapped fields up to this many are found without a heap allocation.
const STACK_SLOTS: usize = 32;

/// One model's features as the decoder reads them.
pub struct ModelFields {
    pub name: String,
    /// Per monitored feature, in the model's feature order: name, pointer, binner.
    pub features: Vec<(String, String, Binner)>,
}

/// What a valid event contributes: its model, its event time if it has one, and (in the
/// caller's buffer) one bin per monitored feature of that model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decoded {
    pub model: usize,
    pub event_time_ms: Option<i64>,
}

pub struct Decoder {
    max_bytes: usize,
    default_model: Option<usize>,
    models: Vec<ModelFields>,
    extractor: Extractor,
    model_slot: Option<usize>,
    time_slot: Option<usize>,
    /// `feature_slots[model][f]`: the extractor slot of the model's feature `f`.
    feature_slots: Vec<Vec<usize>>,
    /// `fast[model][f]`: how feature `f` bins a finite number (with `f + 1` when both
    /// read one field under numeric binnings).
    fast: Vec<Vec<FastPath>>,
    /// Pointer of each slot, for error details.
    pointers: Vec<String>,
    /// Fairness checks: each with its attribute's slot and its group matcher.
    groups: Vec<(GroupField, usize, GroupMatcher)>,
    /// `levels[model]`: the model's new-levels set and its watched features.
    levels: Vec<Option<LevelField>>,
}

impl Decoder {
    pub fn new(
        max_bytes: usize,
        model_pointer: Option<String>,
        default_model: Option<usize>,
        time_pointer: Option<String>,
        models: Vec<ModelFields>,
    ) -> Self {
        let mut pointers: Vec<String> = Vec::new();
        let mut slot_of = |p: &str| match pointers.iter().position(|q| q == p) {
            Some(i) => i,
            None => {
                pointers.push(p.to_string());
                pointers.len() - 1
            }
        };
        let model_slot = model_pointer.as_deref().map(&mut slot_of);
        let time_slot = time_pointer.as_deref().map(&mut slot_of);
        let feature_slots: Vec<Vec<usize>> = models
            .iter()
            .map(|m| m.features.iter().map(|(_, p, _)| slot_of(p)).collect())
            .collect();
        let fast = models
            .iter()
            .zip(&feature_slots)
            .map(|(m, slots)| {
                let binners: Vec<&Binner> = m.features.iter().map(|(_, _, b)| b).collect();
                FastPath::plan(&binners, |f| slots[f] == slots[f + 1])
            })
            .collect();
        let refs: Vec<&str> = pointers.iter().map(String::as_str).collect();
        Self {
            max_bytes,
            default_model,
            extractor: Extractor::new(&refs),
            model_slot,
            time_slot,
            feature_slots,
            fast,
            models,
            pointers,
            groups: Vec::new(),
            levels: Vec::new(),
        }
    }

    /// The decoder that also tells, for each watched categorical feature, whether an
    /// event's level is new since development (`decode_with`).
    pub fn with_levels(mut self, fields: Vec<LevelField>) -> Self {
        self.levels = (0..self.models.len()).map(|_| None).collect();
        for f in fields {
            let model = f.model;
            self.levels[model] = Some(f);
        }
        self
    }

    /// The decoder that also finds each event's group of every fairness check of its
    /// model (`decode_with`).
    pub fn with_groups(mut self, groups: Vec<GroupField>) -> Self {
        for g in groups {
            let slot = match self.pointers.iter().position(|p| *p == g.pointer) {
                Some(i) => i,
                None => {
                    self.pointers.push(g.pointer.clone());
                    self.pointers.len() - 1
                }
            };
            let matcher = GroupMatcher::new(&g.values);
            self.groups.push((g, slot, matcher));
        }
        let refs: Vec<&str> = self.pointers.iter().map(String::as_str).collect();
        self.extractor = Extractor::new(&refs);
        self
    }

    pub fn decode(&self, payload: &[u8], bins: &mut Vec<u16>) -> Result<Decoded, Invalid> {
        self.decode_with(payload, bins, &mut Extra::default())
    }

    /// As `decode`; `extra` also gets, for each fairness check of the event's model where
    /// the event is in a group, `(target, group x bins + bin)`: the layout set and the cell
    /// the check counts it in; and the model's new-level cells.
    pub fn decode_with(
        &self,
        payload: &[u8],
        bins: &mut Vec<u16>,
        extra: &mut Extra,
    ) -> Result<Decoded, Invalid> {
        extra.clear();

        within_size(payload, self.max_bytes)?;
        self.with_found(|found| {
            self.extractor
                .extract_into(payload, found)
                .map_err(|e| match e {
                    ExtractError::NotAnObject => {
                        invalid(InvalidReason::NotAnObject, "the event is not a JSON object")
                    }
                    ExtractError::Json(detail) => {
                        invalid(InvalidReason::InvalidJson, format!("not JSON: {detail}"))
                    }
                })?;
            self.bin_found(found, bins, extra)
        })
    }

    /// As `decode_with`, for an Avro event in the Confluent wire format; `schema_of`
    /// gives the writer schema of a registry id, or why there is none (`unknown_schema`,
    /// `invalid_avro`).
    pub fn decode_avro_with(
        &self,
        payload: &[u8],
        schema_of: &dyn Fn(u32) -> Result<std::sync::Arc<avro::WriterSchema>, Invalid>,
        bins: &mut Vec<u16>,
        extra: &mut Extra,
    ) -> Result<Decoded, Invalid> {
        extra.clear();
        within_size(payload, self.max_bytes)?;
        let framed = avro::unframe(payload).map_err(|e| invalid(InvalidReason::InvalidAvro, e))?;
        let schema = schema_of(framed.schema_id)?;
        self.with_found(|found| {
            avro::extract(&schema, framed.body, self.extractor.root(), found).map_err(|e| {
                invalid(
                    InvalidReason::InvalidAvro,
                    format!("schema id {}: {e}", framed.schema_id),
                )
            })?;
            self.bin_found(found, bins, extra)
        })
    }

    /// Runs `f` with one `Found::Absent` per mapped pointer: on the stack for the usual
    /// mapping (no allocation per event), on the heap beyond `STACK_SLOTS`.
    fn with_found<'a, T>(&self, f: impl FnOnce(&mut [Found<'a>]) -> T) -> T {
        let n = self.pointers.len();
        if n <= STACK_SLOTS {
            let mut on_stack: [Found<'a>; STACK_SLOTS] = Default::default();
            f(&mut on_stack[..n])
        } else {
            f(&mut vec![Found::Absent; n])
        }
    }

    /// The model, event time, bins and extra counts of an event whose mapped fields are
    /// found.
    fn bin_found(
        &self,
        found: &[Found<'_>],
        bins: &mut Vec<u16>,
        extra: &mut Extra,
    ) -> Result<Decoded, Invalid> {
        let model = self.model_of(found)?;
        let event_time_ms = match self.time_slot {
            None => None,
            Some(slot) => match &found[slot] {
                Found::Absent | Found::Null => None,
                Found::Number(ms) if ms.is_finite() && ms.abs() < 1e15 => Some(*ms as i64),
                Found::Text(t) => Some(parse_rfc3339(t).ok_or_else(|| self.bad_time(slot))?),
                _ => return Err(self.bad_time(slot)),
            },
        };
        self.bin_features(model, found, bins)?;
        for (g, slot, matcher) in &self.groups {
            if g.model != model {
                continue;
            }
            if let Some(group) = matcher.group_of(&found[*slot]) {
                extra
                    .groups
                    .push((g.target, (group * g.bins) as u16 + bins[g.feature]));
            }
        }
        if let Some(Some(watch)) = self.levels.get(model) {
            self.new_levels(watch, &self.feature_slots[model], (found, bins), extra);
        }
        Ok(Decoded {
            model,
            event_time_ms,
        })
    }

    /// One bin per feature of `model` into `bins`. A finite number takes the fast path
    /// (one count against the merged edges for a field binned twice, scorecard and
    /// population bins); everything else goes through each binner.
    fn bin_features(
        &self,
        model: usize,
        found: &[Found<'_>],
        bins: &mut Vec<u16>,
    ) -> Result<(), Invalid> {
        bins.clear();
        let features = &self.models[model].features;
        let (slots, fast) = (&self.feature_slots[model], &self.fast[model]);
        let mut f = 0;
        while f < features.len() {
            if let Found::Number(v) = &found[slots[f]]
                && v.is_finite()
            {
                let taken = fast[f].bin(*v, bins);
                if taken > 0 {
                    f += taken;
                    continue;
                }
            }
            let (name, pointer, binner) = &features[f];
            let Some(cell) = cell_of(&found[slots[f]]) else {
                return Err(invalid(
                    InvalidReason::WrongType,
                    format!("{name} ({pointer}): an object or array"),
                ));
            };
            if let Ok(Some(v)) = cell.as_number()
                && !v.is_finite()
            {
                return Err(invalid(
                    InvalidReason::NonFinite,
                    format!("{name} ({pointer}): not a finite number"),
                ));
            }
            let bin = binner.bin_cell(cell).map_err(|e| match e {
                BinError::NotANumber => invalid(
                    InvalidReason::WrongType,
                    format!("{name} ({pointer}): text where a number is expected"),
                ),
            })?;
            bins.push(bin as u16);
            f += 1;
        }
        Ok(())
    }

    /// The new-level cells of a model's watched features (kept out of `bin_found`'s body:
    /// inlined there it slowed JSON decoding of models without any by 6%,
    /// `cargo bench --bench decode`).
    #[inline(never)]
    fn new_levels(
        &self,
        watch: &LevelField,
        slots: &[usize],
        (found, bins): (&[Found<'_>], &[u16]),
        extra: &mut Extra,
    ) {
        extra.levels = Some(watch.target);
        for (f, known) in &watch.features {
            let found = &found[slots[*f]];
            let cell = || cell_of(found).unwrap_or(Cell::Missing);
            let new = known.new_level(usize::from(bins[*f]), cell).is_some();
            extra.new_levels.push(u16::from(new));
        }
    }

    fn bad_time(&self, slot: usize) -> Invalid {
        invalid(
            InvalidReason::InvalidTime,
            format!(
                "{}: neither RFC 3339 text nor epoch milliseconds",
                self.pointers[slot]
            ),
        )
    }

    fn model_of(&self, found: &[Found<'_>]) -> Result<usize, Invalid> {
        let Some(slot) = self.model_slot else {
            return self
                .default_model
                .ok_or_else(|| invalid(InvalidReason::UnknownModel, "no model"));
        };
        let p = &self.pointers[slot];
        match &found[slot] {
            Found::Absent | Found::Null => self.default_model.ok_or_else(|| {
                invalid(
                    InvalidReason::MissingField,
                    format!("{p}: the model field is missing"),
                )
            }),
            Found::Text(name) => {
                self.models
                    .iter()
                    .position(|m| m.name == *name)
                    .ok_or_else(|| {
                        invalid(
                            InvalidReason::UnknownModel,
                            format!("{p}: not a configured model"),
                        )
                    })
            }
            _ => Err(invalid(
                InvalidReason::WrongType,
                format!("{p}: the model is not text"),
            )),
        }
    }
}

/// A mapped field as a cell; `None` for an object or array.
#[inline]
fn cell_of<'a>(found: &'a Found<'_>) -> Option<Cell<'a>> {
    Some(match found {
        Found::Absent | Found::Null => Cell::Missing,
        Found::Number(v) => Cell::Number(*v),
        Found::Text(t) => Cell::from_text(t),
        Found::Bool(b) => Cell::Text(if *b { "true" } else { "false" }),
        Found::Composite => return None,
    })
}

pub(crate) fn parse_rfc3339(text: &str) -> Option<i64> {
    let t =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binning::{BinSpec, KnownLevels};

    fn decoder() -> Decoder {
        let income = Binner::new(BinSpec::Numeric {
            edges: vec![1000.0, 5000.0],
            special_values: vec![-999.0],
        });
        let region = Binner::new(BinSpec::Categorical {
            levels: vec![vec!["north".into()], vec!["south".into()]],
        });
        Decoder::new(
            200,
            Some("/model".into()),
            None,
            Some("/ts".into()),
            vec![ModelFields {
                name: "m1".into(),
                features: vec![
                    ("income".into(), "/applicant/income".into(), income),
                    ("region".into(), "/region".into(), region),
                ],
            }],
        )
    }

    #[test]
    fn decodes_nested_fields_times_and_missing_values() {
        let d = decoder();
        let mut bins = Vec::new();
        let r = d
            .decode(br#"{"model":"m1","ts":"2026-11-29T10:00:00+01:00","applicant":{"income":2500},"region":"west"}"#, &mut bins)
            .unwrap();
        assert_eq!(r.model, 0);
        assert_eq!(r.event_time_ms, Some(1_795_942_800_000));
        assert_eq!(bins, vec![1, 2]);
        let r = d
            .decode(
                br#"{"model":"m1","ts":1700000000000,"applicant":{"income":"NaN"}}"#,
                &mut bins,
            )
            .unwrap();
        assert_eq!(r.event_time_ms, Some(1_700_000_000_000));
        assert_eq!(bins, vec![4, 3]);
        d.decode(br#"{"model":"m1","applicant":{"income":-999}}"#, &mut bins)
            .unwrap();
        assert_eq!(bins[0], 3);
    }

    #[test]
    fn every_reason() {
        let d = decoder();
        let mut bins = Vec::new();
        let reason = |payload: &[u8]| d.decode(payload, &mut Vec::new()).unwrap_err().reason;
        assert_eq!(reason(&[b' '; 300]), InvalidReason::Oversized);
        assert_eq!(reason(b"{not json"), InvalidReason::InvalidJson);
        assert_eq!(reason(b"[1,2]"), InvalidReason::NotAnObject);
        assert_eq!(reason(br#"{"applicant":{}}"#), InvalidReason::MissingField);
        assert_eq!(reason(br#"{"model":"zz"}"#), InvalidReason::UnknownModel);
        assert_eq!(
            reason(br#"{"model":"m1","applicant":{"income":"abc"}}"#),
            InvalidReason::WrongType
        );
        assert_eq!(
            reason(br#"{"model":"m1","applicant":{"income":{"a":1}}}"#),
            InvalidReason::WrongType
        );
        assert_eq!(
            reason(br#"{"model":"m1","applicant":{"income":"Infinity"}}"#),
            InvalidReason::NonFinite
        );
        assert_eq!(
            reason(br#"{"model":"m1","ts":"yesterday"}"#),
            InvalidReason::InvalidTime
        );
        let e = d
            .decode(
                br#"{"model":"m1","applicant":{"income":"secret-value"}}"#,
                &mut bins,
            )
            .unwrap_err();
        assert!(
            !e.detail.contains("secret"),
            "details never carry values: {}",
            e.detail
        );
    }

    #[test]
    fn a_watched_feature_tells_new_levels_from_known_and_rare_ones() {
        let baseline: crate::binning::FeatureBaseline = serde_json::from_value(serde_json::json!({
            "name": "region",
            "type": "categorical",
            "levels": [["north"], ["south"]],
            "labels": ["north", "south", "Other", "Missing"],
            "counts": [10, 10, 2, 1],
            "other_levels": ["islands"],
        }))
        .unwrap();
        let known = KnownLevels::of(&baseline).unwrap();
        let d = decoder().with_levels(vec![LevelField {
            model: 0,
            target: 7,
            features: vec![(1, known)],
        }]);
        let (mut bins, mut extra) = (Vec::new(), Extra::default());
        let mut cells = |payload: &str| {
            d.decode_with(payload.as_bytes(), &mut bins, &mut extra)
                .unwrap();
            assert_eq!(extra.levels, Some(7));
            extra.new_levels.clone()
        };
        assert_eq!(cells(r#"{"model":"m1","region":"north"}"#), vec![0]);
        assert_eq!(cells(r#"{"model":"m1","region":"islands"}"#), vec![0]);
        assert_eq!(cells(r#"{"model":"m1"}"#), vec![0]);
        assert_eq!(cells(r#"{"model":"m1","region":"moon"}"#), vec![1]);
        assert_eq!(cells(r#"{"model":"m1","region":7}"#), vec![1]);
        // A model without watched features adds nothing, and a reused Extra is cleared.
        let plain = decoder();
        plain
            .decode_with(br#"{"model":"m1","region":"moon"}"#, &mut bins, &mut extra)
            .unwrap();
        assert_eq!((extra.levels, extra.new_levels.len()), (None, 0));
    }
}
