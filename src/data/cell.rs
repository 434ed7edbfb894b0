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
            Cell::Text(t) => Some(std::borrow::Cow::Borrowed(t.trim())),
        }
    }
}

/// Shortest text that reads back as `v` ("3" for 3.0).
pub fn format_number(v: f64) -> String {
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
}
