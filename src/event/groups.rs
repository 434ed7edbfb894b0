//! The protected-attribute groups of a fairness check as the decoder reads them: which
//! configured group (0 = the reference) an event's attribute value belongs to, and where
//! the event is counted. Values are matched as categorical levels are (`"1"`, `1` and
//! `1.0` are one value); an event with another value or none is in no group. Pure, and no
//! value is ever copied out of the event.

use super::extract::Found;
use crate::data::cell::canonical_level;

/// One fairness check of one model.
pub struct GroupField {
    /// The model whose events are checked.
    pub model: usize,
    pub pointer: String,
    /// The monitored series (index in the model's features) and its bin count.
    pub feature: usize,
    pub bins: usize,
    /// Where the check is counted (the state layout's model index).
    pub target: usize,
    /// The values of the reference group (index 0) and the monitored groups.
    pub values: Vec<String>,
}

/// Matches an attribute's value with the configured groups.
pub(crate) struct GroupMatcher {
    levels: Vec<String>,
    numbers: Vec<Option<f64>>,
}

impl GroupMatcher {
    pub(crate) fn new(values: &[String]) -> Self {
        Self {
            levels: values
                .iter()
                .map(|v| canonical_level(v).into_owned())
                .collect(),
            numbers: values
                .iter()
                .map(|v| v.trim().parse::<f64>().ok())
                .collect(),
        }
    }

    /// The group of `found`, if it is one of the configured values.
    pub(crate) fn group_of(&self, found: &Found<'_>) -> Option<usize> {
        match found {
            Found::Text(t) => {
                let level = canonical_level(t);
                self.levels.iter().position(|l| *l == level)
            }
            Found::Number(v) => self.numbers.iter().position(|n| *n == Some(*v)),
            Found::Bool(b) => {
                let text = if *b { "true" } else { "false" };
                self.levels.iter().position(|l| l == text)
            }
            Found::Absent | Found::Null | Found::Composite => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn values_match_as_levels_and_others_are_in_no_group() {
        let m = GroupMatcher::new(&["F".into(), "M".into(), "1".into(), "true".into()]);
        assert_eq!(m.group_of(&Found::Text(Cow::Borrowed("M"))), Some(1));
        assert_eq!(m.group_of(&Found::Text(Cow::Borrowed(" 1.0 "))), Some(2));
        assert_eq!(m.group_of(&Found::Number(1.0)), Some(2));
        assert_eq!(m.group_of(&Found::Bool(true)), Some(3));
        assert_eq!(m.group_of(&Found::Text(Cow::Borrowed("X"))), None);
        assert_eq!(m.group_of(&Found::Number(2.0)), None);
        assert_eq!(m.group_of(&Found::Null), None);
        assert_eq!(m.group_of(&Found::Absent), None);
    }
}
