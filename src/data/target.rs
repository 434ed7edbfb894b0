//! The binary target (good/bad outcome) column: its two values, seen in any order, and which
//! of them marks a bad outcome.

/// The distinct values of a target column in order of first appearance (at most two).
#[derive(Debug, Default, Clone)]
pub(crate) struct TargetClasses {
    values: Vec<String>,
}

/// A target column that does not hold exactly two values, or a bad value it lacks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TargetError {
    ThirdValue { values: Vec<String>, line: u64 },
    TooFewValues { values: Vec<String> },
    BadValueAbsent { bad: String, values: Vec<String> },
    BadValueNeeded { values: Vec<String> },
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |v: &[String]| {
            v.iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            TargetError::ThirdValue { values, line } => write!(
                f,
                "the target must have two values, found a third at line {line}: {}",
                list(values)
            ),
            TargetError::TooFewValues { values } => write!(
                f,
                "the target must have two values, found only {}",
                if values.is_empty() {
                    "missing values".to_string()
                } else {
                    list(values)
                }
            ),
            TargetError::BadValueAbsent { bad, values } => write!(
                f,
                "--bad-value \"{bad}\" is not one of the target's values {}",
                list(values)
            ),
            TargetError::BadValueNeeded { values } => write!(
                f,
                "the target's values are {}; say which one is bad with --bad-value",
                list(values)
            ),
        }
    }
}

impl TargetClasses {
    /// The class index (0 or 1) of `value`, adding it if new.
    pub(crate) fn observe(&mut self, value: &str, line: u64) -> Result<u8, TargetError> {
        if let Some(i) = self.values.iter().position(|v| v == value) {
            return Ok(i as u8);
        }
        if self.values.len() == 2 {
            let mut values = self.values.clone();
            values.push(value.to_string());
            return Err(TargetError::ThirdValue { values, line });
        }
        self.values.push(value.to_string());
        Ok((self.values.len() - 1) as u8)
    }

    /// The class index that is bad. Without `bad_value`, the values must be 0/1 or
    /// false/true, and 1 (true) is bad.
    pub(crate) fn bad_class(&self, bad_value: Option<&str>) -> Result<u8, TargetError> {
        if self.values.len() < 2 {
            return Err(TargetError::TooFewValues {
                values: self.values.clone(),
            });
        }
        let find = |v: &str| self.values.iter().position(|x| x == v).map(|i| i as u8);
        match bad_value {
            Some(bad) => find(bad).ok_or_else(|| TargetError::BadValueAbsent {
                bad: bad.to_string(),
                values: self.values.clone(),
            }),
            None => {
                let mut sorted = self.values.clone();
                sorted.sort();
                match (sorted[0].as_str(), sorted[1].as_str()) {
                    ("0", "1") => Ok(find("1").unwrap_or(1)),
                    ("false", "true") => Ok(find("true").unwrap_or(1)),
                    _ => Err(TargetError::BadValueNeeded {
                        values: self.values.clone(),
                    }),
                }
            }
        }
    }

    pub(crate) fn values(&self) -> &[String] {
        &self.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_values_and_the_bad_one() {
        let mut t = TargetClasses::default();
        assert_eq!(t.observe("1", 2), Ok(0));
        assert_eq!(t.observe("0", 3), Ok(1));
        assert_eq!(t.observe("1", 4), Ok(0));
        assert_eq!(t.bad_class(None), Ok(0));
        assert_eq!(t.bad_class(Some("0")), Ok(1));
        assert!(t.bad_class(Some("2")).is_err());
        assert!(matches!(
            t.observe("2", 9),
            Err(TargetError::ThirdValue { line: 9, .. })
        ));
    }

    #[test]
    fn other_values_need_a_bad_value() {
        let mut t = TargetClasses::default();
        t.observe("good", 1).unwrap();
        assert!(matches!(
            t.bad_class(None),
            Err(TargetError::TooFewValues { .. })
        ));
        t.observe("bad", 2).unwrap();
        assert!(matches!(
            t.bad_class(None),
            Err(TargetError::BadValueNeeded { .. })
        ));
        assert_eq!(t.bad_class(Some("bad")), Ok(1));
    }
}
