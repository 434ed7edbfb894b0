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
        let mut pointers = vec![outcome_pointer];
        pointers.extend(time_pointer);
        let canonical = |v: &[String]| v.iter().map(|x| canonical_level(x).into_owned()).collect();
        Self {
            max_bytes,
            extractor: Extractor::new(&pointers),
            outcome_pointer: outcome_pointer.to_string(),
            time_pointer: time_pointer.map(String::from),
            bad: canonical(bad),
            good: canonical(good),
        }
    }

    pub fn decode(&self, payload: &[u8]) -> Result<Outcome, Invalid> {
        if payload.len() > self.max_bytes {
            return Err(invalid(
                InvalidReason::Oversized,
                format!(
                    "{} bytes, more than the {} allowed",
                    payload.len(),
                    self.max_bytes
                ),
            ));
        }
        let mut found = Vec::with_capacity(2);
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
        Ok(Outcome { bad, time_ms })
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
}
