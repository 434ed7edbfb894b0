//! Decoding an outcome event: whether the application turned out bad or good, and when the
//! outcome was observed. Pure: bytes in, an outcome out, or why it is invalid (the detail
//! names the field, never its value).

use super::extract::{ExtractError, Extractor, Found};
use super::{Invalid, InvalidReason, invalid, parse_rfc3339};
use crate::data::cell::canonical_level;

pub struct OutcomeDecoder {
    max_bytes: usize,
    extractor: Extractor,
    outcome_pointer: String,
    time_pointer: Option<String>,
    /// Where the application id is (slot 2 when set); else the message key is the id.
    id_pointer: Option<String>,
    /// Canonical texts of the bad and good values.
    bad: Vec<String>,
    good: Vec<String>,
}

/// A decoded outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub bad: bool,
    /// The outcome's own time (epoch ms), when mapped.
    pub time_ms: Option<i64>,
}

impl OutcomeDecoder {
    pub fn new(
        max_bytes: usize,
        outcome_pointer: &str,
        time_pointer: Option<&str>,
        bad: &[String],
        good: &[String],
    ) -> Self {
        // Slots: 0 the outcome, 1 its time (a pointer no field has when unmapped).
        let pointers = vec![outcome_pointer, time_pointer.unwrap_or("/\u{0}")];
        let canonical = |v: &[String]| v.iter().map(|x| canonical_level(x).into_owned()).collect();
        Self {
            max_bytes,
            extractor: Extractor::new(&pointers),
            outcome_pointer: outcome_pointer.to_string(),
            time_pointer: time_pointer.map(String::from),
            id_pointer: None,
            bad: canonical(bad),
            good: canonical(good),
        }
    }

    /// The decoder that also reads the application id at `pointer` (`decode_with_id`).
    pub fn with_id(mut self, pointer: Option<&str>) -> Self {
        if let Some(p) = pointer {
            let time = self.time_pointer.as_deref().unwrap_or("/\u{0}");
            self.extractor = Extractor::new(&[&self.outcome_pointer, time, p]);
            self.id_pointer = Some(p.to_string());
        }
        self
    }

    pub fn decode(&self, payload: &[u8]) -> Result<Outcome, Invalid> {
        self.decode_with_id(payload).map(|(o, _)| o)
    }

    /// As `decode`, with the application id read at the id pointer (`None` without one).
    /// A missing id, or one that is not text or a number, makes the outcome invalid.
    pub fn decode_with_id(&self, payload: &[u8]) -> Result<(Outcome, Option<String>), Invalid> {
        super::within_size(payload, self.max_bytes)?;
        let mut found = Vec::with_capacity(3);
        self.extractor
            .extract(payload, &mut found)
            .map_err(|e| match e {
                ExtractError::NotAnObject => invalid(
                    InvalidReason::NotAnObject,
                    "the outcome is not a JSON object",
                ),
                ExtractError::Json(detail) => {
                    invalid(InvalidReason::InvalidJson, format!("not JSON: {detail}"))
                }
            })?;
        let p = &self.outcome_pointer;
        let text = match &found[0] {
            Found::Absent | Found::Null => {
                return Err(invalid(
                    InvalidReason::MissingField,
                    format!("{p}: the outcome is missing"),
                ));
            }
            Found::Number(v) => crate::data::cell::format_number(*v),
            Found::Text(t) => canonical_level(t).into_owned(),
            Found::Bool(b) => b.to_string(),
            Found::Composite => {
                return Err(invalid(
                    InvalidReason::WrongType,
                    format!("{p}: an object or array"),
                ));
            }
        };
        let bad = if self.bad.contains(&text) {
            true
        } else if self.good.contains(&text) {
            false
        } else {
            return Err(invalid(
                InvalidReason::InvalidOutcome,
                format!("{p}: neither one of outcomes.bad_values nor of outcomes.good_values"),
            ));
        };
        let time_ms = match (&self.time_pointer, found.get(1)) {
            (Some(tp), Some(f)) => match f {
                Found::Absent | Found::Null => None,
                Found::Number(ms) if ms.is_finite() && ms.abs() < 1e15 => Some(*ms as i64),
                Found::Text(t) => Some(parse_rfc3339(t).ok_or_else(|| {
                    invalid(
                        InvalidReason::InvalidTime,
                        format!("{tp}: neither RFC 3339 text nor epoch milliseconds"),
                    )
                })?),
                _ => {
                    return Err(invalid(
                        InvalidReason::InvalidTime,
                        format!("{tp}: neither RFC 3339 text nor epoch milliseconds"),
                    ));
                }
            },
            _ => None,
        };
        let id = match (&self.id_pointer, found.get(2)) {
            (Some(ip), Some(f)) => Some(match f {
                Found::Text(t) if !t.is_empty() => t.to_string(),
                Found::Number(v) => crate::data::cell::format_number(*v),
                Found::Absent | Found::Null | Found::Text(_) => {
                    return Err(invalid(
                        InvalidReason::MissingField,
                        format!("{ip}: the application id is missing"),
                    ));
                }
                _ => {
                    return Err(invalid(
                        InvalidReason::WrongType,
                        format!("{ip}: the application id is neither text nor a number"),
                    ));
                }
            }),
            _ => None,
        };
        Ok((Outcome { bad, time_ms }, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoder() -> OutcomeDecoder {
        OutcomeDecoder::new(
            1 << 20,
            "/outcome",
            Some("/observed_at"),
            &["1".into(), "default".into()],
            &["0".into(), "repaid".into()],
        )
    }

    #[test]
    fn values_times_and_reasons() {
        let d = decoder();
        let ok = |s: &str| d.decode(s.as_bytes());
        assert_eq!(
            ok(r#"{"outcome": 1, "observed_at": 5}"#),
            Ok(Outcome {
                bad: true,
                time_ms: Some(5)
            })
        );
        assert!(!ok(r#"{"outcome": "0"}"#).unwrap().bad);
        assert!(!ok(r#"{"outcome": 0.0}"#).unwrap().bad);
        assert!(
            ok(r#"{"outcome": "default", "observed_at": "2026-11-29T00:00:00Z"}"#)
                .unwrap()
                .bad
        );
        let reason = |s: &str| d.decode(s.as_bytes()).unwrap_err().reason;
        assert_eq!(reason(r#"{"outcome": 2}"#), InvalidReason::InvalidOutcome);
        assert_eq!(reason(r#"{"other": 1}"#), InvalidReason::MissingField);
        assert_eq!(reason(r#"{"outcome": [1]}"#), InvalidReason::WrongType);
        assert_eq!(
            reason(r#"{"outcome": 1, "observed_at": "soon"}"#),
            InvalidReason::InvalidTime
        );
        assert_eq!(reason("[1]"), InvalidReason::NotAnObject);
        assert_eq!(reason("{"), InvalidReason::InvalidJson);
    }

    #[test]
    fn the_id_is_read_where_configured() {
        let d = decoder().with_id(Some("/loan/application_id"));
        let (o, id) = d
            .decode_with_id(br#"{"outcome": 0, "loan": {"application_id": "app-7"}}"#)
            .unwrap();
        assert!(!o.bad);
        assert_eq!(id.as_deref(), Some("app-7"));
        let (_, id) = d
            .decode_with_id(br#"{"outcome": 1, "loan": {"application_id": 42}}"#)
            .unwrap();
        assert_eq!(id.as_deref(), Some("42"));
        let reason = |s: &str| d.decode_with_id(s.as_bytes()).unwrap_err().reason;
        assert_eq!(reason(r#"{"outcome": 1}"#), InvalidReason::MissingField);
        assert_eq!(
            reason(r#"{"outcome": 1, "loan": {"application_id": ""}}"#),
            InvalidReason::MissingField
        );
        assert_eq!(
            reason(r#"{"outcome": 1, "loan": {"application_id": [1]}}"#),
            InvalidReason::WrongType
        );
        // Without an id pointer the key is the id.
        assert_eq!(
            decoder().decode_with_id(br#"{"outcome": 1}"#).unwrap().1,
            None
        );
    }
}
