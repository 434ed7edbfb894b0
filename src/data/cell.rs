//! One field of one row, as read: missing, a number (JSON only) or text.

/// Texts that mean "no value", compared case-insensitively: the empty string and the
/// usual spellings of a missing value in exports from R, pandas and SQL.
const MISSING_TOKENS: &[&str] = &["", "na", "nan", "null"];

pub fn is_missing_token(text: &str) -> bool {
    let t = text.trim();
    MISSING_TOKENS.iter().any(|m| t.eq_ignore_ascii_case(m))
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// Absent, null, empty, NaN or a missing token.
    Missing,
    Number(f64),
    Text(&'a str),
}

impl<'a> Cell<'a> {
    /// A CSV field or JSON string: missing tokens become `Missing`.
    pub fn from_text(text: &'a str) -> Self {
        if is_missing_token(text) {
            Cell::Missing
        } else {
            Cell::Text(text)
        }
    }

    /// The cell as a number: `Ok(None)` when missing, `Err(())` when it is text that does
    /// not parse. NaN counts as missing.
    #[allow(clippy::result_unit_err)]
    pub fn as_number(&self) -> Result<Option<f64>, ()> {
        let v = match *self {
            Cell::Missing => return Ok(None),
            Cell::Number(v) => v,
            Cell::Text(t) => t.trim().parse::<f64>().map_err(|_| ())?,
        };
        Ok(if v.is_nan() { None } else { Some(v) })
    }

    /// The cell as a categorical level: numbers in their shortest form ("3", "2.5").
    pub fn as_level(&self) -> Option<std::borrow::Cow<'a, str>> {
        match *self {
            Cell::Missing => None,
            Cell::Number(v) if v.is_nan() => None,
            Cell::Number(v) => Some(std::borrow::Cow::Owned(format_number(v))),
            Cell::Text(t) => Some(canonical_level(t)),
        }
    }
}

/// A categorical level as text, with numbers written one way: `"1.0"`, `" 1 "` and the JSON
/// number `1` are the level `"1"`, so a level matches however a file or an event spells it.
/// Text with a leading zero (`"0123"`, a postal or branch code) stays as it is, as does
/// anything that is not a finite number.
pub(crate) fn canonical_level(text: &str) -> std::borrow::Cow<'_, str> {
    let t = text.trim();
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    let leading_zero =
        digits.len() > 1 && digits.starts_with('0') && digits.as_bytes()[1].is_ascii_digit();
    let numeric_start = digits.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    if numeric_start
        && !leading_zero
        && let Ok(v) = t.parse::<f64>()
        && v.is_finite()
    {
        let canonical = format_number(v);
        if canonical != t {
            return std::borrow::Cow::Owned(canonical);
        }
    }
    std::borrow::Cow::Borrowed(t)
}

/// Shortest text that reads back as `v` ("3" for 3.0).
pub(crate) fn format_number(v: f64) -> String {
    format!("{v}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_tokens_and_numbers() {
        assert_eq!(Cell::from_text(""), Cell::Missing);
        assert_eq!(Cell::from_text(" NA "), Cell::Missing);
        assert_eq!(Cell::from_text("NaN"), Cell::Missing);
        assert_eq!(Cell::from_text("1.5").as_number(), Ok(Some(1.5)));
        assert_eq!(Cell::from_text("abc").as_number(), Err(()));
        assert_eq!(Cell::Number(f64::NAN).as_number(), Ok(None));
        assert_eq!(Cell::Number(3.0).as_level().unwrap(), "3");
    }

    #[test]
    fn numeric_levels_match_however_they_are_written() {
        for spelled in ["1", "1.0", " 1.00 ", "1e0", "+1"] {
            assert_eq!(
                Cell::from_text(spelled).as_level().unwrap(),
                "1",
                "{spelled:?}"
            );
        }
        assert_eq!(Cell::Number(1.0).as_level().unwrap(), "1");
        assert_eq!(Cell::from_text("-2.50").as_level().unwrap(), "-2.5");
        assert_eq!(Cell::from_text("0.5").as_level().unwrap(), "0.5");
        // Codes with a leading zero and words stay as written.
        assert_eq!(Cell::from_text("0123").as_level().unwrap(), "0123");
        assert_eq!(Cell::from_text("salaried").as_level().unwrap(), "salaried");
        assert_eq!(Cell::from_text("inf").as_level().unwrap(), "inf");
        assert_eq!(Cell::from_text("NaN"), Cell::Missing);
    }
}
